package localcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

func client(t *testing.T, c *Cluster) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// The promise of the local control plane: a pod gets scheduled onto the fake node, becomes
// Running and Ready with an IP, and a deleted namespace really goes away.
func TestPodBecomesRunningAndNamespaceTerminates(t *testing.T) {
	c := ForTest(t)
	cs := client(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lifecycle"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "web", Image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
			Ports: []corev1.ContainerPort{{ContainerPort: 80}},
		}}},
	}
	// The ServiceAccount admission plugin rejects pods until the namespace's default
	// ServiceAccount exists, as in any cluster; kube-controller-manager creates it.
	var err error
	for {
		if _, err = cs.CoreV1().Pods("lifecycle").Create(ctx, pod, metav1.CreateOptions{}); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("creating the pod: %v", err)
	}

	running := waitPod(ctx, t, cs, "lifecycle", "web", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning && PodReady(p) && p.Status.PodIP != ""
	})
	if running.Spec.NodeName != NodeName {
		t.Errorf("pod scheduled onto %q, want %q", running.Spec.NodeName, NodeName)
	}

	got, err := cs.CoreV1().Namespaces().Get(ctx, "lifecycle", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels["kubernetes.io/metadata.name"] != "lifecycle" {
		t.Errorf("namespace labels %v: want kubernetes.io/metadata.name set by the apiserver", got.Labels)
	}

	if err := cs.CoreV1().Namespaces().Delete(ctx, "lifecycle", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := cs.CoreV1().Namespaces().Get(ctx, "lifecycle", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("namespace still there after deletion: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A user without RBAC bindings is authenticated (not 401) but forbidden (403): the basis of the
// plugin's read-only and forbidden tests.
func TestAddUserIsForbiddenWithoutBindings(t *testing.T) {
	c := ForTest(t)
	path, err := c.AddUser("nobody", "example:people")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("listing pods as an unbound user: got %v, want Forbidden", err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Fatalf("/version is open to every authenticated user, got %v", err)
	}
}

func waitPod(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns, name string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var last *corev1.Pod
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed; last seen: %+v", last)
			}
			if p, ok := ev.Object.(*corev1.Pod); ok {
				last = p
				if cond(p) {
					return p
				}
			}
		case <-ctx.Done():
			t.Fatalf("pod %s/%s not as expected in time; last status: %+v", ns, name, last)
		}
	}
}

// Exec goes the way kubectl's does, through the API server to the node's kubelet API (served by
// kwok), and the command runs on this machine: the path exec probes take. A failing command's
// exit status comes back as an error.
func TestExecThroughTheAPIServer(t *testing.T) {
	c := ForTest(t)
	kubectl := filepath.Join(c.BinDir, "kubectl")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(kubectl, append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("run", "shell", "--image=busybox:1.36.1", "--restart=Never", "--", "sleep", "1000000"); err != nil {
		t.Fatalf("kubectl run: %v\n%s", err, out)
	}
	if out, err := run("wait", "--for=condition=Ready", "pod/shell", "--timeout=60s"); err != nil {
		t.Fatalf("kubectl wait: %v\n%s", err, out)
	}
	out, err := run("exec", "shell", "--", "sh", "-c", "echo hello from $0")
	if err != nil || strings.TrimSpace(out) != "hello from sh" {
		t.Fatalf("kubectl exec: %v, output %q", err, out)
	}
	if _, err := run("exec", "shell", "--", "sh", "-c", "exit 3"); err == nil {
		t.Error("a failing command should fail the exec")
	}
}
