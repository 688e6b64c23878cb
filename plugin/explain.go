package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

var explainExample = templates.Examples(`
	# The truth table of the current namespace, for every port its pods declare
	kubectl netpol explain

	# All namespaces, port 80 over TCP and 53 over UDP
	kubectl netpol explain -A --port 80 --port 53/UDP

	# Policy files before they are applied (files and folders, YAML or JSON)
	kubectl netpol explain -f manifests/ -f policies.yaml

	# Only the connections from the web namespace to pods labelled app=db
	kubectl netpol explain -A --from web --to app=db

	# A large cluster at a glance: one row and column per namespace
	kubectl netpol explain -A --by namespace

	# Why is this connection allowed or blocked? Every policy and rule, one by one
	kubectl netpol explain --why web/frontend db/postgres --port 5432

	# The allowed flows as a picture
	kubectl netpol explain -A -o dot | dot -Tsvg > flows.svg

	# One page to open in a browser: the graph, the truth tables, the reasons on a click
	kubectl netpol explain -A -o html > flows.html`)

// summaryWidth is how wide a table may be, when stdout is not a terminal, before explain's
// default becomes the summary by namespace; on a terminal, its width decides.
const summaryWidth = 200

// ExplainOptions is `kubectl netpol explain`: what the policies say, as a truth table.
type ExplainOptions struct {
	genericiooptions.IOStreams
	selection

	Why     bool
	By      string
	NoGroup bool
	Output  string
	Lang    lang.Lang

	lang    langFlag
	whyArgs []string
	// width is how many columns the reader sees (a terminal's width, else summaryWidth).
	width func() int
}

func newExplainCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &ExplainOptions{IOStreams: streams, selection: selection{cluster: cluster}, width: outputWidth(streams.Out)}
	cmd := &cobra.Command{
		Use:   "explain [--why FROM TO]",
		Short: "Show which connections the NetworkPolicies allow, and why",
		Long: templates.LongDesc(`
			Show which connections the NetworkPolicies allow, as a truth table: rows are
			the source pods, columns the destinations, '.' allowed and 'X' blocked.

			The answer comes from the policies alone, evaluated offline by the
			Kubernetes rules (not by any CNI): use 'kubectl netpol probe' to see what the
			network really does. Pods with the same labels in one namespace behave the
			same and are shown as one row with a count (--by class, the default); --by pod
			shows every pod; --by namespace counts, for each pair of namespaces, the pod
			pairs allowed. When the table would be wider than the terminal (200 columns
			when the output is not a terminal), the default is the summary by namespace.
			-o json and yaml give one result per pod pair (the documented contract) unless
			--by class or --by namespace asks for a grouped form.

			--from and --to take a pod (NAMESPACE/POD), a namespace (NAMESPACE) or a
			label selector on pods (app=web, 'tier in (web,api)'); repeat them to add more.
			With --why FROM TO, each side's policies and rules are walked through for
			one connection; FROM or TO may also be an IP address outside the cluster.`),
		Example: explainExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.Why && len(args) != 2 {
				return usageErrorf("--why takes two arguments, FROM and TO, e.g. --why web/frontend db/postgres")
			}
			if !o.Why && len(args) > 0 {
				return usageErrorf("explain takes no arguments (did you mean --why %s?)", strings.Join(args, " "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.whyArgs = args
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(cmd.Context()); err != nil {
				return err
			}
			return o.Run()
		},
	}
	o.files.add(cmd, "to read instead of the cluster")
	o.selection.addFlags(cmd, "evaluate")
	cmd.Flags().BoolVar(&o.Why, "why", false, "Walk through one connection: explain --why FROM TO [--port P]")
	cmd.Flags().StringVar(&o.By, "by", "", "Rows and columns by pod, class (pods with the same labels once) or namespace (counts); default: class, or namespace when the table would not fit; pod for -o json|yaml")
	_ = cmd.RegisterFlagCompletionFunc("by", cobra.FixedCompletions([]string{"pod", "class", "namespace"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().BoolVar(&o.NoGroup, "no-group", false, "One row per pod (--by pod)")
	_ = cmd.Flags().MarkDeprecated("no-group", "use --by pod")
	explainFormats.add(cmd, &o.Output)
	o.lang.add(cmd)
	return cmd
}

// outputWidth is the width of out when it is a terminal, else summaryWidth.
func outputWidth(out io.Writer) func() int {
	return func() int {
		if f, ok := out.(*os.File); ok {
			if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
				return w
			}
		}
		return summaryWidth
	}
}

// Validate checks the flags without touching files or the cluster.
func (o *ExplainOptions) Validate() (err error) {
	if o.Lang, err = o.lang.resolve(); err != nil {
		return err
	}
	formats := explainFormats
	if o.Why {
		formats = tableJSONYAML
	}
	if err := formats.validate(o.Output); err != nil {
		return err
	}
	switch {
	case o.NoGroup && o.By != "" && o.By != string(render.ByPod):
		return usageErrorf("--no-group means --by pod; drop one of them")
	case o.NoGroup:
		o.By = string(render.ByPod)
	case o.By != "" && !slices.Contains(render.Levels, render.Level(o.By)):
		return usageErrorf("--by %q: use pod, class or namespace", o.By)
	case o.By == string(render.ByNamespace) && (o.Output == outputDot || o.Output == outputMermaid):
		return usageErrorf("-o %s draws pods or classes; use --by class or --by pod with it", o.Output)
	case o.Why && o.By != "":
		return usageErrorf("--why walks through one connection; drop --by")
	}
	if err := o.selection.validate(); err != nil {
		return err
	}
	if o.Why && (len(o.From) > 0 || len(o.To) > 0) {
		return usageErrorf("--why names its two pods itself; drop --from and --to")
	}
	return nil
}

// Complete loads the snapshot: from the files, or from the cluster.
func (o *ExplainOptions) Complete(ctx context.Context) error {
	// --why NS/POD names its namespaces itself: they need not be the current one.
	named := o.Why && slices.ContainsFunc(o.whyArgs, func(a string) bool { return strings.Contains(a, "/") })
	return o.load(ctx, o.ErrOut, o.Output, named)
}

// Run evaluates and prints.
func (o *ExplainOptions) Run() error {
	ev, err := policy.New(o.snapshot)
	if err != nil {
		return fmt.Errorf("cannot evaluate: %w", err)
	}
	if o.Why {
		return o.runWhy(ev)
	}
	from, to, err := o.pods()
	if err != nil {
		return err
	}
	structured := o.Output == outputJSON || o.Output == outputYAML
	ports := o.ports
	if from == nil {
		fmt.Fprintf(o.ErrOut, "No pods found in %s.\n", o.scope)
		if !structured {
			return nil
		}
		// A program reading -o json|yaml gets its document, empty, as kubectl get -o json
		// prints an empty List: the pods, groups or namespaces and the results are [], the
		// ports those --port named.
	} else if ports, _, err = o.portsFor(to, "check"); err != nil {
		return err
	}
	m := ev.Matrix(ports)
	level := render.Level(o.By)
	switch {
	case level == render.ByNamespace && o.Output == outputHTML:
		page := o.page(lang.T(o.Lang, "page.explain.namespaces-note"))
		render.AddSummary(page, render.Summarize(m, from, to))
		return writePage(o.Out, page)
	case level == render.ByNamespace:
		return o.printSummary(render.Summarize(m, from, to))
	case structured && (level == "" || level == render.ByPod):
		// The documented contract: one result per pod pair, however many. --by pod asks for
		// nothing else: every pod is already its own row.
		if o.Output == outputYAML {
			return o.printYAML(&policy.Report{}, func(w io.Writer) error { return m.WriteJSON(w, from, to) })
		}
		return m.WriteJSON(o.Out, from, to)
	}
	if level == "" {
		level = render.ByClass
	}
	rows := render.Groups(o.snapshot, m, from, level)
	cols := render.Groups(o.snapshot, m, to, level)
	switch o.Output {
	case outputJSON:
		return render.WriteGroupJSON(o.Out, o.snapshot, m, rows, cols)
	case outputYAML:
		return o.printYAML(new(any), func(w io.Writer) error { return render.WriteGroupJSON(w, o.snapshot, m, rows, cols) })
	case outputDot:
		return render.Dot(o.Out, m, rows, cols)
	case outputMermaid:
		return render.Mermaid(o.Out, m, rows, cols)
	case outputHTML:
		note := lang.T(o.Lang, "page.explain.classes-note")
		if level == render.ByPod {
			note = lang.T(o.Lang, "page.explain.pods-note")
		}
		page := o.page(note)
		render.AddTruth(page, o.snapshot, m, rows, cols)
		return writePage(o.Out, page)
	}
	if o.By == "" && render.TableWidth(render.Names(rows), render.Names(cols), render.Width(1)) > o.width() {
		// Wider than anyone can read: the summary, which says how to zoom in.
		return o.printSummary(render.Summarize(m, from, to))
	}
	return render.TruthTables(o.Out, m, rows, cols, o.Lang)
}

// page starts explain's HTML page.
func (o *ExplainOptions) page(graphNote string) *render.Page {
	return &render.Page{
		Lang:      string(o.Lang.Or()),
		Title:     lang.T(o.Lang, "page.explain.title", o.sourceName()),
		Subtitle:  []string{lang.T(o.Lang, "page.explain.subtitle")},
		GraphNote: graphNote,
	}
}

func (o *ExplainOptions) printSummary(s *render.Summary) error {
	if s.Namespaces == nil {
		s.Namespaces = []string{} // no pods: "namespaces": [], not null
	}
	switch o.Output {
	case outputJSON:
		return s.WriteJSON(o.Out)
	case outputYAML:
		return o.printYAML(new(any), s.WriteJSON)
	}
	return s.Print(o.Out, o.width())
}

// printYAML prints what write gives as JSON, as YAML, read back into target (a struct keeps
// the JSON's field order). YAML cannot be streamed like the JSON, so it is built whole: fine
// for the sizes people read.
func (o *ExplainOptions) printYAML(target any, write func(io.Writer) error) error {
	var buf strings.Builder
	if err := write(&buf); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(buf.String()), target); err != nil {
		return err
	}
	return printStructured(o.Out, outputYAML, target)
}

// --- why

// whyReport is --why's structured output.
type whyReport struct {
	From    string      `json:"from"`
	To      string      `json:"to"`
	Port    int32       `json:"port"`
	Proto   string      `json:"protocol"`
	Allowed bool        `json:"allowed"`
	Egress  policy.Side `json:"egress"`
	Ingress policy.Side `json:"ingress"`
	// Causes: for a blocked connection, the rules that come closest to admitting it and what
	// differs; for an allowed one, what admits it. The same diagnosis as lab check's hints.
	Causes []policy.Cause `json:"causes,omitempty"`
	conn   policy.Connection
}

func (o *ExplainOptions) runWhy(ev *policy.Evaluator) error {
	from, err := o.endpoint(o.whyArgs[0])
	if err != nil {
		return err
	}
	to, err := o.endpoint(o.whyArgs[1])
	if err != nil {
		return err
	}
	ports := o.ports
	if len(ports) == 0 && to.Pod != nil {
		ports = declaredPorts(o.snapshot, []int{slices.IndexFunc(o.snapshot.Pods, func(p policy.Pod) bool { return p.ID() == to.Pod.ID() })})
	}
	if len(ports) == 0 {
		return usageErrorf("%s declares no container ports; say which to check, e.g. --port 80", to)
	}
	var reports []whyReport
	for _, pp := range ports {
		c := policy.Connection{From: from, To: to, Port: pp.Port, Protocol: pp.Protocol}
		v := ev.Evaluate(c)
		causes := ev.Diagnose(c, policy.Intent{Want: !v.Allowed})
		for i := range causes {
			causes[i] = causes[i].In(o.Lang)
		}
		reports = append(reports, whyReport{From: from.String(), To: to.String(), Port: pp.Port, Proto: string(pp.Protocol),
			Allowed: v.Allowed, Egress: v.Egress.In(o.Lang), Ingress: v.Ingress.In(o.Lang), conn: c, Causes: causes})
	}
	if o.Output != outputTable {
		return printStructured(o.Out, o.Output, reports)
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(o.Out)
		}
		printWalkthrough(o.Out, r, o.Lang)
	}
	return nil
}

// endpoint finds a pod by NAMESPACE/POD (or POD in the scope's namespace), or reads an IP address.
func (o *ExplainOptions) endpoint(arg string) (policy.Endpoint, error) {
	if ip, err := netip.ParseAddr(arg); err == nil {
		return policy.Endpoint{IP: ip}, nil
	}
	id := arg
	if !strings.Contains(arg, "/") && !o.scope.all {
		id = o.scope.namespace + "/" + arg
	}
	for i := range o.snapshot.Pods {
		if o.snapshot.Pods[i].ID() == id {
			return policy.Endpoint{Pod: &o.snapshot.Pods[i]}, nil
		}
	}
	return policy.Endpoint{}, fmt.Errorf("no pod %q in %s; name it NAMESPACE/POD (or give an IP address)", id, o.sourceName())
}

func (o *ExplainOptions) sourceName() string {
	if o.files.given() {
		return o.files.in(o.Lang)
	}
	return o.scope.in(o.Lang)
}

// printWalkthrough walks through one connection in l: each side's policies and rules, the
// verdict, and what would change it.
func printWalkthrough(out io.Writer, r whyReport, l lang.Lang) {
	upper := func(allowed bool) string { return strings.ToUpper(verdictIn(l, allowed)) }
	fmt.Fprintln(out, lang.T(l, "why.header", r.From, r.To, r.Port, r.Proto, upper(r.Allowed)))
	side := func(self string, s policy.Side, egress bool) {
		dir := "ingress"
		if egress {
			dir = "egress"
		}
		fmt.Fprintf(out, "\n%s\n", lang.T(l, "why.side."+dir, self))
		if r.conn.From.Pod == nil && egress || r.conn.To.Pod == nil && !egress {
			fmt.Fprintf(out, "  %s\n", lang.T(l, "why.outside", self))
			return
		}
		other := r.To
		if !egress {
			other = r.From
		}
		// The cluster tier's rules come first (Admin) and last (Baseline), around the
		// NetworkPolicies, in the order they are walked.
		printClusterRules(out, l, s, policy.TierAdmin, other, r.Port, r.Proto)
		selecting := s.Selecting
		switch {
		case s.Tier == policy.TierAdmin && s.Cluster != nil:
			// Decided before any NetworkPolicy: they are not reached.
			if len(selecting) > 0 {
				fmt.Fprintf(out, "  %s\n", lang.T(l, "why.np-not-reached", strings.Join(selecting, ", ")))
			}
			selecting = nil
		case !s.Isolated && s.ClusterDetail == nil:
			fmt.Fprintf(out, "  %s\n", lang.T(l, "why.not-isolated."+dir, self, verdictIn(l, true)))
			return
		case !s.Isolated:
			fmt.Fprintf(out, "  %s\n", lang.T(l, "why.no-networkpolicy."+dir, self))
		}
		for _, name := range selecting {
			var rules []policy.RuleCheck
			for _, rc := range s.Rules {
				if rc.Policy == name {
					rules = append(rules, rc)
				}
			}
			if len(rules) == 0 {
				fmt.Fprintf(out, "  %s\n", lang.T(l, "why.selects.no-rules."+dir, name, self))
				continue
			}
			fmt.Fprintf(out, "  %s\n", lang.T(l, "why.selects", name, self))
			for _, rc := range rules {
				fmt.Fprintf(out, "    %s\n", lang.T(l, "why.rule."+dir, rc.Index, rc.Peers, rc.Ports))
				fmt.Fprintf(out, "      %s\n", lang.T(l, "why.rule.check", other,
					matchMsg(rc.PeerMatch, "why.matches", "why.not-matches"), r.Port, r.Proto,
					matchMsg(rc.PortMatch, "why.admitted", "why.not-admitted"), matchMsg(rc.PeerMatch && rc.PortMatch, "why.allows", "why.no")))
			}
		}
		printClusterRules(out, l, s, policy.TierBaseline, other, r.Port, r.Proto)
		fmt.Fprintf(out, "  %s\n", lang.T(l, "why.side.verdict."+dir, strings.Join(s.Reasons, lang.T(l, "join.semi"))))
	}
	side(r.From, r.Egress, true)
	side(r.To, r.Ingress, false)
	if r.conn.Loopback() {
		// The causes say the same (loopback); -o yaml and json carry them.
		fmt.Fprintf(out, "\n%s\n", lang.T(l, "why.verdict.loopback", upper(r.Allowed)))
		return
	}
	fmt.Fprintf(out, "\n%s\n", lang.T(l, "why.verdict", upper(r.Allowed), verdictIn(l, r.Egress.Allowed), verdictIn(l, r.Ingress.Allowed)))
	if len(r.Causes) == 0 {
		return
	}
	title := "why.to-allow"
	if r.Allowed {
		title = "why.to-block"
	}
	fmt.Fprintf(out, "\n%s\n", lang.T(l, title))
	for i, c := range r.Causes {
		if i == 3 {
			fmt.Fprintf(out, "  %s\n", lang.T(l, "why.more", len(r.Causes)-3))
			break
		}
		fmt.Fprintf(out, "  - %s\n", c.Message)
		printIndented(out, "    "+lang.T(l, "why.fix"), c.Fix)
	}
}

// printClusterRules walks through the rules of one cluster tier that apply to a side: each rule,
// what it matches, and whether it decided, was not reached, or did not match.
func printClusterRules(out io.Writer, l lang.Lang, s policy.Side, tier policy.Tier, other string, port int32, proto string) {
	if s.ClusterDetail == nil {
		return
	}
	for _, rc := range s.ClusterDetail.Rules {
		if rc.Tier != tier {
			continue
		}
		fmt.Fprintf(out, "  %s\n", lang.T(l, "why.cluster.rule", rc.ClusterRuleRef.Says(), string(rc.Action), rc.Peers, rc.Ports))
		var result lang.Msg
		switch {
		case rc.Walk == "decided":
			result = lang.M("why.cluster.decided", string(rc.Action))
		case rc.Walk == "not reached":
			result = lang.M("why.cluster.not-reached")
		case rc.PeerUnknown:
			result = lang.M("why.cluster.unknown")
		default:
			result = lang.M("why.no")
		}
		fmt.Fprintf(out, "      %s\n", lang.T(l, "why.rule.check", other,
			matchMsg(rc.PeerMatch, "why.matches", "why.not-matches"), port, proto,
			matchMsg(rc.PortMatch, "why.admitted", "why.not-admitted"), result))
	}
}

// matchMsg is message yes or no, as ok says.
func matchMsg(ok bool, yes, no string) lang.Msg {
	if ok {
		return lang.M(yes)
	}
	return lang.M(no)
}
