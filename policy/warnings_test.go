package policy

import (
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Each kind of warning on the x/y/z model, and none for policies that do what they say.
func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy string
		want   []string // "kind field", in order
		says   string   // a phrase the first message must hold
	}{
		{name: "a sound policy", policy: `
metadata: {name: ok, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}, podSelector: {matchLabels: {pod: b}}}], ports: [{port: serve-80-tcp}]}]`},
		{name: "podSelector with a typo", policy: `
metadata: {name: typo, namespace: x}
spec: {podSelector: {matchLabels: {pod: aa}}, ingress: [{}]}`,
			want: []string{"policy-selects-no-pod spec.podSelector"}, says: "pods in x have labels {pod=a}"},
		{name: "peer that selects no pod", policy: `
metadata: {name: peer, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}, {podSelector: {matchLabels: {app: b}}}]}]`,
			want: []string{"peer-selects-nothing spec.ingress[0].from[1]"}, says: "pods [app=b] in namespace x selects no pod"},
		{name: "namespaceSelector no namespace matches", policy: `
metadata: {name: ns, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: ops}}}]}]`,
			want: []string{"namespace-selector-matches-nothing spec.ingress[0].from[0].namespaceSelector"}, says: "kubectl label namespace NAME team=ops"},
		{name: "named port nobody declares, and one declared for UDP only", policy: `
metadata: {name: ports, namespace: x}
spec:
  podSelector: {}
  ingress: [{ports: [{port: serve-80-tcp}, {port: http}, {port: serve-81-udp}]}]`,
			want: []string{"named-port-undeclared spec.ingress[0].ports[1]", "protocol-mismatch spec.ingress[0].ports[2]"}, says: `named "http"`},
		{name: "number declared for another protocol only", policy: `
metadata: {name: proto, namespace: x}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}, {port: 81, protocol: SCTP}]}]`,
			want: []string{"protocol-mismatch spec.ingress[0].ports[1]"}, says: "declare port 81 for TCP but never for SCTP"},
		{name: "namespaceSelector and podSelector as two items", policy: `
metadata: {name: split, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}, {podSelector: {matchLabels: {pod: b}}}]}]`,
			want: []string{"split-peers spec.ingress[0].from"}, says: "EITHER admits"},
		{name: "egress named port resolves on the peers", policy: `
metadata: {name: egress-port, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 53, protocol: UDP}]
  - to: [{podSelector: {matchLabels: {pod: b}}}]
    ports: [{port: serve-80-tcp}, {port: dns}]`,
			want: []string{"named-port-undeclared spec.egress[1].ports[1]"}, says: `named "dns"`},
		{name: "egress isolation without DNS", policy: `
metadata: {name: no-dns, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {}}]}]`,
			want: []string{"egress-without-dns spec.policyTypes"}, says: "isolates egress of x/a and no policy lets it reach DNS"},
		{name: "egress with DNS to kube-dns", policy: `
metadata: {name: dns, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := Warnings(withPolicies(t, tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ws {
				got = append(got, w.Kind+" "+w.Field)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("warnings %q, want %q\n%+v", got, tc.want, ws)
			}
			if tc.name == "namespaceSelector no namespace matches" && ws[0].Wants["team"] != "ops" {
				t.Errorf("wants %v, want team=ops", ws[0].Wants)
			}
			if tc.says != "" && !strings.Contains(ws[0].Message, tc.says) {
				t.Errorf("message %q lacks %q", ws[0].Message, tc.says)
			}
			// In Korean and Japanese, all but the names (the model's, the policy's).
			names := map[string]bool{}
			for _, w := range strings.FieldsFunc(tc.policy+" x y z a b c", func(r rune) bool { return strings.ContainsRune(" \n{}[]:,\"", r) }) {
				names[w] = true
			}
			for _, w := range ws {
				if w.Says.IsZero() || w.Message != w.Says.String() {
					t.Errorf("%s: Message %q is not Says in English", w.Kind, w.Message)
				}
				for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
					m := w.In(l).Message
					if m == w.Message || !lang.WrittenIn(l, m) || len(lang.Untranslated(m, names)) > 0 {
						t.Errorf("%s in %s: %q (English left: %q)", w.Kind, l, m, lang.Untranslated(m, names))
					}
				}
			}
		})
	}
}

// WithDNS adds pods and a namespace and keeps the rest: the cluster tier above all, whose loss
// once made lab check grade the cluster-tier lab as if no ClusterNetworkPolicy existed.
func TestWithDNSKeepsTheClusterTier(t *testing.T) {
	deny := ClusterPolicy{Kind: KindClusterNetworkPolicy, Name: "deny-metadata", Tier: TierAdmin, Priority: 10}
	s := &Snapshot{
		Namespaces:            []Namespace{{Name: "web", Labels: map[string]string{"kubernetes.io/metadata.name": "web"}}},
		ClusterPolicies:       []ClusterPolicy{deny},
		ClusterPoliciesUnread: []string{"adminnetworkpolicies.policy.networking.k8s.io"},
		Nodes:                 []Node{{Name: "node-1"}},
	}
	got, _ := WithDNS(s, []Pod{{Namespace: "kube-system", Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}}})
	if len(got.ClusterPolicies) != 1 || got.ClusterPolicies[0].Name != "deny-metadata" {
		t.Errorf("cluster policies %v, want deny-metadata kept", got.ClusterPolicies)
	}
	if len(got.ClusterPoliciesUnread) != 1 || len(got.Nodes) != 1 {
		t.Errorf("unread %v, nodes %v: want both kept", got.ClusterPoliciesUnread, got.Nodes)
	}
	if len(got.Pods) != 1 || len(s.Pods) != 0 || len(got.Namespaces) != 2 || len(s.Namespaces) != 1 {
		t.Errorf("pods %d (input %d), namespaces %d (input %d): want the DNS pod and kube-system added to the copy only",
			len(got.Pods), len(s.Pods), len(got.Namespaces), len(s.Namespaces))
	}
}

// The tier a verdict rests on: a denial by cluster policies only, an Admin Accept; never where
// a NetworkPolicy denies too.
func TestDecidingTier(t *testing.T) {
	admin := Side{Tier: TierAdmin}
	baseline := Side{Tier: TierBaseline}
	np := Side{Tier: TierNetworkPolicy}
	open := Side{Allowed: true}
	for _, tc := range []struct {
		v    Verdict
		want Tier
	}{
		{Verdict{Egress: admin, Ingress: open}, TierAdmin},
		{Verdict{Egress: open, Ingress: baseline}, TierBaseline},
		{Verdict{Egress: admin, Ingress: baseline}, TierAdmin},
		{Verdict{Egress: admin, Ingress: np}, ""},
		{Verdict{Egress: open, Ingress: np}, ""},
		{Verdict{Allowed: true, Egress: Side{Allowed: true, Tier: TierAdmin}, Ingress: open}, TierAdmin},
		{Verdict{Allowed: true, Egress: Side{Allowed: true, Tier: TierBaseline}, Ingress: open}, ""},
		{Verdict{Allowed: true, Egress: open, Ingress: open}, ""},
	} {
		if got := tc.v.DecidingTier(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.v, got, tc.want)
		}
	}
}
