package plugin

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

var diffExample = templates.Examples(`
	# What applying these files would open and close, against the cluster as it is
	kubectl netpol diff -f policies/

	# The same, and the namespace's policies that the files no longer hold are removed
	kubectl netpol diff -f policies/ --prune

	# Two sets of files, offline (CI: the base branch's manifests against the pull request's)
	kubectl netpol diff --before base/manifests/ --after manifests/

	# A CI gate: fail only when the change opens connections
	kubectl netpol diff --before base/manifests/ --after manifests/ --fail-on opened

	# One namespace, one port, as JSON
	kubectl netpol diff -f policies/ -n db --port 5432 -o json

	# A page for the review: arrows for what opens and what closes, the reasons on a click
	kubectl netpol diff --before base/manifests/ --after manifests/ -o html > change.html`)

// Values of --fail-on.
const (
	failOnAny    = "any"
	failOnOpened = "opened"
)

// DiffOptions is `kubectl netpol diff`: what a change to the policies (or labels, or pods)
// opens and closes.
type DiffOptions struct {
	genericiooptions.IOStreams
	selection // files: -f/-R/-k, applied on top of the cluster

	Before, After []string
	Prune         bool
	FailOn        string
	Output        string
	Lang          lang.Lang
	lang          langFlag

	before, after         *policy.Snapshot
	beforeName, afterName string
}

func newDiffCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &DiffOptions{IOStreams: streams, selection: selection{cluster: cluster}}
	cmd := &cobra.Command{
		Use:   "diff (-f PATH [--prune] | --before PATH --after PATH)",
		Short: "Show which connections a change opens and closes, and why, before it is applied",
		Long: templates.LongDesc(`
			Show which connections a change opens and closes, as kubectl diff shows
			what it changes in objects: '+' a connection the change opens, '-' one it
			closes, per port, each with what decides it before and after (which policy
			and rule admits it, or which policies isolate it with no rule that does).

			With -f, the cluster as it is is compared with the cluster as it would be
			once the files are applied: an object of the files replaces the live one of
			the same kind, namespace and name, or is added. Labels of namespaces and pods
			merge as kubectl apply merges them (a live label the files leave out stays,
			unless the last kubectl apply set it); a workload of the files re-labels its
			running pods. --prune also removes, from every namespace in which the files
			hold a NetworkPolicy, the live NetworkPolicies the files do not hold; policies
			of other namespaces are never removed.

			With --before and --after, two sets of files are compared, offline (no
			cluster): for CI, the base branch's manifests against the pull request's.

			Pods are matched by namespace and name: a pod on one side only is listed as
			added or removed, and its connections are not compared. Pods that behave the
			same on both sides are shown once, with a count, as explain groups them.
			Every namespace is compared unless -n names one; --from, --to and --port
			narrow the comparison as they do for explain.

			Exit status, as kubectl diff: 0 no change, 1 changes found (connections
			opened or closed, pods added or removed; with --fail-on opened, only
			connections opened), 2 bad usage, 3 no cluster, 4 any other error.`),
		Example: diffExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(cmd.Context()); err != nil {
				return asDiffFailure(err)
			}
			return asDiffFailure(o.Run())
		},
	}
	o.files.add(cmd, "to apply on top of the cluster (what the cluster would be)")
	o.selection.addFlags(cmd, "compare")
	cmd.Flags().StringArrayVar(&o.Before, "before", nil, "Files or folders of the state before the change (offline, with --after; -R applies)")
	cmd.Flags().StringArrayVar(&o.After, "after", nil, "Files or folders of the state after the change (offline, with --before; -R applies)")
	cmd.Flags().BoolVar(&o.Prune, "prune", false, "With -f: remove the live NetworkPolicies the files do not hold, in the namespaces where the files hold NetworkPolicies")
	cmd.Flags().StringVar(&o.FailOn, "fail-on", failOnAny, "What makes the exit status 1: any (connections opened or closed, pods added or removed) or opened (connections opened only)")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{failOnAny, failOnOpened}, cobra.ShellCompDirectiveNoFileComp))
	pageFormats.add(cmd, &o.Output)
	o.lang.add(cmd)
	return cmd
}

// asDiffFailure keeps diff's errors off exit status 1, which says "changes found".
func asDiffFailure(err error) error {
	if _, answer := err.(*silentExit); err == nil || answer {
		return err
	}
	return &diffFailedError{err: err}
}

// Validate checks the flags without touching files or the cluster.
func (o *DiffOptions) Validate() (err error) {
	if err := pageFormats.validate(o.Output); err != nil {
		return err
	}
	if o.Lang, err = o.lang.resolve(); err != nil {
		return err
	}
	if o.FailOn != failOnAny && o.FailOn != failOnOpened {
		return usageErrorf("--fail-on %q: use %s or %s", o.FailOn, failOnAny, failOnOpened)
	}
	offline := len(o.Before) > 0 || len(o.After) > 0
	switch {
	case offline && o.files.given():
		return usageErrorf("-f compares files with the cluster, --before and --after two sets of files: use one or the other")
	case offline && (len(o.Before) == 0 || len(o.After) == 0):
		return usageErrorf("--before and --after go together: name both sets of files")
	case !offline && !o.files.given():
		return usageErrorf("say what to compare: -f PATH (the files against the cluster) or --before PATH --after PATH (two sets of files)")
	case o.Prune && offline:
		return usageErrorf("--prune removes live policies, with -f; --after is the whole state after the change already")
	}
	return o.selection.validate()
}

// Complete reads both sides: the cluster and the cluster with the files on top, or two sets of
// files.
func (o *DiffOptions) Complete(ctx context.Context) error {
	current, _, err := o.cluster.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil || current == "" {
		current = metav1.NamespaceDefault
	}
	// Every namespace unless -n names one: a policy's peers may be anywhere, and only what
	// changes is printed.
	if ns := ptrValue(o.cluster.flags.Namespace); ns != "" && !o.AllNamespaces {
		o.scope = scope{namespace: ns}
	} else {
		o.scope = scope{all: true}
	}
	if len(o.Before) > 0 {
		read := func(paths []string) (*policy.Snapshot, error) {
			objs, err := source.ReadFiles(&resource.FilenameOptions{Filenames: paths, Recursive: o.files.Recursive}, current, o.ErrOut)
			if err == nil {
				err = checkRefused(objs, o.ErrOut)
			}
			if err != nil {
				return nil, err
			}
			return snapshotOf(objs, o.ErrOut)
		}
		if o.before, err = read(o.Before); err != nil {
			return err
		}
		o.after, err = read(o.After)
		o.beforeName, o.afterName = lang.T(o.Lang, "source.files", strings.Join(o.Before, ", ")), lang.T(o.Lang, "source.files", strings.Join(o.After, ", "))
		return err
	}

	files, err := o.files.read(o.cluster, o.ErrOut)
	if err != nil {
		return err
	}
	c, err := o.cluster.Connect()
	if err != nil {
		return err
	}
	p := newActivity(o.ErrOut, o.Output)
	p.Update("reading pods and policies in " + o.scope.String())
	live, err := liveObjects(ctx, c.Client, o.scope, o.ErrOut)
	p.Stop()
	if err != nil {
		return err
	}
	if o.before, err = snapshotOf(live, io.Discard); err != nil { // what is left out is said once, below
		return err
	}
	applied, _ := source.Applied(live, files, o.Prune)
	if o.after, err = snapshotOf(applied, o.ErrOut); err != nil {
		return err
	}
	o.beforeName = lang.T(o.Lang, "diff.name.cluster", o.scope.in(o.Lang))
	o.afterName = lang.T(o.Lang, "diff.name.applied", o.files.in(o.Lang))
	if o.Prune {
		o.afterName += lang.T(o.Lang, "diff.name.pruned")
	}
	return nil
}

// Run compares and prints; a change found is exit status 1, as for kubectl diff.
func (o *DiffOptions) Run() error {
	from := func(p *policy.Pod) bool { return o.inScope(p) && o.from.matches(p) }
	to := func(p *policy.Pod) bool { return o.inScope(p) && o.to.matches(p) }
	ports := o.ports
	switch {
	case !slices.ContainsFunc(o.before.Pods, podMatches(to)) && !slices.ContainsFunc(o.after.Pods, podMatches(to)):
		// Policies alone (a folder of them): no connection to compare, the objects still.
		fmt.Fprintf(o.ErrOut, "No pods in %s on either side: only the objects are compared.\n", o.scope)
	case len(ports) == 0:
		if ports = portsOfBoth(o.before, o.after, to); len(ports) == 0 {
			return usageErrorf("no destination pod in %s declares a container port; name the ports to compare, e.g. --port 80 --port 53/UDP", o.scope)
		}
	}
	d, err := policy.NewDiff(o.before, o.after, policy.DiffOptions{Ports: ports, From: from, To: to,
		Namespace: func(ns string) bool { return o.scope.all || ns == o.scope.namespace }})
	if err != nil {
		return fmt.Errorf("cannot evaluate: %w", err)
	}
	rep := newDiffReport(d, o.before, o.after, o.beforeName, o.afterName, o.Lang)
	if o.Output == outputHTML {
		if err := writePage(o.Out, diffPage(rep, o.Lang)); err != nil {
			return err
		}
	} else if o.Output != outputTable {
		if err := printStructured(o.Out, o.Output, rep); err != nil {
			return err
		}
	} else {
		printDiff(o.Out, rep, colorful(o.Out), o.Lang)
	}
	s := rep.Summary
	if s.Opened > 0 || o.FailOn == failOnAny && (s.Closed > 0 || s.PodsAdded > 0 || s.PodsRemoved > 0) {
		return &silentExit{code: 1}
	}
	return nil
}

func (o *DiffOptions) inScope(p *policy.Pod) bool {
	return o.scope.all || p.Namespace == o.scope.namespace
}

// podMatches adapts f to slices.ContainsFunc over pods.
func podMatches(f func(*policy.Pod) bool) func(policy.Pod) bool {
	return func(p policy.Pod) bool { return f(&p) }
}

// matches reports whether the filters select p (no filter selects every pod).
func (f podFilter) matches(p *policy.Pod) bool {
	if len(f) == 0 {
		return true
	}
	return slices.ContainsFunc(f, func(match func(*policy.Pod) bool) bool { return match(p) })
}

// portsOfBoth are the ports the destinations declare, on either side, in order.
func portsOfBoth(before, after *policy.Snapshot, to func(*policy.Pod) bool) []policy.PortProtocol {
	both := &policy.Snapshot{}
	for _, s := range []*policy.Snapshot{before, after} {
		for i := range s.Pods {
			if to(&s.Pods[i]) {
				both.Pods = append(both.Pods, s.Pods[i])
			}
		}
	}
	all := make([]int, len(both.Pods))
	for i := range all {
		all[i] = i
	}
	return declaredPorts(both, all)
}

// --- the report: `diff -o json|yaml`, a documented contract (README.md)

type diffReport struct {
	Before  string                `json:"before"`
	After   string                `json:"after"`
	Ports   []policy.JSONPort     `json:"ports"`
	Summary diffSummary           `json:"summary"`
	Objects []policy.ObjectChange `json:"objects"`
	Groups  []diffGroup           `json:"groups"`
	Changes []diffChange          `json:"changes"`
}

type diffSummary struct {
	Opened         int `json:"opened"` // connections: pod pairs times ports
	Closed         int `json:"closed"`
	PodsAdded      int `json:"podsAdded"`
	PodsRemoved    int `json:"podsRemoved"`
	ObjectsChanged int `json:"objectsChanged"`
}

// diffGroup is pods that behave the same on both sides (the same class before, and after).
type diffGroup struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Pods      []string `json:"pods"`
}

type diffChange struct {
	Change      string   `json:"change"` // opened or closed
	From        string   `json:"from"`   // a group's name
	To          string   `json:"to"`
	Port        int32    `json:"port"`
	Protocol    string   `json:"protocol"`
	Connections int      `json:"connections"` // pod pairs
	Before      diffSide `json:"before"`
	After       diffSide `json:"after"`
	// AgainstGoal: lab check --diff only, the change goes against a row of the lab's goal.
	AgainstGoal bool `json:"againstGoal,omitempty"`
}

// diffSide is one side's verdict: its reasons are explain's, egress then ingress, in the
// report's language.
type diffSide struct {
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
	verdict policy.Verdict
	word    string // allowed or blocked, in the report's language
}

// newDiffReport is the report of d, its texts in lg.
func newDiffReport(d *policy.Diff, before, after *policy.Snapshot, beforeName, afterName string, lg lang.Lang) diffReport {
	// No pods on either side compares no ports: "ports": [], not null, as the lists below.
	rep := diffReport{Before: beforeName, After: afterName, Objects: d.Objects, Ports: []policy.JSONPort{}, Groups: []diffGroup{}, Changes: []diffChange{}}
	if rep.Objects == nil {
		rep.Objects = []policy.ObjectChange{}
	}
	for _, p := range d.Ports {
		rep.Ports = append(rep.Ports, policy.JSONPort{Port: p.Port, Protocol: string(p.Protocol)})
	}
	// Groups are listed (and named) only when a change names them.
	names := map[int]string{}
	name := func(g int) string {
		if n, ok := names[g]; ok {
			return n
		}
		pods := d.Groups[g].Pods
		n := render.GroupName(after, pods)
		names[g] = n
		ids := make([]string, len(pods))
		for i, p := range pods {
			ids[i] = after.Pods[p].ID()
		}
		rep.Groups = append(rep.Groups, diffGroup{Name: n, Namespace: after.Pods[pods[0]].Namespace, Pods: ids})
		return n
	}
	for _, c := range d.Changes {
		was, now := d.Verdicts(c)
		change := "closed"
		if c.Opened {
			change = "opened"
		}
		p := d.Ports[c.Port]
		rep.Changes = append(rep.Changes, diffChange{Change: change, From: name(c.From), To: name(c.To), Port: p.Port, Protocol: string(p.Protocol),
			Connections: c.Pairs, Before: side(was, lg), After: side(now, lg)})
	}
	slices.SortStableFunc(rep.Changes, func(a, b diffChange) int {
		if a.Port != b.Port {
			return int(a.Port - b.Port)
		}
		if a.Protocol != b.Protocol {
			return strings.Compare(a.Protocol, b.Protocol)
		}
		if a.From != b.From {
			return strings.Compare(a.From, b.From)
		}
		return strings.Compare(a.To, b.To)
	})
	slices.SortFunc(rep.Groups, func(a, b diffGroup) int { return strings.Compare(a.Name, b.Name) })
	rep.Summary.Opened, rep.Summary.Closed = d.Counts()
	rep.Summary.PodsAdded, rep.Summary.PodsRemoved = len(d.Added), len(d.Removed)
	rep.Summary.ObjectsChanged = len(d.Objects)
	return rep
}

func side(v policy.Verdict, lg lang.Lang) diffSide {
	v.Egress, v.Ingress = v.Egress.In(lg), v.Ingress.In(lg)
	return diffSide{Allowed: v.Allowed, Reasons: append(slices.Clone(v.Egress.Reasons), v.Ingress.Reasons...), verdict: v, word: verdictIn(lg, v.Allowed)}
}

// deciding are the reasons that decide a side's verdict, for people: for an allowed connection,
// the rules that admit it at the ends that are isolated (else: that neither end is); for a
// blocked one, the ends that block it. -o json|yaml carry every reason.
func (s diffSide) deciding() string {
	var r []string
	for _, end := range []policy.Side{s.verdict.Egress, s.verdict.Ingress} {
		if s.Allowed && end.Isolated || !s.Allowed && !end.Allowed {
			r = append(r, end.Reasons...)
		}
	}
	if len(r) == 0 {
		r = s.Reasons
	}
	return s.word + ": " + strings.Join(r, "; ")
}

// printDiff prints the report as kubectl diff would: '+' opened, '-' closed, a section per port;
// its words in lg (the markers, names and reasons stay as they are).
func printDiff(out io.Writer, rep diffReport, color bool, lg lang.Lang) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	before, after := lang.T(lg, "diff.before"), lang.T(lg, "diff.after")
	fmt.Fprintln(out, paint("1", "--- "+before+" "+rep.Before))
	fmt.Fprintln(out, paint("1", "+++ "+render.PadRight(after, render.DisplayWidth(before))+" "+rep.After))
	if len(rep.Objects) > 0 {
		fmt.Fprintln(out, lang.T(lg, "diff.inputs"))
		for _, ch := range rep.Objects {
			mark, code, note := "~", "33", ""
			switch ch.Change {
			case "added":
				mark, code = "+", "32"
			case "removed":
				mark, code = "-", "31"
			}
			if ch.Kind == "Pod" && ch.Change != "changed" {
				note = " " + lang.T(lg, "diff.one-side")
			}
			if ch.Detail != "" {
				note = " (" + ch.Detail + ")"
			}
			fmt.Fprintln(out, paint(code, fmt.Sprintf("  %s %s %s%s", mark, ch.Kind, ch.Name, note)))
		}
	}
	for _, h := range hunks(rep.Changes) {
		fmt.Fprintln(out, paint("36", "@@ "+strings.Join(h.ports, ", ")+" @@"))
		for _, l := range h.lines {
			code := "31"
			if l.mark == "+" {
				code = "32"
			}
			count := ""
			if l.connections > 1 {
				count = " " + lang.T(lg, "diff.connections", l.connections)
			}
			if l.againstGoal {
				count += "   " + lang.T(lg, "diff.goal-wants", verdictIn(lg, l.mark == "-"))
			}
			fmt.Fprintln(out, paint(code, fmt.Sprintf("%s %s -> %s%s", l.mark, l.from, l.to, count)))
			fmt.Fprintln(out, paint(code, fmt.Sprintf("%s     %s %s", l.mark, before, l.before)))
			fmt.Fprintln(out, paint(code, fmt.Sprintf("%s     %s %s", l.mark, render.PadRight(after, render.DisplayWidth(before)), l.after)))
		}
	}
	if len(rep.Objects) > 0 || len(rep.Changes) > 0 {
		fmt.Fprintln(out)
	} else {
		fmt.Fprintln(out, lang.T(lg, "diff.none"))
	}
	s := rep.Summary
	fmt.Fprintln(out, lang.T(lg, "diff.summary", s.Opened, s.Closed, s.PodsAdded, s.PodsRemoved, s.ObjectsChanged))
}

// diffHunk is what printDiff shows under one "@@ PORTS @@" header.
type diffHunk struct {
	ports []string
	lines []*diffLine
}

// diffLine is one change on every port of its hunk: the same groups, the same reasons.
type diffLine struct {
	mark, from, to, before, after string
	connections                   int
	ports                         []string
	againstGoal                   bool
}

// hunks puts the changes that differ only in their port on one line, and the lines with the
// same ports under one header: a default deny closes the same pairs on every port, for the same
// reasons, and reads better once. With one port, it is a section per port.
func hunks(changes []diffChange) []*diffHunk {
	var lines []*diffLine
	byKey := map[string]*diffLine{}
	for _, c := range changes {
		mark := "-"
		if c.Change == "opened" {
			mark = "+"
		}
		l := &diffLine{mark: mark, from: c.From, to: c.To, before: c.Before.deciding(), after: c.After.deciding(), againstGoal: c.AgainstGoal}
		key := strings.Join([]string{l.mark, l.from, l.to, l.before, l.after, strconv.FormatBool(l.againstGoal)}, "\x00")
		if seen, ok := byKey[key]; ok {
			l = seen
		} else {
			byKey[key] = l
			lines = append(lines, l)
		}
		l.ports = append(l.ports, fmt.Sprintf("%d/%s", c.Port, c.Protocol))
		l.connections += c.Connections
	}
	var out []*diffHunk
	byPorts := map[string]*diffHunk{}
	for _, l := range lines {
		key := strings.Join(l.ports, ",")
		h, ok := byPorts[key]
		if !ok {
			h = &diffHunk{ports: l.ports}
			byPorts[key] = h
			out = append(out, h)
		}
		h.lines = append(h.lines, l)
	}
	return out
}
