package render

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// flows are the allowed group pairs and, for each, the ports.
func flows(m *policy.Matrix, rows, cols []Group) (edges [][2]int, labelsOf map[[2]int]string) {
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
				if m.ClassAllowed(pi, r.Class, c.Class) {
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
func nodes(rows, cols []Group) (all []Group, rowNode, colNode []int) {
	index := map[string]int{}
	add := func(g Group) int {
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

// Dot draws the allowed flows for Graphviz, one cluster per namespace.
func Dot(out io.Writer, m *policy.Matrix, rows, cols []Group) error {
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

// Mermaid draws the allowed flows as a mermaid flowchart, one subgraph per namespace.
func Mermaid(out io.Writer, m *policy.Matrix, rows, cols []Group) error {
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
func byNamespace(all []Group) func(yield func(string, []int) bool) {
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
