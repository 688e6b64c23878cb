package plugin

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
)

// serveAt makes a "server pod" real: an HTTP listener on the pod's IP, which on the test
// control plane is a loopback address (exec runs on this machine, see localcluster.HostExec).
// It counts the requests that reach it.
func serveAt(t *testing.T, ip, port string) *atomic.Int64 {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, port))
	if err != nil {
		t.Fatalf("listen on the pod IP %s: %v", ip, err)
	}
	var hits atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("ok\n"))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &hits
}

func podIP(t *testing.T, client kubernetes.Interface, ns, name string) string {
	t.Helper()
	p, err := client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil || p.Status.PodIP == "" {
		t.Fatalf("pod %s/%s: %v, IP %q", ns, name, err, p.Status.PodIP)
	}
	return p.Status.PodIP
}

// The default-deny lab with its solution, on a control plane whose "network" enforces nothing
// (there is no CNI: exec runs on this machine and reaches the listeners directly). The probes
// run through the real API server; what they observe must be reported as such: the denied
// connection got through, so the policies are right and the network does not enforce them.
func TestProbeAndLiveCheck(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	client, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, "lab", "up", "default-deny", "--solution", "--namespace-suffix=-probe", kc); r.code != ExitOK {
		t.Fatalf("lab up: %s", r.stderr)
	}
	defer func() {
		if r := run(t, "lab", "down", "default-deny", kc); r.code != ExitOK {
			t.Errorf("lab down: %s", r.stderr)
		}
	}()
	quietAPI := podIP(t, client, "quiet-probe", "api")
	noisyAPI := podIP(t, client, "noisy-probe", "api")
	if !strings.HasPrefix(quietAPI, "127.1.") {
		t.Fatalf("pod IP %s is not a loopback address; the probes would leave this machine", quietAPI)
	}
	quietHits, noisyHits := serveAt(t, quietAPI, "8080"), serveAt(t, noisyAPI, "8080")

	// A run larger than --max-probes is refused before any exec, saying how to narrow it.
	if r := run(t, "probe", "-A", "--to", "app=api", "--port", "8080", "--max-probes", "1", kc); r.code != ExitUsage ||
		!strings.Contains(r.stderr, "more than --max-probes 1") || !strings.Contains(r.stderr, "--from") {
		t.Errorf("--max-probes 1: exit %d\n%s", r.code, r.stderr)
	}
	r := run(t, "probe", "-A", "--from", "noisy-probe/client", "--to", "app=api", "--port", "8080", "--probe-timeout", "2s", "-o", "json", kc)
	var rep probeReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	// Expected (the policy): noisy -> quiet blocked, noisy -> noisy allowed. Observed: both
	// connect, since nothing enforces.
	want := map[string][2]bool{"quiet-probe/api": {false, true}, "noisy-probe/api": {true, true}}
	for _, o := range rep.Results {
		w, ok := want[o.To]
		if !ok || o.From != "noisy-probe/client" || o.Observed == nil || o.Expected != w[0] || *o.Observed != w[1] || o.Outcome != "connected" {
			t.Errorf("result %+v (error %s)", o, o.Error)
		}
	}
	if rep.Summary != (summary{Correct: 1, Wrong: 1, Total: 2}) || r.code != ExitError {
		t.Errorf("summary %+v, exit %d", rep.Summary, r.code)
	}
	if quietHits.Load() == 0 || noisyHits.Load() == 0 {
		t.Errorf("the listeners saw %d and %d requests: the probes did not reach them", quietHits.Load(), noisyHits.Load())
	}

	// quiet's api to itself: isolated by the default deny, yet expected allowed (loopback);
	// not probed, as before.
	r = run(t, "probe", "-A", "--from", "quiet-probe/api", "--to", "quiet-probe/api", "--port", "8080", "--probe-timeout", "2s", "-o", "json", kc)
	var self probeReport
	if err := json.Unmarshal([]byte(r.stdout), &self); err != nil || r.code != ExitOK {
		t.Fatalf("probe a pod to itself: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if len(self.Results) != 1 || !self.Results[0].Expected || !strings.HasPrefix(self.Results[0].Ignored, "loopback") || self.Summary != (summary{Ignored: 1, Total: 1}) {
		t.Errorf("a pod to itself: %+v", self)
	}

	// Nothing to probe: machine output is still a document, an empty one.
	for _, format := range []string{"json", "yaml"} {
		r = run(t, "probe", "-n", "default", "-o", format, kc)
		var empty map[string]any
		if err := yaml.Unmarshal([]byte(r.stdout), &empty); err != nil || r.code != ExitOK || empty["results"] == nil || !strings.Contains(r.stderr, "No pods found") {
			t.Errorf("probe -o %s with no pods: exit %d, %v, document %v\nstdout:\n%s\nstderr:\n%s", format, r.code, err, empty, r.stdout, r.stderr)
		}
	}

	r = run(t, "probe", "-A", "--from", "noisy-probe/client", "--to", "app=api", "--port", "8080", "--probe-timeout", "2s", kc)
	for _, want := range []string{"8080/TCP (expected/observed):", "X/. *", "./.", "the network plugin (CNI) is not enforcing NetworkPolicy", "kubectl netpol doctor", "1 correct, 1 wrong, 0 ignored of 2"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("probe table lacks %q:\n%s", want, r.stdout)
		}
	}

	// lab check: the policies are right (static PASS), the live probes show them unenforced.
	r = run(t, "lab", "check", "default-deny", "--namespace-suffix=-probe", "--probe-timeout", "2s", kc)
	for _, want := range []string{"Static check", "Live check", "quiet-probe/client   quiet-probe/api", "WRONG", "not enforcing NetworkPolicy", "FAIL: your policies are right (4/4 goal connections), but 2 live probe(s) disagree"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lab check lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != ExitError {
		t.Errorf("lab check: exit %d, want %d (live probes disagree)", r.code, ExitError)
	}
}

// Probe containers go only where asked (--inject) or into pods of kubectl-netpol's own labs.
func TestMayInject(t *testing.T) {
	lab := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{labs.ManagedByLabel: labs.ManagedByValue, labs.LabLabel: "three-tier"}}}
	othersManaged := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{labs.ManagedByLabel: "helm"}}}
	plain := &corev1.Pod{}
	for _, tc := range []struct {
		inject bool
		pod    *corev1.Pod
		want   bool
	}{{false, lab, true}, {false, othersManaged, false}, {false, plain, false}, {true, plain, true}, {true, othersManaged, true}} {
		f := probeFlags{Inject: tc.inject}
		if got := f.mayInject(tc.pod); got != tc.want {
			t.Errorf("--inject=%t, labels %v: %t, want %t", tc.inject, tc.pod.Labels, got, tc.want)
		}
	}
}
