package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// On the real node: a pod without any client (the pause image: no shell, no nc) in a namespace
// that is not a lab's gets no probe container unless --inject asks for one, since ephemeral
// containers can never be removed; the probe says so and how to ask. With --inject it gets one.
func TestProbeInjectsOnlyWhenAsked(t *testing.T) {
	c := localcluster.ForDataplane(t)
	kubectl(t, c, `
apiVersion: v1
kind: Namespace
metadata: {name: inject-e2e}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: inject-e2e, labels: {app: server}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: server
    image: docker.io/library/busybox:1.36.1
    command: [sh, -c, 'mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www']
    ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: quiet, namespace: inject-e2e, labels: {app: quiet}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: `+localcluster.SandboxImage+`
`, "apply", "-f", "-")
	defer kubectl(t, c, "", "delete", "namespace", "inject-e2e", "--wait=false")
	cs := kubernetes.NewForConfigOrDie(c.RESTConfig)
	// Both pods Ready with an IP (the quiet one has no client, so a probe cannot tell).
	if err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		pods, err := cs.CoreV1().Pods("inject-e2e").List(ctx, metav1.ListOptions{})
		if err != nil || len(pods.Items) != 2 {
			return false, nil
		}
		for i := range pods.Items {
			if !localcluster.PodReady(&pods.Items[i]) || pods.Items[i].Status.PodIP == "" {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		t.Fatalf("the pods never became Ready: %v", err)
	}
	ephemeral := func() int {
		p, err := cs.CoreV1().Pods("inject-e2e").Get(context.Background(), "quiet", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Spec.EphemeralContainers)
	}

	// The only probe cannot run: that reason is the answer, once, with the way out.
	r := netpol(t, c, "probe", "-n", "inject-e2e", "--from", "inject-e2e/quiet", "--to", "inject-e2e/server", "--port", "80")
	if r.code != 1 || !strings.Contains(r.stderr, "rerun with --inject") || !strings.Contains(r.stderr, "can never be removed") {
		t.Fatalf("without --inject: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := ephemeral(); n != 0 {
		t.Fatalf("without --inject, the pod got %d ephemeral container(s)", n)
	}

	// With --inject: one probe container, and the connection is observed.
	var rep probeReport
	if err := wait.PollUntilContextTimeout(context.Background(), time.Second, 90*time.Second, true, func(context.Context) (bool, error) {
		rep = probeReport{}
		netpolJSON(t, c, &rep, "probe", "-n", "inject-e2e", "--from", "inject-e2e/quiet", "--to", "inject-e2e/server", "--port", "80", "--inject")
		return len(rep.Results) == 1 && rep.Results[0].Observed != nil && *rep.Results[0].Observed, nil
	}); err != nil {
		t.Fatalf("with --inject: %+v", rep.Results)
	}
	if n := ephemeral(); n != 1 {
		t.Errorf("with --inject, %d ephemeral container(s), want 1 (reused across runs)", n)
	}
}
