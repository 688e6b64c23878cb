package render

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// How much a page draws before it draws less: past these, the graph shows namespaces instead
// of classes, the truth table counts by namespace, and the page says what it left out.
const (
	maxGraphNodes   = 40  // classes (or pods) drawn one by one
	maxBlockedEdges = 400 // blocked arrows, drawn on demand
	maxMatrixSide   = 60  // rows or columns of a truth table
	maxListedPods   = 30  // pods named in a node's details
)

// Truth is what AddTruth drew: which graph node stands for which pod, for pages that add to
// the picture (lab check marks its goal's rows on it).
type Truth struct {
	// NodeOf maps a pod (an index into the snapshot) to its node; nil when the graph is by
	// namespace or not drawn.
	NodeOf map[int]int
	// EdgeOf maps a pair of nodes to its allowed arrow.
	EdgeOf map[[2]int]int
}

// AddTruth puts m's verdicts between the row and column groups on p: a graph of the allowed
// connections (blocked ones on demand) with the reasons behind every arrow and cell, and one
// truth table per port. When there are too many groups to read, both are drawn by namespace,
// with counts, and p.LeftOut says so and how to zoom in. The caller lays the graph out
// (p.Graph.Layout) once it has added what it adds.
func AddTruth(p *Page, s *policy.Snapshot, m *policy.Matrix, rows, cols []Group) *Truth {
	for _, port := range m.Ports {
		p.Ports = append(p.Ports, port.String())
	}
	all, rowNode, colNode := nodes(rows, cols)
	truth := &Truth{}
	if len(all) <= maxGraphNodes {
		truth = p.classGraph(s, m, rows, cols, all, rowNode, colNode)
	}
	summary := Summarize(m, podsOf(rows), podsOf(cols))
	if len(all) > maxGraphNodes {
		if len(summary.Namespaces) <= maxGraphNodes {
			p.namespaceGraph(summary)
			p.LeftOut = append(p.LeftOut, p.T("page.left.groups", len(all), maxGraphNodes))
		} else {
			p.LeftOut = append(p.LeftOut, p.T("page.left.no-graph-zoom", len(summary.Namespaces), maxGraphNodes))
		}
	}
	switch {
	case len(rows) <= maxMatrixSide && len(cols) <= maxMatrixSide:
		p.classMatrices(m, rows, cols, truth)
	case len(summary.Namespaces) <= maxMatrixSide:
		p.namespaceMatrices(summary)
		p.LeftOut = append(p.LeftOut, p.T("page.left.counted", len(rows), len(cols), maxMatrixSide))
	default:
		p.LeftOut = append(p.LeftOut, p.T("page.left.no-table", len(summary.Namespaces), maxMatrixSide))
	}
	return truth
}

// DropPort takes port off the allowed arrow between two nodes, for a page that draws that
// port's connection another way (lab check's wrong rows).
func (t *Truth) DropPort(g *Graph, from, to int, port string) {
	i, ok := t.EdgeOf[[2]int{from, to}]
	if !ok {
		return
	}
	e := &g.Edges[i]
	e.Ports = slices.DeleteFunc(e.Ports, func(p string) bool { return p == port })
	e.Label = strings.Join(e.Ports, ", ") // an arrow left with no port is not drawn
}

func podsOf(groups []Group) []int {
	var pods []int
	for _, g := range groups {
		pods = append(pods, g.Pods...)
	}
	return pods
}

// classGraph draws a node per group and an arrow per pair of groups with an allowed port, and
// another, hidden until asked for, with the blocked ones.
func (p *Page) classGraph(s *policy.Snapshot, m *policy.Matrix, rows, cols, all []Group, rowNode, colNode []int) *Truth {
	g := &Graph{}
	truth := &Truth{NodeOf: map[int]int{}, EdgeOf: map[[2]int]int{}}
	for i, grp := range all {
		g.Nodes = append(g.Nodes, GraphNode{Name: grp.Name, Namespace: grp.Namespace, Detail: p.AddDetail(p.groupDetail(s, m, grp))})
		for _, pod := range grp.Pods {
			truth.NodeOf[pod] = i
		}
	}
	var blocked []GraphEdge
	for ri := range rows {
		for ci := range cols {
			r, c := &rows[ri], &cols[ci]
			if len(r.Pods) == 1 && len(c.Pods) == 1 && m.Loopback(r.Pods[0], c.Pods[0]) {
				continue // a pod to itself: loopback, not a flow
			}
			var allowed, denied []string
			for pi, port := range m.Ports {
				if Allowed(m, pi, r, c) {
					allowed = append(allowed, port.String())
				} else {
					denied = append(denied, port.String())
				}
			}
			detail := p.pairDetail(m, r, c)
			from, to := rowNode[ri], colNode[ci]
			if len(allowed) > 0 {
				truth.EdgeOf[[2]int{from, to}] = len(g.Edges)
				g.Edges = append(g.Edges, GraphEdge{From: from, To: to, Kind: EdgeAllowed, Ports: allowed, Label: strings.Join(allowed, ", "), Detail: detail})
			}
			if len(denied) > 0 {
				blocked = append(blocked, GraphEdge{From: from, To: to, Kind: EdgeBlocked, Ports: denied, Label: strings.Join(denied, ", "), Detail: detail})
			}
		}
	}
	if len(blocked) <= maxBlockedEdges {
		g.Edges = append(g.Edges, blocked...)
	} else {
		p.LeftOut = append(p.LeftOut, p.T("page.left.blocked", len(blocked), maxBlockedEdges))
	}
	p.Graph = g
	return truth
}

// pairDetail is why the connections from r to c are what they are, port by port: the
// reasons of explain --why.
func (p *Page) pairDetail(m *policy.Matrix, r, c *Group) int {
	d := Detail{Title: r.Name + " → " + c.Name}
	for pi, port := range m.Ports {
		var v policy.Verdict
		if len(r.Pods) == 1 && len(c.Pods) == 1 {
			v = m.PodVerdict(pi, r.Pods[0], c.Pods[0])
		} else {
			v = m.Verdict(pi, r.Class, c.Class)
		}
		allowed := Allowed(m, pi, r, c)
		d.Sections = append(d.Sections, DetailSection{Head: port.String() + ": " + p.T("page.kind."+VerdictWord(allowed)), Class: VerdictWord(allowed), Lines: VerdictLines(v, lang.Lang(p.Lang))})
	}
	return p.AddDetail(d)
}

// VerdictLines are a verdict's reasons in l, each side's with its name.
func VerdictLines(v policy.Verdict, l lang.Lang) []string {
	var lines []string
	for _, r := range v.Egress.In(l).Reasons {
		lines = append(lines, "egress: "+r)
	}
	for _, r := range v.Ingress.In(l).Reasons {
		lines = append(lines, "ingress: "+r)
	}
	return lines
}

func VerdictWord(allowed bool) string {
	if allowed {
		return EdgeAllowed
	}
	return EdgeBlocked
}

// groupDetail is a node's details: its pods, their labels, and the policies that select them.
func (p *Page) groupDetail(s *policy.Snapshot, m *policy.Matrix, g Group) Detail {
	d := Detail{Title: g.Name}
	var pods []string
	for i, pod := range g.Pods {
		if i == maxListedPods {
			pods = append(pods, p.T("page.more", len(g.Pods)-maxListedPods))
			break
		}
		pods = append(pods, s.Pods[pod].ID())
	}
	d.Sections = append(d.Sections, DetailSection{Head: p.T("page.pods"), Lines: pods})
	first := s.Pods[g.Pods[0]]
	labelLines := []string{p.T("page.no-labels")}
	if len(first.Labels) > 0 {
		labelLines = []string{labels.Set(first.Labels).String()}
	}
	d.Sections = append(d.Sections, DetailSection{Head: p.T("page.labels"), Lines: labelLines})
	if len(m.Ports) > 0 {
		v := m.Verdict(0, g.Class, g.Class)
		d.Sections = append(d.Sections,
			DetailSection{Head: p.T("page.selected.ingress"), Lines: orNone(v.Ingress.Selecting, p.T("page.selected.ingress.none"))},
			DetailSection{Head: p.T("page.selected.egress"), Lines: orNone(v.Egress.Selecting, p.T("page.selected.egress.none"))})
	}
	return d
}

func orNone(list []string, none string) []string {
	if len(list) == 0 {
		return []string{none}
	}
	return list
}

// classMatrices are the truth tables, one per port, group by group.
func (p *Page) classMatrices(m *policy.Matrix, rows, cols []Group, truth *Truth) {
	names := Names(cols)
	details := map[[2]int]int{}
	for pi, port := range m.Ports {
		mx := Matrix{Port: port.String(), Caption: port.String(), Cols: names}
		for ri := range rows {
			row := MatrixRow{Name: rows[ri].Name}
			for ci := range cols {
				allowed := Allowed(m, pi, &rows[ri], &cols[ci])
				d, ok := details[[2]int{ri, ci}]
				if !ok {
					d = p.pairDetail(m, &rows[ri], &cols[ci])
					details[[2]int{ri, ci}] = d
				}
				text := Cell(allowed)
				if m.HasClusterTier() {
					if t := cellTier(m, pi, &rows[ri], &cols[ci]); t != "" {
						text += t
						p.TierMarks = true
					}
				}
				row.Cells = append(row.Cells, MatrixCell{Text: text, Class: VerdictWord(allowed), Detail: d})
			}
			mx.Rows = append(mx.Rows, row)
		}
		p.Matrices = append(p.Matrices, mx)
	}
}

// AddSummary puts the summary by namespace on p: a graph of namespaces and the counts.
func AddSummary(p *Page, s *Summary) {
	for _, port := range s.Ports {
		p.Ports = append(p.Ports, port.String())
	}
	if len(s.Namespaces) <= maxGraphNodes {
		p.namespaceGraph(s)
	} else {
		p.LeftOut = append(p.LeftOut, p.T("page.left.no-graph", len(s.Namespaces), maxGraphNodes))
	}
	if len(s.Namespaces) <= maxMatrixSide {
		p.namespaceMatrices(s)
	} else {
		p.LeftOut = append(p.LeftOut, p.T("page.left.no-table", len(s.Namespaces), maxMatrixSide))
	}
}

// namespaceGraph draws a node per namespace and an arrow per pair of namespaces with some pod
// pair allowed, labelled with the counts.
func (p *Page) namespaceGraph(s *Summary) {
	g := &Graph{}
	n := len(s.Namespaces)
	for _, ns := range s.Namespaces {
		g.Nodes = append(g.Nodes, GraphNode{Name: ns, Namespace: ns, Detail: -1})
	}
	for r := range n {
		for c := range n {
			k := r*n + c
			if s.pairs[k] == 0 {
				continue
			}
			var allowed, denied, lines []string
			for pi, port := range s.Ports {
				a := s.allowed[pi][k]
				lines = append(lines, p.T("page.pairs.allowed", port.String(), a, s.pairs[k]))
				if a > 0 {
					allowed = append(allowed, port.String())
				} else {
					denied = append(denied, port.String())
				}
			}
			detail := p.AddDetail(Detail{Title: s.Namespaces[r] + " → " + s.Namespaces[c], Sections: []DetailSection{{Head: p.T("page.pairs"), Lines: lines}}})
			if len(allowed) > 0 {
				g.Edges = append(g.Edges, GraphEdge{From: r, To: c, Kind: EdgeAllowed, Ports: allowed, Label: strings.Join(allowed, ", "), Detail: detail})
			}
			if len(denied) > 0 {
				g.Edges = append(g.Edges, GraphEdge{From: r, To: c, Kind: EdgeBlocked, Ports: denied, Label: strings.Join(denied, ", "), Detail: detail})
			}
		}
	}
	// A namespace's node is its own box; one box a namespace says nothing, so they share one.
	for i := range g.Nodes {
		g.Nodes[i].Namespace = p.T("page.namespaces")
	}
	p.Graph = g
}

// namespaceMatrices are the summary's tables: per port, for each pair of namespaces, the pod
// pairs allowed.
func (p *Page) namespaceMatrices(s *Summary) {
	n := len(s.Namespaces)
	for pi, port := range s.Ports {
		mx := Matrix{Port: port.String(), Caption: port.String() + " by namespace (allowed pod pairs)", Cols: s.Namespaces}
		for r := range n {
			row := MatrixRow{Name: s.Namespaces[r]}
			for c := range n {
				text := s.cell(pi, r*n+c)
				class := "partly"
				switch text {
				case ".":
					class = EdgeAllowed
				case "X":
					class = EdgeBlocked
				case "-":
					class = "none"
				}
				row.Cells = append(row.Cells, MatrixCell{Text: text, Class: class, Detail: -1})
			}
			mx.Rows = append(mx.Rows, row)
		}
		p.Matrices = append(p.Matrices, mx)
	}
}
