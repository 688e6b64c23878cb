package policy

import (
	"net/netip"
	"testing"
)

// No input makes the loader panic: it returns objects or an error.
func FuzzDecodeDocuments(f *testing.F) {
	f.Add([]byte("kind: Pod\nmetadata: {name: a}\n"))
	f.Add([]byte(`{"kind":"List","items":[{"kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{}}}}]}`))
	f.Add([]byte("kind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: {metadata: {labels: {a: b}}}}}}\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s := fuzzSnapshot(data); s != nil {
			_, _ = New(s)
		}
	})
}

// No policy makes the evaluator panic: it compiles or refuses, and then answers; Matrix and
// Evaluate answer alike, and Warnings runs too.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte("kind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: http}]}]\n"), uint16(80))
	f.Add([]byte("kind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: {podSelector: {matchExpressions: [{key: a, operator: Exists}]}, policyTypes: [Egress]}\n"), uint16(53))
	f.Fuzz(func(t *testing.T, data []byte, port uint16) {
		s := fuzzSnapshot(data)
		if s == nil {
			return
		}
		m := model()
		s.Namespaces, s.Pods = m.Namespaces, m.Pods
		ev, err := New(s)
		if err != nil {
			return
		}
		if _, err := Warnings(s); err != nil {
			t.Fatalf("Warnings refused what New took: %v", err)
		}
		for _, proto := range []string{"TCP", "UDP", "SCTP"} {
			m := ev.Matrix([]PortProtocol{{Port: int32(port), Protocol: corev1Protocol(proto)}})
			for from := range s.Pods {
				for to := range s.Pods {
					v := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: int32(port), Protocol: corev1Protocol(proto)})
					if m.Allowed(0, from, to) != v.Allowed {
						t.Fatalf("%s -> %s %d/%s: Matrix %t, Evaluate %t", s.Pods[from].ID(), s.Pods[to].ID(), port, proto, !v.Allowed, v.Allowed)
					}
				}
			}
			ev.Evaluate(Connection{From: Endpoint{IP: netip.MustParseAddr("10.1.2.3")}, To: Endpoint{Pod: &s.Pods[0]}, Port: int32(port), Protocol: corev1Protocol(proto)})
		}
	})
}

// fuzzSnapshot loads data as a file would be loaded; nil when the loader refuses it.
func fuzzSnapshot(data []byte) *Snapshot {
	objs, err := DecodeDocuments("fuzz.yaml", data)
	if err != nil {
		return nil
	}
	s, err := FromObjects(objs)
	if err != nil {
		return nil
	}
	return s
}
