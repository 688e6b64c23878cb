package policy

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// benchClusterPolicies are a cluster admin's usual tier on generateCluster's clusters: the
// cloud metadata address denied, DNS accepted, monitoring passed on to the NetworkPolicies,
// prod namespaces shielded from dev, and a Baseline default deny between teams.
func benchClusterPolicies() []ClusterPolicy {
	all := &metav1.LabelSelector{}
	beta := "policy.networking.k8s.io/v1beta1"
	return []ClusterPolicy{
		{Name: "deny-metadata", Kind: KindClusterNetworkPolicy, APIVersion: beta, Tier: TierAdmin, Priority: 10,
			Subject: ClusterSubject{Namespaces: all},
			Egress:  []ClusterRule{{Name: "metadata", Action: ActionDeny, Peers: []ClusterPeer{{Networks: []string{"169.254.169.254/32"}}}}}},
		{Name: "allow-dns", Kind: KindClusterNetworkPolicy, APIVersion: beta, Tier: TierAdmin, Priority: 20,
			Subject: ClusterSubject{Namespaces: all},
			Egress: []ClusterRule{{Name: "dns", Action: ActionAccept,
				Peers: []ClusterPeer{{Pods: &ClusterPods{NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}}}},
				Ports: []ClusterPort{{Protocol: corev1.ProtocolUDP, Port: 53}, {Protocol: corev1.ProtocolTCP, Port: 53}}}}},
		{Name: "monitoring", Kind: KindClusterNetworkPolicy, APIVersion: beta, Tier: TierAdmin, Priority: 30,
			Subject: ClusterSubject{Namespaces: all},
			Ingress: []ClusterRule{{Name: "scrape", Action: ActionPass, Peers: []ClusterPeer{{Namespaces: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "team-0"}}}},
				Ports: []ClusterPort{{Name: "metrics"}}}}},
		{Name: "shield-prod", Kind: KindClusterNetworkPolicy, APIVersion: beta, Tier: TierAdmin, Priority: 40,
			Subject: ClusterSubject{Namespaces: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}},
			Ingress: []ClusterRule{{Name: "from-dev", Action: ActionDeny, Peers: []ClusterPeer{{Namespaces: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "dev"}}}}}}},
		{Name: "default", Kind: KindClusterNetworkPolicy, APIVersion: beta, Tier: TierBaseline, Priority: 10,
			Subject: ClusterSubject{Namespaces: all},
			Ingress: []ClusterRule{
				{Name: "same-team", Action: ActionAccept, Peers: []ClusterPeer{{Namespaces: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "team", Operator: metav1.LabelSelectorOpExists}}}}}, Ports: []ClusterPort{{Protocol: corev1.ProtocolTCP, Port: 8000, EndPort: 9000}}},
				{Name: "deny", Action: ActionDeny, Peers: []ClusterPeer{{Namespaces: all}}}}},
	}
}

// BenchmarkMatrixClusterPolicies is BenchmarkMatrix with a cluster tier.
func BenchmarkMatrixClusterPolicies(b *testing.B) {
	for _, size := range benchSizes {
		s := generateCluster(size.pods, size.policies, size.namespaces)
		s.ClusterPolicies = benchClusterPolicies()
		b.Run(fmt.Sprintf("pods=%d/policies=%d", size.pods, size.policies), func(b *testing.B) {
			b.ReportAllocs()
			var allowed int
			for b.Loop() {
				ev, err := New(s)
				if err != nil {
					b.Fatal(err)
				}
				m := ev.Matrix([]PortProtocol{{8080, corev1.ProtocolTCP}})
				allowed = m.AllowedPairs(0)
			}
			b.ReportMetric(float64(allowed), "allowed-pairs")
			reportHeap(b)
		})
	}
}

// BenchmarkEvaluateClusterPolicies is Evaluate with its walkthroughs, for a few hundred pairs
// of the 2,000-pod cluster with a cluster tier.
func BenchmarkEvaluateClusterPolicies(b *testing.B) {
	s := generateCluster(2000, 500, 100)
	s.ClusterPolicies = benchClusterPolicies()
	ev, err := New(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(s.Pods); i += 97 {
			for j := 0; j < len(s.Pods); j += 89 {
				ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[i]}, To: Endpoint{Pod: &s.Pods[j]}, Port: 8080, Protocol: corev1.ProtocolTCP})
			}
		}
	}
}

// BenchmarkWriteJSONClusterPolicies is BenchmarkWriteJSON with a cluster tier: each class
// pair's reasons come from Verdict, through the bounded cache.
func BenchmarkWriteJSONClusterPolicies(b *testing.B) {
	s := generateCluster(2000, 500, 100)
	s.ClusterPolicies = benchClusterPolicies()
	all := make([]int, len(s.Pods))
	for i := range all {
		all[i] = i
	}
	b.ReportAllocs()
	var written countingWriter
	for b.Loop() {
		written = 0
		ev, err := New(s)
		if err != nil {
			b.Fatal(err)
		}
		m := ev.Matrix([]PortProtocol{{8080, corev1.ProtocolTCP}})
		if err := m.WriteJSON(&written, all, all); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(written)/(1<<20), "output-MB")
	b.SetBytes(int64(written))
	reportHeap(b)
}
