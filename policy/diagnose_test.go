package policy

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// diagnoseCase is one mistake on the x/y/z model: the policies, the connection, the verdict
// wanted, and what the first cause must be and say.
type diagnoseCase struct {
	name     string
	policies []string
	from, to string
	port     int32
	proto    corev1.Protocol
	want     bool
	code     string
	says     []string
	never    []string
}

// endpoint is the pod with ID id ("x/a") of the snapshot, or else the address id.
func endpoint(s *Snapshot, id string) Endpoint {
	for i := range s.Pods {
		if s.Pods[i].ID() == id {
			return Endpoint{Pod: &s.Pods[i]}
		}
	}
	return Endpoint{IP: netip.MustParseAddr(id)}
}

// The diagnosis on the x/y/z model (namespaces labelled ns=NAME, pods pod=NAME, each serving
// 80 and 81 over TCP and UDP, with named ports serve-80-tcp and the like): for each mistake, the
// first cause's code, words its message and fix must hold, and words they must not.
func TestDiagnose(t *testing.T) {
	for _, tc := range diagnoseCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := withPolicies(t, tc.policies...)
			e, err := New(s)
			if err != nil {
				t.Fatal(err)
			}
			c := Connection{From: endpoint(s, tc.from), To: endpoint(s, tc.to), Port: tc.port, Protocol: tc.proto}
			if got := e.Evaluate(c).Allowed; got == tc.want {
				t.Fatalf("the case is wrong: %s is already %t", c, got)
			}
			causes := e.Diagnose(c, Intent{Want: tc.want, IngressOnly: tc.code == CauseEgressIsolated})
			if len(causes) == 0 {
				t.Fatalf("no cause")
			}
			first := causes[0]
			text := first.Message + "\n" + first.Fix
			if first.Code != tc.code {
				t.Errorf("first cause %s, want %s: %s", first.Code, tc.code, text)
			}
			for _, w := range tc.says {
				if !strings.Contains(text, w) {
					t.Errorf("first cause lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tc.never {
				if strings.Contains(text, w) {
					t.Errorf("first cause holds %q, which does not apply here:\n%s", w, text)
				}
			}
			if e.Diagnose(c, Intent{Want: !tc.want}) != nil {
				t.Errorf("a verdict that is the one wanted has causes")
			}
		})
	}
}

func diagnoseCases() []diagnoseCase {
	return []diagnoseCase{
		{name: "port near miss names both ports", policies: []string{`
metadata: {name: to-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}], ports: [{port: 81}]}]`},
			from: "y/b", to: "x/a", port: 80, want: true, code: CausePort,
			says: []string{"x/to-a ingress rule 0", "admits 81/TCP, not 80/TCP", "{port: 80, protocol: TCP}"}, never: []string{"EITHER", " AND ", " OR "}},
		{name: "namespace label nobody carries, with both fixes and the real name", policies: []string{`
metadata: {name: from-y, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {name: "y"}}}]}]`},
			from: "y/b", to: "x/a", port: 80, want: true, code: CauseNamespaceLabels,
			says: []string{"namespace y has no label name", "kubectl label namespace y name=y", "kubernetes.io/metadata.name: y"}, never: []string{"NAME"}},
		{name: "podSelector alone looks in the policy's namespace", policies: []string{`
metadata: {name: from-b, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]`},
			from: "y/b", to: "x/a", port: 80, want: true, code: CausePodSelectorOnly,
			says: []string{"own namespace (x)", "y/b is in y", "kubernetes.io/metadata.name: y", "podSelector: {matchLabels: {pod: b}}"}},
		{name: "podSelector {} meant as everyone", policies: []string{`
metadata: {name: from-all, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}]}]`},
			from: "z/c", to: "x/a", port: 80, want: true, code: CauseEmptyPodSelector,
			says: []string{"every pod of the policy's own namespace (x)", "namespaceSelector: {}"}},
		{name: "UDP only, TCP wanted", policies: []string{`
metadata: {name: udp, namespace: x}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 81, protocol: UDP}]}]`},
			from: "y/b", to: "x/a", port: 81, proto: corev1.ProtocolTCP, want: true, code: CauseProtocol,
			says: []string{"admits 81/UDP, not 81/TCP", "protocol: TCP"}},
		{name: "named port the destination does not declare", policies: []string{`
metadata: {name: named, namespace: x}
spec:
  podSelector: {}
  ingress: [{ports: [{port: http}]}]`},
			from: "y/b", to: "x/a", port: 80, want: true, code: CauseNamedPort,
			says: []string{`"http"`, "serve-80-tcp=80/TCP"}},
		{name: "a policy with a typo in its podSelector is named before the deny", policies: []string{`
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}`, `
metadata: {name: allow-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: aa}}
  ingress: [{from: [{namespaceSelector: {}}]}]`},
			from: "y/b", to: "x/a", port: 80, want: true, code: CausePolicySelectsNone,
			says: []string{"x/allow-a would admit it", "[pod=aa] selects no pod in x", "matchLabels: {pod: a}"}},
		{name: "an address through an ipBlock except", policies: []string{`
metadata: {name: cidr, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.0/28]}}]}]`},
			from: "192.0.2.5", to: "x/a", port: 80, want: true, code: CauseIPBlock,
			says: []string{"192.0.2.5 is in its except 192.0.2.0/28"}, never: []string{"EITHER", "namespaceSelector"}},
		{name: "a selector for an address outside the cluster", policies: []string{`
metadata: {name: sel, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {}}]}]`},
			from: "198.51.100.9", to: "x/a", port: 80, want: true, code: CauseSelectorForIP,
			says: []string{"198.51.100.9 is an address outside the cluster", "ipBlock: {cidr: 198.51.100.9/32}"}},
		{name: "nothing near: add a rule, with the real names", policies: []string{`
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}`},
			from: "y/b", to: "x/a", port: 80, want: true, code: CauseNoRule,
			says: []string{"x/deny isolates the ingress of x/a and has no ingress rules", "kubernetes.io/metadata.name: y", "{pod: b}", "{port: 80, protocol: TCP}"}},
		{name: "only ingress meant: the egress isolation is the mistake", policies: []string{`
metadata: {name: deny, namespace: "y"}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`},
			from: "y/b", to: "x/a", port: 80, want: true, code: CauseEgressIsolated,
			says: []string{"Remove Egress from the policy's policyTypes"}},
		{name: "split peers admit what AND would not", policies: []string{`
metadata: {name: split, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}, {podSelector: {matchLabels: {pod: b}}}]}]`},
			from: "y/a", to: "x/a", port: 80, want: false, code: CauseSplitPeers,
			says: []string{"EITHER admits", "namespaceSelector: {matchLabels: {ns: y}}\n      podSelector: {matchLabels: {pod: b}}"}},
		{name: "a rule with no ports admits every port", policies: []string{`
metadata: {name: any-port, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]}]`},
			from: "y/a", to: "x/a", port: 81, want: false, code: CauseRuleAdmits,
			says: []string{"x/any-port ingress rule 0 admits y/a on 81/TCP", "lists no ports"}, never: []string{"EITHER"}},
		{name: "ingress rules that policyTypes leaves out", policies: []string{`
metadata: {name: egress-only, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "x"}}}]}]
  egress: [{}]`},
			from: "y/a", to: "x/a", port: 80, want: false, code: CausePolicyTypeMissing,
			says: []string{"x/egress-only selects x/a and has ingress rules", "Add Ingress to policyTypes"}},
		{name: "a policy in another namespace", policies: []string{`
metadata: {name: deny-a, namespace: z}
spec: {podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress]}`, `
metadata: {name: keep-z, namespace: z}
spec: {podSelector: {matchLabels: {pod: zz}}}`},
			from: "y/a", to: "x/c", port: 80, want: false, code: CauseNotIsolated,
			says: []string{"no policy isolates the ingress of x/c"}},
	}
}

// A policy moved to another namespace (a file without metadata.namespace) is named as the
// cause of a pod left unisolated, where kubectl apply put it.
func TestDiagnoseDefaultedNamespace(t *testing.T) {
	s := withPolicies(t, `
metadata: {name: deny-a, namespace: default}
spec: {podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress]}`)
	e, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	c := Connection{From: Endpoint{Pod: &s.Pods[4]}, To: Endpoint{Pod: &s.Pods[0]}, Port: 80}
	causes := e.Diagnose(c, Intent{Want: false, Defaulted: map[string]bool{"default/deny-a": true}})
	if len(causes) == 0 || causes[0].Code != CausePolicyElsewhere {
		t.Fatalf("causes %+v, want %s first", causes, CausePolicyElsewhere)
	}
	for _, w := range []string{"no metadata.namespace", "current namespace (default)", "not in x", "metadata.namespace: x"} {
		if !strings.Contains(causes[0].Message+causes[0].Fix, w) {
			t.Errorf("cause lacks %q: %+v", w, causes[0])
		}
	}
}

// The rule walkthrough never reads like a template left unfilled.
func TestRuleWordingReads(t *testing.T) {
	s := withPolicies(t, `
metadata: {name: broad, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {}}, {podSelector: {}}, {namespaceSelector: {}, podSelector: {matchLabels: {pod: b}}}]
  - ports: [{protocol: UDP}]`)
	e, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	v := e.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[4]}, To: Endpoint{Pod: &s.Pods[0]}, Port: 80})
	var words []string
	for _, rc := range v.Ingress.Rules {
		words = append(words, rc.Peers+"; "+rc.Ports)
	}
	got := strings.Join(words, "\n")
	for _, want := range []string{"every pod in every namespace OR every pod in namespace x OR pods [pod=b] in every namespace; any port", "any peer; any UDP port"} {
		if !strings.Contains(got, want) {
			t.Errorf("walkthrough lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "(all)") || strings.Contains(got, "all ports") {
		t.Errorf("walkthrough reads like a bug:\n%s", got)
	}
}
