package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// These tests run probes through the real kube-apiserver and kubelet API of the local control
// plane. kwok plays the kubelet and runs every exec on this machine, so the pods' "clients"
// are this machine's (GNU wget here), and the targets must be loopback addresses: anything
// else would be probed from the host's network, not from a pod.

func clusterClient(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// namespace creates a namespace for one test and removes it afterwards.
func namespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

// startPod creates a pod that sleeps and waits until ready says it is far enough along.
func startPod(t *testing.T, cs kubernetes.Interface, ns, name, image string, ready func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: new(int64),
			Containers:                    []corev1.Container{{Name: "app", Image: image, Command: []string{"sleep", "1000000"}}},
		},
	}
	// Pods are refused until kube-controller-manager has made the namespace's ServiceAccount.
	for {
		_, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("creating pod %s/%s: %v", ns, name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && ready(p) {
			return p
		}
		if ctx.Err() != nil {
			t.Fatalf("pod %s/%s not as expected in time: %+v (%v)", ns, name, p.Status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// listener is a loopback HTTP server answering 404 that counts the connections it accepts,
// whichever client makes them.
func listener(t *testing.T) (port int32, conns *atomic.Int32) {
	t.Helper()
	conns = new(atomic.Int32)
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return int32(srv.Listener.Addr().(*net.TCPAddr).Port), conns
}

// closedPort is a loopback port where nothing listens.
func closedPort(t *testing.T) int32 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := int32(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return port
}

// A probe that should pass and one that should fail, observed as such through the real exec
// path: WebSocket exec through the API server to the kubelet API.
func TestProbeThroughTheAPIServer(t *testing.T) {
	c := localcluster.ForTest(t)
	cs := clusterClient(t, c.RESTConfig)
	namespace(t, cs, "probe-exec")
	startPod(t, cs, "probe-exec", "client", "busybox:1.36.1", isReady)
	open, conns := listener(t)
	closed := closedPort(t)

	from := PodRef{Namespace: "probe-exec", Name: "client"}
	jobs := []Job{
		{From: from, To: Target{Name: "listener", Host: "127.0.0.1"}, Port: open, Expected: true},
		{From: from, To: Target{Name: "nothing", Host: "127.0.0.1"}, Port: closed, Expected: false},
	}
	r := &Runner{Exec: NewExecutor(c.RESTConfig, cs), Client: cs, Timeout: 5 * time.Second, Retries: 2}
	results := r.Run(context.Background(), jobs)

	if res := results[0]; res.Outcome != Connected || !res.Agrees() || res.Attempts != 1 || res.Container != "app" {
		t.Errorf("to the listener: %s %q via %s in %q after %d attempts (err %v), want connected at once from container app",
			res.Outcome, res.Detail, res.Client, res.Container, res.Attempts, res.Err)
	}
	if conns.Load() == 0 {
		t.Errorf("the listener saw no connection: the probe did not reach it")
	}
	if res := results[1]; res.Outcome != Refused || !res.Agrees() || res.Attempts != 1 {
		t.Errorf("to the closed port: %s %q after %d attempts (err %v), want refused at once", res.Outcome, res.Detail, res.Attempts, res.Err)
	}
	// The other way round, both disagree, and are retried.
	for i := range jobs {
		jobs[i].Expected = !jobs[i].Expected
	}
	for _, res := range r.Run(context.Background(), jobs) {
		if res.Attempts != 3 || res.Agrees() {
			t.Errorf("port %d, expected %v: %s after %d attempts, want 3 disagreeing attempts", res.Job.Port, res.Job.Expected, res.Outcome, res.Attempts)
		}
	}
}

// withoutClient makes container "app" look like a distroless image, as no container on this
// machine can (exec runs on the host, which has sh and wget): the detection exec fails the way
// runc reports a missing sh. Everything else goes through to the real executor.
func withoutClient(t *testing.T, e Executor) Executor {
	return ExecutorFunc(func(ctx context.Context, req ExecRequest) ([]byte, []byte, error) {
		if req.Container == "app" {
			if slices.Equal(req.Command, detectCommand) {
				return nil, nil, errors.New(`OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown`)
			}
			t.Errorf("exec %q into the container without a shell", req.Command)
		}
		return e.Exec(ctx, req)
	})
}

// A pod without a client gets a probe container through pods/ephemeralcontainers; kwok
// reports it running (a stage in hack/localcluster/kwok-stages.yaml), and the probe runs in
// it. The next command reuses it.
func TestProbeFromAnAddedContainer(t *testing.T) {
	c := localcluster.ForTest(t)
	cs := clusterClient(t, c.RESTConfig)
	namespace(t, cs, "probe-inject")
	startPod(t, cs, "probe-inject", "distroless", "gcr.io/distroless/static:nonroot", isReady)
	open, conns := listener(t)

	job := Job{From: PodRef{Namespace: "probe-inject", Name: "distroless"}, To: Target{Host: "127.0.0.1"}, Port: open, Expected: true}
	for range 2 {
		r := &Runner{Exec: withoutClient(t, NewExecutor(c.RESTConfig, cs)), Client: cs, Timeout: 5 * time.Second, StartTimeout: 30 * time.Second}
		res := r.Run(context.Background(), []Job{job})[0]
		if res.Outcome != Connected || res.Container != probeContainerPrefix {
			t.Fatalf("%s %q from %q (err %v), want connected from the probe container", res.Outcome, res.Detail, res.Container, res.Err)
		}
	}
	if conns.Load() < 2 {
		t.Errorf("the listener saw %d connections, want one per run", conns.Load())
	}
	pod, err := cs.CoreV1().Pods("probe-inject").Get(context.Background(), "distroless", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pod.Spec.EphemeralContainers); n != 1 || pod.Spec.EphemeralContainers[0].Image != DefaultImage {
		t.Errorf("ephemeral containers %+v: want one, of %s, reused by the second run", pod.Spec.EphemeralContainers, DefaultImage)
	}
}

// userWith is a kubeconfig for a new user bound, in namespace ns, to a role with these rules.
func userWith(t *testing.T, c *localcluster.Cluster, cs kubernetes.Interface, ns, user string, rules []rbacv1.PolicyRule) *rest.Config {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: user},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	path, err := c.AddUser(user, "example:learners")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// RBAC refusals come back as the errors that name the missing verbs, through the real API
// server: exec (WebSocket, then SPDY) and the ephemeral containers subresource.
func TestProbeForbidden(t *testing.T) {
	c := localcluster.ForTest(t)
	cs := clusterClient(t, c.RESTConfig)
	ns := "probe-rbac"
	namespace(t, cs, ns)
	startPod(t, cs, ns, "client", "busybox:1.36.1", isReady)
	job := Job{From: PodRef{Namespace: ns, Name: "client"}, To: Target{Host: "127.0.0.1"}, Port: closedPort(t)}
	readPods := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}}

	t.Run("exec", func(t *testing.T) {
		cfg := userWith(t, c, cs, ns, "reader", []rbacv1.PolicyRule{readPods})
		user := clusterClient(t, cfg)
		res := (&Runner{Exec: NewExecutor(cfg, user), Client: user, Retries: 2}).Run(context.Background(), []Job{job})[0]
		if !errors.Is(res.Err, ErrExecForbidden) || res.Attempts != 0 {
			t.Fatalf("%s after %d attempts, err %v: want ErrExecForbidden before any attempt", res.Outcome, res.Attempts, res.Err)
		}
		if !strings.Contains(res.Err.Error(), "get and create on pods/exec") {
			t.Errorf("message %q should name the verbs on pods/exec", res.Err)
		}
	})
	// WebSocket exec is a GET (verb get), SPDY a POST (verb create): a user with create alone
	// probes through the SPDY fallback, which only happens if the fallback test recognises the
	// refused upgrade.
	t.Run("fallback to SPDY", func(t *testing.T) {
		cfg := userWith(t, c, cs, ns, "poster", []rbacv1.PolicyRule{readPods,
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}}})
		user := clusterClient(t, cfg)
		res := (&Runner{Exec: NewExecutor(cfg, user), Client: user}).Run(context.Background(), []Job{job})[0]
		if res.Err != nil || res.Outcome != Refused {
			t.Errorf("probe with create on pods/exec only: %s %q (err %v), want refused (nothing listens)", res.Outcome, res.Detail, res.Err)
		}
	})
	t.Run("ephemeral containers", func(t *testing.T) {
		cfg := userWith(t, c, cs, ns, "execer", []rbacv1.PolicyRule{readPods,
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"get", "create"}}})
		user := clusterClient(t, cfg)
		res := (&Runner{Exec: withoutClient(t, NewExecutor(cfg, user)), Client: user}).Run(context.Background(), []Job{job})[0]
		if !errors.Is(res.Err, ErrEphemeralForbidden) || !strings.Contains(res.Err.Error(), "patch on pods/ephemeralcontainers") {
			t.Fatalf("err %v: want ErrEphemeralForbidden naming patch on pods/ephemeralcontainers", res.Err)
		}
		pod, err := cs.CoreV1().Pods(ns).Get(context.Background(), "client", metav1.GetOptions{})
		if err != nil || len(pod.Spec.EphemeralContainers) != 0 {
			t.Errorf("ephemeral containers %v (%v): the refused patch must have changed nothing", pod.Spec.EphemeralContainers, err)
		}
		// With exec allowed, a pod that has its client probes fine: the refusal was only about
		// adding a container.
		res = (&Runner{Exec: NewExecutor(cfg, user), Client: user}).Run(context.Background(), []Job{job})[0]
		if res.Err != nil || res.Outcome != Refused {
			t.Errorf("probe as the execer: %s %q (err %v), want refused (nothing listens)", res.Outcome, res.Detail, res.Err)
		}
	})
}

// A pod whose image cannot be pulled stays Pending; probes from it say so rather than trying.
func TestProbeFromAPodThatDoesNotRun(t *testing.T) {
	c := localcluster.ForTest(t)
	cs := clusterClient(t, c.RESTConfig)
	namespace(t, cs, "probe-pending")
	startPod(t, cs, "probe-pending", "stuck", "unreachable.invalid/busybox:1.36.1", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) > 0
	})
	var execs atomic.Int32
	exec := NewExecutor(c.RESTConfig, cs)
	counting := ExecutorFunc(func(ctx context.Context, req ExecRequest) ([]byte, []byte, error) {
		execs.Add(1)
		return exec.Exec(ctx, req)
	})
	job := Job{From: PodRef{Namespace: "probe-pending", Name: "stuck"}, To: Target{Host: "127.0.0.1"}, Port: closedPort(t), Expected: true}
	res := (&Runner{Exec: counting, Client: cs, Retries: 2}).Run(context.Background(), []Job{job})[0]
	if !errors.Is(res.Err, ErrPodNotRunning) || !strings.Contains(res.Err.Error(), "ImagePullBackOff") || !strings.Contains(res.Err.Error(), "kubectl describe pod stuck -n probe-pending") {
		t.Errorf("err %v: want ErrPodNotRunning with the reason and the way to look", res.Err)
	}
	if execs.Load() != 0 {
		t.Errorf("%d execs into a pod that does not run", execs.Load())
	}
}
