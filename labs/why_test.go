package labs

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Pods that cannot start are explained in terms a learner can act on. kwok never pulls
// images, so these states are built by hand; the function reads nothing else.
func TestWhyNotReady(t *testing.T) {
	pull := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "client", Image: "docker.io/library/busybox:1.36.1",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}},
	}}}}
	got := whyNotReady(pull)
	for _, want := range []string{"docker.io/library/busybox:1.36.1", "ImagePullBackOff", "--image-registry", "--image client="} {
		if !strings.Contains(got, want) {
			t.Errorf("ImagePullBackOff explanation %q lacks %q", got, want)
		}
	}

	unschedulable := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/3 nodes are available: 3 node(s) had untolerated taint",
	}}}}
	if got := whyNotReady(unschedulable); !strings.Contains(got, "cannot be scheduled") || !strings.Contains(got, "untolerated taint") {
		t.Errorf("unschedulable explanation %q", got)
	}
	if got := whyNotReady(nil); got != "not created yet" {
		t.Errorf("missing pod: %q", got)
	}
}
