package policy

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Every text the diagnosis and the verdicts give a learner, in each language other than
// English: the causes' messages and fixes, each side's reasons, and the rule walkthrough's
// peers and ports. On every case of TestDiagnose, the hand-written evaluator tables, the
// upstream e2e cases, a few cases for the rarer causes and random snapshots, each text
//   - holds no English (lang.Untranslated, with the fixture's names as names),
//   - differs from the English when the English has words to translate,
//   - and, in English, is exactly the English text the field holds (Says is Message).
func TestDiagnosisInEveryLanguage(t *testing.T) {
	ck := &langCheck{t: t, seen: map[string]bool{}}
	for _, tc := range diagnoseCases() {
		s := withPolicies(t, tc.policies...)
		c := Connection{From: endpoint(s, tc.from), To: endpoint(s, tc.to), Port: tc.port, Protocol: tc.proto}
		ck.connection("TestDiagnose/"+tc.name, s, c, Intent{Want: tc.want, IngressOnly: tc.code == CauseEgressIsolated})
	}
	// TestDiagnoseDefaultedNamespace's policy, which kubectl apply put in the current namespace.
	s := withPolicies(t, `
metadata: {name: deny-a, namespace: default}
spec: {podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress]}`)
	ck.connection("defaulted namespace", s, Connection{From: endpoint(s, "z/b"), To: endpoint(s, "x/a"), Port: 80},
		Intent{Want: false, Defaulted: map[string]bool{"default/deny-a": true}})
	for _, tc := range cases {
		ck.everyPair("evaluate table/"+tc.name, withPolicies(t, tc.policies...), []PortProtocol{{tc.port, tc.proto}})
	}
	for _, tc := range upstreamCases() {
		for i, st := range tc.steps {
			s := withPolicies(t, st.policies...)
			if st.sctp {
				withSCTP(s)
			}
			for _, change := range st.labels {
				change.apply(s)
			}
			var ports []PortProtocol
			for _, p := range st.probes {
				ports = append(ports, PortProtocol{p.port, p.proto})
			}
			ck.everyPair(fmt.Sprintf("upstream/%s/step %d", tc.name, i+1), s, ports)
		}
	}
	for name, s := range rareCauses(t) {
		ck.everyPair(name, s, []PortProtocol{{53, corev1.ProtocolUDP}, {53, corev1.ProtocolTCP}, {80, corev1.ProtocolTCP}, {8080, corev1.ProtocolTCP}})
	}
	for seed := range uint64(40) {
		s := randomSnapshot(rand.New(rand.NewPCG(seed, 7)))
		ck.everyPair(fmt.Sprintf("random seed %d", seed), s, []PortProtocol{{80, "TCP"}, {53, "UDP"}, {8080, "TCP"}, {82, "SCTP"}})
	}
	// The cluster tier: its hand-written cases, random cluster policies, and a rule without
	// peers.
	for _, tc := range clusterCases() {
		ck.everyPair("cluster/"+tc.name, withCluster(t, tc.nps, tc.cnps...), []PortProtocol{{tc.port, cmp.Or(tc.proto, tcp)}})
	}
	for seed := range uint64(40) {
		s := randomSnapshot(rand.New(rand.NewPCG(seed, 7)))
		s.ClusterPolicies = randomClusterPolicies(rand.New(rand.NewPCG(seed, 13)), s)
		if seed%4 == 0 {
			s.ClusterPoliciesUnread = []string{"clusternetworkpolicies.policy.networking.k8s.io"}
		}
		ck.everyPair(fmt.Sprintf("cluster random seed %d", seed), s, []PortProtocol{{80, "TCP"}, {53, "UDP"}, {8080, "TCP"}})
	}
	s = withPolicies(t)
	s.ClusterPolicies = []ClusterPolicy{{Name: "no-peers", Kind: KindClusterNetworkPolicy, Tier: TierAdmin, Subject: ClusterSubject{Namespaces: &metav1.LabelSelector{}},
		Ingress: []ClusterRule{{Action: ActionDeny}}}}
	ck.everyPair("cluster rule without peers", s, []PortProtocol{{80, "TCP"}})
	// Every message of the diagnosis was met at least once.
	for id := range lang.Messages()[lang.En] {
		if (strings.HasPrefix(id, "diagnose.") || strings.HasPrefix(id, "verdict.")) && !ck.ids[id] {
			t.Errorf("no case shows message %s", id)
		}
	}
}

// rareCauses are snapshots for the causes the x/y/z model cannot show: DNS that the pod's egress
// policy leaves out, ports declared without a name, addresses outside a cidr.
func rareCauses(t *testing.T) map[string]*Snapshot {
	dns := withPolicies(t, `
metadata: {name: egress-web, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]}]`, `
metadata: {name: named, namespace: "y"}
spec:
  podSelector: {}
  ingress: [{ports: [{port: web}]}]`, `
metadata: {name: cidr, namespace: z}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.1.0/24}}]}]
  egress: [{to: [{ipBlock: {cidr: 10.0.1.0/30}}]}]`, `
metadata: {name: far, namespace: z}
spec:
  podSelector: {matchLabels: {pod: b}}
  ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/24}}]}]`)
	dns.Namespaces = append(dns.Namespaces, Namespace{Name: "kube-system", Labels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}})
	dns.Pods = append(dns.Pods, Pod{Namespace: "kube-system", Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"},
		IPs: []netip.Addr{netip.MustParseAddr("10.96.0.10")}, Ports: []Port{{Port: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP}}})
	for i := range dns.Pods {
		if dns.Pods[i].Namespace == "y" {
			dns.Pods[i].Ports[0].Name = "" // declared, without a name
		}
		if dns.Pods[i].Namespace == "z" && dns.Pods[i].Name == "c" {
			dns.Pods[i].Ports = nil
		}
	}
	// A namespaceSelector with expressions the namespace fails, and one on a label it lacks.
	expr := withPolicies(t, `
metadata: {name: from-not-y, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: ["y"]}, {key: team, operator: Exists}]}}]}]`, `
metadata: {name: from-ns-b, namespace: z}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: b}}, podSelector: {matchLabels: {pod: b}}}]}]`)
	return map[string]*Snapshot{"rare causes": dns, "namespace expressions": expr}
}

// langCheck holds each text to the rules above, once per distinct text.
type langCheck struct {
	t      *testing.T
	seen   map[string]bool
	ids    map[string]bool
	failed int
}

// everyPair checks every pod pair of the snapshot, and each pod with addresses outside the
// cluster, on each port.
func (ck *langCheck) everyPair(name string, s *Snapshot, ports []PortProtocol) {
	var ends []Endpoint
	for i := range s.Pods {
		ends = append(ends, Endpoint{Pod: &s.Pods[i]})
	}
	for _, ip := range []string{"10.0.1.3", "192.0.2.9"} {
		ends = append(ends, Endpoint{IP: netip.MustParseAddr(ip)})
	}
	for _, pp := range ports {
		for _, from := range ends {
			for _, to := range ends {
				if from.Pod == nil && to.Pod == nil {
					continue
				}
				c := Connection{From: from, To: to, Port: pp.Port, Protocol: pp.Protocol}
				ck.connection(name, s, c, Intent{})
			}
		}
	}
}

// connection checks the verdict of c and its diagnosis with the verdict wanted the other way
// (in.Want is set to it), with and without IngressOnly.
func (ck *langCheck) connection(name string, s *Snapshot, c Connection, in Intent) {
	t := ck.t
	t.Helper()
	e, err := New(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	names := fixtureNames(s)
	v := e.Evaluate(c)
	where := fmt.Sprintf("%s: %s", name, c)
	for _, side := range []Side{v.Egress, v.Ingress} {
		ck.side(where, side, names)
	}
	for _, only := range []bool{in.IngressOnly, !in.IngressOnly} {
		in := in
		in.Want, in.IngressOnly = !v.Allowed, only
		for _, cause := range e.Diagnose(c, in) {
			ck.cause(where, cause, names)
		}
	}
}

func (ck *langCheck) side(where string, s Side, names map[string]bool) {
	if len(s.Why) != len(s.Reasons) {
		ck.t.Fatalf("%s: %d reasons, %d messages", where, len(s.Reasons), len(s.Why))
	}
	english := append([]string(nil), s.Reasons...)
	for i, m := range s.Why {
		ck.says(where, "reason", m, s.Reasons[i])
	}
	for _, rc := range s.Rules {
		ck.says(where, "peers", rc.PeersSays, rc.Peers)
		ck.says(where, "ports", rc.PortsSays, rc.Ports)
	}
	detail := s.ClusterDetail
	if detail == nil {
		detail = &ClusterDetail{}
	}
	if len(detail.NotesSay) != len(detail.Notes) {
		ck.t.Fatalf("%s: %d notes, %d messages", where, len(detail.Notes), len(detail.NotesSay))
	}
	for i, m := range detail.NotesSay {
		ck.says(where, "note", m, detail.Notes[i])
	}
	for _, rc := range detail.Rules {
		ck.says(where, "cluster peers", rc.PeersSays, rc.Peers)
		ck.says(where, "cluster ports", rc.PortsSays, rc.Ports)
	}
	for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
		in := s.In(l)
		for i, r := range in.Reasons {
			ck.text(where, l, "reason", r, s.Reasons[i], names)
		}
		for i, rc := range in.Rules {
			ck.text(where, l, "peers", rc.Peers, s.Rules[i].Peers, names)
			ck.text(where, l, "ports", rc.Ports, s.Rules[i].Ports, names)
		}
		if in.ClusterDetail != nil {
			for i, n := range in.ClusterDetail.Notes {
				ck.text(where, l, "note", n, detail.Notes[i], names)
			}
			for i, rc := range in.ClusterDetail.Rules {
				ck.text(where, l, "cluster peers", rc.Peers, detail.Rules[i].Peers, names)
				ck.text(where, l, "cluster ports", rc.Ports, detail.Rules[i].Ports, names)
			}
			if in.ClusterDetail == s.ClusterDetail {
				ck.t.Fatalf("%s: Side.In(%s) shares the cluster detail it translates", where, l)
			}
		}
		for i := range english {
			if s.Reasons[i] != english[i] {
				ck.t.Fatalf("%s: Side.In(%s) changed the side it was called on: %q", where, l, s.Reasons[i])
			}
		}
	}
}

func (ck *langCheck) cause(where string, c Cause, names map[string]bool) {
	where += " " + c.Code
	ck.says(where, "message", c.Says, c.Message)
	if c.Fix != "" || !c.FixSays.IsZero() {
		ck.says(where, "fix", c.FixSays, c.Fix)
	}
	for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
		in := c.In(l)
		ck.text(where, l, "message", in.Message, c.Message, names)
		ck.text(where, l, "fix", in.Fix, c.Fix, names)
	}
}

// says checks that a message is the English text it stands for, and notes the IDs it uses.
func (ck *langCheck) says(where, what string, m lang.Msg, english string) {
	if m.IsZero() {
		ck.fail("%s: the %s %q has no message", where, what, english)
		return
	}
	if got := m.String(); got != english {
		ck.fail("%s: the %s's message in English is %q, the %s %q", where, what, got, what, english)
	}
	ck.noteIDs(m)
	// The separators of lists (lang.Join) are not seen in a message: their English is.
	if strings.Contains(english, "\nand\n") {
		ck.ids["diagnose.fix.and"] = true
	}
	if what == "peers" && strings.Contains(english, " OR ") {
		ck.ids["verdict.peers.or"] = true
	}
}

func (ck *langCheck) noteIDs(m lang.Msg) {
	if ck.ids == nil {
		ck.ids = map[string]bool{}
	}
	if m.ID != "" {
		ck.ids[m.ID] = true
	}
	for _, a := range m.Args {
		if inner, ok := a.(lang.Msg); ok {
			ck.noteIDs(inner)
		}
	}
}

// text checks one rendering in l of a text whose English is english.
func (ck *langCheck) text(where string, l lang.Lang, what, text, english string, names map[string]bool) {
	key := string(l) + "\x00" + text
	if ck.seen[key] {
		return
	}
	ck.seen[key] = true
	if runs := lang.Untranslated(text, names); len(runs) > 0 {
		ck.fail("%s: the %s in %s keeps English %q:\n%s", where, what, l, runs, text)
	}
	if text == english && len(lang.Untranslated(english, names)) > 0 {
		ck.fail("%s: the %s in %s is the English one:\n%s", where, what, l, text)
	}
}

func (ck *langCheck) fail(format string, args ...any) {
	ck.t.Helper()
	if ck.failed++; ck.failed <= 40 {
		ck.t.Errorf(format, args...)
	} else if ck.failed == 41 {
		ck.t.Errorf("(more failures left out)")
	}
}

// fixtureNames are the names a snapshot gives: namespaces, pods, policies, label keys and
// values (of objects and of selectors), port names; and the operators a label selector is
// written with, which selectorWords shows as kubectl does.
func fixtureNames(s *Snapshot) map[string]bool {
	names := map[string]bool{"in": true, "notin": true}
	add := func(words ...string) {
		for _, w := range words {
			for _, part := range strings.FieldsFunc(w, func(r rune) bool { return strings.ContainsRune("/.=: ", r) }) {
				names[part] = true
			}
			names[w] = true
		}
	}
	addLabels := func(l map[string]string) {
		for k, v := range l {
			add(k, v)
		}
	}
	addSelector := func(sel *metav1.LabelSelector) {
		if sel == nil {
			return
		}
		addLabels(sel.MatchLabels)
		for _, r := range sel.MatchExpressions {
			add(r.Key)
			add(r.Values...)
		}
	}
	for _, ns := range s.Namespaces {
		add(ns.Name)
		addLabels(ns.Labels)
	}
	for _, p := range s.Pods {
		add(p.Namespace, p.Name)
		addLabels(p.Labels)
		for _, port := range p.Ports {
			add(port.Name)
		}
	}
	for _, p := range s.ClusterPolicies {
		add(p.Name)
		addSelector(p.Subject.Namespaces)
		if p.Subject.Pods != nil {
			addSelector(&p.Subject.Pods.NamespaceSelector)
			addSelector(&p.Subject.Pods.PodSelector)
		}
		for _, r := range slices.Concat(p.Ingress, p.Egress) {
			add(r.Name)
			for _, pr := range r.Peers {
				addSelector(pr.Namespaces)
				addSelector(pr.Nodes)
				if pr.Pods != nil {
					addSelector(&pr.Pods.NamespaceSelector)
					addSelector(&pr.Pods.PodSelector)
				}
				add(pr.DomainNames...)
			}
			for _, port := range r.Ports {
				add(port.Name)
			}
		}
	}
	for _, n := range s.Nodes {
		add(n.Name)
		addLabels(n.Labels)
	}
	for _, p := range s.Policies {
		add(p.Namespace, p.Name)
		addSelector(&p.Spec.PodSelector)
		for _, r := range p.Spec.Ingress {
			for _, pr := range r.From {
				addSelector(pr.PodSelector)
				addSelector(pr.NamespaceSelector)
			}
			for _, port := range r.Ports {
				if port.Port != nil {
					add(port.Port.String())
				}
			}
		}
		for _, r := range p.Spec.Egress {
			for _, pr := range r.To {
				addSelector(pr.PodSelector)
				addSelector(pr.NamespaceSelector)
			}
			for _, port := range r.Ports {
				if port.Port != nil {
					add(port.Port.String())
				}
			}
		}
	}
	return names
}
