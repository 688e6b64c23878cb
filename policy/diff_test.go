package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// diffLines is a Diff as comparable text: "+ FROM -> TO PORT xPAIRS" per change, FROM and TO
// the groups' pods joined by commas, in order.
func diffLines(before, after *Snapshot, d *Diff) []string {
	pods := func(g int) string {
		var ids []string
		for _, p := range d.Groups[g].Pods {
			ids = append(ids, after.Pods[p].ID())
		}
		sort.Strings(ids)
		return fmt.Sprint(ids)
	}
	var out []string
	for _, c := range d.Changes {
		mark := "-"
		if c.Opened {
			mark = "+"
		}
		out = append(out, fmt.Sprintf("%s %s -> %s %s x%d", mark, pods(c.From), pods(c.To), d.Ports[c.Port], c.Pairs))
	}
	sort.Strings(out)
	return out
}

func diffPod(ns, name, app string, ports ...int32) Pod {
	p := Pod{Namespace: ns, Name: name, Labels: map[string]string{"app": app}}
	for _, port := range ports {
		p.Ports = append(p.Ports, Port{Port: port, Protocol: corev1.ProtocolTCP})
	}
	return p
}

// ingressTo is a policy on app=target admitting app=from (or, with fromNamespace, every pod of
// namespaces labelled team=fromNamespace) on ports (none: every port).
func ingressTo(ns, name, target string, peer networkingv1.NetworkPolicyPeer, ports ...int) networkingv1.NetworkPolicy {
	rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer}}
	for _, p := range ports {
		port := intstr.FromInt(p)
		rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{Port: &port})
	}
	return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": target}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{rule}}}
}

func fromApp(app string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}
}

// The cases are worked out by hand from the spec: namespace x holds a (app=a) and b-1, b-2
// (app=b), all declaring 80 and 443; y holds c.
func TestDiff(t *testing.T) {
	ports := []PortProtocol{{80, "TCP"}, {443, "TCP"}}
	base := func() *Snapshot {
		return &Snapshot{
			Namespaces: []Namespace{{Name: "x", Labels: map[string]string{"kubernetes.io/metadata.name": "x"}},
				{Name: "y", Labels: map[string]string{"kubernetes.io/metadata.name": "y"}}},
			Pods: []Pod{diffPod("x", "a", "a", 80, 443), diffPod("x", "b-1", "b", 80, 443), diffPod("x", "b-2", "b", 80, 443), diffPod("y", "c", "c", 80, 443)},
		}
	}
	withPolicies := func(s *Snapshot, p ...networkingv1.NetworkPolicy) *Snapshot { s.Policies = p; return s }
	aTo80 := ingressTo("x", "b-in", "b", fromApp("a"), 80)
	aTo443 := ingressTo("x", "b-in", "b", fromApp("a"), 443)
	blueTeam := ingressTo("x", "b-in", "b", networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "blue"}}})
	relabel := func(s *Snapshot) *Snapshot { s.Namespaces[1].Labels["team"] = "blue"; return s }

	for _, tc := range []struct {
		name          string
		before, after *Snapshot
		want          []string
		objects       []ObjectChange
	}{{
		name:   "policy added: b admits a on 80 only",
		before: base(), after: withPolicies(base(), aTo80),
		// b-1 <-> b-2 lose 80 and 443; a and c lose 443 to both b; c loses 80 too.
		want: []string{
			"- [x/a] -> [x/b-1 x/b-2] 443/TCP x2",
			"- [x/b-1 x/b-2] -> [x/b-1 x/b-2] 443/TCP x2",
			"- [x/b-1 x/b-2] -> [x/b-1 x/b-2] 80/TCP x2",
			"- [y/c] -> [x/b-1 x/b-2] 443/TCP x2",
			"- [y/c] -> [x/b-1 x/b-2] 80/TCP x2",
		},
		objects: []ObjectChange{{Kind: "NetworkPolicy", Name: "x/b-in", Change: "added"}},
	}, {
		name:   "policy removed: the same, opened",
		before: withPolicies(base(), aTo80), after: base(),
		want: []string{
			"+ [x/a] -> [x/b-1 x/b-2] 443/TCP x2",
			"+ [x/b-1 x/b-2] -> [x/b-1 x/b-2] 443/TCP x2",
			"+ [x/b-1 x/b-2] -> [x/b-1 x/b-2] 80/TCP x2",
			"+ [y/c] -> [x/b-1 x/b-2] 443/TCP x2",
			"+ [y/c] -> [x/b-1 x/b-2] 80/TCP x2",
		},
		objects: []ObjectChange{{Kind: "NetworkPolicy", Name: "x/b-in", Change: "removed"}},
	}, {
		name:   "policy edited: one port opens, another closes",
		before: withPolicies(base(), aTo80), after: withPolicies(base(), aTo443),
		want:    []string{"+ [x/a] -> [x/b-1 x/b-2] 443/TCP x2", "- [x/a] -> [x/b-1 x/b-2] 80/TCP x2"},
		objects: []ObjectChange{{Kind: "NetworkPolicy", Name: "x/b-in", Change: "changed", Detail: "spec"}},
	}, {
		name:   "namespace label: y joins team blue",
		before: withPolicies(base(), blueTeam), after: withPolicies(relabel(base()), blueTeam),
		want:    []string{"+ [y/c] -> [x/b-1 x/b-2] 443/TCP x2", "+ [y/c] -> [x/b-1 x/b-2] 80/TCP x2"},
		objects: []ObjectChange{{Kind: "Namespace", Name: "y", Change: "changed", Detail: "labels: +team=blue"}},
	}, {
		name:   "identical",
		before: withPolicies(base(), aTo80), after: withPolicies(base(), aTo80),
	}, {
		name: "policyTypes and protocol left out, as files do: not changed",
		before: func() *Snapshot {
			p := aTo80.DeepCopy()
			tcp := corev1.ProtocolTCP
			p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
			p.Spec.Ingress[0].Ports[0].Protocol = &tcp
			return withPolicies(base(), *p)
		}(),
		after: withPolicies(base(), aTo80),
	}, {
		name:   "pods added and removed are listed, not compared; a relabeled pod leaves its group",
		before: withPolicies(base(), aTo80),
		after: func() *Snapshot {
			s := withPolicies(base(), aTo80)
			s.Pods[2].Labels = map[string]string{"app": "z"} // b-2 is no longer selected: open to all
			s.Pods = slices.Delete(s.Pods, 0, 1)             // a is gone
			s.Pods = append(s.Pods, diffPod("x", "d", "a", 80))
			return s
		}(),
		// b-2 is no longer isolated: b-1 and c reach it on both ports. b-1 stays isolated,
		// admitting app=a only, which b-2 (app=z) is not either.
		want: []string{
			"+ [x/b-1] -> [x/b-2] 443/TCP x1",
			"+ [x/b-1] -> [x/b-2] 80/TCP x1",
			"+ [y/c] -> [x/b-2] 443/TCP x1",
			"+ [y/c] -> [x/b-2] 80/TCP x1",
		},
		objects: []ObjectChange{
			{Kind: "Pod", Name: "x/a", Change: "removed"},
			{Kind: "Pod", Name: "x/b-2", Change: "changed", Detail: "labels: -app=b +app=z"},
			{Kind: "Pod", Name: "x/d", Change: "added"},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDiff(tc.before, tc.after, DiffOptions{Ports: ports})
			if err != nil {
				t.Fatal(err)
			}
			if got := diffLines(tc.before, tc.after, d); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("changes:\n%q\nwant\n%q", got, tc.want)
			}
			if !reflect.DeepEqual(d.Objects, tc.objects) {
				t.Errorf("objects:\n%+v\nwant\n%+v", d.Objects, tc.objects)
			}
		})
	}
}

// The reasons of a change are those of each side: what admitted it before and why nothing does
// after.
func TestDiffReasons(t *testing.T) {
	s := func(p ...networkingv1.NetworkPolicy) *Snapshot {
		return &Snapshot{Pods: []Pod{diffPod("x", "a", "a", 80), diffPod("x", "b", "b", 80)}, Policies: p}
	}
	d, err := NewDiff(s(ingressTo("x", "b-in", "b", fromApp("a"), 80)), s(ingressTo("x", "b-in", "b", fromApp("a"), 8080)),
		DiffOptions{Ports: []PortProtocol{{80, "TCP"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 1 || d.Changes[0].Opened {
		t.Fatalf("changes %+v, want a -> b closed", d.Changes)
	}
	was, now := d.Verdicts(d.Changes[0])
	if want := []string{"ingress allowed by x/b-in rule 0"}; !was.Allowed || !reflect.DeepEqual(was.Ingress.Reasons, want) {
		t.Errorf("before: %+v, want ingress reasons %q", was, want)
	}
	if want := []string{"ingress denied: isolated by x/b-in and no rule allows it"}; now.Allowed || !reflect.DeepEqual(now.Ingress.Reasons, want) {
		t.Errorf("after: %+v, want ingress reasons %q", now, want)
	}
}

// --from and --to: only the changes from and to the pods selected, on either side.
func TestDiffSelection(t *testing.T) {
	pods := []Pod{diffPod("x", "a", "a", 80), diffPod("x", "b", "b", 80), diffPod("x", "c", "c", 80)}
	before := &Snapshot{Pods: pods}
	after := &Snapshot{Pods: pods, Policies: []networkingv1.NetworkPolicy{ingressTo("x", "deny-b", "b", fromApp("nobody"))}}
	app := func(name string) func(*Pod) bool { return func(p *Pod) bool { return p.Labels["app"] == name } }
	d, err := NewDiff(before, after, DiffOptions{Ports: []PortProtocol{{80, "TCP"}}, From: app("a"), To: app("b")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := diffLines(before, after, d), []string{"- [x/a] -> [x/b] 80/TCP x1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// On random snapshots, the class-pair diff must say what comparing every pod pair with Evaluate
// says: the same connections opened and closed, with the same reasons, stand-ins included.
func TestDiffAgreesWithPodPairs(t *testing.T) {
	for seed := range uint64(300) {
		before := randomSnapshot(rand.New(rand.NewPCG(seed, 1)))
		after := randomSnapshot(rand.New(rand.NewPCG(seed, 2))) // same pod names, other namespaces, labels, policies
		if seed%3 == 0 {
			after.Pods = before.Pods // only the policies and namespaces differ
		}
		diffAgreesWithPodPairs(t, seed, before, after)
	}
}

// The same with cluster-scoped policies on both sides: the same pods and NetworkPolicies, and
// the cluster tier drawn twice (a third of the time, only the NetworkPolicies differ too).
func TestDiffClusterTierAgreesWithPodPairs(t *testing.T) {
	for seed := range uint64(300) {
		before := randomSnapshot(rand.New(rand.NewPCG(seed, 1)))
		after := randomSnapshot(rand.New(rand.NewPCG(seed, 1)))
		if seed%3 == 0 {
			after = randomSnapshot(rand.New(rand.NewPCG(seed, 2)))
			after.Pods = slices.Clone(before.Pods)
		}
		before.ClusterPolicies = randomClusterPolicies(rand.New(rand.NewPCG(seed, 3)), before)
		after.ClusterPolicies = randomClusterPolicies(rand.New(rand.NewPCG(seed, 4)), after)
		diffAgreesWithPodPairs(t, seed, before, after)
	}
}

func diffAgreesWithPodPairs(t *testing.T, seed uint64, before, after *Snapshot) {
	t.Helper()
	ports := []PortProtocol{{80, "TCP"}, {53, "UDP"}, {8080, "TCP"}}
	for _, s := range []*Snapshot{before, after} {
		for i := range s.Pods {
			s.Pods[i].StandIn = s.Pods[i].Name == "p1"
		}
	}
	d, err := NewDiff(before, after, DiffOptions{Ports: ports})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	evBefore, _ := New(before)
	evAfter, _ := New(after)
	type pair struct {
		from, to string
		port     int
	}
	want := map[pair]bool{} // changed pod pairs -> opened
	index := map[string]int{}
	for i := range before.Pods {
		index[before.Pods[i].ID()] = i
	}
	for fa := range after.Pods {
		fb, ok := index[after.Pods[fa].ID()]
		if !ok {
			continue
		}
		for ta := range after.Pods {
			tb, ok := index[after.Pods[ta].ID()]
			if !ok {
				continue
			}
			for pi, pp := range ports {
				was := evBefore.Evaluate(Connection{From: Endpoint{Pod: &before.Pods[fb]}, To: Endpoint{Pod: &before.Pods[tb]}, Port: pp.Port, Protocol: pp.Protocol})
				now := evAfter.Evaluate(Connection{From: Endpoint{Pod: &after.Pods[fa]}, To: Endpoint{Pod: &after.Pods[ta]}, Port: pp.Port, Protocol: pp.Protocol})
				if was.Allowed != now.Allowed {
					want[pair{after.Pods[fa].ID(), after.Pods[ta].ID(), pi}] = now.Allowed
				}
			}
		}
	}
	got := map[pair]bool{}
	for _, c := range d.Changes {
		n := 0
		for _, f := range d.Groups[c.From].Pods {
			for _, to := range d.Groups[c.To].Pods {
				if f == to && !after.Pods[f].StandIn {
					continue // loopback: never a change
				}
				got[pair{after.Pods[f].ID(), after.Pods[to].ID(), c.Port}] = c.Opened
				n++
			}
		}
		if n != c.Pairs {
			t.Fatalf("seed %d: change %+v counts %d pairs, its groups hold %d", seed, c, c.Pairs, n)
		}
		was, now := d.Verdicts(c)
		f, to := &after.Pods[d.Groups[c.From].Pods[0]], &after.Pods[d.Groups[c.To].Pods[0]]
		pp := ports[c.Port]
		wantNow := evAfter.Evaluate(Connection{From: Endpoint{Pod: f}, To: Endpoint{Pod: to}, Port: pp.Port, Protocol: pp.Protocol})
		if f != to && (!reflect.DeepEqual(now.Egress.Reasons, wantNow.Egress.Reasons) || !reflect.DeepEqual(now.Ingress.Reasons, wantNow.Ingress.Reasons)) {
			t.Fatalf("seed %d: after reasons %+v, Evaluate %+v", seed, now, wantNow)
		}
		if was.Allowed == now.Allowed || now.Allowed != c.Opened {
			t.Fatalf("seed %d: change %+v with verdicts %t -> %t", seed, c, was.Allowed, now.Allowed)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seed %d: diff %v\npod pairs %v", seed, got, want)
	}
	opened, closed := d.Counts()
	for _, o := range want {
		if o {
			opened--
		} else {
			closed--
		}
	}
	if opened != 0 || closed != 0 {
		t.Fatalf("seed %d: counts off by %d opened, %d closed", seed, opened, closed)
	}
}

// The cluster-scoped tier in a diff, on the x/y/z model (port 80/TCP): the connections follow
// a change of a cluster policy alone, and the policy is listed with what changed. Expectations
// from the network-policy-api documentation: an Admin Deny is final; a Pass hands the traffic
// to the NetworkPolicies (none here: allowed); the Baseline tier is not reached where a
// NetworkPolicy isolates the pod.
func TestDiffClusterTier(t *testing.T) {
	const baselineFromY = `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: baseline-x}
spec:
  tier: Baseline
  priority: 5
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - name: from-y
    action: Accept
    from: [{namespaces: {matchLabels: {ns: "y"}}}]`
	passFromY := strings.Replace(cnpDenyFromY, "action: Deny", "action: Pass", 1)
	baselineDeny := strings.Replace(baselineFromY, "action: Accept", "action: Deny", 1)
	yToX := func(mark string) []string {
		var out []string
		for _, from := range []string{"y/a", "y/b", "y/c"} {
			for _, to := range []string{"x/a", "x/b", "x/c"} {
				out = append(out, fmt.Sprintf("%s [%s] -> [%s] 80/TCP x1", mark, from, to))
			}
		}
		return out
	}
	for _, tc := range []struct {
		name                   string
		nps                    []string
		before, after          []string // cluster policies
		want                   []string
		objects                []ObjectChange
		wasReasons, nowReasons []string // of y/a -> x/a's ingress side, when a change is wanted
	}{{
		name:       "an Admin Deny added closes what it denies",
		after:      []string{cnpDenyFromY},
		want:       yToX("-"),
		objects:    []ObjectChange{{Kind: KindClusterNetworkPolicy, Name: "deny-from-y", Change: "added"}},
		wasReasons: []string{"ingress not isolated: no policy selects the destination for ingress"},
		nowReasons: []string{"ingress denied by ClusterNetworkPolicy deny-from-y (Admin, priority 10) rule 0 (deny-y)"},
	}, {
		name:    "an Admin Deny removed opens it",
		before:  []string{cnpDenyFromY},
		want:    yToX("+"),
		objects: []ObjectChange{{Kind: KindClusterNetworkPolicy, Name: "deny-from-y", Change: "removed"}},
	}, {
		name:   "a rule's action Deny -> Pass opens: no NetworkPolicy isolates x",
		before: []string{cnpDenyFromY}, after: []string{passFromY},
		want:       yToX("+"),
		objects:    []ObjectChange{{Kind: KindClusterNetworkPolicy, Name: "deny-from-y", Change: "changed", Detail: "ingress"}},
		wasReasons: []string{"ingress denied by ClusterNetworkPolicy deny-from-y (Admin, priority 10) rule 0 (deny-y)"},
		nowReasons: []string{"ingress: Pass by ClusterNetworkPolicy deny-from-y (Admin, priority 10) rule 0 (deny-y), on to the NetworkPolicies",
			"ingress allowed: no NetworkPolicy isolates it and no cluster policy rule decides it"},
	}, {
		name:   "Pass -> Deny under a NetworkPolicy that allows y: the Admin tier now decides",
		nps:    []string{npAllowFromY},
		before: []string{passFromY}, after: []string{cnpDenyFromY},
		want:    yToX("-"),
		objects: []ObjectChange{{Kind: KindClusterNetworkPolicy, Name: "deny-from-y", Change: "changed", Detail: "ingress"}},
	}, {
		name:   "a Baseline change under an isolating NetworkPolicy changes nothing",
		nps:    []string{npDenyIngressXAll},
		before: []string{baselineFromY}, after: []string{baselineDeny},
		objects: []ObjectChange{{Kind: KindClusterNetworkPolicy, Name: "baseline-x", Change: "changed", Detail: "ingress"}},
	}, {
		name:   "the same Baseline change where nothing isolates x closes",
		before: []string{baselineFromY}, after: []string{baselineDeny},
		want:       yToX("-"),
		objects:    []ObjectChange{{Kind: KindClusterNetworkPolicy, Name: "baseline-x", Change: "changed", Detail: "ingress"}},
		wasReasons: []string{"ingress allowed by ClusterNetworkPolicy baseline-x (Baseline, priority 5) rule 0 (from-y)"},
		nowReasons: []string{"ingress denied by ClusterNetworkPolicy baseline-x (Baseline, priority 5) rule 0 (from-y)"},
	}, {
		name:   "tier and priority: the Deny moves to the Baseline tier, under an isolating NetworkPolicy",
		nps:    []string{npAllowFromY},
		before: []string{cnpDenyFromY},
		after:  []string{strings.NewReplacer("tier: Admin", "tier: Baseline", "priority: 10", "priority: 20").Replace(cnpDenyFromY)},
		want:   yToX("+"),
		objects: []ObjectChange{{Kind: KindClusterNetworkPolicy, Name: "deny-from-y", Change: "changed",
			Detail: "tier: -Admin +Baseline; priority: -10 +20"}},
	}, {
		name:   "the subject: z in place of x",
		before: []string{cnpDenyFromY},
		after:  []string{strings.Replace(cnpDenyFromY, "subject: {namespaces: {matchLabels: {ns: x}}}", "subject: {namespaces: {matchLabels: {ns: z}}}", 1)},
		want: func() []string {
			var out []string
			for _, from := range []string{"y/a", "y/b", "y/c"} {
				for _, to := range []string{"z/a", "z/b", "z/c"} {
					out = append(out, fmt.Sprintf("- [%s] -> [%s] 80/TCP x1", from, to))
				}
			}
			return append(out, yToX("+")...)
		}(),
		objects: []ObjectChange{{Kind: KindClusterNetworkPolicy, Name: "deny-from-y", Change: "changed", Detail: "subject"}},
	}, {
		name:   "v1alpha2 and v1beta1 are one object: not a change",
		before: []string{cnpDenyFromY}, after: []string{strings.Replace(cnpDenyFromY, "v1beta1", "v1alpha2", 1)},
	}, {
		name: "AdminNetworkPolicy: a protocol left out is TCP, not a change",
		before: []string{`
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress: [{name: deny-y, action: Deny, from: [{namespaces: {matchLabels: {ns: "y"}}}], ports: [{portNumber: {port: 80}}]}]`},
		after: []string{`
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress: [{name: deny-y, action: Deny, from: [{namespaces: {matchLabels: {ns: "y"}}}], ports: [{portNumber: {port: 80, protocol: TCP}}]}]`},
	}, {
		name: "kinds in order, each by name: an AdminNetworkPolicy removed, a BaselineAdminNetworkPolicy and a ClusterNetworkPolicy added",
		before: []string{`
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-from-y}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress: [{name: deny-y, action: Deny, from: [{namespaces: {matchLabels: {ns: "y"}}}]}]`},
		after: []string{`
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress: [{name: deny-z, action: Deny, to: [{namespaces: {matchLabels: {ns: z}}}]}]`, cnpDenyFromY},
		want: func() []string {
			var out []string
			for _, from := range []string{"x/a", "x/b", "x/c"} {
				for _, to := range []string{"z/a", "z/b", "z/c"} {
					out = append(out, fmt.Sprintf("- [%s] -> [%s] 80/TCP x1", from, to))
				}
			}
			return out
		}(),
		objects: []ObjectChange{
			{Kind: KindClusterNetworkPolicy, Name: "deny-from-y", Change: "added"},
			{Kind: KindAdminNetworkPolicy, Name: "deny-from-y", Change: "removed"},
			{Kind: KindBaselineAdminNetworkPolicy, Name: "default", Change: "added"},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := withCluster(t, tc.nps, tc.before...), withCluster(t, tc.nps, tc.after...)
			d, err := NewDiff(before, after, DiffOptions{Ports: []PortProtocol{{80, "TCP"}}})
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			sort.Strings(want)
			if got := diffLines(before, after, d); !reflect.DeepEqual(got, want) {
				t.Errorf("changes:\n%q\nwant\n%q", got, want)
			}
			if !reflect.DeepEqual(d.Objects, tc.objects) {
				t.Errorf("objects:\n%+v\nwant\n%+v", d.Objects, tc.objects)
			}
			// Cluster-scoped, they are listed whatever namespace the diff is limited to.
			in, err := NewDiff(before, after, DiffOptions{Ports: []PortProtocol{{80, "TCP"}}, Namespace: func(ns string) bool { return ns == "y" }})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in.Objects, tc.objects) {
				t.Errorf("objects, limited to namespace y:\n%+v\nwant\n%+v", in.Objects, tc.objects)
			}
			if tc.wasReasons == nil {
				return
			}
			for _, c := range d.Changes {
				f, to := after.Pods[d.Groups[c.From].Pods[0]].ID(), after.Pods[d.Groups[c.To].Pods[0]].ID()
				if f != "y/a" || to != "x/a" {
					continue
				}
				was, now := d.Verdicts(c)
				if !reflect.DeepEqual(was.Ingress.Reasons, tc.wasReasons) || !reflect.DeepEqual(now.Ingress.Reasons, tc.nowReasons) {
					t.Errorf("y/a -> x/a ingress reasons\nbefore %q\nafter  %q\nwant %q\nand  %q", was.Ingress.Reasons, now.Ingress.Reasons, tc.wasReasons, tc.nowReasons)
				}
				return
			}
			t.Errorf("no change y/a -> x/a")
		})
	}
}

// Nodes, which a cluster policy's nodes peer selects by label and matches by address: added,
// removed, and their labels and addresses changed, after the namespaces and before the cluster
// policies, each by name; a node that did not change is not listed.
func TestDiffNodes(t *testing.T) {
	before, after := withCluster(t, nil, cnpDenyFromY), withCluster(t, nil, cnpDenyFromY)
	before.Nodes = []Node{
		{Name: "n1", Labels: map[string]string{"role": "web"}, IPs: []netip.Addr{netip.MustParseAddr("10.9.0.1")}},
		{Name: "n2", Labels: map[string]string{"role": "db"}},
		{Name: "n4", Labels: map[string]string{"role": "db"}, IPs: []netip.Addr{netip.MustParseAddr("10.9.0.4")}},
	}
	after.Nodes = []Node{
		{Name: "n4", Labels: map[string]string{"role": "db"}, IPs: []netip.Addr{netip.MustParseAddr("10.9.0.4")}},
		{Name: "n3"},
		{Name: "n1", Labels: map[string]string{"role": "db"}, IPs: []netip.Addr{netip.MustParseAddr("10.9.0.2")}},
	}
	d, err := NewDiff(before, after, DiffOptions{Ports: []PortProtocol{{80, "TCP"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []ObjectChange{
		{Kind: "Node", Name: "n1", Change: "changed", Detail: "labels: -role=web +role=db; IPs"},
		{Kind: "Node", Name: "n2", Change: "removed"},
		{Kind: "Node", Name: "n3", Change: "added"},
	}
	if !reflect.DeepEqual(d.Objects, want) {
		t.Errorf("objects:\n%+v\nwant\n%+v", d.Objects, want)
	}
}
