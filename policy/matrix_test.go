package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The hand-written tables (through truth) hold Matrix to the spec; here, on random snapshots
// far from any hand-written case, Matrix must give what Evaluate gives for every pod pair:
// the verdict, isolation, the selecting policies and the reasons. A pod to itself included
// (loopback), and stand-in pods, whose pair with themselves the policies decide.
func TestMatrixAgreesWithEvaluate(t *testing.T) {
	ports := []PortProtocol{{80, "TCP"}, {81, "UDP"}, {53, "UDP"}, {8080, "TCP"}, {82, "SCTP"}}
	for seed := range uint64(300) {
		s := randomSnapshot(rand.New(rand.NewPCG(seed, 7)))
		standIns := rand.New(rand.NewPCG(seed, 8)) // apart, so that the snapshots stay those of the seeds
		for i := range s.Pods {
			s.Pods[i].StandIn = standIns.IntN(4) == 0
		}
		ev, err := New(s)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		m := ev.Matrix(ports)
		for pi, pp := range ports {
			allowed := 0
			for from := range s.Pods {
				for to := range s.Pods {
					if m.Allowed(pi, from, to) {
						allowed++
					}
					want := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: pp.Port, Protocol: pp.Protocol})
					want.Egress.Rules, want.Ingress.Rules = nil, nil
					got := m.PodVerdict(pi, from, to)
					if m.Allowed(pi, from, to) != want.Allowed || !reflect.DeepEqual(got, want) {
						t.Fatalf("seed %d, %s -> %s %s:\nMatrix   %t %+v\nEvaluate %+v", seed, s.Pods[from].ID(), s.Pods[to].ID(), pp, m.Allowed(pi, from, to), got, want)
					}
				}
			}
			if n := m.AllowedPairs(pi); n != allowed {
				t.Fatalf("seed %d, %s: AllowedPairs %d, %d pairs allowed", seed, pp, n, allowed)
			}
		}
	}
}

// Pods that policies cannot tell apart share a class; a different IP under an ipBlock, a
// different declared port or one different label splits them.
func TestClasses(t *testing.T) {
	pod := func(name, app, ip string, port int32) Pod {
		return Pod{Namespace: "x", Name: name, Labels: map[string]string{"app": app},
			IPs: []netip.Addr{netip.MustParseAddr(ip)}, Ports: []Port{{Name: "http", Port: port, Protocol: "TCP"}}}
	}
	s := &Snapshot{Pods: []Pod{
		pod("web-1", "web", "10.0.0.1", 80),
		pod("web-2", "web", "10.0.0.2", 80),   // same class as web-1
		pod("web-3", "web", "10.0.9.3", 80),   // outside the ipBlock below
		pod("web-4", "web", "10.0.0.4", 8080), // another declared port
		pod("api-1", "api", "10.0.0.5", 80),
	}, Policies: []networkingv1.NetworkPolicy{{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "x"},
		Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/24"}}}}}},
	}}}
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	m := ev.Matrix([]PortProtocol{{80, "TCP"}})
	var got [][]int
	for _, c := range m.Classes {
		got = append(got, c.Pods)
	}
	if want := [][]int{{0, 1}, {2}, {3}, {4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("classes %v, want %v", got, want)
	}
}

func TestParsePortProtocol(t *testing.T) {
	for in, want := range map[string]PortProtocol{"80": {80, "TCP"}, "53/udp": {53, "UDP"}, "9000/SCTP": {9000, "SCTP"}} {
		if got, err := ParsePortProtocol(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "65536", "http", "80/ICMP", "-1"} {
		if _, err := ParsePortProtocol(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// randomSnapshot draws namespaces, pods and policies from small vocabularies so that selectors
// often match and often do not, with every kind of peer and port.
func randomSnapshot(r *rand.Rand) *Snapshot {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	randLabels := func(keys ...string) map[string]string {
		l := map[string]string{}
		for _, k := range keys {
			if r.IntN(3) > 0 {
				l[k] = pick("a", "b", "c")
			}
		}
		return l
	}
	selector := func(keys ...string) *metav1.LabelSelector {
		sel := &metav1.LabelSelector{}
		switch r.IntN(4) {
		case 0: // {}
		case 1:
			sel.MatchLabels = randLabels(keys...)
		case 2:
			op := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}[r.IntN(4)]
			req := metav1.LabelSelectorRequirement{Key: pick(keys...), Operator: op}
			if op == metav1.LabelSelectorOpIn || op == metav1.LabelSelectorOpNotIn {
				req.Values = []string{pick("a", "b"), pick("b", "c")}
			}
			sel.MatchExpressions = []metav1.LabelSelectorRequirement{req}
		default:
			sel.MatchLabels = map[string]string{pick(keys...): pick("a", "b", "c")}
		}
		return sel
	}
	s := &Snapshot{}
	nsNames := []string{"x", "y", "z", "w"}[:2+r.IntN(3)]
	for _, ns := range nsNames {
		l := randLabels("team", "env")
		l["kubernetes.io/metadata.name"] = ns
		s.Namespaces = append(s.Namespaces, Namespace{Name: ns, Labels: l})
	}
	for i := range 3 + r.IntN(8) {
		p := Pod{Namespace: pick(nsNames...), Name: fmt.Sprintf("p%d", i), Labels: randLabels("app", "tier"),
			IPs: []netip.Addr{netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(2)), byte(r.IntN(4))})}}
		for range r.IntN(3) {
			p.Ports = append(p.Ports, Port{Name: pick("http", "dns", "metrics"), Port: []int32{80, 53, 8080, 81}[r.IntN(4)],
				Protocol: []corev1.Protocol{"TCP", "UDP", ""}[r.IntN(3)]})
		}
		s.Pods = append(s.Pods, p)
	}
	peers := func() []networkingv1.NetworkPolicyPeer {
		var out []networkingv1.NetworkPolicyPeer
		for range r.IntN(3) {
			var pr networkingv1.NetworkPolicyPeer
			switch r.IntN(4) {
			case 0:
				pr.PodSelector = selector("app", "tier")
			case 1:
				pr.NamespaceSelector = selector("team", "env", "kubernetes.io/metadata.name")
			case 2:
				pr.PodSelector, pr.NamespaceSelector = selector("app", "tier"), selector("team", "env")
			default:
				pr.IPBlock = &networkingv1.IPBlock{CIDR: pick("10.0.0.0/16", "10.0.1.0/24", "10.0.0.2/32")}
				if r.IntN(2) == 0 {
					pr.IPBlock.Except = []string{pick("10.0.0.0/30", "10.0.1.3/32")}
				}
			}
			out = append(out, pr)
		}
		return out
	}
	ports := func() []networkingv1.NetworkPolicyPort {
		var out []networkingv1.NetworkPolicyPort
		for range r.IntN(3) {
			var p networkingv1.NetworkPolicyPort
			if r.IntN(2) == 0 {
				proto := []corev1.Protocol{"TCP", "UDP", "SCTP"}[r.IntN(3)]
				p.Protocol = &proto
			}
			switch r.IntN(4) {
			case 0: // every port of the protocol
			case 1:
				v := intstr.FromString(pick("http", "dns", "metrics"))
				p.Port = &v
			case 2:
				v, end := intstr.FromInt32(80), int32(82)
				p.Port, p.EndPort = &v, &end
			default:
				v := intstr.FromInt32([]int32{80, 53, 8080}[r.IntN(3)])
				p.Port = &v
			}
			out = append(out, p)
		}
		return out
	}
	for i := range r.IntN(6) {
		np := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("np%d", i), Namespace: pick(nsNames...)}}
		np.Spec.PodSelector = *selector("app", "tier")
		for range r.IntN(3) {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers(), Ports: ports()})
		}
		for range r.IntN(3) {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers(), Ports: ports()})
		}
		switch r.IntN(4) {
		case 0: // defaulted
		case 1:
			np.Spec.PolicyTypes = []networkingv1.PolicyType{"Ingress"}
		case 2:
			np.Spec.PolicyTypes = []networkingv1.PolicyType{"Egress"}
		default:
			np.Spec.PolicyTypes = []networkingv1.PolicyType{"Ingress", "Egress"}
		}
		s.Policies = append(s.Policies, np)
	}
	return s
}

// The transpose is checked bit by bit against its definition, on a matrix of several blocks.
func TestTranspose(t *testing.T) {
	const words = 3
	r := rand.New(rand.NewPCG(1, 2))
	b := newBitset(words * 64 * words * 64)
	for i := range b {
		b[i] = r.Uint64()
	}
	tr := b.transpose(words)
	for row := range words * 64 {
		for col := range words * 64 {
			if b.has(row*words*64+col) != tr.has(col*words*64+row) {
				t.Fatalf("bit (%d,%d) is not at (%d,%d)", row, col, col, row)
			}
		}
	}
}
