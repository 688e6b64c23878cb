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

	"github.com/kubectl-netpol/kubectl-netpol/checks"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/labs/progress"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/probe"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

var labCheckExample = templates.Examples(`
	# Grade your policies: through the evaluator, then by probes from inside the pods
	kubectl netpol lab check three-tier

	# Only through the evaluator (no exec into pods)
	kubectl netpol lab check three-tier --static-only

	# Grade policy files before applying them (no cluster needed)
	kubectl netpol lab check and-vs-or -f my-policy.yaml

	# The same as a page: the tiers, the arrows, the wrong rows with their hints
	kubectl netpol lab check three-tier -f attempt.yaml -o html > out.html`)

// LabCheckOptions is `kubectl netpol lab check`: the learner's policies against the lab's goal.
type LabCheckOptions struct {
	genericiooptions.IOStreams
	cluster *clusterAccess
	render  renderFlags
	probeFlags

	StaticOnly bool
	Diff       bool
	files      fileFlags
	Output     string

	lab *labs.Rendered
}

func newLabCheckCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &LabCheckOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:   "check LAB",
		Short: "Grade your policies against the lab's goal: statically, then by probes",
		Long: templates.LongDesc(`
			Grade your policies against the lab's goal table.

			Static: the policies in the lab's namespaces (or, with -f, in your files on
			top of the lab's setup) go through kubectl-netpol's evaluator; every goal row
			it gets wrong is shown with the reason and a hint.
			Live: each goal connection is probed from inside its source pod.

			PASS when every goal row is right (and every probe agrees): exit 0.
			FAIL otherwise: exit 1.`),
		Example:           labCheckExample,
		ValidArgsFunction: completeLabNames,
		Args:              exactlyOneLab,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(cmd.Context(), args[0]); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.render.add(cmd, false)
	cmd.Flags().BoolVar(&o.StaticOnly, "static-only", false, "Grade through the evaluator only; no probes")
	cmd.Flags().BoolVar(&o.Diff, "diff", false, "After a FAIL, show the connections your policies open and close against the lab's setup alone")
	o.files.add(cmd, "to grade on top of the lab's setup, without a cluster (implies --static-only)")
	o.probeFlags.add(cmd)
	pageFormats.add(cmd, &o.Output)
	return cmd
}

// Validate checks the flags.
func (o *LabCheckOptions) Validate() error {
	if err := pageFormats.validate(o.Output); err != nil {
		return err
	}
	return o.probeFlags.validate()
}

// Complete renders the lab: without --variant, the variant that is up in the cluster (its
// namespaces carry the number), or, grading files, the one brought up last on this machine.
// The flags are checked (one rendering) before the cluster is asked anything.
func (o *LabCheckOptions) Complete(ctx context.Context, name string) (err error) {
	if o.lab, err = o.render.render(name); err != nil || o.render.variantGiven() {
		return err
	}
	if o.files.given() {
		o.render.variant = lastVariant(o.ErrOut, o.lab.Options.Lang, name)
	} else {
		c, err := o.cluster.Connect()
		if err != nil {
			return err
		}
		var forbidden *labs.ForbiddenError
		o.render.variant, _, err = labs.VariantUp(ctx, c.Client, name)
		switch {
		case errors.As(err, &forbidden):
			fmt.Fprintln(o.ErrOut, lang.T(o.lab.Options.Lang, "check.variant-forbidden", lang.Verbatim(err.Error())))
		case err != nil:
			return err
		}
	}
	if o.render.variant == 0 {
		return nil
	}
	o.lab, err = o.render.render(name)
	return err
}

// checkReport is lab check's structured output.
type checkReport struct {
	Lab     string        `json:"lab"`
	Lang    lang.Lang     `json:"lang"`    // the language of the texts: problems, hint summaries, ignored
	Verdict string        `json:"verdict"` // PASS or FAIL
	Score   string        `json:"score"`   // goal rows right, statically
	Static  []labs.Graded `json:"static"`
	// Problems are the learner's policies that do not apply as written (refused by the API
	// server, or landing outside the lab).
	Problems []labs.Problem `json:"problems,omitempty"`
	Live     []observation  `json:"live,omitempty"`
	Summary  *summary       `json:"liveSummary,omitempty"`
	// LiveError is the one reason why no probe could run; the verdict is then the static one.
	LiveError string `json:"liveError,omitempty"`
	// Diff is --diff's: what the learner's policies change against the setup alone (a FAIL only).
	Diff *diffReport `json:"diff,omitempty"`
	// ClusterTier is, for a live check of a lab with cluster policies, whether the network
	// enforces them.
	ClusterTier *tierEnforcement `json:"clusterTier,omitempty"`
}

// tierEnforcement is what the live check found of the network plugins and the cluster tier.
type tierEnforcement struct {
	Enforced  bool     `json:"enforced"`
	Enforcers []string `json:"enforcers,omitempty"` // where each was found
	Found     []string `json:"found,omitempty"`     // what runs instead, and why it does not count
	Unknown   string   `json:"unknown,omitempty"`   // why the plugins could not be read
}

// printTierEnforcement says, before a live table, that no network plugin known to enforce the
// cluster policies runs, and what runs instead; nothing when one does or none matter.
func printTierEnforcement(out io.Writer, t *tierEnforcement, l lang.Lang, id string) {
	if t == nil || t.Enforced {
		return
	}
	found := lang.T(l, "doctor.tier.engine.no-plugin")
	if len(t.Found) > 0 {
		found = strings.Join(t.Found, lang.T(l, "join.semi"))
	}
	if t.Unknown != "" {
		found = lang.T(l, "check.tier.unknown", t.Unknown)
	}
	fmt.Fprintln(out, lang.T(l, id, found))
}

// clusterTierEnforcement reads what the doctor's CNI check reads (kube-system's DaemonSets and
// the like) and asks it whether a network plugin enforces the cluster policies.
func clusterTierEnforcement(ctx context.Context, cluster *Cluster, snap *policy.Snapshot, l lang.Lang) *tierEnforcement {
	objs, err := source.ReadCluster(ctx, cluster.Client, source.Want{Namespaces: []string{"kube-system"}, CNI: true})
	if err != nil {
		return &tierEnforcement{Unknown: err.Error()}
	}
	in := &checks.Input{Snapshot: snap, Live: true, DaemonSets: objs.DaemonSets, Deployments: objs.Deployments,
		Nodes: objs.Nodes, ConfigMaps: objs.ConfigMaps, Forbidden: objs.Forbidden}
	enforcers, others, unknown := checks.ClusterTierEnforcement(in, l)
	t := &tierEnforcement{Enforced: len(enforcers) > 0, Enforcers: enforcers, Found: others}
	if unknown && !t.Enforced {
		t.Unknown = objs.Forbidden["daemonsets"].Error()
	}
	return t
}

// grade grades the learner's policies: statically, then (unless static only or files) by
// probes. It prints nothing but the probes' progress.
func (o *LabCheckOptions) grade(ctx context.Context) (checkReport, *labs.Grading, error) {
	rep := checkReport{Lab: o.lab.Name, Lang: o.lab.Options.Lang.Or()}
	var snap *policy.Snapshot
	var cluster *Cluster
	var grading *labs.Grading
	if o.files.given() {
		// A file without metadata.namespace lands where kubectl apply would put it: the
		// current namespace (-n, else the kubeconfig context's, else default).
		current, _, err := o.cluster.flags.ToRawKubeConfigLoader().Namespace()
		if err != nil {
			current = "default"
		}
		if grading, err = o.lab.GradeFiles(&o.files.FilenameOptions, current, o.ErrOut); err != nil {
			return rep, nil, err
		}
	} else {
		var err error
		if cluster, err = o.cluster.Connect(); err != nil {
			return rep, nil, err
		}
		if snap, err = o.lab.LiveSnapshot(ctx, cluster.Client, o.ErrOut); err != nil {
			return rep, nil, err
		}
		if grading, err = o.lab.Grade(snap); err != nil {
			return rep, nil, err
		}
	}
	rep.Static, rep.Problems = grading.Rows, grading.Problems
	rep.Score = fmt.Sprintf("%d/%d", rep.right(), len(rep.Static))
	pass := grading.Pass()

	if !o.files.given() && !o.StaticOnly {
		obs, jobs, index := goalJobs(grading.Rows, rep.Lang)
		if len(snap.ClusterPolicies) > 0 {
			rep.ClusterTier = clusterTierEnforcement(ctx, cluster, snap, rep.Lang)
			for i := range obs {
				obs[i].tierUnenforced = !rep.ClusterTier.Enforced
			}
		}
		if err := runProbes(ctx, o.probeFlags.runner(cluster), o.MaxProbes, obs, jobs, index, o.ErrOut, o.Output, o.lab.Options.Lang); err != nil {
			return rep, nil, err
		}
		sum := summarize(obs)
		rep.Live, rep.Summary, rep.LiveError = obs, &sum, failureReason(obs)
		pass = pass && sum.Wrong == 0
	}
	rep.Verdict = "FAIL"
	if pass {
		rep.Verdict = "PASS"
	}
	return rep, grading, nil
}

// right counts the goal rows the policies get right, statically.
func (rep checkReport) right() int {
	n := 0
	for _, g := range rep.Static {
		if g.Correct {
			n++
		}
	}
	return n
}

// probed says whether the check observed packets (false: static only, or no probe could run).
func (rep checkReport) probed() bool { return len(rep.Live) > 0 && rep.LiveError == "" }

// Run grades and prints.
func (o *LabCheckOptions) Run(ctx context.Context) error {
	if examTaskOf(o.ErrOut, o.lab.Options.Lang, o.lab.Name) {
		return fmt.Errorf("%s", lang.T(o.lab.Options.Lang, "exam.closed.check", o.lab.Name))
	}
	rep, grading, err := o.grade(ctx)
	if err != nil {
		return err
	}
	pass := rep.Verdict == "PASS"
	recordLab(o.ErrOut, o.lab.Options.Lang, o.lab.Name, func(l *progress.Lab) {
		l.RecordCheck(progress.Check{At: time.Now(), Verdict: rep.Verdict, Right: rep.right(), Total: len(rep.Static), Live: rep.probed(), Variant: o.lab.Options.Variant})
	})
	if o.Diff && !pass {
		var err error
		if rep.Diff, err = labDiff(o.lab, grading.Snapshot, o.files.given()); err != nil {
			return err
		}
	}
	if o.Output == outputHTML {
		page, err := checkPage(o.lab, rep, grading.Snapshot, o.files.given())
		if err != nil {
			return err
		}
		if rep.Diff != nil {
			addDiffRows(page, *rep.Diff, lang.T(rep.Lang, "check.diff"), rep.Lang)
		}
		if err := writePage(o.Out, page); err != nil {
			return err
		}
	} else if o.Output != outputTable {
		if err := printStructured(o.Out, o.Output, rep); err != nil {
			return err
		}
	} else {
		printCheck(o.Out, rep, o.files.given())
		if rep.Diff != nil {
			fmt.Fprintf(o.Out, "\n%s:\n", lang.T(rep.Lang, "check.diff"))
			printDiff(o.Out, *rep.Diff, colorful(o.Out), rep.Lang)
		}
	}
	if !pass {
		// The verdict is in what was printed (its last line, or "verdict" in JSON and YAML):
		// exit 1 without saying FAIL a second time on stderr.
		return &silentExit{code: 1}
	}
	return nil
}

// goalJobs turns the graded goal rows into probe jobs. Each row is judged against the goal
// (Expected) and against what the policies in the cluster give (Policies: the static verdict).
func goalJobs(rows []labs.Graded, l lang.Lang) (obs []observation, jobs []probe.Job, index []int) {
	for _, g := range rows {
		c := g.Conn
		o := observation{From: g.From, To: g.To, Port: c.Port, Protocol: string(c.Protocol), Expected: g.Allowed, Policies: g.Evaluated, Tier: string(g.Tier)}
		var j probe.Job
		var why string
		switch {
		case c.From.Pod == nil:
			why = lang.T(l, "ignored.outside")
		case g.To == labs.KubeDNS && c.Protocol == corev1.ProtocolUDP:
			// A name lookup through the pod's own resolver: the way DNS really fails.
			j = probe.Job{From: probe.PodRef{Namespace: c.From.Pod.Namespace, Name: c.From.Pod.Name}, To: probe.Target{Name: labs.KubeDNS},
				Port: 53, Protocol: c.Protocol, Kind: probe.DNSLookup, Expected: g.Allowed}
		case g.To == labs.KubeDNS && (c.To.Pod == nil || len(c.To.Pod.IPs) == 0):
			// The cluster DNS stood in for by name only: no pod or endpoint address was read.
			why = lang.T(l, "ignored.no-dns")
		default:
			j, why = job(c.From, c.To, g.To, c.Port, c.Protocol, g.Allowed, l)
		}
		if why != "" {
			o.Ignored = why
		} else {
			jobs = append(jobs, j)
			index = append(index, len(obs))
		}
		obs = append(obs, o)
	}
	return obs, jobs, index
}

func printCheck(out io.Writer, rep checkReport, files bool) {
	lg, label := rep.Lang, lineLabels(rep.Lang)
	heading := "check.static.cluster"
	if files {
		heading = "check.static.files"
	}
	fmt.Fprintln(out, lang.T(lg, heading))
	w := render.NewTabWriter(out)
	fmt.Fprintln(w, "FROM\tTO\tPORT\tGOAL\tYOURS\t")
	for _, g := range rep.Static {
		mark := "ok"
		if !g.Correct {
			mark = "WRONG"
		}
		fmt.Fprintf(w, "%s\t%s\t%d/%s\t%s\t%s\t%s\n", g.From, g.To, g.Port, g.Proto(), verdictIn(lg, g.Allowed), verdictIn(lg, g.Evaluated), mark)
	}
	_ = w.Flush()
	for _, p := range rep.Problems {
		kind := lang.T(lg, "check.note")
		if p.Refused {
			kind = "REFUSED"
		}
		fmt.Fprintf(out, "\n%s: %s\n", kind, p.Message)
		printIndented(out, "  "+label["fix"], p.Fix)
	}
	for _, g := range rep.Static {
		if g.Correct {
			continue
		}
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "check.row", g.From, g.To, g.Port, g.Proto(), verdictIn(lg, g.Allowed), verdictIn(lg, g.Evaluated)))
		fmt.Fprintf(out, "  %s%s\n", label["why"], strings.Join(g.Reasons, lang.T(lg, "join.semi")))
		for i, c := range g.Causes {
			if i == 3 {
				fmt.Fprintf(out, "  %s\n", lang.T(lg, "check.more", len(g.Causes)-3))
				break
			}
			name := label["hint"]
			if i > 0 {
				name = label["also"]
			}
			// In Korean and Japanese the cause's one-line summary comes first, as a tutor
			// names the mistake before showing where it is (English keeps its one line).
			if summary := labs.CauseSummary(lg, c.Code); lg.Or() != lang.En && summary != "" {
				printIndented(out, "  "+name, summary+"\n"+c.Message)
			} else {
				fmt.Fprintf(out, "  %s%s\n", name, c.Message)
			}
			printIndented(out, "  "+label["fix"], c.Fix)
		}
	}
	if rep.Live != nil {
		fmt.Fprintln(out, "\n"+lang.T(lg, "check.live"))
		printTierEnforcement(out, rep.ClusterTier, lg, "check.tier.unenforced")
		w := render.NewTabWriter(out)
		fmt.Fprintln(w, "FROM\tTO\tPORT\tGOAL\tOBSERVED\t")
		for _, o := range rep.Live {
			observed := o.Outcome
			if o.Judgement == judgedIgnored {
				observed = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%d/%s\t%s\t%s\t%s\n", o.From, o.To, o.Port, o.Protocol, verdictIn(lg, o.Expected), observed, o.mark(lg))
		}
		_ = w.Flush()
		printObservationNotes(out, rep.Live, lg)
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "check.probes", rep.Summary.in(lg)))
	}
	staticRight := !slices.ContainsFunc(rep.Static, func(g labs.Graded) bool { return !g.Correct })
	switch {
	case rep.Summary != nil && rep.Summary.Failed > 0 && rep.Summary.Failed == rep.Summary.Total-rep.Summary.Ignored:
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "check.final.no-live", rep.Verdict, rep.Score))
	case rep.Summary != nil && rep.Summary.Failed+rep.Summary.NotServed > 0:
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "check.final.some-failed", rep.Verdict, rep.Score, rep.Summary.Failed+rep.Summary.NotServed, rep.Summary.Total-rep.Summary.Ignored))
	case staticRight && rep.Summary != nil && rep.Summary.Wrong > 0:
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "check.final.disagree", rep.Verdict, rep.Score, rep.Summary.Wrong))
	case rep.Live == nil && !files:
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "check.final.static", rep.Verdict, rep.Score))
	default:
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "check.final", rep.Verdict, rep.Score))
	}
}
