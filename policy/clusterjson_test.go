package policy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// WriteJSON with cluster policies keeps the reasons of the current row per class pair: the
// pods of a class in a row (the usual order) reuse them, any other order works them out again.
// Whatever the order, the JSON must say what PodVerdict says (which agrees with Evaluate:
// TestClusterMatrixAgreesWithEvaluate), on every port.
func TestClusterJSONRows(t *testing.T) {
	for seed := range uint64(120) {
		r := rand.New(rand.NewPCG(seed, 21))
		s := randomSnapshot(rand.New(rand.NewPCG(seed, 7)))
		s.ClusterPolicies = randomClusterPolicies(r, s)
		// Replicas: the same namespace, labels, ports and address, so the same class.
		for i, n := 0, len(s.Pods); i < n; i++ {
			for k := range r.IntN(3) {
				p := s.Pods[i]
				p.Name = fmt.Sprintf("%s-r%d", p.Name, k)
				s.Pods = append(s.Pods, p)
			}
		}
		ev, err := New(s)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		m := ev.Matrix(propertyPorts)
		byClass := make([]int, len(s.Pods))
		for i := range byClass {
			byClass[i] = i
		}
		slices.SortStableFunc(byClass, func(a, b int) int { return m.Class(a) - m.Class(b) })
		interleaved := slices.Clone(byClass)
		r.Shuffle(len(interleaved), func(i, j int) { interleaved[i], interleaved[j] = interleaved[j], interleaved[i] })
		reversed := slices.Clone(byClass)
		slices.Reverse(reversed)
		for _, order := range [][2][]int{{byClass, byClass}, {interleaved, byClass}, {byClass, interleaved}, {byClass[:len(byClass)/2], reversed}} {
			var buf bytes.Buffer
			if err := m.WriteJSON(&buf, order[0], order[1]); err != nil {
				t.Fatal(err)
			}
			checkReport(t, m, buf.Bytes(), order[0], order[1])
		}
	}
}
