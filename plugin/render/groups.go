// Package render draws what the evaluator decided: truth tables (streamed), a summary by
// namespace, pictures (dot, mermaid) and the grouped JSON forms. explain and probe share it.
package render

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Level is how finely a truth table is drawn.
type Level string

const (
	ByPod       Level = "pod"       // one row and column per pod
	ByClass     Level = "class"     // pods of one class (same namespace, labels, ports) once
	ByNamespace Level = "namespace" // one row and column per namespace, with counts
)

// Levels lists the levels in the order the --by flag names them.
var Levels = []Level{ByPod, ByClass, ByNamespace}

// Group is one row or column: pods of one class (same namespace and labels, behaving the same),
// or a single pod.
type Group struct {
	Name      string
	Namespace string
	Pods      []int // indices into the snapshot's pods
	Class     int
}

// Groups puts the pods of one class in one group, or, by pod, each pod in its own; in name order.
func Groups(s *policy.Snapshot, m *policy.Matrix, pods []int, level Level) []Group {
	var groups []Group
	byClass := map[int]int{}
	for _, i := range pods {
		c := m.Class(i)
		if g, ok := byClass[c]; ok && level != ByPod {
			groups[g].Pods = append(groups[g].Pods, i)
			continue
		}
		byClass[c] = len(groups)
		groups = append(groups, Group{Namespace: s.Pods[i].Namespace, Pods: []int{i}, Class: c})
	}
	for gi := range groups {
		groups[gi].Name = GroupName(s, groups[gi].Pods)
	}
	sort.SliceStable(groups, func(a, b int) bool { return groups[a].Name < groups[b].Name })
	return groups
}

// GroupName names pods of one namespace that behave alike: a pod by its NAMESPACE/NAME, several
// by their common name ("web/frontend-7d9f-* (3 pods)").
func GroupName(s *policy.Snapshot, pods []int) string {
	if len(pods) == 1 {
		return s.Pods[pods[0]].ID()
	}
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = s.Pods[p].Name
	}
	return fmt.Sprintf("%s/%s (%d pods)", s.Pods[pods[0]].Namespace, commonName(names, s.Pods[pods[0]].Labels), len(pods))
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

// Names are the groups' names, in order.
func Names(groups []Group) []string {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	return names
}

// Allowed is the cell of a row group and a column group. A pod to itself is loopback, always
// allowed; groups of several pods show the verdict between different pods of them, which all
// their pairs share but the pods to themselves.
func Allowed(m *policy.Matrix, port int, r, c *Group) bool {
	if len(r.Pods) == 1 && len(c.Pods) == 1 {
		return m.Allowed(port, r.Pods[0], c.Pods[0])
	}
	return m.ClassAllowed(port, r.Class, c.Class)
}

// sharesLoopback reports whether some pod of both groups is loopback to itself.
func sharesLoopback(m *policy.Matrix, r, c *Group) bool {
	if r.Class != c.Class {
		return false
	}
	in := make(map[int]bool, len(c.Pods))
	for _, p := range c.Pods {
		in[p] = true
	}
	for _, p := range r.Pods {
		if in[p] && m.Loopback(p, p) {
			return true
		}
	}
	return false
}
