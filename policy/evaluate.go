package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Verdict is the answer for one connection, with the reasons of each side.
type Verdict struct {
	Allowed bool `json:"allowed"`
	Egress  Side `json:"egress"`  // the source's side
	Ingress Side `json:"ingress"` // the destination's side
	// Undecided: the verdict may not be the one a cluster gives, because a side rests on what
	// cannot be known offline (see Side.Undecided) and the other side does not deny anyway.
	Undecided bool `json:"undecided,omitempty"`
}

// settle gives the verdict from its sides.
func (v *Verdict) settle() {
	v.Allowed = v.Egress.Allowed && v.Ingress.Allowed
	v.Undecided = v.Egress.Undecided && (v.Ingress.Allowed || v.Ingress.Undecided) ||
		v.Ingress.Undecided && (v.Egress.Allowed || v.Egress.Undecided)
}

// Side is what the policies of one end of a connection decided.
type Side struct {
	// Isolated is true when some policy selects the pod for this direction; only then do
	// policies restrict it. Addresses outside the cluster are never isolated.
	Isolated bool `json:"isolated"`
	Allowed  bool `json:"allowed"`
	// Undecided (cluster policies only): what a note of ClusterDetail says may make a cluster
	// decide this side otherwise.
	Undecided bool `json:"undecided,omitempty"`
	// Selecting names the policies that select the pod for this direction.
	Selecting []string `json:"selecting"`
	// Reasons say which rule allowed the traffic, or why nothing did. They name policies and
	// rules, never the pods, so that pods that behave the same share them. In English: Why
	// holds them as messages (lang/catalog/LANG.diagnose.yaml, verdict.*), one for each. Sides
	// may share both slices: read them, do not write into them (In makes new ones).
	Reasons []string   `json:"reasons"`
	Why     []lang.Msg `json:"-"`
	// Rules is every rule of the selecting policies, as considered: the walkthrough.
	Rules []RuleCheck `json:"rules,omitempty"`
	// Tier is the tier that decided: Admin, NetworkPolicy, Baseline, or "" when nothing did
	// (allowed by default). Set only when the snapshot has cluster policies (or could not read
	// them): without, it stays "", so that verdicts are what they always were, and Isolated
	// says whether the NetworkPolicies decided.
	Tier Tier `json:"tier,omitempty"`
	// Cluster is the cluster policy rule that decided (Tier Admin or Baseline).
	Cluster *ClusterRuleRef `json:"cluster,omitempty"`
	// ClusterDetail is the rest of what cluster policies say of the side (a Pass, notes, the
	// walkthrough of their rules); nil when they say nothing of it.
	ClusterDetail *ClusterDetail `json:"clusterDetail,omitempty"`
}

// ClusterDetail is what the cluster tier adds to a side beyond the rule that decided it.
type ClusterDetail struct {
	// Pass is the Admin tier rule that passed the side on to the NetworkPolicies.
	Pass *ClusterRuleRef `json:"pass,omitempty"`
	// Notes are what the reasons add about the cluster tier: rules whose match cannot be
	// decided offline (domain names, nodes without addresses), policies of one priority that
	// disagree (the API leaves the choice to implementations), cluster policies that could not
	// be read. They end Reasons too. NotesSay are them as messages.
	Notes    []string   `json:"notes,omitempty"`
	NotesSay []lang.Msg `json:"-"`
	// Rules is every rule of the cluster policies that apply to the pod for this direction, in
	// the order they are walked (Evaluate only, like Side.Rules).
	Rules []ClusterRuleCheck `json:"rules,omitempty"`
}

// Notes are the side's notes on the cluster tier (ClusterDetail.Notes), nil without any.
func (s *Side) Notes() []string {
	if s.ClusterDetail == nil {
		return nil
	}
	return s.ClusterDetail.Notes
}

// Pass is the Admin tier rule that passed the side on (ClusterDetail.Pass), nil without one.
func (s *Side) Pass() *ClusterRuleRef {
	if s.ClusterDetail == nil {
		return nil
	}
	return s.ClusterDetail.Pass
}

// In is the side with its reasons, and its rules' peers and ports, in l: new Reasons and Rules
// slices, so that s stays as it is (Selecting and Why are shared, and only read).
func (s Side) In(l lang.Lang) Side {
	if len(s.Why) == len(s.Reasons) && s.Why != nil {
		s.Reasons = make([]string, len(s.Why))
		for i, m := range s.Why {
			s.Reasons[i] = m.In(l)
		}
	}
	if s.Rules != nil {
		rules := make([]RuleCheck, len(s.Rules))
		for i, rc := range s.Rules {
			rules[i] = rc.In(l)
		}
		s.Rules = rules
	}
	if s.ClusterDetail != nil {
		d := *s.ClusterDetail
		if len(d.NotesSay) == len(d.Notes) && d.NotesSay != nil {
			d.Notes = make([]string, len(d.NotesSay))
			for i, m := range d.NotesSay {
				d.Notes[i] = m.In(l)
			}
		}
		if d.Rules != nil {
			rules := make([]ClusterRuleCheck, len(d.Rules))
			for i, rc := range d.Rules {
				rules[i] = rc.In(l)
			}
			d.Rules = rules
		}
		s.ClusterDetail = &d
	}
	return s
}

// In is the rule check with its peers and ports in words of l.
func (rc RuleCheck) In(l lang.Lang) RuleCheck {
	rc.Peers, rc.Ports = rc.PeersSays.InOr(l, rc.Peers), rc.PortsSays.InOr(l, rc.Ports)
	return rc
}

// RuleCheck is one rule of a selecting policy, held against the connection.
type RuleCheck struct {
	Policy    string `json:"policy"` // namespace/name
	Index     int    `json:"rule"`   // the rule's index in the policy's ingress or egress list
	Peers     string `json:"peers"`  // what the rule's peers select, in words (English)
	PeerMatch bool   `json:"peerMatch"`
	Ports     string `json:"ports"` // what the rule's ports admit, in words (English)
	PortMatch bool   `json:"portMatch"`
	// PeersSays and PortsSays are Peers and Ports as messages, for any language.
	PeersSays lang.Msg `json:"-"`
	PortsSays lang.Msg `json:"-"`
}

// Evaluator answers connections for one snapshot.
type Evaluator struct {
	namespaces map[string]labels.Set
	policies   []compiled
	pods       []Pod
	// blocks are the distinct ipBlocks of all rules; peers refer to them by index, so that
	// pods can be told apart by which blocks hold their IPs.
	blocks     []*ipBlock
	blockIndex map[string]int
	snap       *Snapshot // for the diagnosis, which finds the cluster DNS in it
	// words are, per policy, its rules in words: made when a connection first meets it (the
	// truth table alone never needs them).
	wordsOnce sync.Once
	words     []policyWords

	// The cluster tier (clustereval.go), compiled only when the snapshot has cluster policies
	// (or could not read them): clusterOn.
	clusterOn     bool
	cluster       []clusterPolicy
	clusterRules  []*clusterRule
	clusterOrder  [2][]int // Admin, Baseline: indices into cluster, in the order they are walked
	clusterUnread []string
	nodes         []Node
	nodeAddresses bool // some node has an address
}

// ruleWords are what a rule says, as messages and in English: what its peers select, what its
// ports admit, and the reason it gives when it allows a connection. They depend on the rule
// alone, so a policy's are made once, not for every connection.
type ruleWords struct {
	peers, ports, allowed             lang.Msg
	peersText, portsText, allowedText string
}

type policyWords struct {
	once            sync.Once
	ingress, egress []ruleWords
}

// ruleWords are the words of policy pi's rules of one direction.
func (e *Evaluator) ruleWords(pi int, egress bool) []ruleWords {
	e.wordsOnce.Do(func() { e.words = make([]policyWords, len(e.policies)) })
	w := &e.words[pi]
	w.once.Do(func() {
		p := &e.policies[pi]
		for _, eg := range []bool{false, true} {
			rules := p.rules(eg)
			if len(rules) == 0 {
				continue
			}
			out := make([]ruleWords, len(rules))
			for i := range rules {
				rw := &out[i]
				rw.peers, rw.ports, rw.allowed = rules[i].describePeers(e, p.namespace), describePorts(rules[i].ports), allowedWhy(eg, p.name, i)
				rw.peersText, rw.portsText, rw.allowedText = rw.peers.String(), rw.ports.String(), rw.allowed.String()
			}
			if eg {
				w.egress = out
			} else {
				w.ingress = out
			}
		}
	})
	if egress {
		return w.egress
	}
	return w.ingress
}

// compiled is a policy with its selectors parsed once.
type compiled struct {
	name        string // namespace/name
	namespace   string
	podSelector labels.Selector
	ingress     bool // Ingress in the effective policyTypes
	egress      bool
	ingressFrom []rule
	egressTo    []rule
	src         *networkingv1.NetworkPolicy // for diagnoses that quote the policy's own selectors
}

type rule struct {
	peers []peer // empty: every peer
	ports []networkingv1.NetworkPolicyPort
}

type peer struct {
	pods       labels.Selector // nil: not given
	namespaces labels.Selector // nil: not given
	block      int             // index into Evaluator.blocks; -1: not an ipBlock peer
	src        networkingv1.NetworkPolicyPeer
}

type ipBlock struct {
	cidr   netip.Prefix
	except []netip.Prefix
}

// New compiles the snapshot's policies. A policy that cannot be read (a malformed selector or
// CIDR) is an error: the API server would have refused it.
func New(s *Snapshot) (*Evaluator, error) {
	e := &Evaluator{namespaces: map[string]labels.Set{}, pods: s.Pods, blockIndex: map[string]int{}, snap: s}
	for _, ns := range s.Namespaces {
		set := labels.Set{}
		for k, v := range ns.Labels {
			set[k] = v
		}
		e.namespaces[ns.Name] = set
	}
	for i := range s.Policies {
		c, err := e.compile(&s.Policies[i])
		if err != nil {
			return nil, fmt.Errorf("networkpolicy %s/%s: %w", s.Policies[i].Namespace, s.Policies[i].Name, err)
		}
		e.policies = append(e.policies, c)
	}
	if len(s.ClusterPolicies) > 0 || len(s.ClusterPoliciesUnread) > 0 {
		if err := e.compileCluster(s); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *Evaluator) compile(p *networkingv1.NetworkPolicy) (compiled, error) {
	c := compiled{name: p.Namespace + "/" + p.Name, namespace: p.Namespace, src: p}
	var err error
	if c.podSelector, err = metav1.LabelSelectorAsSelector(&p.Spec.PodSelector); err != nil {
		return c, err
	}
	// What the API server defaults policyTypes to when the policy leaves it out.
	if len(p.Spec.PolicyTypes) == 0 {
		c.ingress = true
		c.egress = len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			c.ingress = true
		case networkingv1.PolicyTypeEgress:
			c.egress = true
		}
	}
	for _, r := range p.Spec.Ingress {
		cr, err := e.compileRule(r.From, r.Ports)
		if err != nil {
			return c, err
		}
		c.ingressFrom = append(c.ingressFrom, cr)
	}
	for _, r := range p.Spec.Egress {
		cr, err := e.compileRule(r.To, r.Ports)
		if err != nil {
			return c, err
		}
		c.egressTo = append(c.egressTo, cr)
	}
	return c, nil
}

func (e *Evaluator) compileRule(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) (rule, error) {
	r := rule{ports: ports}
	for i, p := range peers {
		cp := peer{block: -1, src: p}
		// The API server refuses both of these; a file may still hold them.
		if p.PodSelector == nil && p.NamespaceSelector == nil && p.IPBlock == nil {
			return r, fmt.Errorf("peer %d sets none of podSelector, namespaceSelector and ipBlock", i)
		}
		if p.IPBlock != nil && (p.PodSelector != nil || p.NamespaceSelector != nil) {
			return r, fmt.Errorf("peer %d sets ipBlock together with a selector; ipBlock must stand alone", i)
		}
		var err error
		if p.PodSelector != nil {
			if cp.pods, err = metav1.LabelSelectorAsSelector(p.PodSelector); err != nil {
				return r, err
			}
		}
		if p.NamespaceSelector != nil {
			if cp.namespaces, err = metav1.LabelSelectorAsSelector(p.NamespaceSelector); err != nil {
				return r, err
			}
		}
		if p.IPBlock != nil {
			b := &ipBlock{}
			if b.cidr, err = netip.ParsePrefix(p.IPBlock.CIDR); err != nil {
				return r, fmt.Errorf("ipBlock cidr: %w", err)
			}
			for _, ex := range p.IPBlock.Except {
				pfx, err := netip.ParsePrefix(ex)
				if err != nil {
					return r, fmt.Errorf("ipBlock except: %w", err)
				}
				b.except = append(b.except, pfx)
			}
			key := b.String()
			i, ok := e.blockIndex[key]
			if !ok {
				i = len(e.blocks)
				e.blocks = append(e.blocks, b)
				e.blockIndex[key] = i
			}
			cp.block = i
		}
		r.peers = append(r.peers, cp)
	}
	return r, nil
}

// Evaluate decides one connection, with the walkthrough of every rule that was considered.
func (e *Evaluator) Evaluate(c Connection) Verdict {
	if c.Protocol == "" {
		c.Protocol = corev1.ProtocolTCP
	}
	v := Verdict{
		Egress:  e.side(c, c.From, c.To, true),
		Ingress: e.side(c, c.To, c.From, false),
	}
	if c.Loopback() {
		v.Egress.loopback(true)
		v.Ingress.loopback(false)
	}
	v.settle()
	return v
}

// Loopback reports whether the connection goes from a pod to that same pod (same namespace and
// name). NetworkPolicy cannot block it: a pod can always reach itself, whatever its policies say
// (the upstream e2e suite expects it allowed, as cyclonus and netpol-analyzer do). A stand-in
// pod (Pod.StandIn) is the replicas of a workload, so its pair with itself is replica to
// replica, which the policies decide. An address outside the cluster is never loopback.
func (c Connection) Loopback() bool { return loopback(c.From.Pod, c.To.Pod) }

func loopback(from, to *Pod) bool {
	return from != nil && to != nil && !from.StandIn && !to.StandIn && from.Name == to.Name && from.Namespace == to.Namespace
}

// loopback makes a side allow a pod's connection to itself. The policies' view (isolation,
// selecting policies, the rules walked through) stays, for explain --why; only the verdict and
// its reason change.
func (s *Side) loopback(egress bool) {
	s.Allowed, s.Undecided = true, false
	s.Why, s.Reasons = fixed().loopback[boolIndex(egress)].get()
}

// side evaluates the policies of self (the source for egress, the destination for ingress)
// against the other end of the connection.
func (e *Evaluator) side(c Connection, self, other Endpoint, egress bool) Side {
	var s Side
	if self.Pod == nil {
		s.Allowed = true
		s.Why, s.Reasons = fixed().outside[boolIndex(egress)].get()
		return s
	}
	podLabels := labels.Set(self.Pod.Labels)
	for pi := range e.policies {
		p := &e.policies[pi]
		if p.namespace != self.Pod.Namespace || !p.podSelector.Matches(podLabels) || !p.applies(egress) {
			continue
		}
		s.Isolated = true
		s.Selecting = append(s.Selecting, p.name)
		words := e.ruleWords(pi, egress)
		for i, r := range p.rules(egress) {
			w := &words[i]
			check := RuleCheck{Policy: p.name, Index: i, Peers: w.peersText, Ports: w.portsText, PeersSays: w.peers, PortsSays: w.ports,
				PeerMatch: e.peersMatch(r.peers, other, p.namespace), PortMatch: portsMatch(r.ports, c.Port, c.Protocol, c.To.Pod)}
			s.Rules = append(s.Rules, check)
			if check.PeerMatch && check.PortMatch {
				s.Allowed = true
				s.Why = append(s.Why, w.allowed)
				s.Reasons = append(s.Reasons, w.allowedText)
			}
		}
	}
	if e.clusterOn {
		admin, baseline := e.clusterSubjects(self.Pod, egress)
		e.clusterSettle(&s, egress, admin, baseline, func(r *clusterRule) match { return e.clusterRuleMatch(r, other, c) })
		if rules := e.clusterChecks(&s, admin, baseline, egress, other, c); rules != nil {
			if s.ClusterDetail == nil {
				s.ClusterDetail = &ClusterDetail{}
			}
			s.ClusterDetail.Rules = rules
		}
		return s
	}
	s.settle(egress)
	return s
}

// settle gives a side its verdict's reason once its rules were held against the connection:
// not isolated means allowed; isolated with no rule allowing means denied.
func (s *Side) settle(egress bool) {
	switch {
	case !s.Isolated:
		s.Allowed = true
		s.Why, s.Reasons = fixed().notIsolated[boolIndex(egress)].get()
	case !s.Allowed:
		s.Why, s.Reasons = denied(egress, s.Selecting).get()
	}
}

// reason is one reason as a side holds it: the message and its English, each a slice of one
// that sides may share.
type reason struct {
	why  []lang.Msg
	text []string
}

func said(m lang.Msg) reason { return reason{[]lang.Msg{m}, []string{m.String()}} }

func (r reason) get() ([]lang.Msg, []string) { return r.why, r.text }

// fixed are the reasons that name no policy, by direction (ingress, egress), made once.
var fixed = sync.OnceValue(func() *fixedReasons {
	f := &fixedReasons{}
	for i, egress := range []bool{false, true} {
		f.outside[i], f.notIsolated[i], f.loopback[i] = said(outsideWhy(egress)), said(notIsolatedWhy(egress)), said(loopbackWhy(egress))
	}
	return f
})

type fixedReasons struct{ outside, notIsolated, loopback [2]reason }

// The reasons' wording, shared by Evaluate and Matrix (and, in English, the JSON writer), as
// messages of lang/catalog/LANG.diagnose.yaml.

func direction(egress bool) string {
	if egress {
		return "egress"
	}
	return "ingress"
}

// directionWords are the directions as words for sentences (ingress, egress), boxed once.
var directionWords = [2]any{lang.M("verdict.ingress"), lang.M("verdict.egress")}

// dirWord is direction(egress) as a word in a sentence: a message, so that it is translated.
func dirWord(egress bool) any { return directionWords[boolIndex(egress)] }

// dirEnglish is dirWord in English, as the message renders it.
func dirEnglish(egress bool) string { return directionWords[boolIndex(egress)].(lang.Msg).String() }

func outsideWhy(egress bool) lang.Msg {
	if egress {
		return lang.M("verdict.outside.egress")
	}
	return lang.M("verdict.outside.ingress")
}

func notIsolatedWhy(egress bool) lang.Msg {
	if egress {
		return lang.M("verdict.not-isolated.egress")
	}
	return lang.M("verdict.not-isolated.ingress")
}

func loopbackWhy(egress bool) lang.Msg { return lang.M("verdict.loopback", dirWord(egress)) }

func allowedWhy(egress bool, policy string, rule int) lang.Msg {
	return lang.M("verdict.allowed", dirWord(egress), policy, rule)
}

func deniedWhy(egress bool, policies string) lang.Msg {
	return lang.M("verdict.denied", dirWord(egress), policies)
}

// denied is the reason of a side that the policies selecting isolate and no rule allows.
func denied(egress bool, selecting []string) reason {
	policies := strings.Join(selecting, ", ")
	return reason{[]lang.Msg{deniedWhy(egress, policies)}, []string{deniedEnglish(egress, policies)}}
}

// The reasons in English alone, for the JSON writer: what the messages above render in
// English, without making them (its cost is per rule and per class, at millions of rows).

func notIsolatedReason(egress bool) string { return notIsolatedWhy(egress).String() }

func loopbackReason(egress bool) string { return loopbackWhy(egress).String() }

func allowedReason(egress bool, policy string, rule int) string {
	return lang.T(lang.En, "verdict.allowed", dirEnglish(egress), policy, rule)
}

func deniedReason(egress bool, selecting []string) string {
	return deniedEnglish(egress, strings.Join(selecting, ", "))
}

func deniedEnglish(egress bool, policies string) string {
	return lang.T(lang.En, "verdict.denied", dirEnglish(egress), policies)
}

// applies reports whether the policy isolates the direction.
func (p *compiled) applies(egress bool) bool {
	if egress {
		return p.egress
	}
	return p.ingress
}

func (p *compiled) rules(egress bool) []rule {
	if egress {
		return p.egressTo
	}
	return p.ingressFrom
}

// peersMatch reports whether any peer selects other. No peers at all selects everything.
func (e *Evaluator) peersMatch(peers []peer, other Endpoint, policyNamespace string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if e.peerMatches(p, other, policyNamespace) {
			return true
		}
	}
	return false
}

func (e *Evaluator) peerMatches(p peer, other Endpoint, policyNamespace string) bool {
	if p.block >= 0 {
		for _, a := range other.addrs() {
			if e.blocks[p.block].contains(a) {
				return true
			}
		}
		return false
	}
	if other.Pod == nil {
		return false // selectors select pods only
	}
	if p.namespaces == nil {
		// podSelector alone: pods of the policy's own namespace.
		return other.Pod.Namespace == policyNamespace && p.pods.Matches(labels.Set(other.Pod.Labels))
	}
	if !p.namespaces.Matches(e.namespaceLabels(other.Pod.Namespace)) {
		return false
	}
	return p.pods == nil || p.pods.Matches(labels.Set(other.Pod.Labels))
}

// namespaceLabels are a namespace's labels; a namespace the snapshot lacks still has the one
// label the API server always sets.
func (e *Evaluator) namespaceLabels(ns string) labels.Set {
	if l, ok := e.namespaces[ns]; ok {
		return l
	}
	return labels.Set{"kubernetes.io/metadata.name": ns}
}

func (b *ipBlock) contains(a netip.Addr) bool {
	a = a.Unmap()
	if !b.cidr.Contains(a) {
		return false
	}
	for _, ex := range b.except {
		if ex.Contains(a) {
			return false
		}
	}
	return true
}

func (b *ipBlock) String() string {
	if len(b.except) == 0 {
		return "ipBlock " + b.cidr.String()
	}
	ex := make([]string, len(b.except))
	for i, p := range b.except {
		ex[i] = p.String()
	}
	return "ipBlock " + b.cidr.String() + " except " + strings.Join(ex, ", ")
}

// portsMatch reports whether the rule's ports admit port/proto to the destination. Named ports
// resolve against the destination pod's declared container ports (for ingress and egress alike);
// dest is nil for an address outside the cluster.
func portsMatch(ports []networkingv1.NetworkPolicyPort, port int32, proto corev1.Protocol, dest *Pod) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if protocolOf(p) != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type == 0 { // a number
			lo, hi := p.Port.IntVal, p.Port.IntVal
			if p.EndPort != nil {
				hi = *p.EndPort
			}
			if port >= lo && port <= hi {
				return true
			}
			continue
		}
		if dest == nil {
			continue // a name means nothing for an address outside the cluster
		}
		for _, cp := range dest.Ports {
			if cp.Name == p.Port.StrVal && protocolOrTCP(cp.Protocol) == proto && cp.Port == port {
				return true
			}
		}
	}
	return false
}

func protocolOf(p networkingv1.NetworkPolicyPort) corev1.Protocol {
	if p.Protocol == nil {
		return corev1.ProtocolTCP
	}
	return *p.Protocol
}

func protocolOrTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// describePeers says in words what a rule's peers select.
func (r *rule) describePeers(e *Evaluator, policyNamespace string) lang.Msg {
	if len(r.peers) == 0 {
		return lang.M("verdict.peers.any")
	}
	parts := make([]lang.Msg, 0, len(r.peers))
	for _, p := range r.peers {
		if p.block >= 0 {
			parts = append(parts, e.blocks[p.block].says())
			continue
		}
		every := p.pods == nil || p.pods.Empty()
		var m lang.Msg
		switch {
		case p.namespaces == nil && every:
			m = lang.M("verdict.peer.every-pod-here", policyNamespace)
		case p.namespaces == nil:
			m = lang.M("verdict.peer.pods-here", selectorWords(p.pods), policyNamespace)
		case p.namespaces.Empty() && every:
			m = lang.M("verdict.peer.every-pod-everywhere")
		case p.namespaces.Empty():
			m = lang.M("verdict.peer.pods-everywhere", selectorWords(p.pods))
		case every:
			m = lang.M("verdict.peer.every-pod-in", selectorWords(p.namespaces))
		default:
			m = lang.M("verdict.peer.pods-in", selectorWords(p.pods), selectorWords(p.namespaces))
		}
		parts = append(parts, m)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return lang.Join("verdict.peers.or", parts...)
}

func selectorWords(s labels.Selector) string {
	if s.Empty() {
		return "{}"
	}
	return "[" + s.String() + "]"
}

// says is the ipBlock in words: its cidr, and the ranges it leaves out.
func (b *ipBlock) says() lang.Msg {
	if len(b.except) == 0 {
		return lang.M("verdict.ipblock", b.cidr.String())
	}
	ex := make([]string, len(b.except))
	for i, p := range b.except {
		ex[i] = p.String()
	}
	return lang.M("verdict.ipblock.except", b.cidr.String(), strings.Join(ex, ", "))
}

// describePorts says in words what a rule's ports admit.
func describePorts(ports []networkingv1.NetworkPolicyPort) lang.Msg {
	if len(ports) == 0 {
		return lang.M("verdict.ports.any")
	}
	parts := make([]lang.Msg, 0, len(ports))
	for _, p := range ports {
		switch {
		case p.Port == nil:
			parts = append(parts, lang.M("verdict.ports.any-of", string(protocolOf(p))))
		case p.EndPort != nil:
			parts = append(parts, lang.Verbatim(fmt.Sprintf("%s-%d/%s", p.Port.String(), *p.EndPort, protocolOf(p))))
		default:
			parts = append(parts, lang.Verbatim(p.Port.String()+"/"+string(protocolOf(p))))
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return lang.Join("join.comma", parts...)
}

// SelectingPolicies names the policies that select the pod, for either direction.
func (e *Evaluator) SelectingPolicies(p *Pod) []string {
	var out []string
	for i := range e.policies {
		c := &e.policies[i]
		if c.namespace == p.Namespace && c.podSelector.Matches(labels.Set(p.Labels)) {
			out = append(out, c.name)
		}
	}
	return out
}
