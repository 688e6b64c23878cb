package policy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// BenchmarkEvaluateReasons evaluates a thousand connections of the 2,000-pod cluster one by
// one, as explain does for single connections: the verdicts with their reasons and the rule
// walkthrough in words.
func BenchmarkEvaluateReasons(b *testing.B) {
	s := generateCluster(2000, 500, 100)
	ev, err := New(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range 1000 {
			from, to := i%len(s.Pods), (i*7919+13)%len(s.Pods)
			ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: 8080, Protocol: corev1.ProtocolTCP})
		}
	}
}

// BenchmarkEvaluateDiagnose diagnoses a hundred connections of the 2,000-pod cluster, each
// wanted the other way than the policies decide, as explain --why does.
func BenchmarkEvaluateDiagnose(b *testing.B) {
	s := generateCluster(2000, 500, 100)
	ev, err := New(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range 100 {
			from, to := i%len(s.Pods), (i*7919+13)%len(s.Pods)
			c := Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: 8080, Protocol: corev1.ProtocolTCP}
			ev.Diagnose(c, Intent{Want: !ev.Evaluate(c).Allowed})
		}
	}
}

// BenchmarkMatrixVerdict asks the matrix of the 200-pod cluster for every class pair's
// reasons, as the HTML and class JSON views do.
func BenchmarkMatrixVerdict(b *testing.B) {
	s := generateCluster(200, 60, 20)
	ev, err := New(s)
	if err != nil {
		b.Fatal(err)
	}
	m := ev.Matrix([]PortProtocol{{8080, corev1.ProtocolTCP}})
	b.ReportAllocs()
	for b.Loop() {
		for from := range m.Classes {
			for to := range m.Classes {
				m.Verdict(0, from, to)
			}
		}
	}
}
