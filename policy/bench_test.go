package policy

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The sizes: pods / policies over namespaces.
var benchSizes = []struct{ pods, policies, namespaces int }{
	{200, 60, 20},
	{2000, 500, 100},
	{10000, 2000, 500},
}

// BenchmarkMatrix is the full matrix for one port, from a loaded snapshot: compiling the
// policies, classifying the pods, and every pod pair's verdict.
func BenchmarkMatrix(b *testing.B) {
	for _, size := range benchSizes {
		s := generateCluster(size.pods, size.policies, size.namespaces)
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

// BenchmarkMatrixUniquePods is the worst case for classes: every pod has a label of its own
// (as StatefulSet pods do), so there are as many classes as pods.
func BenchmarkMatrixUniquePods(b *testing.B) {
	for _, size := range benchSizes {
		s := generateCluster(size.pods, size.policies, size.namespaces)
		for i := range s.Pods {
			s.Pods[i].Labels["statefulset.kubernetes.io/pod-name"] = s.Pods[i].Name
		}
		b.Run(fmt.Sprintf("pods=%d/policies=%d", size.pods, size.policies), func(b *testing.B) {
			b.ReportAllocs()
			var classes int
			for b.Loop() {
				ev, err := New(s)
				if err != nil {
					b.Fatal(err)
				}
				m := ev.Matrix([]PortProtocol{{8080, corev1.ProtocolTCP}})
				classes = len(m.Classes)
				m.AllowedPairs(0)
			}
			b.ReportMetric(float64(classes), "classes")
			reportHeap(b)
		})
	}
}

// reportHeap reports the live heap after a run, a lower bound for the peak the matrix needs.
func reportHeap(b *testing.B) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
}

// generateCluster builds a cluster shaped like real ones: namespaces of teams and
// environments; apps of four replicas (web, api, db tiers) serving a named http port and a
// metrics port; cluster DNS in kube-system; and, per namespace, policies cycling through
// default deny, DNS egress, same-app allows on named ports, namespaceSelectors with matchLabels
// and matchExpressions, ipBlock egress, and metrics scraping from a monitoring namespace.
func generateCluster(pods, policies, namespaces int) *Snapshot {
	s := &Snapshot{}
	envs := []string{"prod", "staging", "dev"}
	tiers := []string{"web", "api", "db"}
	s.Namespaces = append(s.Namespaces, Namespace{Name: "kube-system", Labels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}})
	for i := range 2 {
		s.Pods = append(s.Pods, Pod{Namespace: "kube-system", Name: fmt.Sprintf("coredns-%d", i), Labels: map[string]string{"k8s-app": "kube-dns"},
			IPs:   []netip.Addr{netip.AddrFrom4([4]byte{10, 96, 0, byte(10 + i)})},
			Ports: []Port{{Name: "dns", Port: 53, Protocol: "UDP"}, {Name: "dns-tcp", Port: 53, Protocol: "TCP"}}})
	}
	for n := range namespaces {
		name := fmt.Sprintf("ns-%03d", n)
		s.Namespaces = append(s.Namespaces, Namespace{Name: name, Labels: map[string]string{
			"kubernetes.io/metadata.name": name, "team": fmt.Sprintf("team-%d", n%20), "env": envs[n%3]}})
	}
	for i := range pods {
		n := i % namespaces
		app := (i / namespaces) / 4 // four replicas per app
		s.Pods = append(s.Pods, Pod{
			Namespace: fmt.Sprintf("ns-%03d", n), Name: fmt.Sprintf("app-%d-%d", app, i),
			Labels: map[string]string{"app": fmt.Sprintf("app-%d", app), "tier": tiers[app%3], "pod-template-hash": "5d8f7c"},
			IPs:    []netip.Addr{netip.AddrFrom4([4]byte{10, byte(1 + i>>16), byte(i >> 8), byte(i)})},
			Ports:  []Port{{Name: "http", Port: 8080, Protocol: "TCP"}, {Name: "metrics", Port: 9090, Protocol: "TCP"}},
		})
	}
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	named := func(name string) *intstr.IntOrString { v := intstr.FromString(name); return &v }
	number := func(n int) *intstr.IntOrString { v := intstr.FromInt32(int32(n)); return &v }
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	for i := range policies {
		n := i % namespaces
		ns := fmt.Sprintf("ns-%03d", n)
		app := fmt.Sprintf("app-%d", (i/namespaces)%5)
		np := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("np-%d", i), Namespace: ns}}
		// Each namespace starts the cycle elsewhere, so namespaces differ in what they lock down.
		switch (i/namespaces + n) % 7 {
		case 0: // default deny, both directions
			np.Spec.PolicyTypes = both
		case 1: // DNS egress for every pod
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
			np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: number(53)}, {Protocol: &tcp, Port: number(53)}}}}
		case 2: // same app talks to itself on the named http port, both ways
			same := []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}}
			np.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
			np.Spec.PolicyTypes = both
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: same, Ports: []networkingv1.NetworkPolicyPort{{Port: named("http")}}}}
			np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: same, Ports: []networkingv1.NetworkPolicyPort{{Port: named("http")}}}}
		case 3: // web tier reachable from the team's other namespaces (matchLabels)
			np.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}}
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": fmt.Sprintf("team-%d", n%20)}}}}}}
		case 4: // api tier from web pods of prod and staging namespaces (matchExpressions, AND)
			np.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"tier": "api"}}
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: metav1.LabelSelectorOpIn, Values: []string{"prod", "staging"}}}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: named("http")}}}}
		case 5: // web tier egress to the cluster's pod range and the internet, not to metadata
			np.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}}
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
			np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{
					{IPBlock: &networkingv1.IPBlock{CIDR: fmt.Sprintf("10.1.%d.0/24", n%256), Except: []string{fmt.Sprintf("10.1.%d.0/28", n%256)}}},
					{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "169.254.169.254/32"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: number(8000), EndPort: ptr(int32(8999))}, {Port: number(443)}}}}
		default: // metrics scraped from the monitoring namespaces, on the named port
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{"team-0"}}, {Key: "env", Operator: metav1.LabelSelectorOpExists}}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: named("metrics")}}}}
		}
		s.Policies = append(s.Policies, np)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// BenchmarkWriteJSON streams `explain -o json` for the 2,000-pod case, one port: four million
// results with reasons. heap-MB stays small because nothing is held but a bounded cache.
func BenchmarkWriteJSON(b *testing.B) {
	s := generateCluster(2000, 500, 100)
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
	// SetBytes makes the framework print MB/s (10^6 bytes a second, of the whole iteration:
	// New and Matrix included, a few percent of it).
	b.SetBytes(int64(written))
	reportHeap(b)
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
