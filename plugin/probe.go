package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/probe"
)

// probeFlags configure the prober for `probe` and `lab check`.
type probeFlags struct {
	Timeout    time.Duration
	Parallel   int
	Retries    int
	RetryDelay time.Duration
	Inject     bool
	noInject   bool // the old opt-out, now the default; accepted and ignored
	MaxProbes  int
	Image      string
}

// defaultMaxProbes caps a probe run: every probe is an exec into a pod, and -A on a large
// cluster could mean millions. A user who means it raises --max-probes.
const defaultMaxProbes = 2000

// defaultRetries and defaultRetryDelay give a network plugin 1 s, then 2 s more to program
// policies or pods just created before a disagreeing probe counts as wrong: kube-router took up
// to a couple of seconds on the local node, right after `lab up`.
const (
	defaultRetries    = 2
	defaultRetryDelay = time.Second
)

func (f *probeFlags) add(cmd *cobra.Command) {
	f.addTimeoutAndImage(cmd)
	cmd.Flags().IntVar(&f.Parallel, "parallel", probe.DefaultParallel, "Probes in flight at once")
	cmd.Flags().IntVar(&f.Retries, "retries", defaultRetries, "Extra rounds for the probes whose result differs from the expectation")
	cmd.Flags().DurationVar(&f.RetryDelay, "retry-delay", defaultRetryDelay, "Wait before the first extra round, doubled before each next one (policies just applied take the network plugin a moment)")
	cmd.Flags().BoolVar(&f.Inject, "inject", false, "Add a probe container to pods without nc, wget or nslookup, in any namespace (an ephemeral container sharing the pod's network: ephemeral containers can NEVER be removed from a pod). Without it, only pods of a lab kubectl-netpol created get one")
	cmd.Flags().BoolVar(&f.noInject, "no-inject", false, "No probe container is added unless --inject (the default now)")
	_ = cmd.Flags().MarkDeprecated("no-inject", "probe containers are now added only with --inject (or to pods of kubectl-netpol's labs)")
	cmd.Flags().IntVar(&f.MaxProbes, "max-probes", defaultMaxProbes, "Refuse a run of more probes than this (narrow it with -n, --from, --to, --port, or raise the cap)")
}

// addTimeoutAndImage adds only the flags that matter where probes never inject (doctor).
func (f *probeFlags) addTimeoutAndImage(cmd *cobra.Command) {
	f.Parallel, f.Retries, f.RetryDelay = probe.DefaultParallel, defaultRetries, defaultRetryDelay
	cmd.Flags().DurationVar(&f.Timeout, "probe-timeout", probe.DefaultTimeout, "How long one probe waits for an answer")
	cmd.Flags().StringVar(&f.Image, "probe-image", probe.DefaultImage, "Image of the probe container added to pods without a client")
}

func (f *probeFlags) validate() error {
	switch {
	case f.Timeout <= 0:
		return usageErrorf("--probe-timeout must be positive, e.g. --probe-timeout=2s")
	case f.Parallel < 1:
		return usageErrorf("--parallel must be at least 1")
	case f.Retries < 0:
		return usageErrorf("--retries cannot be negative")
	case f.RetryDelay < 0:
		return usageErrorf("--retry-delay cannot be negative")
	case f.Inject && f.noInject:
		return usageErrorf("--inject and --no-inject contradict each other")
	}
	return nil
}

// mayInject says where a probe container may go: anywhere with --inject; otherwise only into
// pods of a lab kubectl-netpol created (it made them, for learning; they go with 'lab down').
func (f *probeFlags) mayInject(pod *corev1.Pod) bool {
	return f.Inject || pod.Labels[labs.ManagedByLabel] == labs.ManagedByValue && pod.Labels[labs.LabLabel] != ""
}

func (f *probeFlags) runner(c *Cluster) *probe.Runner {
	return &probe.Runner{
		Exec: probe.NewExecutor(c.RESTConfig, c.Client), Client: c.Client,
		Timeout: f.Timeout, Parallel: f.Parallel, Retries: f.Retries, RetryDelay: f.RetryDelay, MayInject: f.mayInject, Image: f.Image,
	}
}

// observation is one connection of a probe run: the expectation, and what the probe saw or why
// it was not probed.
type observation struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	Expected bool   `json:"expected"`
	// Observed is nil when the connection was not probed (Ignored says why) or the probe failed.
	Observed *bool  `json:"observed"`
	Outcome  string `json:"outcome,omitempty"` // connected, refused, timeout, error
	Detail   string `json:"detail,omitempty"`
	Correct  bool   `json:"correct"`
	Ignored  string `json:"ignored,omitempty"`
	Error    string `json:"error,omitempty"`
}

// summary counts a run: correct and wrong among the probed, failed the probes that could not
// run (an exec error, no client), ignored the connections no probe can test.
type summary struct {
	Correct int `json:"correct"`
	Wrong   int `json:"wrong"`
	Failed  int `json:"failed"`
	Ignored int `json:"ignored"`
	Total   int `json:"total"`
}

func summarize(obs []observation) summary {
	s := summary{Total: len(obs)}
	for _, o := range obs {
		switch {
		case o.Ignored != "":
			s.Ignored++
		case o.Observed == nil:
			s.Failed++
		case o.Correct:
			s.Correct++
		default:
			s.Wrong++
		}
	}
	return s
}

func (s summary) String() string { return s.in(lang.En) }

// in is the summary in l.
func (s summary) in(l lang.Lang) string {
	failed := ""
	if s.Failed > 0 {
		failed = texts.T(l, "summary.failed", s.Failed)
	}
	return texts.T(l, "summary", s.Correct, s.Wrong, failed, s.Ignored, s.Total)
}

// failureReason is the one reason why every probe failed, or "" when some ran or they failed
// for different reasons.
func failureReason(obs []observation) string {
	reason := ""
	for _, o := range obs {
		switch {
		case o.Ignored != "":
		case o.Observed != nil || reason != "" && o.Error != reason:
			return ""
		default:
			reason = o.Error
		}
	}
	return reason
}

// runProbes probes the jobs (the observations not ignored) and fills in what was observed.
func runProbes(ctx context.Context, r *probe.Runner, max int, obs []observation, jobs []probe.Job, index []int, errOut io.Writer, output string) error {
	if len(jobs) == 0 {
		return nil
	}
	if max > 0 && len(jobs) > max {
		return usageErrorf("this would run %d probes, each an exec into a pod, more than --max-probes %d; narrow it (-n, --from, --to, --port) or raise --max-probes", len(jobs), max)
	}
	// A large run says its size first, on stderr, terminal or not: it is about to exec that often.
	if len(jobs) >= largeProbeRun {
		fmt.Fprintf(errOut, "Running %d probes (exec into %d pods; --max-probes %d)...\n", len(jobs), countSources(jobs), max)
	}
	p := newProgress(errOut, output)
	p.Update(fmt.Sprintf("probing %d connections", len(jobs)))
	results := r.Run(ctx, jobs)
	p.Stop()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("probes interrupted: %w", err)
	}
	var podErrs []*probe.PodError
	for i, res := range results {
		o := &obs[index[i]]
		o.Outcome, o.Detail = string(res.Outcome), res.Detail
		if res.Err != nil {
			o.Error = res.Err.Error()
			var pe *probe.PodError
			if errors.As(res.Err, &pe) {
				podErrs = append(podErrs, pe)
			}
			continue
		}
		observed := res.Allowed
		o.Observed = &observed
		o.Correct = observed == o.Expected
	}
	// When nothing at all could be probed for one reason (RBAC, say), that reason is the answer.
	if len(podErrs) == len(results) && allSameKind(podErrs) {
		return podErrs[0]
	}
	return nil
}

// largeProbeRun is the size from which a run announces itself before it starts.
const largeProbeRun = 200

func countSources(jobs []probe.Job) int {
	seen := map[probe.PodRef]bool{}
	for _, j := range jobs {
		seen[j.From] = true
	}
	return len(seen)
}

func allSameKind(errs []*probe.PodError) bool {
	for _, e := range errs {
		if e.Kind != errs[0].Kind {
			return false
		}
	}
	return true
}

// declares reports whether the pod declares the container port.
func declares(p *policy.Pod, pp policy.PortProtocol) bool {
	return slices.ContainsFunc(p.Ports, func(port policy.Port) bool {
		proto := port.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		return port.Port == pp.Port && proto == pp.Protocol
	})
}

// job turns one connection between snapshot endpoints into a probe job, or says why it cannot
// be probed.
func job(from policy.Endpoint, to policy.Endpoint, toName string, port int32, proto corev1.Protocol, expected bool) (probe.Job, string) {
	switch {
	case from.Pod == nil:
		return probe.Job{}, "the source is outside the cluster"
	case to.Pod != nil && from.Pod.ID() == to.Pod.ID():
		return probe.Job{}, "loopback (a pod to itself): allowed whatever the policies; not probed, CNIs differ"
	case proto == corev1.ProtocolSCTP:
		return probe.Job{}, "SCTP: no probe client speaks it"
	case len(from.Pod.IPs) == 0:
		return probe.Job{}, "the source pod has no IP yet"
	}
	host := ""
	if to.Pod == nil {
		host = to.IP.String()
	} else if len(to.Pod.IPs) > 0 {
		host = to.Pod.IPs[0].String()
	} else {
		return probe.Job{}, "the destination pod has no IP yet"
	}
	return probe.Job{
		From: probe.PodRef{Namespace: from.Pod.Namespace, Name: from.Pod.Name},
		To:   probe.Target{Name: toName, Host: host}, Port: port, Protocol: proto, Expected: expected,
	}, ""
}

// printObservationNotes explains wrong and failed probes, and what they mean together.
func printObservationNotes(out io.Writer, obs []observation) {
	printObservationNotesIn(out, obs, lang.En)
}

// printObservationNotesIn is printObservationNotes in l (lab check speaks the lab's language).
func printObservationNotesIn(out io.Writer, obs []observation, l lang.Lang) {
	leaked, refused := 0, 0
	var lines []string
	once := failureReason(obs)
	if once != "" {
		fmt.Fprintf(out, "\n%s\n", texts.T(l, "notes.none-ran", once))
	}
	for _, o := range obs {
		conn := fmt.Sprintf("%s -> %s %d/%s", o.From, o.To, o.Port, o.Protocol)
		switch {
		case o.Ignored != "":
		case o.Error != "" && once != "":
		case o.Error != "":
			lines = append(lines, texts.T(l, "notes.not-probed", conn, o.Error))
		case !o.Correct:
			lines = append(lines, texts.T(l, "notes.differs", conn, verdictIn(l, o.Expected), o.Outcome, o.Detail))
			if *o.Observed && !o.Expected {
				leaked++
			}
		}
		if o.Outcome == string(probe.Refused) {
			refused++
		}
	}
	if len(lines) > 0 {
		fmt.Fprintln(out, "\n"+texts.T(l, "notes.header"))
		fmt.Fprintln(out, strings.Join(lines, "\n"))
	}
	if leaked > 0 {
		fmt.Fprintf(out, "\n%s\n", texts.T(l, "notes.leaked", leaked))
	}
	if refused > 0 {
		fmt.Fprintf(out, "\n%s\n", texts.T(l, "notes.refused", refused))
	}
}

// --- kubectl netpol probe

var probeExample = templates.Examples(`
	# What the policies say and what the network does, for the current namespace
	kubectl netpol probe

	# Every namespace, port 80 only, 25 probes at a time
	kubectl netpol probe -A --port 80 --parallel 25

	# From one namespace to pods labelled app=db, as JSON
	kubectl netpol probe -A --from web --to app=db -o json`)

// ProbeOptions is `kubectl netpol probe`: expected (the evaluator) beside observed (exec probes).
type ProbeOptions struct {
	genericiooptions.IOStreams
	selection
	probeFlags

	Output string
}

func newProbeCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &ProbeOptions{IOStreams: streams, selection: selection{cluster: cluster}}
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Probe connections from inside the pods and compare with what the policies say",
		Long: templates.LongDesc(`
			Probe connections from inside the pods (by exec, as kubectl exec does: nc or
			wget for TCP, nc for UDP) and print, for each, what the policies say (expected)
			beside what the network did (observed). Probes are capped (--max-probes). A
			pod without a client gets a probe container (an ephemeral container sharing its
			network) only with --inject, or when it belongs to a lab kubectl-netpol created:
			ephemeral containers can never be removed from a pod.

			A connection that the policies deny but that gets through means the network
			plugin does not enforce NetworkPolicy. Probes that disagree with the
			expectation are retried (--retries) before they count as wrong.

			Exit status: 0 when every probed connection behaves as expected, 1 otherwise.`),
		Example: probeExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.selection.addFlags(cmd, "probe")
	o.probeFlags.add(cmd)
	tableJSONYAML.add(cmd, &o.Output)
	return cmd
}

// Validate checks the flags.
func (o *ProbeOptions) Validate() error {
	if err := tableJSONYAML.validate(o.Output); err != nil {
		return err
	}
	if err := o.probeFlags.validate(); err != nil {
		return err
	}
	return o.selection.validate()
}

type probeReport struct {
	Ports   []policy.JSONPort `json:"ports"`
	Results []observation     `json:"results"`
	Summary summary           `json:"summary"`
}

// Run loads the cluster, evaluates, probes and prints.
func (o *ProbeOptions) Run(ctx context.Context) error {
	if err := o.load(ctx, o.ErrOut, o.Output, false); err != nil {
		return err
	}
	c, err := o.cluster.Connect()
	if err != nil {
		return err
	}
	ev, err := policy.New(o.snapshot)
	if err != nil {
		return fmt.Errorf("cannot evaluate: %w", err)
	}
	s := o.snapshot
	from, to, err := o.pods()
	if err != nil {
		return err
	}
	if from == nil {
		fmt.Fprintf(o.ErrOut, "No pods found in %s.\n", o.scope)
		return nil
	}
	// Without --port, each destination is probed on the ports it declares only: on a real
	// cluster a port nobody serves answers "refused", which says nothing about the policies.
	ports, declaredOnly, err := o.portsFor(to, "probe")
	if err != nil {
		return err
	}
	m := ev.Matrix(ports)
	var obs []observation
	var jobs []probe.Job
	var index []int
	for pi, pp := range ports {
		for _, f := range from {
			for _, t := range to {
				expected := m.Allowed(pi, f, t)
				o := observation{From: s.Pods[f].ID(), To: s.Pods[t].ID(), Port: pp.Port, Protocol: string(pp.Protocol), Expected: expected}
				j, why := job(policy.Endpoint{Pod: &s.Pods[f]}, policy.Endpoint{Pod: &s.Pods[t]}, o.To, pp.Port, pp.Protocol, expected)
				if why == "" && declaredOnly && !declares(&s.Pods[t], pp) {
					why = fmt.Sprintf("the destination declares no %d/%s (nothing known to listen; name it with --port to probe anyway)", pp.Port, pp.Protocol)
				}
				if why != "" {
					o.Ignored = why
				} else {
					jobs = append(jobs, j)
					index = append(index, len(obs))
				}
				obs = append(obs, o)
			}
		}
	}
	if err := runProbes(ctx, o.probeFlags.runner(c), o.MaxProbes, obs, jobs, index, o.ErrOut, o.Output); err != nil {
		return err
	}
	sum := summarize(obs)
	if o.Output != outputTable {
		rep := probeReport{Results: obs, Summary: sum}
		for _, p := range ports {
			rep.Ports = append(rep.Ports, policy.JSONPort{Port: p.Port, Protocol: string(p.Protocol)})
		}
		if err := printStructured(o.Out, o.Output, rep); err != nil {
			return err
		}
	} else {
		printProbeTables(o.Out, ports, obs, s, from, to)
		printObservationNotes(o.Out, obs)
		fmt.Fprintf(o.Out, "\n%s\n", sum)
	}
	if sum.Wrong > 0 {
		return &failedError{msg: fmt.Sprintf("%d of %d probed connections do not behave as the policies say", sum.Wrong, sum.Correct+sum.Wrong)}
	}
	return nil
}

// printProbeTables prints one table per port, cells "expected/observed".
func printProbeTables(out io.Writer, ports []policy.PortProtocol, obs []observation, s *policy.Snapshot, from, to []int) {
	ids := func(pods []int) []string {
		names := make([]string, len(pods))
		for i, p := range pods {
			names[i] = s.Pods[p].ID()
		}
		return names
	}
	// obs holds, per port, every from (rows) x to (columns) in order.
	per := len(from) * len(to)
	for pi, pp := range ports {
		if pi > 0 {
			fmt.Fprintln(out)
		}
		widths := make([]int, len(to))
		for i, o := range obs[pi*per : (pi+1)*per] {
			widths[i%len(to)] = max(widths[i%len(to)], len(obsCell(o)))
		}
		_ = render.Table(out, pp.String()+" (expected/observed):", ids(from), ids(to), func(c int) int { return widths[c] }, func(r, c int) string {
			return obsCell(obs[pi*per+r*len(to)+c])
		})
	}
	fmt.Fprintln(out, "\n. allowed   X blocked   ? not probed (error)   - ignored   * observed differs from expected")
}

func obsCell(o observation) string {
	switch {
	case o.Ignored != "":
		return "-"
	case o.Observed == nil:
		return render.Cell(o.Expected) + "/?"
	case !o.Correct:
		return render.Cell(o.Expected) + "/" + render.Cell(*o.Observed) + " *"
	}
	return render.Cell(o.Expected) + "/" + render.Cell(*o.Observed)
}

// failedError is a check that ran and found problems: exit code 1, and the one line says so.
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }
