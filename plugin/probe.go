package plugin

import (
	"context"
	"fmt"
	"io"
	"slices"
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
	Lang   lang.Lang
	lang   langFlag
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

			A probe refused by a pod is followed by a look from inside that pod at its own
			port: where nothing listens, the cell reads "not served: cannot tell".

			Exit status: 1 when a probed connection behaves otherwise than the policies say,
			0 otherwise (probes that could not run or could not tell are counted in the
			summary, not in the exit status).`),
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
	o.lang.add(cmd)
	return cmd
}

// Validate checks the flags and picks the language.
func (o *ProbeOptions) Validate() (err error) {
	if err := tableJSONYAML.validate(o.Output); err != nil {
		return err
	}
	if o.Lang, err = o.lang.resolve(); err != nil {
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
	// ClusterTier: whether the network enforces the cluster policies (when there are some).
	ClusterTier *tierEnforcement `json:"clusterTier,omitempty"`
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
		fmt.Fprintln(o.ErrOut, lang.T(o.Lang, "probe.no-pods", o.scope.in(o.Lang)))
		if o.Output != outputTable {
			// Machine output is always a document: an empty one, in the same shape.
			return printStructured(o.Out, o.Output, probeReport{Ports: []policy.JSONPort{}, Results: []observation{}, Summary: summarize(nil)})
		}
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
				lg := o.Lang
				o := observation{From: s.Pods[f].ID(), To: s.Pods[t].ID(), Port: pp.Port, Protocol: string(pp.Protocol), Expected: expected, Policies: expected}
				j, why := job(policy.Endpoint{Pod: &s.Pods[f]}, policy.Endpoint{Pod: &s.Pods[t]}, o.To, pp.Port, pp.Protocol, expected, lg)
				if why == "" && declaredOnly && !declares(&s.Pods[t], pp) {
					why = lang.T(lg, "ignored.undeclared", pp.Port, pp.Protocol)
				}
				if why != "" {
					o.Ignored = why
				} else {
					if !m.Loopback(f, t) {
						o.Tier = string(m.DecidingTier(pi, m.Class(f), m.Class(t)))
					}
					jobs = append(jobs, j)
					index = append(index, len(obs))
				}
				obs = append(obs, o)
			}
		}
	}
	// Where cluster policies decide, whether anything here enforces them: a connection they
	// deny that gets through then points at the cluster tier, not at the NetworkPolicies' plugin.
	var tier *tierEnforcement
	if len(s.ClusterPolicies) > 0 && len(jobs) > 0 {
		tier = clusterTierEnforcement(ctx, c, s, o.Lang)
		for i := range obs {
			obs[i].tierUnenforced = !tier.Enforced
		}
	}
	if err := runProbes(ctx, o.probeFlags.runner(c), o.MaxProbes, obs, jobs, index, o.ErrOut, o.Output, o.Lang); err != nil {
		return err
	}
	sum := summarize(obs)
	if o.Output != outputTable {
		rep := probeReport{Ports: []policy.JSONPort{}, Results: obs, Summary: sum, ClusterTier: tier}
		for _, p := range ports {
			rep.Ports = append(rep.Ports, policy.JSONPort{Port: p.Port, Protocol: string(p.Protocol)})
		}
		if err := printStructured(o.Out, o.Output, rep); err != nil {
			return err
		}
	} else {
		printTierEnforcement(o.Out, tier, o.Lang, "probe.tier.unenforced")
		printProbeTables(o.Out, ports, obs, s, from, to, o.Lang)
		printObservationNotes(o.Out, obs, o.Lang)
		fmt.Fprintf(o.Out, "\n%s\n", sum.in(o.Lang))
	}
	// A connection the unenforced cluster tier denies that got through is a difference too.
	if differ := sum.Wrong + sum.Unenforced; differ > 0 {
		return &failedError{msg: lang.T(o.Lang, "probe.failed", differ, sum.Correct+differ)}
	}
	return nil
}

// printProbeTables prints one table per port, cells "expected/observed".
func printProbeTables(out io.Writer, ports []policy.PortProtocol, obs []observation, s *policy.Snapshot, from, to []int, l lang.Lang) {
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
		_ = render.Table(out, lang.T(l, "probe.table", pp.String()), ids(from), ids(to), func(c int) int { return widths[c] }, func(r, c int) string {
			return obsCell(obs[pi*per+r*len(to)+c])
		})
	}
	fmt.Fprintln(out, "\n"+lang.T(l, "probe.legend"))
}
