package policy

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

// The streamed JSON reads back as the contract of DESIGN.md §2, and every result is what
// Evaluate says of that connection.
func TestWriteJSON(t *testing.T) {
	s := withPolicies(t, `
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: serve-80-tcp}]}]`)
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	ports := []PortProtocol{{80, "TCP"}, {81, "UDP"}}
	m := ev.Matrix(ports)
	from, to := []int{0, 1, 2}, []int{0, 3}
	var out bytes.Buffer
	if err := m.WriteJSON(&out, from, to); err != nil {
		t.Fatal(err)
	}
	var r Report
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if want := []JSONPort{{80, "TCP"}, {81, "UDP"}}; !slices.Equal(r.Ports, want) {
		t.Errorf("ports %v, want %v", r.Ports, want)
	}
	if want := []string{"x/a", "x/b", "x/c", "y/a"}; !slices.Equal(r.Pods, want) {
		t.Errorf("pods %v, want %v", r.Pods, want)
	}
	if len(r.Results) != len(ports)*len(from)*len(to) {
		t.Fatalf("%d results, want %d", len(r.Results), len(ports)*len(from)*len(to))
	}
	allowed := map[string]bool{}
	for _, res := range r.Results {
		fi := slices.IndexFunc(s.Pods, func(p Pod) bool { return p.ID() == res.From })
		ti := slices.IndexFunc(s.Pods, func(p Pod) bool { return p.ID() == res.To })
		v := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[fi]}, To: Endpoint{Pod: &s.Pods[ti]}, Port: res.Port, Protocol: corev1Protocol(res.Protocol)})
		if res.Allowed != v.Allowed || !slices.Equal(res.Reasons, append(v.Egress.Reasons, v.Ingress.Reasons...)) {
			t.Errorf("%+v, Evaluate says %+v", res, v)
		}
		if res.Allowed {
			allowed[res.From+" "+res.To+" "+res.Protocol] = true
		}
	}
	// By hand: into x/a only x/b on 80/TCP (its named port); everything else to y/a is open.
	if !allowed["x/b x/a TCP"] || allowed["x/c x/a TCP"] || allowed["x/b x/a UDP"] || !allowed["x/c y/a UDP"] {
		t.Errorf("allowed set %v", allowed)
	}
}
