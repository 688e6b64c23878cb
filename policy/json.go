package policy

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
)

// Result is one row of the JSON contract (DESIGN.md §2): a connection and its verdict.
type Result struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	Port     int32    `json:"port"`
	Protocol string   `json:"protocol"`
	Allowed  bool     `json:"allowed"`
	Reasons  []string `json:"reasons"`
}

// JSONPort is a port of the JSON contract.
type JSONPort struct {
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
}

// Report is the whole JSON contract, for callers small enough to hold it (and for tests that
// read WriteJSON's output back).
type Report struct {
	Ports   []JSONPort `json:"ports"`
	Pods    []string   `json:"pods"`
	Results []Result   `json:"results"`
}

// reasonCacheLimit bounds the encoded reasons kept while streaming: class pairs repeat, but a
// cache of every pair would grow with classes².
const reasonCacheLimit = 1 << 16

// WriteJSON streams the contract for the pods from (rows) and to (columns), indices into the
// snapshot's pods: every port, every from, every to. It writes as it goes, so the output can be
// far larger than memory; reasons are encoded once per class pair and port while they fit a
// bounded cache.
func (m *Matrix) WriteJSON(w io.Writer, from, to []int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	names := map[int][]byte{}
	name := func(i int) []byte {
		if b, ok := names[i]; ok {
			return b
		}
		b, _ := json.Marshal(m.ev.pods[i].ID())
		names[i] = b
		return b
	}
	bw.WriteString(`{"ports":[`)
	for i, p := range m.Ports {
		if i > 0 {
			bw.WriteByte(',')
		}
		b, _ := json.Marshal(JSONPort{Port: p.Port, Protocol: string(p.Protocol)})
		bw.Write(b)
	}
	bw.WriteString(`],"pods":[`)
	seen := map[int]bool{}
	first := true
	for _, list := range [][]int{from, to} {
		for _, i := range list {
			if seen[i] {
				continue
			}
			seen[i] = true
			if !first {
				bw.WriteByte(',')
			}
			first = false
			bw.Write(name(i))
		}
	}
	bw.WriteString(`],"results":[`)
	type pairKey struct{ port, from, to int }
	reasons := map[pairKey][]byte{}
	// A pod to itself: allowed, with the same reasons whatever its class.
	loopbackReasons, _ := json.Marshal([]string{loopbackReason(true), loopbackReason(false)})
	buf := make([]byte, 0, 512)
	first = true
	for pi, p := range m.Ports {
		proto, _ := json.Marshal(string(p.Protocol))
		for _, f := range from {
			for _, t := range to {
				allowed, encoded := true, loopbackReasons
				if !m.Loopback(f, t) {
					cf, ct := m.classOf[f], m.classOf[t]
					allowed = m.ClassAllowed(pi, cf, ct)
					key := pairKey{pi, cf, ct}
					var ok bool
					if encoded, ok = reasons[key]; !ok {
						v := m.Verdict(pi, cf, ct)
						encoded, _ = json.Marshal(append(v.Egress.Reasons, v.Ingress.Reasons...))
						if len(reasons) >= reasonCacheLimit {
							clear(reasons)
						}
						reasons[key] = encoded
					}
				}
				buf = buf[:0]
				if !first {
					buf = append(buf, ',')
				}
				first = false
				buf = append(buf, "\n"+`{"from":`...)
				buf = append(buf, name(f)...)
				buf = append(buf, `,"to":`...)
				buf = append(buf, name(t)...)
				buf = append(buf, `,"port":`...)
				buf = strconv.AppendInt(buf, int64(p.Port), 10)
				buf = append(buf, `,"protocol":`...)
				buf = append(buf, proto...)
				buf = append(buf, `,"allowed":`...)
				buf = strconv.AppendBool(buf, allowed)
				buf = append(buf, `,"reasons":`...)
				buf = append(buf, encoded...)
				buf = append(buf, '}')
				if _, err := bw.Write(buf); err != nil {
					return err
				}
			}
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}
