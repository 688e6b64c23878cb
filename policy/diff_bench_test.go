package policy

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// BenchmarkDiff is NewDiff from two loaded snapshots: both evaluators, both matrices, and the
// class pairs compared; set beside BenchmarkMatrix (one snapshot, one matrix: explain's share).
// The after side drops the policies of one namespace and moves another to a team of its own.
//
//	go test -short -run XXX -bench 'Diff|Matrix$' ./policy/
func BenchmarkDiff(b *testing.B) {
	for _, size := range benchSizes[:2] {
		before := generateCluster(size.pods, size.policies, size.namespaces)
		after := &Snapshot{Namespaces: slices.Clone(before.Namespaces), Pods: before.Pods}
		for _, p := range before.Policies {
			if p.Namespace != "ns-001" {
				after.Policies = append(after.Policies, p)
			}
		}
		after.Namespaces[3] = Namespace{Name: "ns-002", Labels: map[string]string{"kubernetes.io/metadata.name": "ns-002", "team": "team-99", "env": "dev"}}
		b.Run(fmt.Sprintf("pods=%d/policies=%d", size.pods, size.policies), func(b *testing.B) {
			b.ReportAllocs()
			var opened, closed int
			for b.Loop() {
				d, err := NewDiff(before, after, DiffOptions{Ports: []PortProtocol{{8080, corev1.ProtocolTCP}}})
				if err != nil {
					b.Fatal(err)
				}
				opened, closed = d.Counts()
			}
			if opened+closed == 0 {
				b.Fatal("nothing changed")
			}
			b.ReportMetric(float64(opened+closed), "changed-pairs")
		})
	}
}
