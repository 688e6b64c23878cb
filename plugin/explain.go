package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

const (
	outputDot     = "dot"
	outputMermaid = "mermaid"
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

	# Why is this connection allowed or blocked? Every policy and rule, one by one
	kubectl netpol explain --why web/frontend db/postgres --port 5432

	# The allowed flows as a picture
	kubectl netpol explain -A -o dot | dot -Tsvg > flows.svg`)

// ExplainOptions is `kubectl netpol explain`: what the policies say, as a truth table.
type ExplainOptions struct {
	genericiooptions.IOStreams
	cluster *clusterAccess

	files         fileFlags
	AllNamespaces bool
	Ports         []string
	From, To      []string
	Why           bool
	NoGroup       bool
	Output        string

	whyArgs  []string
	ports    []policy.PortProtocol
	scope    scope
	snapshot *policy.Snapshot
	from, to podFilter
}

func newExplainCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &ExplainOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:   "explain [--why FROM TO]",
		Short: "Show which connections the NetworkPolicies allow, and why",
		Long: templates.LongDesc(`
			Show which connections the NetworkPolicies allow, as a truth table: rows are
			the source pods, columns the destinations, '.' allowed and 'X' blocked.

			The answer comes from the policies alone, evaluated offline by the
			Kubernetes rules (not by any CNI): use 'kubectl netpol probe' to see what the
			network really does. Pods with the same labels in one namespace behave the
			same and are shown as one row with a count, unless --no-group.

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
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Every namespace, not only the current one")
	cmd.Flags().StringArrayVar(&o.Ports, "port", nil, "Port to evaluate, e.g. 80 or 53/UDP (repeatable; default: the ports the destination pods declare)")
	cmd.Flags().StringArrayVar(&o.From, "from", nil, "Only these source pods: NAMESPACE/POD, NAMESPACE or a label selector (repeatable)")
	cmd.Flags().StringArrayVar(&o.To, "to", nil, "Only these destination pods, as --from (repeatable)")
	cmd.Flags().BoolVar(&o.Why, "why", false, "Walk through one connection: explain --why FROM TO [--port P]")
	cmd.Flags().BoolVar(&o.NoGroup, "no-group", false, "One row per pod, even for pods with the same labels")
	addOutputFlag(cmd, &o.Output, outputTable, outputJSON, outputYAML, outputDot, outputMermaid)
	return cmd
}

// Validate checks the flags without touching files or the cluster.
func (o *ExplainOptions) Validate() error {
	formats := []string{outputTable, outputJSON, outputYAML, outputDot, outputMermaid}
	if o.Why {
		formats = []string{outputTable, outputJSON, outputYAML}
	}
	if err := validateOutput(o.Output, formats...); err != nil {
		return err
	}
	for _, p := range o.Ports {
		pp, err := policy.ParsePortProtocol(p)
		if err != nil {
			return usageErrorf("--port: %v", err)
		}
		if !slices.Contains(o.ports, pp) {
			o.ports = append(o.ports, pp)
		}
	}
	var err error
	if o.from, err = parsePodFilters("--from", o.From); err != nil {
		return err
	}
	if o.to, err = parsePodFilters("--to", o.To); err != nil {
		return err
	}
	if o.Why && (len(o.From) > 0 || len(o.To) > 0) {
		return usageErrorf("--why names its two pods itself; drop --from and --to")
	}
	return nil
}

// Complete loads the snapshot: from the files, or from the cluster.
func (o *ExplainOptions) Complete(ctx context.Context) error {
	if o.files.given() {
		objs, err := o.files.read(o.cluster, o.ErrOut)
		if err != nil {
			return err
		}
		if o.snapshot, err = snapshotOf(objs, o.ErrOut); err != nil {
			return err
		}
		// Files are their own scope: every namespace in them, unless -n names one.
		if ns := ptrValue(o.cluster.flags.Namespace); ns != "" && !o.AllNamespaces {
			o.scope = scope{namespace: ns}
		} else {
			o.scope = scope{all: true}
		}
		return nil
	}
	var err error
	// --why NS/POD names its namespaces itself: they need not be the current one.
	named := o.Why && slices.ContainsFunc(o.whyArgs, func(a string) bool { return strings.Contains(a, "/") })
	if o.scope, err = o.cluster.resolveScope(o.AllNamespaces || named); err != nil {
		return err
	}
	c, err := o.cluster.Connect()
	if err != nil {
		return err
	}
	p := newProgress(o.ErrOut, o.Output)
	p.Update("reading pods and policies in " + o.scope.String())
	defer p.Stop()
	o.snapshot, err = liveSnapshot(ctx, c.Client, o.scope, o.ErrOut)
	return err
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
	var inScope []int
	for i := range o.snapshot.Pods {
		if o.scope.all || o.snapshot.Pods[i].Namespace == o.scope.namespace {
			inScope = append(inScope, i)
		}
	}
	if len(inScope) == 0 {
		fmt.Fprintf(o.ErrOut, "No pods found in %s.\n", o.scope)
		return nil
	}
	from := o.from.apply(o.snapshot, inScope)
	to := o.to.apply(o.snapshot, inScope)
	if len(from) == 0 || len(to) == 0 {
		return fmt.Errorf("no pod in %s matches --from %s --to %s", o.scope, orAll(o.From), orAll(o.To))
	}
	ports := o.ports
	if len(ports) == 0 {
		ports = declaredPorts(o.snapshot, to)
		if len(ports) == 0 {
			return usageErrorf("the destination pods declare no container ports; name the ports to check, e.g. --port 80 --port 53/UDP")
		}
	}
	m := ev.Matrix(ports)
	switch o.Output {
	case outputJSON:
		return m.WriteJSON(o.Out, from, to)
	case outputYAML:
		return o.printYAML(m, from, to)
	}
	rows := groupPods(o.snapshot, m, from, !o.NoGroup)
	cols := groupPods(o.snapshot, m, to, !o.NoGroup)
	switch o.Output {
	case outputDot:
		return printDot(o.Out, m, rows, cols)
	case outputMermaid:
		return printMermaid(o.Out, m, rows, cols)
	}
	return printTruthTables(o.Out, m, rows, cols)
}

func orAll(filters []string) string {
	if len(filters) == 0 {
		return "(all)"
	}
	return strings.Join(filters, ",")
}

// declaredPorts are the ports the pods declare, in order.
func declaredPorts(s *policy.Snapshot, pods []int) []policy.PortProtocol {
	var out []policy.PortProtocol
	for _, i := range pods {
		for _, p := range s.Pods[i].Ports {
			pp := policy.PortProtocol{Port: p.Port, Protocol: p.Protocol}
			if pp.Protocol == "" {
				pp.Protocol = "TCP"
			}
			if !slices.Contains(out, pp) {
				out = append(out, pp)
			}
		}
	}
	slices.SortFunc(out, func(a, b policy.PortProtocol) int {
		if a.Port != b.Port {
			return int(a.Port - b.Port)
		}
		return strings.Compare(string(a.Protocol), string(b.Protocol))
	})
	return out
}

func (o *ExplainOptions) printYAML(m *policy.Matrix, from, to []int) error {
	// YAML cannot be streamed like the JSON, so it is built whole: fine for the sizes people read.
	var buf strings.Builder
	if err := m.WriteJSON(&buf, from, to); err != nil {
		return err
	}
	var r policy.Report
	if err := json.Unmarshal([]byte(buf.String()), &r); err != nil {
		return err
	}
	return printStructured(o.Out, outputYAML, r)
}

// --- filters

// podFilter selects pods by NAMESPACE/POD, NAMESPACE or label selector; empty selects all.
type podFilter []func(p *policy.Pod) bool

func parsePodFilters(flag string, values []string) (podFilter, error) {
	var f podFilter
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			return nil, usageErrorf("%s: empty value", flag)
		case strings.ContainsAny(v, "=!(),") || strings.Contains(v, " in ") || strings.Contains(v, " notin "):
			sel, err := labels.Parse(v)
			if err != nil {
				return nil, usageErrorf("%s %q: not a label selector: %v", flag, v, err)
			}
			f = append(f, func(p *policy.Pod) bool { return sel.Matches(labels.Set(p.Labels)) })
		case strings.Contains(v, "/"):
			f = append(f, func(p *policy.Pod) bool { return p.ID() == v })
		default:
			f = append(f, func(p *policy.Pod) bool { return p.Namespace == v })
		}
	}
	return f, nil
}

func (f podFilter) apply(s *policy.Snapshot, pods []int) []int {
	if len(f) == 0 {
		return pods
	}
	var out []int
	for _, i := range pods {
		for _, match := range f {
			if match(&s.Pods[i]) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// --- groups

// podGroup is one row or column: pods of one class (same namespace and labels, behaving the
// same), or a single pod.
type podGroup struct {
	Name      string
	Namespace string
	Pods      []int
	class     int
}

// groupPods puts pods of one class in one group when grouping; otherwise one group per pod.
func groupPods(s *policy.Snapshot, m *policy.Matrix, pods []int, group bool) []podGroup {
	var groups []podGroup
	byClass := map[int]int{}
	for _, i := range pods {
		c := m.Class(i)
		if g, ok := byClass[c]; ok && group {
			groups[g].Pods = append(groups[g].Pods, i)
			continue
		}
		byClass[c] = len(groups)
		groups = append(groups, podGroup{Namespace: s.Pods[i].Namespace, Pods: []int{i}, class: c})
	}
	for gi := range groups {
		g := &groups[gi]
		if len(g.Pods) == 1 {
			g.Name = s.Pods[g.Pods[0]].ID()
			continue
		}
		names := make([]string, len(g.Pods))
		for i, p := range g.Pods {
			names[i] = s.Pods[p].Name
		}
		g.Name = fmt.Sprintf("%s/%s (%d pods)", g.Namespace, commonName(names, s.Pods[g.Pods[0]].Labels), len(g.Pods))
	}
	sort.SliceStable(groups, func(a, b int) bool { return groups[a].Name < groups[b].Name })
	return groups
}

// commonName names pods of one group: their common name prefix up to a dash (web-7d9f-abc and
// web-7d9f-xyz are "web-7d9f-*"), or else their labels.
func commonName(names []string, podLabels map[string]string) string {
	prefix := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	if i := strings.LastIndexAny(prefix, "-."); i > 0 {
		return prefix[:i+1] + "*"
	}
	return "[" + labels.Set(podLabels).String() + "]"
}

// --- table

func printTruthTables(out io.Writer, m *policy.Matrix, rows, cols []podGroup) error {
	grouped := false
	for _, g := range append(slices.Clone(rows), cols...) {
		grouped = grouped || len(g.Pods) > 1
	}
	selfBlocked := false // a group to itself shows X, though each of its pods reaches itself
	for pi, port := range m.Ports {
		if pi > 0 {
			fmt.Fprintln(out)
		}
		rowNames, colNames := groupNames(rows), groupNames(cols)
		if err := printMatrix(out, port.String()+":", rowNames, colNames, func(r, c int) string {
			allowed := groupAllowed(m, pi, rows[r], cols[c])
			if !allowed && len(rows[r].Pods)+len(cols[c].Pods) > 2 && sharesLoopback(m, rows[r], cols[c]) {
				selfBlocked = true
			}
			return cell(allowed)
		}); err != nil {
			return err
		}
	}
	legend := "\n. allowed   X blocked"
	if grouped {
		legend += "   (N pods): pods with the same labels, shown once; --no-group shows each"
	}
	if selfBlocked {
		legend += "\nX from a group to itself: its pods to one another; each pod can always reach itself (loopback)"
	}
	_, err := fmt.Fprintln(out, legend)
	return err
}

// groupAllowed is the cell of a row group and a column group. A pod to itself is loopback,
// always allowed; groups of several pods show the verdict between different pods of them,
// which all their pairs share but the pods to themselves.
func groupAllowed(m *policy.Matrix, port int, r, c podGroup) bool {
	if len(r.Pods) == 1 && len(c.Pods) == 1 {
		return m.Allowed(port, r.Pods[0], c.Pods[0])
	}
	return m.ClassAllowed(port, r.class, c.class)
}

// sharesLoopback reports whether some pod of both groups is loopback to itself.
func sharesLoopback(m *policy.Matrix, r, c podGroup) bool {
	if r.class != c.class {
		return false
	}
	for _, p := range r.Pods {
		if m.Loopback(p, p) && slices.Contains(c.Pods, p) {
			return true
		}
	}
	return false
}

func groupNames(groups []podGroup) []string {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	return names
}

// printMatrix prints a truth table under a title: rows from, columns to, cellAt's text in each.
func printMatrix(out io.Writer, title string, rows, cols []string, cellAt func(r, c int) string) error {
	fmt.Fprintln(out, title)
	w := newTable(out)
	fmt.Fprintln(w, "FROM \\ TO\t"+strings.Join(cols, "\t"))
	for r, name := range rows {
		line := []string{name}
		for c := range cols {
			line = append(line, cellAt(r, c))
		}
		fmt.Fprintln(w, strings.Join(line, "\t"))
	}
	return w.Flush()
}

func cell(allowed bool) string {
	if allowed {
		return "."
	}
	return "X"
}

// --- pictures

// flows are the allowed group pairs and, for each, the ports.
func flows(m *policy.Matrix, rows, cols []podGroup) (edges [][2]int, labelsOf map[[2]int]string) {
	labelsOf = map[[2]int]string{}
	for ri, r := range rows {
		for ci, c := range cols {
			if len(r.Pods) == 1 && len(c.Pods) == 1 && m.Loopback(r.Pods[0], c.Pods[0]) {
				// A pod to itself: loopback, allowed always, not a flow between pods. (A
				// stand-in to itself is its replicas to one another: a flow, as for a group.)
				continue
			}
			var ports []string
			for pi, p := range m.Ports {
				if m.ClassAllowed(pi, r.class, c.class) {
					ports = append(ports, p.String())
				}
			}
			if len(ports) > 0 {
				e := [2]int{ri, ci}
				edges = append(edges, e)
				labelsOf[e] = strings.Join(ports, ", ")
			}
		}
	}
	return edges, labelsOf
}

// nodes merges rows and columns into one list of groups (a group is often both).
func nodes(rows, cols []podGroup) (all []podGroup, rowNode, colNode []int) {
	index := map[string]int{}
	add := func(g podGroup) int {
		if i, ok := index[g.Name]; ok {
			return i
		}
		index[g.Name] = len(all)
		all = append(all, g)
		return len(all) - 1
	}
	for _, r := range rows {
		rowNode = append(rowNode, add(r))
	}
	for _, c := range cols {
		colNode = append(colNode, add(c))
	}
	return all, rowNode, colNode
}

func printDot(out io.Writer, m *policy.Matrix, rows, cols []podGroup) error {
	all, rowNode, colNode := nodes(rows, cols)
	var b strings.Builder
	b.WriteString("digraph netpol {\n  rankdir=LR;\n  node [shape=box];\n")
	for ns, members := range byNamespace(all) {
		fmt.Fprintf(&b, "  subgraph %q {\n    label=%q;\n", "cluster_"+ns, ns)
		for _, i := range members {
			fmt.Fprintf(&b, "    n%d [label=%q];\n", i, all[i].Name)
		}
		b.WriteString("  }\n")
	}
	edges, labelsOf := flows(m, rows, cols)
	for _, e := range edges {
		fmt.Fprintf(&b, "  n%d -> n%d [label=%q];\n", rowNode[e[0]], colNode[e[1]], labelsOf[e])
	}
	b.WriteString("}\n")
	_, err := io.WriteString(out, b.String())
	return err
}

func printMermaid(out io.Writer, m *policy.Matrix, rows, cols []podGroup) error {
	all, rowNode, colNode := nodes(rows, cols)
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for ns, members := range byNamespace(all) {
		fmt.Fprintf(&b, "  subgraph ns_%d[\"%s\"]\n", members[0], mermaidText(ns))
		for _, i := range members {
			fmt.Fprintf(&b, "    n%d[\"%s\"]\n", i, mermaidText(all[i].Name))
		}
		b.WriteString("  end\n")
	}
	edges, labelsOf := flows(m, rows, cols)
	for _, e := range edges {
		fmt.Fprintf(&b, "  n%d -->|\"%s\"| n%d\n", rowNode[e[0]], mermaidText(labelsOf[e]), colNode[e[1]])
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// mermaidText escapes what would end a quoted mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "|", "#124;").Replace(s)
}

// byNamespace lists node indices per namespace, namespaces in name order (an ordered map).
func byNamespace(all []podGroup) func(yield func(string, []int) bool) {
	return func(yield func(string, []int) bool) {
		members := map[string][]int{}
		var names []string
		for i, g := range all {
			if _, ok := members[g.Namespace]; !ok {
				names = append(names, g.Namespace)
			}
			members[g.Namespace] = append(members[g.Namespace], i)
		}
		sort.Strings(names)
		for _, ns := range names {
			if !yield(ns, members[ns]) {
				return
			}
		}
	}
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
		reports = append(reports, whyReport{From: from.String(), To: to.String(), Port: pp.Port, Proto: string(pp.Protocol),
			Allowed: v.Allowed, Egress: v.Egress, Ingress: v.Ingress, conn: c, Causes: ev.Diagnose(c, policy.Intent{Want: !v.Allowed})})
	}
	if o.Output != outputTable {
		return printStructured(o.Out, o.Output, reports)
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(o.Out)
		}
		printWalkthrough(o.Out, r)
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
		return o.files.String()
	}
	return o.scope.String()
}

func printWalkthrough(out io.Writer, r whyReport) {
	fmt.Fprintf(out, "%s -> %s on %d/%s: %s\n", r.From, r.To, r.Port, r.Proto, strings.ToUpper(verdictWord(r.Allowed)))
	side := func(title, self string, s policy.Side, egress bool) {
		fmt.Fprintf(out, "\n%s of %s:\n", title, self)
		if r.conn.From.Pod == nil && egress || r.conn.To.Pod == nil && !egress {
			fmt.Fprintf(out, "  %s is outside the cluster; no policy applies to it.\n", self)
			return
		}
		if !s.Isolated {
			fmt.Fprintf(out, "  No policy selects %s for %s, so it is not isolated: %s\n", self, strings.ToLower(title), verdictWord(true))
			return
		}
		for _, name := range s.Selecting {
			fmt.Fprintf(out, "  %s selects %s", name, self)
			var rules []policy.RuleCheck
			for _, rc := range s.Rules {
				if rc.Policy == name {
					rules = append(rules, rc)
				}
			}
			if len(rules) == 0 {
				fmt.Fprintf(out, " and has no %s rules: it allows nothing by itself\n", strings.ToLower(title))
				continue
			}
			fmt.Fprintln(out)
			peerWord, other := "to", r.To
			if !egress {
				peerWord, other = "from", r.From
			}
			for _, rc := range rules {
				fmt.Fprintf(out, "    rule %d: %s %s; ports %s\n", rc.Index, peerWord, rc.Peers, rc.Ports)
				fmt.Fprintf(out, "      %s %s; %d/%s %s -> %s\n", other, matchWord(rc.PeerMatch, "matches", "does not match"),
					r.Port, r.Proto, matchWord(rc.PortMatch, "is admitted", "is not admitted"), matchWord(rc.PeerMatch && rc.PortMatch, "allows", "no"))
			}
		}
		fmt.Fprintf(out, "  %s: %s\n", title, strings.Join(s.Reasons, "; "))
	}
	side("Egress", r.From, r.Egress, true)
	side("Ingress", r.To, r.Ingress, false)
	if r.conn.Loopback() {
		// The causes say the same (loopback); -o yaml and json carry them.
		fmt.Fprintf(out, "\nVerdict: %s (a pod to itself: loopback, which no policy can block)\n", strings.ToUpper(verdictWord(r.Allowed)))
		return
	}
	fmt.Fprintf(out, "\nVerdict: %s (egress %s, ingress %s; both must allow)\n", strings.ToUpper(verdictWord(r.Allowed)), verdictWord(r.Egress.Allowed), verdictWord(r.Ingress.Allowed))
	if len(r.Causes) == 0 {
		return
	}
	title := "To allow it"
	if r.Allowed {
		title = "To block it"
	}
	fmt.Fprintf(out, "\n%s, most likely first:\n", title)
	for i, c := range r.Causes {
		if i == 3 {
			fmt.Fprintf(out, "  (%d more in -o yaml)\n", len(r.Causes)-3)
			break
		}
		fmt.Fprintf(out, "  - %s\n", c.Message)
		printIndented(out, "    fix: ", c.Fix)
	}
}

func verdictWord(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "blocked"
}

func matchWord(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}
