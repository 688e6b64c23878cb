package policy

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// The cluster-scoped tier in the evaluator. None of it runs for a snapshot without cluster
// policies (Evaluator.clusterOn is false): the verdicts, their reasons and the cost are then
// those of NetworkPolicy alone.

// ClusterRuleRef names a rule of a cluster policy: the one that decided a side (Side.Cluster)
// or passed it on (ClusterDetail.Pass).
type ClusterRuleRef struct {
	Policy     string `json:"policy"`
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Tier       Tier   `json:"tier"`
	// Priority is nil for a BaselineAdminNetworkPolicy, which has none.
	Priority *int32        `json:"priority,omitempty"`
	Rule     int           `json:"rule"` // its index in the policy's ingress or egress list
	Name     string        `json:"name,omitempty"`
	Action   ClusterAction `json:"action"`
}

// ClusterRuleCheck is one rule of a cluster policy whose subject holds the pod, held against
// the connection: the cluster tier's walkthrough (Evaluate only, like Side.Rules).
type ClusterRuleCheck struct {
	ClusterRuleRef
	Peers     string `json:"peers"` // what the rule's peers select, in words (English)
	PeerMatch bool   `json:"peerMatch"`
	// PeerUnknown: whether a peer matches cannot be decided offline (domain names; nodes when
	// the snapshot has no node addresses); the rule is taken not to match.
	PeerUnknown bool   `json:"peerUnknown,omitempty"`
	Ports       string `json:"ports"` // what the rule's ports admit, in words (English)
	PortMatch   bool   `json:"portMatch"`
	// Walk is where the walk got: "decided" for the rule that decided the side (or passed it
	// on), "not reached" for a rule after it in its tier, or of a tier that did not get to
	// decide (the Admin tier decided, a NetworkPolicy isolates the side), "" for a rule held
	// against the connection that did not match.
	Walk      string   `json:"walk,omitempty"`
	PeersSays lang.Msg `json:"-"`
	PortsSays lang.Msg `json:"-"`
}

// In is the check with its peers and ports in words of l.
func (rc ClusterRuleCheck) In(l lang.Lang) ClusterRuleCheck {
	rc.Peers, rc.Ports = rc.PeersSays.In(l), rc.PortsSays.In(l)
	return rc
}

// clusterPolicy is a cluster policy compiled.
type clusterPolicy struct {
	src         *ClusterPolicy
	subjectNS   labels.Selector
	subjectPods labels.Selector   // nil: every pod of the namespaces
	rules       [2][]*clusterRule // ingress, egress
}

// clusterRule is a rule compiled, with its words.
type clusterRule struct {
	id     int // index into Evaluator.clusterRules
	policy int
	index  int
	egress bool
	action ClusterAction
	peers  []clusterPeer
	ports  []ClusterPort
	named  bool // has a named port: what it admits depends on the destination
	ref    *ClusterRuleRef

	what                 lang.Msg // "ClusterNetworkPolicy x (Admin, priority 10) rule 0 (name)"
	peersSays, portsSays lang.Msg
	peersText, portsText string
	decided              reason // the side's reason when this rule decides (or passes) it
	unknown              reason // the notes when whether it matches cannot be decided
}

type clusterPeerKind uint8

const (
	peerUnknownKind clusterPeerKind = iota // no field set: fails closed
	peerNamespaces
	peerPods
	peerNodes
	peerNetworks
	peerDomains
)

type clusterPeer struct {
	kind       clusterPeerKind
	namespaces labels.Selector
	pods       labels.Selector
	nodes      labels.Selector
	blocks     []int // networks: indices into Evaluator.blocks
	domains    []string
	// inCluster: a domain name that may name pods (under cluster.local), so that even a pod
	// destination cannot be decided.
	inCluster bool
}

// match is whether a rule matches a connection: no, yes, or cannot be decided offline.
type match uint8

const (
	noMatch match = iota
	matches
	unknownMatch
)

// compileCluster compiles the snapshot's cluster policies and orders each tier.
func (e *Evaluator) compileCluster(s *Snapshot) error {
	e.clusterOn = true
	e.clusterUnread = s.ClusterPoliciesUnread
	e.nodes = s.Nodes
	for _, n := range s.Nodes {
		if len(n.IPs) > 0 {
			e.nodeAddresses = true
		}
	}
	for i := range s.ClusterPolicies {
		src := &s.ClusterPolicies[i]
		if err := e.compileClusterPolicy(src, i); err != nil {
			return fmt.Errorf("%s %s: %w", cmp.Or(src.Kind, "cluster policy"), src.Name, err)
		}
	}
	for i := range e.cluster {
		t := 0
		if e.cluster[i].src.Tier == TierBaseline {
			t = 1
		}
		e.clusterOrder[t] = append(e.clusterOrder[t], i)
	}
	for t := range e.clusterOrder {
		slices.SortStableFunc(e.clusterOrder[t], func(a, b int) int {
			pa, pb := e.cluster[a].src, e.cluster[b].src
			return cmp.Or(cmp.Compare(pa.Priority, pb.Priority), cmp.Compare(pa.Name, pb.Name), cmp.Compare(pa.Kind, pb.Kind))
		})
	}
	return nil
}

func (e *Evaluator) compileClusterPolicy(src *ClusterPolicy, index int) error {
	if src.Tier != TierAdmin && src.Tier != TierBaseline {
		return fmt.Errorf("tier %q: want Admin or Baseline", src.Tier)
	}
	p := clusterPolicy{src: src}
	var err error
	switch sub := src.Subject; {
	case sub.Namespaces != nil && sub.Pods != nil:
		return fmt.Errorf("subject sets both namespaces and pods; set one")
	case sub.Namespaces != nil:
		if p.subjectNS, err = metav1.LabelSelectorAsSelector(sub.Namespaces); err != nil {
			return fmt.Errorf("subject: %w", err)
		}
	case sub.Pods != nil:
		if p.subjectNS, err = metav1.LabelSelectorAsSelector(&sub.Pods.NamespaceSelector); err != nil {
			return fmt.Errorf("subject: %w", err)
		}
		if p.subjectPods, err = metav1.LabelSelectorAsSelector(&sub.Pods.PodSelector); err != nil {
			return fmt.Errorf("subject: %w", err)
		}
	default:
		return fmt.Errorf("subject sets neither namespaces nor pods")
	}
	pi := len(e.cluster)
	for _, egress := range []bool{false, true} {
		list, name := src.Ingress, "ingress"
		if egress {
			list, name = src.Egress, "egress"
		}
		for ri := range list {
			r, err := e.compileClusterRule(src, &list[ri], pi, ri, egress)
			if err != nil {
				return fmt.Errorf("%s[%d]: %w", name, ri, err)
			}
			p.rules[boolIndex(egress)] = append(p.rules[boolIndex(egress)], r)
		}
	}
	e.cluster = append(e.cluster, p)
	return nil
}

func (e *Evaluator) compileClusterRule(src *ClusterPolicy, cr *ClusterRule, pi, ri int, egress bool) (*clusterRule, error) {
	switch cr.Action {
	case ActionAccept, ActionDeny, ActionPass:
	default:
		return nil, fmt.Errorf("action %q: want Accept, Deny or Pass", cr.Action)
	}
	r := &clusterRule{id: len(e.clusterRules), policy: pi, index: ri, egress: egress, action: cr.Action, ports: cr.Ports}
	for i, p := range cr.Peers {
		cp, err := e.compileClusterPeer(p)
		if err != nil {
			return nil, fmt.Errorf("peer %d: %w", i, err)
		}
		r.peers = append(r.peers, cp)
	}
	for _, p := range cr.Ports {
		r.named = r.named || p.Name != ""
		if !p.Unknown && p.Name == "" && p.EndPort != 0 && p.EndPort < p.Port {
			return nil, fmt.Errorf("port range %d-%d: the end is before the start", p.Port, p.EndPort)
		}
	}
	ref := &ClusterRuleRef{Policy: src.Name, Kind: src.Kind, APIVersion: src.APIVersion, Tier: src.Tier, Rule: ri, Name: cr.Name, Action: cr.Action}
	if src.HasPriority() {
		prio := src.Priority
		ref.Priority = &prio
	}
	r.ref = ref
	e.clusterWords(r)
	e.clusterRules = append(e.clusterRules, r)
	return r, nil
}

func (e *Evaluator) compileClusterPeer(p ClusterPeer) (clusterPeer, error) {
	var cp clusterPeer
	set := 0
	for _, given := range []bool{p.Namespaces != nil, p.Pods != nil, p.Nodes != nil, len(p.Networks) > 0, len(p.DomainNames) > 0} {
		if given {
			set++
		}
	}
	if set > 1 {
		return cp, fmt.Errorf("sets more than one of namespaces, pods, nodes, networks and domainNames")
	}
	var err error
	switch {
	case p.Namespaces != nil:
		cp.kind = peerNamespaces
		cp.namespaces, err = metav1.LabelSelectorAsSelector(p.Namespaces)
	case p.Pods != nil:
		cp.kind = peerPods
		if cp.namespaces, err = metav1.LabelSelectorAsSelector(&p.Pods.NamespaceSelector); err == nil {
			cp.pods, err = metav1.LabelSelectorAsSelector(&p.Pods.PodSelector)
		}
	case p.Nodes != nil:
		cp.kind = peerNodes
		cp.nodes, err = metav1.LabelSelectorAsSelector(p.Nodes)
	case len(p.Networks) > 0:
		cp.kind = peerNetworks
		for _, n := range p.Networks {
			pfx, perr := netip.ParsePrefix(n)
			if perr != nil {
				return cp, fmt.Errorf("networks: %w", perr)
			}
			b := &ipBlock{cidr: pfx}
			key := b.String()
			i, ok := e.blockIndex[key]
			if !ok {
				i = len(e.blocks)
				e.blocks = append(e.blocks, b)
				e.blockIndex[key] = i
			}
			cp.blocks = append(cp.blocks, i)
		}
	case len(p.DomainNames) > 0:
		cp.kind = peerDomains
		cp.domains = p.DomainNames
		for _, d := range p.DomainNames {
			cp.inCluster = cp.inCluster || inClusterDomain(d)
		}
	}
	return cp, err
}

// inClusterDomain reports whether a domainNames entry may name pods: under cluster.local (the
// default cluster domain: pod and headless Service records), or a wildcard that covers it.
func inClusterDomain(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if rest, wild := strings.CutPrefix(name, "*."); wild {
		return rest == "cluster.local" || strings.HasSuffix(rest, ".cluster.local") || strings.HasSuffix("cluster.local", "."+rest)
	}
	return name == "cluster.local" || strings.HasSuffix(name, ".cluster.local")
}

// clusterSubject reports whether the policy applies to the pod. Host-network pods are never
// selected.
func (e *Evaluator) clusterSubject(p *clusterPolicy, pod *Pod) bool {
	if pod == nil || pod.HostNetwork || !p.subjectNS.Matches(e.namespaceLabels(pod.Namespace)) {
		return false
	}
	return p.subjectPods == nil || p.subjectPods.Matches(labels.Set(pod.Labels))
}

// clusterSubjects are the policies of each tier (Admin, Baseline) that apply to the pod and
// have rules for the direction, in the order they are walked.
func (e *Evaluator) clusterSubjects(pod *Pod, egress bool) (admin, baseline []int) {
	dir := boolIndex(egress)
	for t, order := range e.clusterOrder {
		for _, pi := range order {
			p := &e.cluster[pi]
			if len(p.rules[dir]) == 0 || !e.clusterSubject(p, pod) {
				continue
			}
			if t == 0 {
				admin = append(admin, pi)
			} else {
				baseline = append(baseline, pi)
			}
		}
	}
	return admin, baseline
}

// clusterRuleMatch is whether rule r matches the connection, other being the end its peers
// are held against.
func (e *Evaluator) clusterRuleMatch(r *clusterRule, other Endpoint, c Connection) match {
	if !clusterPortsMatch(r.ports, r.action, c.Port, c.Protocol, c.To.Pod) {
		return noMatch
	}
	return e.clusterPeersMatch(r, other)
}

func (e *Evaluator) clusterPeersMatch(r *clusterRule, other Endpoint) match {
	out := noMatch
	for i := range r.peers {
		switch e.clusterPeerMatch(&r.peers[i], r.action, other) {
		case matches:
			return matches
		case unknownMatch:
			out = unknownMatch
		}
	}
	return out
}

func (e *Evaluator) clusterPeerMatch(p *clusterPeer, action ClusterAction, other Endpoint) match {
	isPod := other.Pod != nil && !other.Pod.HostNetwork // host-network pods are not pods to the peers
	yes := func(b bool) match {
		if b {
			return matches
		}
		return noMatch
	}
	switch p.kind {
	case peerNamespaces:
		return yes(isPod && p.namespaces.Matches(e.namespaceLabels(other.Pod.Namespace)))
	case peerPods:
		return yes(isPod && p.namespaces.Matches(e.namespaceLabels(other.Pod.Namespace)) && p.pods.Matches(labels.Set(other.Pod.Labels)))
	case peerNetworks:
		for _, b := range p.blocks {
			if other.inBlock(e.blocks[b]) {
				return matches
			}
		}
		return noMatch
	case peerNodes:
		if isPod {
			return noMatch // a pod's address is not a node's
		}
		if !e.nodeAddresses {
			return unknownMatch
		}
		for _, n := range e.nodes {
			if !p.nodes.Matches(labels.Set(n.Labels)) {
				continue
			}
			for _, a := range other.addrs() {
				if slices.Contains(n.IPs, a.Unmap()) || slices.Contains(n.IPs, a) {
					return matches
				}
			}
		}
		return noMatch
	case peerDomains:
		if isPod && !p.inCluster {
			return noMatch
		}
		return unknownMatch
	}
	// A peer of a kind this version does not know fails closed.
	return yes(action != ActionAccept)
}

// clusterPortsMatch reports whether a cluster rule's ports admit port/proto to the destination
// (nil: outside the cluster). Named ports are the destination pod's container ports.
func clusterPortsMatch(ports []ClusterPort, action ClusterAction, port int32, proto corev1.Protocol, dest *Pod) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		switch {
		case p.Unknown:
			if action != ActionAccept {
				return true // fails closed
			}
		case p.Name != "":
			if dest == nil {
				continue
			}
			for _, cp := range dest.Ports {
				if cp.Name == p.Name && protocolOrTCP(cp.Protocol) == proto && cp.Port == port {
					return true
				}
			}
		case p.Protocol != proto:
		case p.Port == 0:
			return true
		case p.EndPort == 0:
			if port == p.Port {
				return true
			}
		default:
			if port >= p.Port && port <= p.EndPort {
				return true
			}
		}
	}
	return false
}

// clusterWalk is one tier walked for one side: the rule that decided (nil: none matched),
// and the notes on what could not be decided or was ambiguous.
type clusterWalk struct {
	hit       *clusterRule
	notes     []lang.Msg
	texts     []string
	undecided bool
}

// walk walks the policies of one tier (in order) for one direction: the first rule that
// matches decides. Rules whose match cannot be decided are taken not to match, with a note.
// When policies of the decider's priority that come after it would decide otherwise, that is
// noted too: the API leaves such overlaps to the implementation.
func (e *Evaluator) walk(order []int, egress bool, m func(*clusterRule) match) clusterWalk {
	var w clusterWalk
	dir := boolIndex(egress)
	for k, pi := range order {
		for _, r := range e.cluster[pi].rules[dir] {
			switch m(r) {
			case unknownMatch:
				w.notes = append(w.notes, r.unknown.why...)
				w.texts = append(w.texts, r.unknown.text...)
				w.undecided = true
			case matches:
				w.hit = r
				prio := e.cluster[pi].src.Priority
				for _, pj := range order[k+1:] {
					if e.cluster[pj].src.Priority != prio {
						break
					}
					for _, other := range e.cluster[pj].rules[dir] {
						if m(other) != matches {
							continue
						}
						if other.action != r.action {
							note := lang.M("verdict.cluster.overlap", dirWord(egress), r.what, other.what, string(r.action), string(other.action))
							w.notes = append(w.notes, note)
							w.texts = append(w.texts, note.String())
							w.undecided = true
						}
						break
					}
				}
				return w
			}
		}
	}
	return w
}

// clusterSettle gives a pod's side its verdict when there are cluster policies, in place of
// settle: s holds what the NetworkPolicies said (isolation, selecting policies, the reasons of
// the rules that allow); admin and baseline are the cluster policies that apply to the pod for
// this direction, in order; m says whether a rule matches the connection.
func (e *Evaluator) clusterSettle(s *Side, egress bool, admin, baseline []int, m func(*clusterRule) match) {
	var why []lang.Msg
	var text []string
	add := func(r reason) {
		why = append(why, r.why...)
		text = append(text, r.text...)
	}
	aw := e.walk(admin, egress, m)
	notes, notesText, undecided := aw.notes, aw.texts, aw.undecided
	var pass *ClusterRuleRef
	finish := func() {
		if len(e.clusterUnread) > 0 {
			note := lang.M("verdict.cluster.unread", dirWord(egress), strings.Join(e.clusterUnread, ", "))
			notes, notesText = append(notes, note), append(notesText, note.String())
			undecided = true
		}
		s.Why, s.Reasons = append(why, notes...), append(text, notesText...)
		s.Undecided = undecided
		if pass != nil || len(notes) > 0 {
			s.ClusterDetail = &ClusterDetail{Pass: pass, Notes: notesText, NotesSay: notes}
		}
	}
	if aw.hit != nil && aw.hit.action != ActionPass {
		s.Tier, s.Cluster, s.Allowed = TierAdmin, aw.hit.ref, aw.hit.action == ActionAccept
		add(aw.hit.decided)
		finish()
		return
	}
	if aw.hit != nil {
		pass = aw.hit.ref
		add(aw.hit.decided)
	}
	if s.Isolated {
		s.Tier = TierNetworkPolicy
		if s.Allowed {
			why, text = append(why, s.Why...), append(text, s.Reasons...)
		} else {
			add(denied(egress, s.Selecting))
		}
		finish()
		return
	}
	bw := e.walk(baseline, egress, m)
	notes, notesText, undecided = append(notes, bw.notes...), append(notesText, bw.texts...), undecided || bw.undecided
	switch {
	case bw.hit != nil:
		s.Tier, s.Cluster, s.Allowed = TierBaseline, bw.hit.ref, bw.hit.action != ActionDeny
		add(bw.hit.decided)
	case aw.hit != nil || len(admin) > 0 || len(baseline) > 0:
		s.Allowed = true
		add(said(lang.M("verdict.cluster.default", dirWord(egress))))
	default:
		s.Allowed = true
		add(fixed().notIsolated[boolIndex(egress)])
	}
	finish()
}

// clusterChecks is the cluster tier's walkthrough for one side: every rule of the policies
// that apply, in the order they are walked.
func (e *Evaluator) clusterChecks(s *Side, admin, baseline []int, egress bool, other Endpoint, c Connection) []ClusterRuleCheck {
	var out []ClusterRuleCheck
	for t, order := range [][]int{admin, baseline} {
		// The rule that decided the tier, if any; after it, nothing of the tier is reached.
		decider := s.Cluster
		if t == 0 && s.Pass() != nil {
			decider = s.Pass()
		}
		reached := t == 0 || s.Tier != TierAdmin && s.Tier != TierNetworkPolicy
		for _, pi := range order {
			for _, r := range e.cluster[pi].rules[boolIndex(egress)] {
				peer := e.clusterPeersMatch(r, other)
				check := ClusterRuleCheck{ClusterRuleRef: *r.ref,
					Peers: r.peersText, PeersSays: r.peersSays, PeerMatch: peer == matches, PeerUnknown: peer == unknownMatch,
					Ports: r.portsText, PortsSays: r.portsSays, PortMatch: clusterPortsMatch(r.ports, r.action, c.Port, c.Protocol, c.To.Pod)}
				switch {
				case !reached:
					check.Walk = "not reached"
				case r.ref == decider:
					check.Walk, reached = "decided", false
				}
				out = append(out, check)
			}
		}
	}
	return out
}

// Says names the rule: ClusterNetworkPolicy deny-metadata (Admin, priority 10) rule 0 (deny).
func (ref ClusterRuleRef) Says() lang.Msg {
	switch {
	case ref.Priority != nil && ref.Name != "":
		return lang.M("verdict.cluster.rule.named", ref.Kind, ref.Policy, string(ref.Tier), *ref.Priority, ref.Rule, ref.Name)
	case ref.Priority != nil:
		return lang.M("verdict.cluster.rule", ref.Kind, ref.Policy, string(ref.Tier), *ref.Priority, ref.Rule)
	case ref.Name != "":
		return lang.M("verdict.cluster.rule.no-priority.named", ref.Kind, ref.Policy, string(ref.Tier), ref.Rule, ref.Name)
	}
	return lang.M("verdict.cluster.rule.no-priority", ref.Kind, ref.Policy, string(ref.Tier), ref.Rule)
}

// clusterWords makes a rule's words: what it is, its peers and ports, and its reasons.
func (e *Evaluator) clusterWords(r *clusterRule) {
	r.what = r.ref.Says()
	dir := dirWord(r.egress)
	switch {
	case r.action == ActionAccept:
		r.decided = said(lang.M("verdict.cluster.accepted", dir, r.what))
	case r.action == ActionDeny:
		r.decided = said(lang.M("verdict.cluster.denied", dir, r.what))
	case r.ref.Tier == TierAdmin:
		r.decided = said(lang.M("verdict.cluster.passed", dir, r.what))
	default:
		r.decided = said(lang.M("verdict.cluster.baseline-passed", dir, r.what))
	}
	r.peersSays, r.portsSays = e.describeClusterPeers(r.peers), describeClusterPorts(r.ports)
	r.peersText, r.portsText = r.peersSays.String(), r.portsSays.String()
	var domains []string
	nodes := false
	for _, p := range r.peers {
		domains = append(domains, p.domains...)
		nodes = nodes || p.kind == peerNodes
	}
	var notes []lang.Msg
	if len(domains) > 0 {
		notes = append(notes, lang.M("verdict.cluster.undecided.domains", dir, r.what, "["+strings.Join(domains, ", ")+"]"))
	}
	if nodes && !e.nodeAddresses {
		notes = append(notes, lang.M("verdict.cluster.undecided.nodes", dir, r.what))
	}
	for _, n := range notes {
		r.unknown.why = append(r.unknown.why, n)
		r.unknown.text = append(r.unknown.text, n.String())
	}
}

// describeClusterPeers says in words what a cluster rule's peers select.
func (e *Evaluator) describeClusterPeers(peers []clusterPeer) lang.Msg {
	if len(peers) == 0 {
		return lang.M("verdict.cluster.peer.none")
	}
	parts := make([]lang.Msg, 0, len(peers))
	for _, p := range peers {
		switch p.kind {
		case peerNamespaces:
			parts = append(parts, lang.M("verdict.cluster.peer.namespaces", selectorWords(p.namespaces)))
		case peerPods:
			parts = append(parts, lang.M("verdict.cluster.peer.pods", selectorWords(p.pods), selectorWords(p.namespaces)))
		case peerNodes:
			parts = append(parts, lang.M("verdict.cluster.peer.nodes", selectorWords(p.nodes)))
		case peerNetworks:
			cidrs := make([]string, len(p.blocks))
			for i, b := range p.blocks {
				cidrs[i] = e.blocks[b].cidr.String()
			}
			parts = append(parts, lang.M("verdict.cluster.peer.networks", strings.Join(cidrs, ", ")))
		case peerDomains:
			parts = append(parts, lang.M("verdict.cluster.peer.domains", strings.Join(p.domains, ", ")))
		default:
			parts = append(parts, lang.M("verdict.cluster.peer.unknown"))
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return lang.Join("verdict.peers.or", parts...)
}

// describeClusterPorts says in words what a cluster rule's ports admit.
func describeClusterPorts(ports []ClusterPort) lang.Msg {
	if len(ports) == 0 {
		return lang.M("verdict.ports.any")
	}
	parts := make([]lang.Msg, 0, len(ports))
	for _, p := range ports {
		switch {
		case p.Unknown:
			parts = append(parts, lang.M("verdict.cluster.port.unknown"))
		case p.Name != "":
			parts = append(parts, lang.M("verdict.cluster.port.named", p.Name))
		case p.Port == 0:
			parts = append(parts, lang.M("verdict.ports.any-of", string(p.Protocol)))
		case p.EndPort != 0:
			parts = append(parts, lang.Verbatim(fmt.Sprintf("%d-%d/%s", p.Port, p.EndPort, p.Protocol)))
		default:
			parts = append(parts, lang.Verbatim(fmt.Sprintf("%d/%s", p.Port, p.Protocol)))
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return lang.Join("join.comma", parts...)
}

// DecidingTier is the cluster tier (Admin or Baseline) the verdict rests on, or "" when the
// NetworkPolicies (or nothing) decide it: for a denial, every side that denies was denied by a
// cluster policy; for an allowed connection, a side the Admin tier accepted (an Accept may
// override a NetworkPolicy that denies). A network that enforces NetworkPolicies but not the
// cluster policies may then do otherwise than the verdict, through no fault of the
// NetworkPolicies.
func (v Verdict) DecidingTier() Tier {
	var tier Tier
	for _, s := range []Side{v.Egress, v.Ingress} {
		switch {
		case !v.Allowed && !s.Allowed:
			if s.Tier != TierAdmin && s.Tier != TierBaseline {
				return ""
			}
			if tier == "" {
				tier = s.Tier
			}
		case v.Allowed && s.Tier == TierAdmin:
			tier = TierAdmin
		}
	}
	return tier
}
