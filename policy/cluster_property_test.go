package policy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Properties of the cluster tier, on the upstream NetworkPolicy cases, the bench clusters and
// random snapshots.

// propertySnapshots are the snapshots the properties are held on: every step of the upstream
// e2e cases, random snapshots, and a generated cluster.
func propertySnapshots(t *testing.T, random int) map[string]*Snapshot {
	out := map[string]*Snapshot{}
	for _, tc := range upstreamCases() {
		for i, st := range tc.steps {
			s := withPolicies(t, st.policies...)
			if st.sctp {
				withSCTP(s)
			}
			for _, change := range st.labels {
				change.apply(s)
			}
			out[fmt.Sprintf("upstream/%s/step %d", tc.name, i+1)] = s
		}
	}
	for seed := range uint64(random) {
		out[fmt.Sprintf("random seed %d", seed)] = randomSnapshot(rand.New(rand.NewPCG(seed, 7)))
	}
	out["generated 200 pods"] = generateCluster(200, 60, 20)
	return out
}

var propertyPorts = []PortProtocol{{80, "TCP"}, {81, "UDP"}, {53, "UDP"}, {8080, "TCP"}, {82, "SCTP"}}

// verdicts is every pod pair's verdict on each port, from Evaluate (without the rule
// walkthroughs), from the Matrix, and the Matrix's JSON.
type verdicts struct {
	evaluate, matrix []Verdict
	allowed          []bool
	json             []byte
}

func allVerdicts(t *testing.T, s *Snapshot, ports []PortProtocol, evaluate bool) verdicts {
	t.Helper()
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	m := ev.Matrix(ports)
	var out verdicts
	for pi, pp := range ports {
		for from := range s.Pods {
			for to := range s.Pods {
				if evaluate {
					v := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: pp.Port, Protocol: pp.Protocol})
					out.evaluate = append(out.evaluate, withoutWalkthrough(v))
				}
				if from < 60 && to < 60 { // the reasons of many pairs are the JSON's to compare
					out.matrix = append(out.matrix, m.PodVerdict(pi, from, to))
				}
				out.allowed = append(out.allowed, m.Allowed(pi, from, to))
			}
		}
	}
	all := make([]int, len(s.Pods))
	for i := range all {
		all[i] = i
	}
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf, all, all); err != nil {
		t.Fatal(err)
	}
	out.json = buf.Bytes()
	return out
}

// inertClusterPolicies select no pod (a namespace label no namespace has), with rules of every
// kind: they exist, so the cluster tier runs, and must change nothing.
func inertClusterPolicies() []ClusterPolicy {
	nowhere := &metav1.LabelSelector{MatchLabels: map[string]string{"no-such-label": "x"}}
	rules := []ClusterRule{
		{Action: ActionDeny, Peers: []ClusterPeer{{Namespaces: &metav1.LabelSelector{}}}},
		{Action: ActionAccept, Peers: []ClusterPeer{{Networks: []string{"10.0.0.0/24", "0.0.0.0/0"}}}, Ports: []ClusterPort{{Name: "http"}}},
		{Action: ActionPass, Peers: []ClusterPeer{{Pods: &ClusterPods{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}}}}},
		{Action: ActionAccept, Peers: []ClusterPeer{{DomainNames: []string{"*.cluster.local"}}, {Nodes: &metav1.LabelSelector{}}}},
	}
	return []ClusterPolicy{
		{Name: "inert-admin", Kind: KindClusterNetworkPolicy, APIVersion: "policy.networking.k8s.io/v1beta1", Tier: TierAdmin, Priority: 1,
			Subject: ClusterSubject{Namespaces: nowhere}, Ingress: rules, Egress: rules},
		{Name: "inert-baseline", Kind: KindClusterNetworkPolicy, APIVersion: "policy.networking.k8s.io/v1beta1", Tier: TierBaseline, Priority: 1,
			Subject: ClusterSubject{Pods: &ClusterPods{NamespaceSelector: *nowhere}}, Ingress: rules, Egress: rules},
	}
}

// (a) An empty cluster tier changes nothing: no cluster policy, an empty list, or policies
// that select no pod give the same verdicts and reasons, from Evaluate and the Matrix, and
// the same JSON, byte for byte.
func TestEmptyClusterTierChangesNothing(t *testing.T) {
	for name, s := range propertySnapshots(t, 60) {
		evaluate := len(s.Pods) <= 40
		want := allVerdicts(t, s, propertyPorts, evaluate)
		for variant, cps := range map[string][]ClusterPolicy{"empty": {}, "inert": inertClusterPolicies()} {
			c := *s
			c.ClusterPolicies = cps
			got := allVerdicts(t, &c, propertyPorts, evaluate)
			// With cluster policies a side says which tier decided: the NetworkPolicies, exactly
			// where they isolate. That is the one difference allowed.
			for _, list := range [][]Verdict{got.evaluate, got.matrix} {
				for i := range list {
					for _, side := range []*Side{&list[i].Egress, &list[i].Ingress} {
						if (side.Tier == TierNetworkPolicy) != (side.Isolated && len(cps) > 0) || side.Tier != TierNetworkPolicy && side.Tier != "" {
							t.Fatalf("%s, %s cluster tier: tier %q of a side isolated %t", name, variant, side.Tier, side.Isolated)
						}
						side.Tier = ""
					}
				}
			}
			if !reflect.DeepEqual(got.evaluate, want.evaluate) || !reflect.DeepEqual(got.matrix, want.matrix) || !reflect.DeepEqual(got.allowed, want.allowed) {
				for i := range want.matrix {
					if !reflect.DeepEqual(got.matrix[i], want.matrix[i]) {
						t.Fatalf("%s, %s cluster tier: pair %d:\ngot  %+v\nwant %+v", name, variant, i, got.matrix[i], want.matrix[i])
					}
				}
				t.Fatalf("%s, %s cluster tier: verdicts differ", name, variant)
			}
			if !bytes.Equal(got.json, want.json) {
				t.Fatalf("%s, %s cluster tier: the JSON differs", name, variant)
			}
		}
	}
}

// (b) An Admin tier of Pass rules only, without a Baseline tier, changes no verdict: Pass
// hands every side it matches on to the NetworkPolicies, which decide where they isolate, and
// allow elsewhere, as without it.
func TestPassOnlyAdminTierChangesNoVerdict(t *testing.T) {
	for name, s := range propertySnapshots(t, 120) {
		if len(s.Pods) > 40 {
			continue
		}
		r := rand.New(rand.NewPCG(uint64(len(name)), 11))
		c := *s
		for _, p := range randomClusterPolicies(r, s) {
			if p.Tier != TierAdmin {
				continue
			}
			for _, rules := range [][]ClusterRule{p.Ingress, p.Egress} {
				for i := range rules {
					rules[i].Action = ActionPass
				}
			}
			c.ClusterPolicies = append(c.ClusterPolicies, p)
		}
		want := allVerdicts(t, s, propertyPorts, true)
		got := allVerdicts(t, &c, propertyPorts, true)
		for i := range want.evaluate {
			w, g := want.evaluate[i], got.evaluate[i]
			if g.Allowed != w.Allowed || got.allowed[i] != want.allowed[i] {
				t.Fatalf("%s: pair %d: allowed %t, was %t\n%+v", name, i, g.Allowed, w.Allowed, g)
			}
			for _, side := range [][2]Side{{g.Egress, w.Egress}, {g.Ingress, w.Ingress}} {
				if side[1].Isolated && (side[0].Allowed != side[1].Allowed || len(c.ClusterPolicies) > 0 && side[0].Tier != TierNetworkPolicy) {
					t.Fatalf("%s: pair %d: an isolated side changed: %+v, was %+v", name, i, side[0], side[1])
				}
			}
		}
	}
}

// (c) The Matrix agrees with Evaluate on random snapshots with random cluster policies: the
// verdict, the tiers, the decisions, the reasons and notes, pair by pair; AllowedPairs; and
// the JSON reads back as PodVerdict's.
func TestClusterMatrixAgreesWithEvaluate(t *testing.T) {
	seen := map[string]int{} // what the cases showed: tiers, actions, notes
	for seed := range uint64(400) {
		r := rand.New(rand.NewPCG(seed, 13))
		s := randomSnapshot(rand.New(rand.NewPCG(seed, 7)))
		s.ClusterPolicies = randomClusterPolicies(r, s)
		if r.IntN(8) == 0 {
			s.ClusterPoliciesUnread = []string{"adminnetworkpolicies.policy.networking.k8s.io"}
		}
		for i := range s.Pods {
			s.Pods[i].StandIn = r.IntN(5) == 0
		}
		ev, err := New(s)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		m := ev.Matrix(propertyPorts)
		for pi, pp := range propertyPorts {
			allowed := 0
			for from := range s.Pods {
				for to := range s.Pods {
					want := withoutWalkthrough(ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: pp.Port, Protocol: pp.Protocol}))
					got := m.PodVerdict(pi, from, to)
					if m.Allowed(pi, from, to) != want.Allowed || !reflect.DeepEqual(got, want) {
						t.Fatalf("seed %d, %s -> %s %s:\nMatrix   %t %+v\nEvaluate %+v\npolicies %+v", seed, s.Pods[from].ID(), s.Pods[to].ID(), pp,
							m.Allowed(pi, from, to), got, want, s.ClusterPolicies)
					}
					if want.Allowed {
						allowed++
					}
					for _, side := range []Side{want.Egress, want.Ingress} {
						seen["tier "+string(side.Tier)]++
						if side.Cluster != nil {
							seen[string(side.Cluster.Tier)+" "+string(side.Cluster.Action)]++
						}
						if side.Pass() != nil {
							seen["pass"]++
						}
						if d := side.ClusterDetail; d != nil {
							for _, n := range d.NotesSay {
								seen[n.ID]++
							}
						}
					}
				}
			}
			if n := m.AllowedPairs(pi); n != allowed {
				t.Fatalf("seed %d, %s: AllowedPairs %d, %d pairs allowed", seed, pp, n, allowed)
			}
		}
		if seed%10 == 0 {
			all := make([]int, len(s.Pods))
			for i := range all {
				all[i] = i
			}
			var buf bytes.Buffer
			if err := m.WriteJSON(&buf, all, all); err != nil {
				t.Fatal(err)
			}
			checkReport(t, m, buf.Bytes(), all, all)
		}
	}
	for _, what := range []string{"tier ", "tier Admin", "tier NetworkPolicy", "tier Baseline", "Admin Accept", "Admin Deny", "Baseline Accept",
		"Baseline Deny", "Baseline Pass", "pass", "verdict.cluster.overlap", "verdict.cluster.undecided.domains",
		"verdict.cluster.undecided.nodes", "verdict.cluster.unread"} {
		if seen[what] < 10 {
			t.Errorf("the random cases show %q %d times only", what, seen[what])
		}
	}
	t.Logf("%v", seen)
}

// randomClusterPolicies draws cluster policies for a random snapshot (randomSnapshot's
// vocabulary), with some of its pods on the host network and nodes holding their addresses.
// Priorities come from a small set, so that policies often share one.
func randomClusterPolicies(r *rand.Rand, s *Snapshot) []ClusterPolicy {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	selector := func(keys ...string) *metav1.LabelSelector {
		sel := &metav1.LabelSelector{}
		switch r.IntN(4) {
		case 0:
		case 1:
			sel.MatchLabels = map[string]string{pick(keys...): pick("a", "b", "c")}
		case 2:
			op := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}[r.IntN(4)]
			req := metav1.LabelSelectorRequirement{Key: pick(keys...), Operator: op}
			if op == metav1.LabelSelectorOpIn || op == metav1.LabelSelectorOpNotIn {
				req.Values = []string{pick("a", "b"), pick("b", "c")}
			}
			sel.MatchExpressions = []metav1.LabelSelectorRequirement{req}
		default:
			sel.MatchLabels = map[string]string{pick(keys...): pick("a", "b", "c"), pick(keys...): pick("a", "b")}
		}
		return sel
	}
	nsKeys := []string{"team", "env", "kubernetes.io/metadata.name"}
	podKeys := []string{"app", "tier"}
	// Some pods on the host network, with their node's address; nodes, sometimes.
	if r.IntN(2) == 0 {
		for i := range s.Pods {
			if r.IntN(5) == 0 {
				s.Pods[i].HostNetwork = true
				s.Pods[i].IPs = []netip.Addr{netip.AddrFrom4([4]byte{192, 168, 0, byte(1 + r.IntN(3))})}
			}
		}
	}
	if r.IntN(2) == 0 {
		for i := range 2 {
			s.Nodes = append(s.Nodes, Node{Name: fmt.Sprintf("n%d", i), Labels: map[string]string{"role": pick("a", "b")},
				IPs: []netip.Addr{netip.AddrFrom4([4]byte{192, 168, 0, byte(1 + i)})}})
		}
	}
	peer := func(egress bool) ClusterPeer {
		kinds := 2
		if egress {
			kinds = 6
		}
		switch r.IntN(kinds + 1) {
		case 0:
			return ClusterPeer{Namespaces: selector(nsKeys...)}
		case 1:
			return ClusterPeer{Pods: &ClusterPods{NamespaceSelector: *selector(nsKeys...), PodSelector: *selector(podKeys...)}}
		case 2:
			return ClusterPeer{Networks: []string{pick("10.0.0.0/16", "10.0.1.0/24", "10.0.0.2/32", "0.0.0.0/0", "192.168.0.0/24")}}
		case 3:
			return ClusterPeer{Nodes: &metav1.LabelSelector{MatchLabels: map[string]string{"role": pick("a", "b")}}}
		case 4:
			return ClusterPeer{DomainNames: []string{pick("example.com", "*.svc.cluster.local")}}
		case 5:
			return ClusterPeer{Networks: []string{"10.0.0.0/24", "192.168.0.2/32"}}
		default:
			return ClusterPeer{} // a kind this version does not know
		}
	}
	ports := func() []ClusterPort {
		var out []ClusterPort
		for range r.IntN(3) {
			proto := []corev1.Protocol{"TCP", "UDP", "SCTP"}[r.IntN(3)]
			switch r.IntN(6) {
			case 0:
				out = append(out, ClusterPort{Protocol: proto})
			case 1:
				out = append(out, ClusterPort{Name: pick("http", "dns", "metrics")})
			case 2:
				out = append(out, ClusterPort{Protocol: proto, Port: 80, EndPort: 82})
			case 3:
				out = append(out, ClusterPort{Unknown: true})
			default:
				out = append(out, ClusterPort{Protocol: proto, Port: []int32{80, 53, 8080, 81}[r.IntN(4)]})
			}
		}
		return out
	}
	rules := func(egress bool) []ClusterRule {
		var out []ClusterRule
		for i := range r.IntN(4) {
			rule := ClusterRule{Action: []ClusterAction{ActionAccept, ActionDeny, ActionPass}[r.IntN(3)], Ports: ports()}
			if r.IntN(2) == 0 {
				rule.Name = fmt.Sprintf("r%d", i)
			}
			for range 1 + r.IntN(2) {
				rule.Peers = append(rule.Peers, peer(egress))
			}
			out = append(out, rule)
		}
		return out
	}
	var out []ClusterPolicy
	for i := range r.IntN(7) {
		p := ClusterPolicy{Name: fmt.Sprintf("cp%d", i), Kind: KindClusterNetworkPolicy, APIVersion: "policy.networking.k8s.io/v1beta1",
			Tier: []Tier{TierAdmin, TierBaseline}[r.IntN(2)], Priority: int32(r.IntN(2)), Ingress: rules(false), Egress: rules(true)}
		switch r.IntN(5) {
		case 0:
			p.Kind, p.APIVersion, p.Tier = KindAdminNetworkPolicy, "policy.networking.k8s.io/v1alpha1", TierAdmin
		case 1:
			p.Kind, p.APIVersion, p.Tier, p.Priority = KindBaselineAdminNetworkPolicy, "policy.networking.k8s.io/v1alpha1", TierBaseline, BaselineAdminPriority
		}
		if r.IntN(2) == 0 {
			p.Subject.Namespaces = selector(nsKeys...)
		} else {
			p.Subject.Pods = &ClusterPods{NamespaceSelector: *selector(nsKeys...), PodSelector: *selector(podKeys...)}
		}
		out = append(out, p)
	}
	return out
}

// The Matrix's DecidingTier, worded nowhere, is the tier its full Verdict rests on, for every
// class pair of random snapshots with random cluster policies.
func TestMatrixDecidingTierAgreesWithVerdict(t *testing.T) {
	seen := map[Tier]int{}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 13))
		s := randomSnapshot(rand.New(rand.NewPCG(seed, 7)))
		s.ClusterPolicies = randomClusterPolicies(r, s)
		ev, err := New(s)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		m := ev.Matrix(propertyPorts)
		for pi := range propertyPorts {
			for from := range m.Classes {
				for to := range m.Classes {
					want := m.Verdict(pi, from, to).DecidingTier()
					if got := m.DecidingTier(pi, from, to); got != want {
						t.Fatalf("seed %d, classes %d -> %d, %s: %q, the verdict rests on %q", seed, from, to, propertyPorts[pi], got, want)
					}
					seen[want]++
				}
			}
		}
	}
	for _, tier := range []Tier{"", TierAdmin, TierBaseline} {
		if seen[tier] < 10 {
			t.Errorf("the random cases show tier %q %d times only", tier, seen[tier])
		}
	}
}
