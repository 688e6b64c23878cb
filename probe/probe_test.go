package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// fakeExec stands in for the cluster: detection answers with the container's clients, probes
// with whatever answer says. It counts calls and how many run at once.
type fakeExec struct {
	// clients is the detection output per "ns/pod/container"; others get busyboxDetect.
	clients map[string]string
	// detectErr, when set, is what detection returns instead.
	detectErr error
	// answer answers a probe; n counts earlier probes of the same target (host:port).
	answer func(ctx context.Context, req ExecRequest, n int) (stdout, stderr string, err error)
	delay  time.Duration // of every exec

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	detections  int
	calls       map[string]int // probes per target
	requests    []ExecRequest
}

func (f *fakeExec) Exec(ctx context.Context, req ExecRequest) ([]byte, []byte, error) {
	f.mu.Lock()
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	if slices.Equal(req.Command, detectCommand) {
		f.mu.Lock()
		f.detections++
		f.mu.Unlock()
		if f.detectErr != nil {
			return nil, nil, f.detectErr
		}
		out, ok := f.clients[req.Namespace+"/"+req.Pod+"/"+req.Container]
		if !ok {
			out = busyboxDetect
		}
		return []byte(out), nil, nil
	}
	target := targetOf(req.Command)
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	n := f.calls[target]
	f.calls[target]++
	f.mu.Unlock()
	stdout, stderr, err := f.answer(ctx, req, n)
	return []byte(stdout), []byte(stderr), err
}

// targetOf reads host:port back out of an nc command line (host and port are its last two
// arguments).
func targetOf(argv []string) string {
	if len(argv) < 2 {
		return strings.Join(argv, " ")
	}
	return argv[len(argv)-2] + ":" + argv[len(argv)-1]
}

func (f *fakeExec) probesOf(target string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[target]
}

// ncAnswer is how BusyBox nc reports an open port, a refusal and a timeout.
func ncAnswer(o Outcome, target string) (string, string, error) {
	switch o {
	case Connected:
		return "", target + " open\n", nil
	case Refused:
		return "", "nc: " + target + ": Connection refused\n", kubeletExit
	}
	return "", "nc: " + target + ": Connection timed out\n", kubeletExit
}

func tcpJob(pod, host string, port int32, expected bool) Job {
	return Job{From: PodRef{Namespace: "x", Name: pod}, To: Target{Name: host, Host: host}, Port: port, Expected: expected}
}

// Only the probes that disagree with their expectation run again, each up to Retries more
// times; the attempts reported are the execs that happened.
func TestRunRetriesOnlyMismatches(t *testing.T) {
	behaviour := map[string][]Outcome{ // per target, the outcome of each attempt (the last repeats)
		"10.0.0.1:80": {Connected},          // expected allowed: agrees at once
		"10.0.0.2:80": {Timeout},            // expected denied: agrees at once
		"10.0.0.3:80": {Refused, Connected}, // expected allowed: agrees on the second try
		"10.0.0.4:80": {Connected},          // expected denied: never agrees
	}
	f := &fakeExec{answer: func(_ context.Context, req ExecRequest, n int) (string, string, error) {
		seq := behaviour[targetOf(req.Command)]
		return ncAnswer(seq[min(n, len(seq)-1)], targetOf(req.Command))
	}}
	jobs := []Job{
		tcpJob("a", "10.0.0.1", 80, true),
		tcpJob("a", "10.0.0.2", 80, false),
		tcpJob("a", "10.0.0.3", 80, true),
		tcpJob("a", "10.0.0.4", 80, false),
	}
	r := &Runner{Exec: f, Retries: 2, Timeout: time.Second}
	results := r.Run(context.Background(), jobs)

	want := []struct {
		outcome  Outcome
		attempts int
		agrees   bool
	}{{Connected, 1, true}, {Timeout, 1, true}, {Connected, 2, true}, {Connected, 3, false}}
	for i, res := range results {
		target := jobs[i].To.Host + ":80"
		if res.Outcome != want[i].outcome || res.Attempts != want[i].attempts || res.Agrees() != want[i].agrees || res.Allowed != (res.Outcome == Connected) {
			t.Errorf("%s: got %s after %d attempts (agrees %v, allowed %v), want %s after %d (agrees %v)",
				target, res.Outcome, res.Attempts, res.Agrees(), res.Allowed, want[i].outcome, want[i].attempts, want[i].agrees)
		}
		if got := f.probesOf(target); got != res.Attempts {
			t.Errorf("%s: %d probes ran, result says %d attempts", target, got, res.Attempts)
		}
	}
}

func TestRunKeepsJobOrder(t *testing.T) {
	var jobs []Job
	for i := range 30 {
		jobs = append(jobs, tcpJob(fmt.Sprintf("p%d", i%3), fmt.Sprintf("10.0.1.%d", i), int32(8000+i), i%2 == 0))
	}
	// Later jobs answer sooner, so completion order is roughly the reverse of job order.
	f := &fakeExec{answer: func(ctx context.Context, req ExecRequest, _ int) (string, string, error) {
		var i int
		fmt.Sscanf(req.Command[len(req.Command)-1], "80%d", &i)
		time.Sleep(time.Duration(30-i) * time.Millisecond)
		if i%2 == 0 {
			return ncAnswer(Connected, targetOf(req.Command))
		}
		return ncAnswer(Refused, targetOf(req.Command))
	}}
	results := (&Runner{Exec: f, Parallel: 30}).Run(context.Background(), jobs)
	if len(results) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(results), len(jobs))
	}
	for i, res := range results {
		if res.Job != jobs[i] {
			t.Errorf("result %d is for job %+v, want %+v", i, res.Job, jobs[i])
		}
		if res.Allowed != (i%2 == 0) {
			t.Errorf("result %d: allowed %v (%s), the fake answered for job %d", i, res.Allowed, res.Detail, i)
		}
	}
}

// Parallel bounds every exec in flight: detections and probes alike.
func TestRunBoundsParallelism(t *testing.T) {
	for _, parallel := range []int{1, 4} {
		t.Run(fmt.Sprint(parallel), func(t *testing.T) {
			f := &fakeExec{delay: 10 * time.Millisecond, answer: func(_ context.Context, req ExecRequest, _ int) (string, string, error) {
				return ncAnswer(Connected, targetOf(req.Command))
			}}
			var jobs []Job
			for i := range 40 {
				jobs = append(jobs, tcpJob(fmt.Sprintf("p%d", i%5), "10.0.2.1", int32(1000+i), true))
			}
			(&Runner{Exec: f, Parallel: parallel}).Run(context.Background(), jobs)
			if f.maxInFlight != parallel {
				t.Errorf("at most %d execs ran at once, want exactly Parallel=%d", f.maxInFlight, parallel)
			}
			if len(f.requests) != 40+5 {
				t.Errorf("%d execs, want 40 probes and 5 detections", len(f.requests))
			}
		})
	}
}

// A probe that hangs is cut at its deadline and reported as a timeout; the matrix of the
// issue (9 pods x 2 ports), all agreeing, runs as one round: every probe in flight at once and
// none retried. (How long that takes is BenchmarkMatrix9x2's figure, not a test's.)
func TestRunTimeoutThroughContext(t *testing.T) {
	var mu sync.Mutex
	var budgets []time.Duration
	f := &fakeExec{answer: func(ctx context.Context, _ ExecRequest, _ int) (string, string, error) {
		dl, ok := ctx.Deadline()
		mu.Lock()
		if ok {
			budgets = append(budgets, time.Until(dl))
		} else {
			budgets = append(budgets, -1)
		}
		mu.Unlock()
		<-ctx.Done() // a client that never gives up
		return "", "", ctx.Err()
	}}
	var jobs []Job
	for pod := range 9 {
		for _, port := range []int32{80, 81} {
			jobs = append(jobs, tcpJob(fmt.Sprintf("p%d", pod), "10.0.3.1", port, false))
		}
	}
	r := &Runner{Exec: f, Timeout: 200 * time.Millisecond, Parallel: 25, Retries: 3}
	results := r.Run(context.Background(), jobs)

	for _, res := range results {
		if res.Outcome != Timeout || res.Err != nil || res.Attempts != 1 || !res.Agrees() {
			t.Errorf("%s:%d: %s %q after %d attempts (err %v), want one timeout that agrees", res.Job.From, res.Job.Port, res.Outcome, res.Detail, res.Attempts, res.Err)
		}
	}
	for _, b := range budgets {
		if b < 0 || b > r.deadline() {
			t.Errorf("a probe ran with a budget of %s, want a deadline within %s", b, r.deadline())
		}
	}
	if f.maxInFlight != len(jobs) {
		t.Errorf("at most %d probes were in flight at once, want all %d in one round", f.maxInFlight, len(jobs))
	}
}

// An answer that came before the deadline counts, even if the client did not exit (nc -u
// waiting for a stdin EOF that never comes).
func TestRunUDPAnswerBeforeDeadline(t *testing.T) {
	f := &fakeExec{answer: func(ctx context.Context, req ExecRequest, _ int) (string, string, error) {
		if string(req.Stdin) != udpPayload {
			return "", "", fmt.Errorf("stdin %q, want the UDP payload", req.Stdin)
		}
		<-ctx.Done()
		if targetOf(req.Command) == "10.0.4.1:53" {
			return "reply-from-server\n", "", ctx.Err()
		}
		return "", "", ctx.Err()
	}}
	jobs := []Job{tcpJob("a", "10.0.4.1", 53, true), tcpJob("a", "10.0.4.2", 53, true)}
	for i := range jobs {
		jobs[i].Protocol = corev1.ProtocolUDP
	}
	results := (&Runner{Exec: f, Timeout: 100 * time.Millisecond}).Run(context.Background(), jobs)
	if results[0].Outcome != Connected || !strings.Contains(results[0].Detail, "reply-from-server") {
		t.Errorf("answered datagram: %s %q, want connected", results[0].Outcome, results[0].Detail)
	}
	if results[1].Outcome != Timeout {
		t.Errorf("unanswered datagram: %s %q, want timeout", results[1].Outcome, results[1].Detail)
	}
}

// What a pod has is asked once per container, not once per probe, and remembered across runs.
func TestRunDetectsOncePerPod(t *testing.T) {
	f := &fakeExec{answer: func(_ context.Context, req ExecRequest, _ int) (string, string, error) {
		return ncAnswer(Connected, targetOf(req.Command))
	}}
	var jobs []Job
	for _, pod := range []string{"a", "b"} {
		for port := range int32(3) {
			jobs = append(jobs, tcpJob(pod, "10.0.5.1", 80+port, true))
		}
	}
	r := &Runner{Exec: f}
	r.Run(context.Background(), jobs)
	r.Run(context.Background(), jobs)
	if f.detections != 2 {
		t.Errorf("%d detections for 2 pods over two runs, want 2", f.detections)
	}
}

// A run whose context has ended reports every probe as not probed, none as silently empty.
func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fakeExec{answer: openAnswer}
	for _, res := range (&Runner{Exec: f}).Run(ctx, []Job{tcpJob("a", "10.0.14.1", 80, true), tcpJob("b", "10.0.14.1", 80, false)}) {
		if res.Outcome != Error || !errors.Is(res.Err, context.Canceled) || res.Agrees() {
			t.Errorf("%s: %s (err %v), want an error wrapping context.Canceled", res.Job.From, res.Outcome, res.Err)
		}
	}
}

// Jobs that would put something other than a host or a port on the client's command line, or
// that no client can probe, fail alone and never reach a pod.
func TestRunRejectsBadJobs(t *testing.T) {
	f := &fakeExec{answer: func(_ context.Context, req ExecRequest, _ int) (string, string, error) {
		return ncAnswer(Connected, targetOf(req.Command))
	}}
	good := tcpJob("a", "10.0.6.1", 80, true)
	optionHost := tcpJob("a", "-e/bin/sh", 80, true)
	shellHost := tcpJob("a", "x;reboot", 80, true)
	noPort := tcpJob("a", "10.0.6.1", 0, true)
	sctp := tcpJob("a", "10.0.6.1", 80, true)
	sctp.Protocol = corev1.ProtocolSCTP
	badQuery := Job{From: good.From, Kind: DNSLookup, Query: "$(id)"}
	results := (&Runner{Exec: f}).Run(context.Background(), []Job{good, optionHost, shellHost, noPort, sctp, badQuery})
	if results[0].Outcome != Connected {
		t.Errorf("the good job: %s %v", results[0].Outcome, results[0].Err)
	}
	for _, res := range results[1:] {
		if res.Outcome != Error || res.Err == nil || res.Attempts != 0 {
			t.Errorf("job %+v: %s after %d attempts (err %v), want an error before any attempt", res.Job, res.Outcome, res.Attempts, res.Err)
		}
	}
	for _, req := range f.requests {
		if !slices.Equal(req.Command, detectCommand) && targetOf(req.Command) != "10.0.6.1:80" {
			t.Errorf("exec %q reached the pod", req.Command)
		}
	}
}

func forbiddenExec(user string) error {
	return apierrors.NewForbidden(schema.GroupResource{Resource: "pods/exec"}, "a",
		fmt.Errorf("User %q cannot create resource \"pods/exec\" in API group \"\" in the namespace \"x\"", user))
}

// Exec forbidden: one clear error for every probe from that pod, and no retries of it.
func TestRunExecForbidden(t *testing.T) {
	f := &fakeExec{detectErr: forbiddenExec("learner"), answer: func(context.Context, ExecRequest, int) (string, string, error) {
		t.Error("no probe should run")
		return "", "", nil
	}}
	results := (&Runner{Exec: f, Retries: 3}).Run(context.Background(), []Job{tcpJob("a", "10.0.7.1", 80, true), tcpJob("a", "10.0.7.1", 81, true)})
	for _, res := range results {
		var pe *PodError
		if !errors.Is(res.Err, ErrExecForbidden) || !errors.As(res.Err, &pe) || pe.Pod != "a" || !apierrors.IsForbidden(res.Err) {
			t.Fatalf("err = %v, want a PodError of kind ErrExecForbidden that still wraps the API error", res.Err)
		}
		if msg := res.Err.Error(); !strings.Contains(msg, "get and create on pods/exec") {
			t.Errorf("message %q should name the RBAC verbs and resource", msg)
		}
		if res.Attempts != 0 || res.Outcome != Error {
			t.Errorf("%s after %d attempts, want an error before any attempt", res.Outcome, res.Attempts)
		}
	}
	if f.detections != 1 {
		t.Errorf("%d detection execs, want 1: a forbidden pod is not asked again", f.detections)
	}
}

func runningPod(name string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, UID: types.UID("uid-" + name)},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "example/" + c})
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		})
	}
	return p
}

func openAnswer(_ context.Context, req ExecRequest, _ int) (string, string, error) {
	return ncAnswer(Connected, targetOf(req.Command))
}

func TestRunPodNotRunning(t *testing.T) {
	pending := runningPod("pending", "app")
	pending.Status.Phase = corev1.PodPending
	pending.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}
	cs := fake.NewClientset(pending, runningPod("ok", "app"))
	f := &fakeExec{answer: openAnswer}
	results := (&Runner{Exec: f, Client: cs}).Run(context.Background(), []Job{tcpJob("pending", "10.0.8.1", 80, true), tcpJob("ok", "10.0.8.1", 80, true)})
	if !errors.Is(results[0].Err, ErrPodNotRunning) || !strings.Contains(results[0].Err.Error(), "ImagePullBackOff") {
		t.Errorf("pending pod: %v, want ErrPodNotRunning naming the reason", results[0].Err)
	}
	if results[1].Outcome != Connected {
		t.Errorf("the running pod's probe: %s %v", results[1].Outcome, results[1].Err)
	}
	for _, req := range f.requests {
		if req.Pod == "pending" {
			t.Errorf("exec %q into a pod that does not run", req.Command)
		}
	}
}

// With no container asked for, probes run in the first container that has the client.
func TestRunPicksContainerWithClient(t *testing.T) {
	cs := fake.NewClientset(runningPod("a", "app", "tools"))
	f := &fakeExec{clients: map[string]string{"x/a/app": ""}, answer: openAnswer}
	results := (&Runner{Exec: f, Client: cs}).Run(context.Background(), []Job{tcpJob("a", "10.0.9.1", 80, true)})
	if results[0].Outcome != Connected || results[0].Container != "tools" || results[0].Client != "nc" {
		t.Errorf("got %s in container %q with %q (err %v), want connected from tools with nc", results[0].Outcome, results[0].Container, results[0].Client, results[0].Err)
	}
	for _, req := range f.requests {
		if !slices.Equal(req.Command, detectCommand) && req.Container != "tools" {
			t.Errorf("probe exec into container %q", req.Container)
		}
	}
}

func TestRunNoClientWithoutInjection(t *testing.T) {
	cs := fake.NewClientset(runningPod("a", "app"))
	f := &fakeExec{clients: map[string]string{"x/a/app": gnuWgetDetect}, answer: openAnswer}
	udp := tcpJob("a", "10.0.10.1", 53, true)
	udp.Protocol = corev1.ProtocolUDP
	results := (&Runner{Exec: f, Client: cs, NoInject: true}).Run(context.Background(), []Job{tcpJob("a", "10.0.10.1", 80, true), udp})
	if results[0].Outcome != Connected || results[0].Client != "wget" {
		t.Errorf("TCP with wget: %s via %q (err %v)", results[0].Outcome, results[0].Client, results[0].Err)
	}
	if !errors.Is(results[1].Err, ErrNoClient) || !strings.Contains(results[1].Err.Error(), "rerun with --inject") || !strings.Contains(results[1].Err.Error(), "nc") {
		t.Errorf("UDP without nc: %v, want ErrNoClient naming nc and the way out", results[1].Err)
	}
	if len(cs.Actions()) != 1 || cs.Actions()[0].GetVerb() != "get" {
		t.Errorf("API calls %v, want one get and no patch", cs.Actions())
	}
}

// ephemeralReactor plays the API server and kubelet for pods/ephemeralcontainers: it records
// the patch and lets the container reach the state that start gives it.
func ephemeralReactor(cs *fake.Clientset, patches *[]corev1.EphemeralContainer, start corev1.ContainerState) k8stesting.ReactionFunc {
	return func(action k8stesting.Action) (bool, runtime.Object, error) {
		pa := action.(k8stesting.PatchAction)
		if pa.GetSubresource() != "ephemeralcontainers" {
			return false, nil, nil
		}
		var patch struct {
			Spec struct {
				EphemeralContainers []corev1.EphemeralContainer `json:"ephemeralContainers"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(pa.GetPatch(), &patch); err != nil {
			return true, nil, err
		}
		obj, err := cs.Tracker().Get(corev1.SchemeGroupVersion.WithResource("pods"), pa.GetNamespace(), pa.GetName())
		if err != nil {
			return true, nil, err
		}
		pod := obj.(*corev1.Pod).DeepCopy()
		for _, ec := range patch.Spec.EphemeralContainers {
			*patches = append(*patches, ec)
			pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, ec)
			pod.Status.EphemeralContainerStatuses = append(pod.Status.EphemeralContainerStatuses, corev1.ContainerStatus{Name: ec.Name, State: start})
		}
		return true, pod, cs.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), pod, pod.Namespace)
	}
}

// A pod without any client gets a probe container, and the probes run there; a second Runner
// (the next command) reuses it rather than adding another.
func TestRunInjectsProbeContainer(t *testing.T) {
	cs := fake.NewClientset(runningPod("distroless", "app"))
	var patches []corev1.EphemeralContainer
	cs.PrependReactor("patch", "pods", ephemeralReactor(cs, &patches, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}))
	noShell := errors.New(`OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown`)
	f := &fakeExec{answer: openAnswer}
	f.clients = map[string]string{}
	appDetect := ExecutorFunc(func(ctx context.Context, req ExecRequest) ([]byte, []byte, error) {
		if req.Container == "app" {
			if slices.Equal(req.Command, detectCommand) {
				return nil, nil, noShell
			}
			t.Errorf("probe exec %q into the container without a shell", req.Command)
		}
		return f.Exec(ctx, req)
	})
	jobs := []Job{tcpJob("distroless", "10.0.11.1", 80, true), tcpJob("distroless", "10.0.11.1", 81, true)}
	for range 2 {
		r := &Runner{Exec: appDetect, Client: cs, Image: "mirror.example/busybox:1.36.1", StartTimeout: 5 * time.Second}
		for _, res := range r.Run(context.Background(), jobs) {
			if res.Outcome != Connected || res.Container != probeContainerPrefix {
				t.Errorf("%s:%d: %s from %q (err %v), want connected from the probe container", res.Job.To.Host, res.Job.Port, res.Outcome, res.Container, res.Err)
			}
		}
	}
	if len(patches) != 1 {
		t.Fatalf("%d probe containers added over two runs, want 1", len(patches))
	}
	ec := patches[0]
	sc := ec.SecurityContext
	if ec.Image != "mirror.example/busybox:1.36.1" || ec.Name != probeContainerPrefix || sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("probe container %+v: want the caller's image, and a restricted security context", ec)
	}
}

func TestRunInjectionRefused(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		want    error
		message string
	}{
		{"RBAC", apierrors.NewForbidden(schema.GroupResource{Resource: "pods/ephemeralcontainers"}, "a",
			errors.New(`User "learner" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "x"`)),
			ErrEphemeralForbidden, "patch on pods/ephemeralcontainers"},
		{"old cluster", apierrors.NewNotFound(schema.GroupResource{Resource: "pods/ephemeralcontainers"}, ""), ErrEphemeralUnsupported, "1.23"},
		{"admission", apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "a",
			errors.New(`violates PodSecurity "baseline:latest"`)), ErrInjectFailed, "PodSecurity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := fake.NewClientset(runningPod("a", "app"))
			cs.PrependReactor("patch", "pods", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, c.err })
			f := &fakeExec{clients: map[string]string{"x/a/app": ""}, answer: openAnswer}
			res := (&Runner{Exec: f, Client: cs}).Run(context.Background(), []Job{tcpJob("a", "10.0.12.1", 80, true)})[0]
			if !errors.Is(res.Err, c.want) || !strings.Contains(res.Err.Error(), c.message) {
				t.Errorf("err = %v, want %v saying %q", res.Err, c.want, c.message)
			}
		})
	}
}

// A probe container whose image cannot be pulled fails at once, not after StartTimeout.
func TestRunInjectedContainerCannotStart(t *testing.T) {
	cs := fake.NewClientset(runningPod("a", "app"))
	var patches []corev1.EphemeralContainer
	cs.PrependReactor("patch", "pods", ephemeralReactor(cs, &patches,
		corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}))
	f := &fakeExec{clients: map[string]string{"x/a/app": ""}, answer: openAnswer}
	start := time.Now()
	res := (&Runner{Exec: f, Client: cs, Image: "unreachable.invalid/busybox", StartTimeout: time.Minute}).Run(context.Background(), []Job{tcpJob("a", "10.0.13.1", 80, true)})[0]
	if !errors.Is(res.Err, ErrInjectFailed) || !strings.Contains(res.Err.Error(), "ImagePullBackOff") || !strings.Contains(res.Err.Error(), "unreachable.invalid/busybox") {
		t.Errorf("err = %v, want ErrInjectFailed naming the reason and the image", res.Err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s: an image that cannot be pulled should not be waited for", time.Since(start))
	}
}

// Extra rounds wait RetryDelay first, doubled each round: a probe that agrees on its third try
// ran after at least delay + 2*delay.
func TestRetriesWaitBetweenRounds(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	f := &fakeExec{answer: func(_ context.Context, req ExecRequest, n int) (string, string, error) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		if n < 2 {
			return ncAnswer(Connected, targetOf(req.Command))
		}
		return ncAnswer(Timeout, targetOf(req.Command))
	}}
	const delay = 50 * time.Millisecond
	res := (&Runner{Exec: f, Retries: 3, RetryDelay: delay, Timeout: time.Second}).Run(context.Background(), []Job{tcpJob("a", "10.0.9.1", 80, false)})[0]
	if !res.Agrees() || res.Attempts != 3 || len(times) != 3 {
		t.Fatalf("agrees %v after %d attempts (%d execs), want agreement on the third", res.Agrees(), res.Attempts, len(times))
	}
	if gap := times[1].Sub(times[0]); gap < delay {
		t.Errorf("second attempt %s after the first, want at least %s", gap, delay)
	}
	if gap := times[2].Sub(times[1]); gap < 2*delay {
		t.Errorf("third attempt %s after the second, want at least %s", gap, 2*delay)
	}
}
