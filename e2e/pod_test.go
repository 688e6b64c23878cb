package e2e

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// A pod of the real node: its container runs the lab image's BusyBox in a network namespace of
// its own, with the IP the API reports, its own hostname, and the cluster DNS in resolv.conf;
// `kubectl exec` (WebSocket, through the apiserver and the kubelet) runs inside it and brings
// the exit status back.
func TestPodsRunInTheirOwnNetwork(t *testing.T) {
	c := localcluster.ForDataplane(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kubectl(t, c, `apiVersion: v1
kind: Namespace
metadata: {name: podnet}
---
apiVersion: v1
kind: Pod
metadata: {name: box, namespace: podnet}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: box, image: docker.io/library/busybox:1.36.1, command: [sleep, "1000000"]}
`, "apply", "-f", "-")
	defer kubectl(t, c, "", "delete", "namespace", "podnet", "--wait=false")
	kubectl(t, c, "", "wait", "-n", "podnet", "pod/box", "--for=condition=Ready", "--timeout=60s")
	pod, err := cs.CoreV1().Pods("podnet").Get(ctx, "box", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	exe := func(args ...string) (string, int) {
		cmd := exec.Command(filepath.Join(c.BinDir, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig, "exec", "-n", "podnet", "box", "--"}, args...)...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return string(out), exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, _ := exe("ip", "-4", "-o", "addr", "show", "eth0"); !strings.Contains(out, " "+pod.Status.PodIP+"/") {
		t.Errorf("the pod's eth0 (%q) lacks the API's pod IP %s", out, pod.Status.PodIP)
	}
	if out, _ := exe("hostname"); strings.TrimSpace(out) != "box" {
		t.Errorf("hostname %q, want the pod's name", out)
	}
	if out, _ := exe("cat", "/etc/resolv.conf"); !strings.Contains(out, "nameserver "+localcluster.ClusterDNSIP) {
		t.Errorf("resolv.conf does not name the cluster DNS:\n%s", out)
	}
	if out, _ := exe("nslookup", "kubernetes.default"); !strings.Contains(out, "10.96.0.1") {
		t.Errorf("nslookup kubernetes.default through CoreDNS:\n%s", out)
	}
	if _, code := exe("sh", "-c", "exit 3"); code != 3 {
		t.Errorf("exit status %d through exec, want 3", code)
	}
	if pod.Spec.NodeName != localcluster.NodeName || pod.Status.Phase != corev1.PodRunning {
		t.Errorf("pod on %q in phase %s", pod.Spec.NodeName, pod.Status.Phase)
	}
}
