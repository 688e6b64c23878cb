package render

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// jsonGroup is a group in the grouped JSON form.
type jsonGroup struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Pods      []string `json:"pods"`
}

// WriteGroupJSON writes the truth table by group: {"ports", "groups": [{name, namespace,
// pods}], "results": [{from, to, port, protocol, allowed, reasons}]}, where from and to name
// groups, each pair of groups once per port. It is the per-pod contract with the pods of a
// class written once, streamed as that is.
func WriteGroupJSON(w io.Writer, s *policy.Snapshot, m *policy.Matrix, rows, cols []Group) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	all, _, _ := nodes(rows, cols)
	groups := make([]jsonGroup, len(all))
	for i, g := range all {
		groups[i] = jsonGroup{Name: g.Name, Namespace: g.Namespace, Pods: make([]string, len(g.Pods))}
		for j, p := range g.Pods {
			groups[i].Pods[j] = s.Pods[p].ID()
		}
	}
	head, err := json.Marshal(struct {
		Ports  []policy.JSONPort `json:"ports"`
		Groups []jsonGroup       `json:"groups"`
	}{jsonPorts(m.Ports), groups})
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-1])
	bw.WriteString(`,"results":[`)
	quoted := func(g []Group) [][]byte {
		out := make([][]byte, len(g))
		for i := range g {
			out[i], _ = json.Marshal(g[i].Name)
		}
		return out
	}
	rowNames, colNames := quoted(rows), quoted(cols)
	line, first := make([]byte, 0, 512), true
	for pi, p := range m.Ports {
		proto, _ := json.Marshal(string(p.Protocol))
		for ri := range rows {
			for ci := range cols {
				r, c := &rows[ri], &cols[ci]
				var v policy.Verdict
				if len(r.Pods) == 1 && len(c.Pods) == 1 {
					v = m.PodVerdict(pi, r.Pods[0], c.Pods[0])
				} else {
					v = m.Verdict(pi, r.Class, c.Class)
				}
				reasons, err := json.Marshal(append(v.Egress.Reasons, v.Ingress.Reasons...))
				if err != nil {
					return err
				}
				line = line[:0]
				if !first {
					line = append(line, ',')
				}
				first = false
				line = append(line, "\n"+`{"from":`...)
				line = append(line, rowNames[ri]...)
				line = append(line, `,"to":`...)
				line = append(line, colNames[ci]...)
				line = append(line, `,"port":`...)
				line = strconv.AppendInt(line, int64(p.Port), 10)
				line = append(line, `,"protocol":`...)
				line = append(line, proto...)
				line = append(line, `,"allowed":`...)
				line = strconv.AppendBool(line, Allowed(m, pi, r, c))
				line = append(line, `,"reasons":`...)
				line = append(line, reasons...)
				line = append(line, '}')
				if _, err := bw.Write(line); err != nil {
					return err
				}
			}
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}
