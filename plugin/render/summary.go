package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Summary is a truth table by namespace: for every pair of namespaces and every port, how many
// of the pod pairs between them are allowed. A pod to itself is left out of the counts: it is
// always allowed (loopback) and says nothing about the policies.
type Summary struct {
	Namespaces []string // in name order
	Ports      []policy.PortProtocol
	pairs      []int   // [from*n+to]: pod pairs between the two namespaces
	allowed    [][]int // [port][from*n+to]: of those, the allowed ones
}

// Summarize counts the pairs of m between the pods from (rows) and to (columns), class by
// class: the matrix is per class, so the work grows with classes², not pods².
func Summarize(m *policy.Matrix, from, to []int) *Summary {
	classes := len(m.Classes)
	fromCount, toCount, self := make([]int, classes), make([]int, classes), make([]int, classes)
	isFrom := make(map[int]bool, len(from))
	for _, p := range from {
		fromCount[m.Class(p)]++
		isFrom[p] = true
	}
	for _, p := range to {
		toCount[m.Class(p)]++
		if isFrom[p] && m.Loopback(p, p) {
			self[m.Class(p)]++ // the pod to itself: not a pair
		}
	}
	var nsNames []string
	for c := range m.Classes {
		if (fromCount[c] > 0 || toCount[c] > 0) && !slices.Contains(nsNames, m.Classes[c].Namespace) {
			nsNames = append(nsNames, m.Classes[c].Namespace)
		}
	}
	slices.Sort(nsNames)
	nsIndex := make(map[string]int, len(nsNames))
	for i, ns := range nsNames {
		nsIndex[ns] = i
	}
	var rowClasses, colClasses []int
	for c := range m.Classes {
		if fromCount[c] > 0 {
			rowClasses = append(rowClasses, c)
		}
		if toCount[c] > 0 {
			colClasses = append(colClasses, c)
		}
	}
	n := len(nsNames)
	s := &Summary{Namespaces: nsNames, Ports: m.Ports, pairs: make([]int, n*n), allowed: make([][]int, len(m.Ports))}
	for pi := range m.Ports {
		s.allowed[pi] = make([]int, n*n)
	}
	for _, rc := range rowClasses {
		rn := nsIndex[m.Classes[rc].Namespace] * n
		for _, cc := range colClasses {
			k := rn + nsIndex[m.Classes[cc].Namespace]
			pairs := fromCount[rc] * toCount[cc]
			if rc == cc {
				pairs -= self[rc]
			}
			if pairs == 0 {
				continue
			}
			s.pairs[k] += pairs
			for pi := range m.Ports {
				if m.ClassAllowed(pi, rc, cc) {
					s.allowed[pi][k] += pairs
				}
			}
		}
	}
	return s
}

// cell is one namespace pair's mark: '.' every pod pair allowed, 'X' none, "N/M" some, '-'
// no pod pair at all (one pod, to itself).
func (s *Summary) cell(port, k int) string {
	switch a, p := s.allowed[port][k], s.pairs[k]; {
	case p == 0:
		return "-"
	case a == p:
		return "."
	case a == 0:
		return "X"
	default:
		return strconv.Itoa(a) + "/" + strconv.Itoa(p)
	}
}

// Print draws the summary: a table of namespaces when it fits in width columns, else a list
// of the namespace pairs that differ from what most pairs are (allowed or blocked).
func (s *Summary) Print(out io.Writer, width int) error {
	n := len(s.Namespaces)
	for pi, port := range s.Ports {
		if pi > 0 {
			fmt.Fprintln(out)
		}
		widths := make([]int, n)
		for k := range s.pairs {
			widths[k%n] = max(widths[k%n], len(s.cell(pi, k)))
		}
		cellWidth := func(c int) int { return widths[c] }
		if TableWidth(s.Namespaces, s.Namespaces, cellWidth) <= width {
			if err := Table(out, port.String()+" by namespace:", s.Namespaces, s.Namespaces, cellWidth, func(r, c int) string {
				return s.cell(pi, r*n+c)
			}); err != nil {
				return err
			}
			continue
		}
		if err := s.printList(out, pi); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(out, "\n. every pod pair allowed   X every pod pair blocked   N/M: N of M pod pairs allowed   - no pod pair\n"+
		"(a pod to itself is always allowed, and not counted)\n"+
		"Zoom in: --from NAMESPACE or --to NAMESPACE for one namespace's pods, -n NAMESPACE for one namespace, --by class for the whole table.\n")
	return err
}

// printList lists the namespace pairs that differ from the most common verdict, then says
// what every other pair is.
func (s *Summary) printList(out io.Writer, port int) error {
	n := len(s.Namespaces)
	blocked, open := 0, 0
	for k, p := range s.pairs {
		switch a := s.allowed[port][k]; {
		case p == 0:
		case a == 0:
			blocked++
		case a == p:
			open++
		}
	}
	usual, usualWord := "X", "blocked"
	if open > blocked {
		usual, usualWord = ".", "allowed"
	}
	fmt.Fprintf(out, "%s by namespace: %d namespaces; the pairs that are not all %s:\n", s.Ports[port], n, usualWord)
	w := NewTabWriter(out)
	fmt.Fprintln(w, "FROM\tTO\tALLOWED")
	rest := 0
	for k, p := range s.pairs {
		switch c := s.cell(port, k); {
		case p == 0:
		case c == usual:
			rest++
		default:
			fmt.Fprintf(w, "%s\t%s\t%s\n", s.Namespaces[k/n], s.Namespaces[k%n], c)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "Every other pair of namespaces (%d of them): %s (%s)\n", rest, usual, usualWord)
	return err
}

// namespaceResult is one pair of namespaces on one port in the JSON form of the summary.
type namespaceResult struct {
	From         string `json:"from"`
	To           string `json:"to"`
	Port         int32  `json:"port"`
	Protocol     string `json:"protocol"`
	AllowedPairs int    `json:"allowedPairs"`
	Pairs        int    `json:"pairs"`
}

// WriteJSON writes the summary as {"ports", "namespaces", "results": [{from, to, port,
// protocol, allowedPairs, pairs}]}, one result per namespace pair with pod pairs, streamed.
func (s *Summary) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := json.Marshal(struct {
		Ports      []policy.JSONPort `json:"ports"`
		Namespaces []string          `json:"namespaces"`
	}{jsonPorts(s.Ports), s.Namespaces})
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-1])
	bw.WriteString(`,"results":[`)
	n, first := len(s.Namespaces), true
	for pi, p := range s.Ports {
		for k, pairs := range s.pairs {
			if pairs == 0 {
				continue
			}
			b, err := json.Marshal(namespaceResult{From: s.Namespaces[k/n], To: s.Namespaces[k%n], Port: p.Port, Protocol: string(p.Protocol), AllowedPairs: s.allowed[pi][k], Pairs: pairs})
			if err != nil {
				return err
			}
			if !first {
				bw.WriteByte(',')
			}
			first = false
			bw.WriteByte('\n')
			bw.Write(b)
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

func jsonPorts(ports []policy.PortProtocol) []policy.JSONPort {
	out := make([]policy.JSONPort, len(ports))
	for i, p := range ports {
		out[i] = policy.JSONPort{Port: p.Port, Protocol: string(p.Protocol)}
	}
	return out
}
