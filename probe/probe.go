// Package probe observes what a cluster does with traffic: it execs into a source pod, through
// the API server as kubectl exec does, and runs a client there (nc, wget or nslookup) against a
// destination. Its counterpart, package policy, says what the policies allow; callers put the
// two side by side. A job carries the expected verdict so that only the probes that disagree
// with it are retried, as the upstream NetworkPolicy e2e suite does: on a cluster that behaves,
// every probe runs once.
//
// When the source pod has no client, the Runner adds an ephemeral container with a client
// image to it. Ephemeral containers share the pod's network namespace, so what they observe is
// what the pod's own containers would.
package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// Defaults of the Runner's settings.
const (
	DefaultTimeout = 3 * time.Second
	// DefaultParallel lets a lab's whole matrix (9 pods x 2 ports) run in one round, so that
	// it takes one probe timeout, not one per probe. Each exec in flight is one connection to
	// the API server and one process in a pod: light.
	DefaultParallel     = 25
	DefaultStartTimeout = 2 * time.Minute
	// DefaultImage is the probe container's image: BusyBox has nc, wget and nslookup, is a few
	// megabytes, and is multi-arch. The same image as the labs' client pods.
	DefaultImage = "docker.io/library/busybox:1.36.1"
	// DefaultQuery is what DNS probes look up when a job names nothing: the API server's
	// Service, which every cluster has.
	DefaultQuery = "kubernetes.default"
)

// PodRef names the pod a probe runs from.
type PodRef struct {
	Namespace, Name string
	// Container to exec into; "" picks the first running container that has the client the
	// probe needs (and adds a probe container when none has).
	Container string
}

func (p PodRef) String() string { return p.Namespace + "/" + p.Name }

// Target is where a probe goes.
type Target struct {
	Name string // for display: "ns/pod", a Service, "kube-dns", an address
	// Host is an IP address or a DNS name. For DNS probes it is the server to ask; "" asks
	// the pod's own resolver (its /etc/resolv.conf, normally the cluster DNS Service).
	Host string
	// Pod is the destination pod whose address Host is, if it is one. A probe refused there
	// is followed by a look from inside that pod at its own port (Result.Listener): a refusal
	// only says something about policies when something listens.
	Pod *PodRef
}

// Kind says what a probe does.
type Kind string

const (
	// Connect opens a TCP connection to To.Host:Port, or, for UDP, sends a datagram there and
	// waits for the answer. The zero Kind is Connect.
	Connect Kind = "connect"
	// DNSLookup asks a DNS server (To.Host, or the pod's resolver) for Query, on port 53.
	DNSLookup Kind = "dns"
)

// Job is one probe: from a pod to an address and port.
type Job struct {
	From     PodRef
	To       Target
	Port     int32
	Protocol corev1.Protocol // TCP (also when empty) or UDP; SCTP has no client to probe it
	Kind     Kind
	Query    string // the name a DNSLookup asks for; "" means DefaultQuery
	// Expected is the evaluator's verdict. Only probes whose observation disagrees with it are
	// retried.
	Expected bool
}

func (j Job) need() need {
	switch {
	case j.Kind == DNSLookup:
		return needDNS
	case j.Protocol == corev1.ProtocolUDP:
		return needUDP
	}
	return needTCP
}

func (j Job) query() string {
	if j.Query == "" {
		return DefaultQuery
	}
	return j.Query
}

func (j Job) validate() error {
	switch j.Kind {
	case "", Connect:
		if j.Protocol != "" && j.Protocol != corev1.ProtocolTCP && j.Protocol != corev1.ProtocolUDP {
			return fmt.Errorf("%s probes are not supported: nc and wget speak TCP and UDP only", j.Protocol)
		}
		if j.Port < 1 || j.Port > 65535 {
			return fmt.Errorf("port %d is not a port number (1-65535)", j.Port)
		}
		if !validHost(j.To.Host) {
			return fmt.Errorf("%q is neither an IP address nor a DNS name", j.To.Host)
		}
	case DNSLookup:
		if !validHost(j.query()) {
			return fmt.Errorf("%q is not a DNS name", j.query())
		}
		if j.To.Host != "" && !validHost(j.To.Host) {
			return fmt.Errorf("%q is neither an IP address nor a DNS name", j.To.Host)
		}
	default:
		return fmt.Errorf("unknown probe kind %q", j.Kind)
	}
	if j.From.Namespace == "" || j.From.Name == "" {
		return errors.New("no source pod")
	}
	return nil
}

// Outcome is what a probe observed.
type Outcome string

const (
	// Connected: the traffic got through. A TCP connection opened (an HTTP error status from
	// wget counts: the server answered); a UDP datagram was answered; a DNS server answered,
	// even "no such name".
	Connected Outcome = "connected"
	// Refused: something answered no: a TCP reset (nothing listens there, or a CNI that
	// rejects rather than drops: kube-router does) or an ICMP unreachable. Where the
	// destination is a pod, Result.Listener says whether anything listens there.
	Refused Outcome = "refused"
	// NotServed: refused, and the destination pod is refused too when it connects to its
	// own address on that port: nothing listens there. The probe cannot tell whether the
	// policies allow the traffic; it observed neither allowed nor blocked.
	NotServed Outcome = "not-served"
	// Timeout: no answer within the timeout: what a policy that drops looks like. For UDP it
	// also means a server that never answers.
	Timeout Outcome = "timeout"
	// Error: the probe could not be run or its result not be read; Result.Err says why.
	Error Outcome = "error"
)

// Result is the observation of one job.
type Result struct {
	Job     Job
	Outcome Outcome
	// Allowed is the observed verdict: Outcome is Connected. Compare it with Job.Expected only
	// when Err is nil; a probe that failed observed nothing.
	Allowed   bool
	Detail    string // the client's own words, one line
	Attempts  int    // how many times the probe ran (0 when its pod could not be probed from)
	Client    string // "nc", "wget" or "nslookup"
	Container string // where it ran: a container of the pod, or the added probe container
	// Listener is, for a probe refused by a destination pod (Job.To.Pod), what that pod found
	// when it connected to its own address on the port; "" when nothing was checked.
	Listener Listener
	// ListenerDetail says why the listener could not be checked, or what the pod saw.
	ListenerDetail string
	// Err is set when Outcome is Error. A *PodError (match its kind with errors.Is) means the
	// probes from that pod could not be run at all; anything else is an exec that failed.
	Err error
}

// Agrees reports whether the probe ran and observed what the job expected.
func (r Result) Agrees() bool {
	return r.Err == nil && r.Outcome != NotServed && r.Allowed == r.Job.Expected
}

// Listener is what a destination pod found on its own port.
type Listener string

const (
	// Listening: the pod connected to its own address on the port (for UDP: was not refused),
	// so a refusal from outside was made between the pods.
	Listening Listener = "listening"
	// NoListener: the pod was refused on its own port: nothing serves it.
	NoListener Listener = "none"
	// ListenerUnknown: the look could not be taken (no client in the pod, exec not allowed,
	// no answer); the refusal stays a refusal of unknown cause.
	ListenerUnknown Listener = "unknown"
)

// Runner runs probes. Set it up once and reuse it: which clients each container has is asked
// once and remembered across Run calls (a probe container added to a pod is found there again
// and reused, by this Runner or the next). Do not copy a Runner after its first Run.
type Runner struct {
	// Exec runs the commands; NewExecutor gives the real one.
	Exec Executor
	// Client reads the source pods (are they running, which containers do they have) and adds
	// probe containers. Nil skips both: every probe execs into PodRef.Container as given.
	Client kubernetes.Interface

	Timeout  time.Duration // per probe; 0 means DefaultTimeout
	Parallel int           // probes (and pod preparations) in flight at once; 0 means DefaultParallel
	Retries  int           // extra rounds for the probes that disagree with Job.Expected
	// RetryDelay is the wait before the first extra round, doubled before each next one: a
	// network plugin takes a moment to program policies just applied, or pods just started.
	RetryDelay time.Duration

	// NoInject turns off adding a probe container to pods that have no client.
	NoInject bool
	// MayInject, when set, says to which pods a probe container may be added (ephemeral
	// containers can never be removed, so the plugin allows it only where it was asked to, or
	// in pods of its own labs); nil allows every pod, as long as NoInject is off.
	MayInject func(*corev1.Pod) bool
	// Image of the probe container; "" means DefaultImage.
	Image string
	// StartTimeout bounds the wait for a probe container to run (its image may need pulling);
	// 0 means DefaultStartTimeout.
	StartTimeout time.Duration

	mu    sync.Mutex
	tools map[string]tools // by pod UID (or namespace/name) and container
}

func (r *Runner) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

func (r *Runner) parallel() int {
	if r.Parallel > 0 {
		return r.Parallel
	}
	return DefaultParallel
}

func (r *Runner) image() string {
	if r.Image != "" {
		return r.Image
	}
	return DefaultImage
}

func (r *Runner) startTimeout() time.Duration {
	if r.StartTimeout > 0 {
		return r.StartTimeout
	}
	return DefaultStartTimeout
}

// clientSeconds is the timeout handed to the client itself, in the whole seconds that nc and
// wget take. The client's timeout makes it say "timed out" in its own words.
func (r *Runner) clientSeconds() int {
	return max(1, int(math.Ceil(r.timeout().Seconds())))
}

// execMargin is what one exec's own round trip (API server, kubelet, container runtime, the
// client's start) may add to the probe timeout: about 0.3s on an idle node, well over a second
// on a loaded one. It does not lengthen a blocked TCP probe, whose client gives up on its own
// after the timeout; only a client that outlives its timeout (nc -u, nslookup) waits for it.
const execMargin = 2 * time.Second

// deadline is the hard bound of one probe's exec: the timeout plus execMargin. A client that
// outlives it is reported as a timeout. (A tighter margin turned a slow exec on a busy node
// into a false "blocked".)
func (r *Runner) deadline() time.Duration {
	return r.timeout() + execMargin
}

// Run runs the jobs and returns one result per job, in the jobs' order. First it prepares each
// source pod once (checks it runs, finds its clients, adds a probe container if needed); then
// it probes everything, at most Parallel at a time, and reruns only the probes that disagree
// with their expectation, up to Retries more times. Problems are reported in the results, not
// as an error: one bad pod does not spoil the rest of a matrix.
func (r *Runner) Run(ctx context.Context, jobs []Job) []Result {
	results := make([]Result, len(jobs))
	for i, j := range jobs {
		results[i].Job = j
		if err := j.validate(); err != nil {
			results[i].Outcome, results[i].Err = Error, err
		}
	}
	sources := r.prepareSources(ctx, jobs, results, !r.NoInject)

	pending := make([]int, 0, len(jobs))
	for i := range jobs {
		if results[i].Err != nil {
			continue
		}
		src := sources[sourceKey(jobs[i].From)]
		if err := src.errFor(jobs[i].need()); err != nil {
			results[i].Outcome, results[i].Err = Error, err
			continue
		}
		pending = append(pending, i)
	}
	delay := r.RetryDelay
	for round := 0; round <= r.Retries && len(pending) > 0 && ctx.Err() == nil; round++ {
		if round > 0 && delay > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(delay):
			}
			delay *= 2
		}
		g := new(errgroup.Group)
		g.SetLimit(r.parallel())
		for _, i := range pending {
			g.Go(func() error {
				src := sources[sourceKey(jobs[i].From)]
				results[i] = r.probe(ctx, jobs[i], src.via[jobs[i].need()], results[i].Attempts)
				return nil
			})
		}
		_ = g.Wait()
		pending = slices.DeleteFunc(pending, func(i int) bool { return !retryable(results[i]) })
	}
	for i := range results {
		if results[i].Outcome == "" { // the context ended before its first attempt
			results[i].Outcome, results[i].Err = Error, fmt.Errorf("not probed: %w", context.Cause(ctx))
		}
	}
	if ctx.Err() == nil {
		r.checkListeners(ctx, results)
	}
	return results
}

// checkListeners looks, for every probe a destination pod refused, whether anything listens on
// that port: from inside the pod, to its own address. That traffic never leaves the pod's
// network namespace, so no policy and no network plugin decides it. Each pod and port is
// looked at once; no probe container is ever added for it (the pod is not a source the user
// chose).
func (r *Runner) checkListeners(ctx context.Context, results []Result) {
	type target struct {
		pod   PodRef
		host  string
		port  int32
		proto corev1.Protocol
	}
	refusedBy := map[target][]int{}
	var jobs []Job
	for i, res := range results {
		to := res.Job.To
		if res.Outcome != Refused || to.Pod == nil || res.Job.Kind == DNSLookup {
			continue
		}
		t := target{pod: *to.Pod, host: to.Host, port: res.Job.Port, proto: res.Job.Protocol}
		if _, seen := refusedBy[t]; !seen {
			jobs = append(jobs, Job{From: t.pod, To: Target{Name: t.pod.String(), Host: t.host}, Port: t.port, Protocol: t.proto, Expected: true})
		}
		refusedBy[t] = append(refusedBy[t], i)
	}
	if len(jobs) == 0 {
		return
	}
	looks := make([]Result, len(jobs))
	sources := r.prepareSources(ctx, jobs, looks, false)
	g := new(errgroup.Group)
	g.SetLimit(r.parallel())
	for i, j := range jobs {
		src := sources[sourceKey(j.From)]
		if err := src.errFor(j.need()); err != nil {
			looks[i].Outcome, looks[i].Err = Error, err
			continue
		}
		g.Go(func() error {
			looks[i] = r.probe(ctx, j, src.via[j.need()], 0)
			return nil
		})
	}
	_ = g.Wait()
	for i, j := range jobs {
		listener, detail := listenerFrom(looks[i])
		for _, ri := range refusedBy[target{pod: j.From, host: j.To.Host, port: j.Port, proto: j.Protocol}] {
			res := &results[ri]
			res.Listener, res.ListenerDetail = listener, detail
			if listener == NoListener {
				res.Outcome, res.Allowed = NotServed, false
				res.Detail = fmt.Sprintf("nothing listens on %d/%s in %s: %s", j.Port, j.protocol(), j.From, res.Detail)
			}
		}
	}
}

// listenerFrom reads a destination pod's look at its own port.
func listenerFrom(look Result) (Listener, string) {
	switch {
	case look.Err != nil:
		return ListenerUnknown, "could not look inside the destination: " + look.Err.Error()
	case look.Outcome == Connected:
		return Listening, look.Detail
	case look.Outcome == Refused:
		return NoListener, look.Detail
	case look.Outcome == Timeout && look.Job.Protocol == corev1.ProtocolUDP:
		// A UDP port nobody has bound answers with an ICMP refusal; silence means a socket
		// that took the datagram and did not reply.
		return Listening, look.Detail
	}
	return ListenerUnknown, "the destination's look at its own port gave no answer: " + look.Detail
}

func (j Job) protocol() corev1.Protocol {
	if j.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return j.Protocol
}

// retryable: the probe disagreed with its expectation and might not next time. A pod that
// cannot be probed from stays that way for the length of a run.
func retryable(r Result) bool {
	var pe *PodError
	return !r.Agrees() && !errors.As(r.Err, &pe)
}

// probe runs one job once.
func (r *Runner) probe(ctx context.Context, j Job, v via, attempts int) Result {
	res := Result{Job: j, Attempts: attempts + 1, Container: v.container}
	client, argv, stdin := command(j, v.tools, r.clientSeconds())
	res.Client = client
	pctx, cancel := context.WithTimeout(ctx, r.deadline())
	defer cancel()
	stdout, stderr, err := r.Exec.Exec(pctx, ExecRequest{
		Namespace: j.From.Namespace, Pod: j.From.Name, Container: v.container,
		Command: argv, Stdin: stdin,
	})
	switch {
	case ctx.Err() != nil:
		res.Outcome, res.Err = Error, ctx.Err()
	case pctx.Err() != nil:
		// The client may have had its answer and still not exited: nc -u waits for its stdin
		// to close, which kwok's exec never passes on. What it said counts; silence is a
		// timeout.
		res.Outcome, res.Detail = classify(j, client, stdout, stderr, pctx.Err())
		if res.Outcome != Connected && res.Outcome != Refused {
			res.Outcome, res.Detail = Timeout, fmt.Sprintf("no answer within %s", r.deadline())
		}
	case err != nil && isExecForbidden(err):
		res.Outcome, res.Err = Error, &PodError{Kind: ErrExecForbidden, Namespace: j.From.Namespace, Pod: j.From.Name, Container: v.container, Err: apiError(err)}
	default:
		res.Outcome, res.Detail = classify(j, client, stdout, stderr, err)
		if res.Outcome == Error {
			res.Err = fmt.Errorf("%s in %s gave no answer that says connected, refused or timed out: %s", client, j.From, res.Detail)
		}
	}
	res.Allowed = res.Outcome == Connected
	return res
}

// sourceKey identifies a source for preparation: the same pod with different containers asked
// for is prepared once per container.
func sourceKey(p PodRef) string { return p.Namespace + "/" + p.Name + "/" + p.Container }

// prepareSources readies every distinct source of jobs (those without an error yet), Parallel
// at a time; a probe container may be added only when inject (and the Runner allows it).
func (r *Runner) prepareSources(ctx context.Context, jobs []Job, results []Result, inject bool) map[string]*source {
	needs := map[string][]need{}
	refs := map[string]PodRef{}
	var order []string
	for i, j := range jobs {
		if results[i].Err != nil {
			continue
		}
		k := sourceKey(j.From)
		if _, ok := refs[k]; !ok {
			refs[k] = j.From
			order = append(order, k)
		}
		if !slices.Contains(needs[k], j.need()) {
			needs[k] = append(needs[k], j.need())
		}
	}
	sources := make(map[string]*source, len(order))
	var mu sync.Mutex
	g := new(errgroup.Group)
	g.SetLimit(r.parallel())
	for _, k := range order {
		g.Go(func() error {
			src := r.prepareSource(ctx, refs[k], needs[k], inject)
			mu.Lock()
			sources[k] = src
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return sources
}

// source is a prepared source pod: where each kind of probe runs from, or why it cannot.
type source struct {
	err     error          // no probe can run from this pod
	via     map[need]via   // the container (and its clients) for each kind of probe
	missing map[need]error // kinds of probe that no container can run
}

type via struct {
	container string
	tools     tools
}

func (s *source) errFor(n need) error {
	if s.err != nil {
		return s.err
	}
	if err := s.missing[n]; err != nil {
		return err
	}
	if _, ok := s.via[n]; !ok {
		return fmt.Errorf("internal error: no container chosen for %s", n)
	}
	return nil
}

func describeNeeds(ns []need) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.String())
	}
	return strings.Join(s, ", nor ")
}
