package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Cause codes: stable names for why a connection gets the verdict it gets where the other one
// was wanted. `lab check -o json`, `explain --why -o json` and the README's table use them.
const (
	// Wanted allowed, got blocked: a rule nearly admits it, and this is what differs.
	CauseNamespaceLabels   = "namespace-labels-differ" // a namespaceSelector the namespace's labels do not match
	CausePodSelectorOnly   = "pod-selector-only-peer"  // a podSelector without namespaceSelector: own namespace only
	CauseEmptyPodSelector  = "empty-pod-selector-peer" // podSelector: {} read as "everyone"
	CausePodLabels         = "pod-labels-differ"       // a podSelector the pod's labels do not match
	CausePort              = "port-differs"
	CauseProtocol          = "protocol-differs"
	CauseNamedPort         = "named-port-undeclared"
	CauseIPBlock           = "ipblock-excludes"     // the address is outside the cidr, or in an except
	CauseIPBlockForPod     = "ipblock-for-pod"      // an ipBlock meant to match a pod
	CauseSelectorForIP     = "selector-for-address" // a selector meant to match an address outside the cluster
	CauseEgressIsolated    = "egress-isolated"      // policyTypes has Egress where only ingress was meant
	CauseNoDNSRule         = "no-dns-rule"
	CauseNoRule            = "no-rule"
	CausePolicySelectsNone = "policy-selects-no-pod"     // a policy meant for the pod selects no pod at all
	CausePolicyMisses      = "policy-misses-pod"         // a policy that would admit it does not select the pod
	CausePolicyElsewhere   = "policy-in-other-namespace" // a policy meant for the pod lives in another namespace
	// Wanted blocked, got allowed.
	CauseRuleAdmits        = "rule-admits"
	CauseSplitPeers        = "split-peers" // OR where AND was meant
	CauseNotIsolated       = "not-isolated"
	CausePolicyTypeMissing = "policy-type-missing" // rules of a direction that policyTypes leaves out
	CauseLoopback          = "loopback"            // a pod to itself: no policy can block it
	// Either way: a cluster-scoped policy decided the side (an Admin tier Accept or Deny, or
	// the Baseline tier where no NetworkPolicy isolates the pod), not the NetworkPolicies.
	CauseClusterTier = "cluster-tier"
)

// Cause is one likely reason for a verdict that is not the one wanted: which side and which
// policy and rule, what differs, and a fix with the real names. Diagnose ranks them, most
// likely first.
type Cause struct {
	Code    string `json:"code"`
	Side    string `json:"side,omitempty"` // egress (the source's policies) or ingress (the destination's)
	Policy  string `json:"policy,omitempty"`
	Rule    *int   `json:"rule,omitempty"`
	Field   string `json:"field,omitempty"` // where in the policy, e.g. spec.egress[0].to[0].namespaceSelector
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"` // YAML to write or a kubectl command to run
	// Says and FixSays are Message and Fix as messages (lang/catalog/LANG.diagnose.yaml,
	// diagnose.*), for any language; Message and Fix are their English.
	Says    lang.Msg `json:"-"`
	FixSays lang.Msg `json:"-"`
	rank    int
}

// In is the cause with its message and fix in l.
func (c Cause) In(l lang.Lang) Cause {
	c.Message, c.Fix = c.Says.InOr(l, c.Message), c.FixSays.InOr(l, c.Fix)
	return c
}

// saying is the cause with its message and fix: the messages, and their English.
func (c Cause) saying(says, fix lang.Msg) Cause {
	c.Says, c.Message = says, says.String()
	c.FixSays, c.Fix = fix, ""
	if !fix.IsZero() {
		c.Fix = fix.String()
	}
	return c
}

// Intent is what the diagnosis knows of what was meant beyond the wanted verdict.
type Intent struct {
	Want bool // the verdict wanted: allowed or blocked
	// IngressOnly: only incoming traffic was meant to be controlled (a lab about ingress), so a
	// policy that isolates egress is itself the mistake.
	IngressOnly bool
	// Defaulted are the policies (namespace/name) whose file gave no metadata.namespace, so they
	// landed in the current namespace.
	Defaulted map[string]bool
}

// Diagnose explains a verdict that is not the one wanted: the causes, most likely first. It
// returns nothing when the verdict is the wanted one.
func (e *Evaluator) Diagnose(c Connection, in Intent) []Cause {
	if c.Protocol == "" {
		c.Protocol = corev1.ProtocolTCP
	}
	v := e.Evaluate(c)
	if v.Allowed == in.Want {
		return nil
	}
	if c.Loopback() {
		// Allowed whatever the policies say, so nothing in them is the cause.
		return []Cause{Cause{Code: CauseLoopback}.saying(lang.M("diagnose.loopback", c.From, c.To), lang.Msg{})}
	}
	d := &diagnosis{e: e, c: c, in: in}
	var out []Cause
	if in.Want {
		for _, egress := range []bool{true, false} {
			side := v.Ingress
			if egress {
				side = v.Egress
			}
			switch {
			case side.Allowed:
			case side.Cluster != nil:
				out = append(out, d.clusterTier(egress, side))
			default:
				out = append(out, d.blocked(egress)...)
			}
		}
	} else {
		out = d.allowed(v)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	return out
}

type diagnosis struct {
	e  *Evaluator
	c  Connection
	in Intent
}

// ends returns the pod whose policies decide a direction, and the other end.
func (d *diagnosis) ends(egress bool) (self, other Endpoint) {
	if egress {
		return d.c.From, d.c.To
	}
	return d.c.To, d.c.From
}

// isDNS reports whether a pod is one of the cluster DNS pods, as FindDNS finds them.
func (d *diagnosis) isDNS(p *Pod) bool {
	return slices.ContainsFunc(FindDNS(d.e.snap).Pods, func(dns Pod) bool { return dns.ID() == p.ID() })
}

func (d *diagnosis) port() string { return fmt.Sprintf("%d/%s", d.c.Port, d.c.Protocol) }

// miss is one thing that keeps a rule from admitting the connection.
type miss struct {
	code, field string
	text, fix   lang.Msg
	// weight: 1 for a slip (a selector that selects nothing anywhere, a port), 2 for a peer that
	// deliberately names something else (it selects other pods). Near misses weigh 2 at most.
	weight int
}

func weightOf(ms []miss) int {
	w := 0
	for _, m := range ms {
		w += m.weight
	}
	return w
}

// blocked explains why one side blocks a connection that was wanted allowed.
func (d *diagnosis) blocked(egress bool) []Cause {
	self, other := d.ends(egress)
	dir := direction(egress)
	var out []Cause
	// A policy written for this pod that selects no pod, selects other pods, or sits in another
	// namespace: its rules would admit the connection, had it selected the pod.
	out = append(out, d.misplaced(egress, true)...)

	type near struct {
		p      *compiled
		index  int
		misses []miss
	}
	var nears []near
	var selecting []string
	ruleless := []*compiled{}
	for i := range d.e.policies {
		p := &d.e.policies[i]
		if p.namespace != self.Pod.Namespace || !p.podSelector.Matches(labels.Set(self.Pod.Labels)) || !p.applies(egress) {
			continue
		}
		selecting = append(selecting, p.name)
		if len(p.rules(egress)) == 0 {
			ruleless = append(ruleless, p)
		}
		for ri, r := range p.rules(egress) {
			if m := d.ruleMisses(r, egress, p.namespace, ri); len(m) > 0 {
				nears = append(nears, near{p, ri, m})
			}
		}
	}
	isolatedBy := strings.Join(selecting, ", ")

	if egress && d.in.IngressOnly {
		for _, p := range selecting {
			out = append(out, Cause{Code: CauseEgressIsolated, Side: dir, Policy: p, Field: "spec.policyTypes", rank: 1}.saying(
				lang.M("diagnose.egress-isolated", p, self), lang.M("diagnose.egress-isolated.fix")))
		}
	}

	// The nearest rules: the lightest differences first, and only the nearest ones.
	best := 3
	for _, n := range nears {
		best = min(best, weightOf(n.misses))
	}
	for _, n := range nears {
		if weightOf(n.misses) > best || best > 2 {
			continue
		}
		first := n.misses[0]
		texts := make([]lang.Msg, len(n.misses))
		fixes := []lang.Msg{}
		for i, m := range n.misses {
			texts[i] = m.text
			if !m.fix.IsZero() {
				fixes = append(fixes, m.fix)
			}
		}
		var fix lang.Msg
		switch len(fixes) {
		case 0:
		case 1:
			fix = fixes[0]
		default:
			fix = lang.Join("diagnose.fix.and", fixes...)
		}
		index := n.index
		field := fmt.Sprintf("spec.%s[%d]", dir, n.index)
		if first.field != "" {
			field += "." + first.field
		}
		why := texts[0]
		if len(texts) > 1 {
			why = lang.Join("join.and", texts...)
		}
		out = append(out, Cause{Code: first.code, Side: dir, Policy: n.p.name, Rule: &index, Field: field, rank: 1 + best}.saying(
			lang.M("diagnose.near", n.p.name, dirWord(egress), n.index, other, d.port(), why), fix))
	}

	switch {
	case egress && other.Pod != nil && d.isDNS(other.Pod) && best > 1:
		out = append(out, Cause{Code: CauseNoDNSRule, Side: dir, Policy: selecting[0], rank: 2}.saying(
			lang.M("diagnose.no-dns-rule", self, isolatedBy), lang.M("diagnose.fix.dns-rule", dnsRuleYAML)))
	case best > 1:
		msg := lang.M("diagnose.no-rule", dirWord(egress), self, isolatedBy, other, d.port())
		fix := d.ruleYAML(egress)
		if len(ruleless) == len(selecting) {
			msg = lang.M("diagnose.no-rule.ruleless", isolatedBy, dirWord(egress), self)
			if egress {
				fix = lang.M("diagnose.fix.add-rule.or-ingress-only", fix)
			}
		}
		out = append(out, Cause{Code: CauseNoRule, Side: dir, Policy: selecting[0], rank: 9}.saying(msg, fix))
	}
	return out
}

// misplaced finds the policies that would decide the connection as wanted had they selected
// the pod: in its namespace but selecting other pods (or none), or in another namespace.
// wantAllowed: they would admit it (their rules match); else they would isolate it.
func (d *diagnosis) misplaced(egress, wantAllowed bool) []Cause {
	self, _ := d.ends(egress)
	if self.Pod == nil {
		return nil
	}
	dir := direction(egress)
	var out []Cause
	for i := range d.e.policies {
		p := &d.e.policies[i]
		if !p.applies(egress) || p.namespace == self.Pod.Namespace && p.podSelector.Matches(labels.Set(self.Pod.Labels)) {
			continue
		}
		moved := p.namespace != self.Pod.Namespace
		if moved && (!p.podSelector.Matches(labels.Set(self.Pod.Labels)) || d.e.selectsAny(p, p.namespace)) {
			continue // it selects nothing of ours, or it does its job where it is
		}
		// The policy as if it selected the pod in the pod's namespace.
		ns := self.Pod.Namespace
		admits := false
		for _, r := range p.rules(egress) {
			if d.ruleAdmits(r, egress, ns) {
				admits = true
			}
		}
		if admits != wantAllowed {
			continue
		}
		selects := d.e.selectedPods(p)
		if !moved && len(selects) > 0 && !wantAllowed && len(p.rules(egress)) > 0 {
			continue // allow rules for the pods it selects: not a deny meant for this one
		}
		selectPod := fmt.Sprintf("  podSelector:\n    matchLabels: %s", flowMap(pickLabels(self.Pod.Labels)))
		switch {
		case moved:
			id := "diagnose.elsewhere"
			if d.in.Defaulted[p.name] {
				id = "diagnose.elsewhere.defaulted"
			}
			out = append(out, Cause{Code: CausePolicyElsewhere, Side: dir, Policy: p.name, Field: "metadata.namespace", rank: 0}.saying(
				lang.M(id, p.name, p.namespace, ns, self), lang.M("diagnose.elsewhere.fix", ns)))
		case len(selects) == 0:
			out = append(out, Cause{Code: CausePolicySelectsNone, Side: dir, Policy: p.name, Field: "spec.podSelector", rank: 0}.saying(
				lang.M("diagnose.selects-none", p.name, wouldWord(wantAllowed, egress), selectorWords(p.podSelector), ns, self, flowMap(shownLabels(self.Pod.Labels))),
				lang.M("diagnose.selects-none.fix", selectPod)))
		default:
			out = append(out, Cause{Code: CausePolicyMisses, Side: dir, Policy: p.name, Field: "spec.podSelector", rank: 3}.saying(
				lang.M("diagnose.misses", p.name, wouldWord(wantAllowed, egress), selectorWords(p.podSelector), podList(selects), self, flowMap(shownLabels(self.Pod.Labels))),
				lang.M("diagnose.misses.fix", self, selectPod)))
		}
	}
	return out
}

// wouldWord is what a policy meant for the pod would do: admit the connection, or isolate
// the direction.
func wouldWord(admit, egress bool) lang.Msg {
	if admit {
		return lang.M("diagnose.would.admit")
	}
	return lang.M("diagnose.would.isolate", dirWord(egress))
}

// ruleAdmits reports whether a rule admits the connection, the policy being in namespace ns.
func (d *diagnosis) ruleAdmits(r rule, egress bool, ns string) bool {
	_, other := d.ends(egress)
	return d.e.peersMatch(r.peers, other, ns) && portsMatch(r.ports, d.c.Port, d.c.Protocol, d.c.To.Pod)
}

// ruleMisses lists what keeps a rule from admitting the connection: the differences of its
// nearest peer, then of its ports.
func (d *diagnosis) ruleMisses(r rule, egress bool, ns string, ruleIndex int) []miss {
	_, other := d.ends(egress)
	var peerMisses []miss
	if len(r.peers) > 0 && !d.e.peersMatch(r.peers, other, ns) {
		list := "from"
		if egress {
			list = "to"
		}
		for pi, pr := range r.peers {
			m := d.peerMisses(pr, other, ns, fmt.Sprintf("%s[%d]", list, pi))
			if peerMisses == nil || len(m) < len(peerMisses) {
				peerMisses = m
			}
		}
	}
	return append(peerMisses, d.portMisses(r.ports)...)
}

// peerMisses says how one peer fails to select the other end.
func (d *diagnosis) peerMisses(pr peer, other Endpoint, ns, field string) []miss {
	e := d.e
	if pr.block >= 0 {
		b := e.blocks[pr.block]
		if other.Pod != nil {
			return []miss{{CauseIPBlockForPod, field + ".ipBlock",
				lang.M("diagnose.ipblock-for-pod", b.says(), other),
				lang.M("diagnose.ipblock-for-pod.fix", fmt.Sprintf("  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}\n    podSelector: {matchLabels: %s}", other.Pod.Namespace, flowMap(pickLabels(other.Pod.Labels)))), 1}}
		}
		ip := other.IP.Unmap()
		if !b.cidr.Contains(ip) {
			return []miss{{CauseIPBlock, field + ".ipBlock.cidr", lang.M("diagnose.ipblock.outside", ip, b.cidr),
				lang.M("diagnose.ipblock.outside.fix", ip, fmt.Sprintf("  - ipBlock: {cidr: %s}", netip.PrefixFrom(ip, ip.BitLen()))), nearWeight(ip, b.cidr)}}
		}
		for i, ex := range b.except {
			if ex.Contains(ip) {
				return []miss{{CauseIPBlock, fmt.Sprintf("%s.ipBlock.except[%d]", field, i), lang.M("diagnose.ipblock.except", ip, ex),
					lang.M("diagnose.ipblock.except.fix", ex), 1}}
			}
		}
		return nil
	}
	if other.Pod == nil {
		return []miss{{CauseSelectorForIP, field, lang.M("diagnose.selector-for-address", other.IP),
			lang.M("diagnose.selector-for-address.fix", fmt.Sprintf("  - ipBlock: {cidr: %s}", netip.PrefixFrom(other.IP.Unmap(), other.IP.Unmap().BitLen()))), 1}}
	}
	pod := other.Pod
	var out []miss
	weight := 1 // a selector that selects nothing anywhere is a slip; one that selects others, a choice
	if d.e.peerSelectsAny(pr, ns) {
		weight = 2
	}
	switch {
	case pr.namespaces == nil && pod.Namespace != ns:
		podSel := "podSelector: {}"
		if !pr.pods.Empty() {
			podSel = "podSelector: " + flowSelector(pr.src.PodSelector)
		}
		if pr.pods.Empty() {
			// podSelector: {} read as "everyone" is the slip itself, whatever it selects.
			out = append(out, miss{CauseEmptyPodSelector, field + ".podSelector",
				lang.M("diagnose.empty-pod-selector", ns, pod.ID(), pod.Namespace),
				lang.M("diagnose.empty-pod-selector.fix", fmt.Sprintf("  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}\n    podSelector: {}", pod.Namespace)), 1})
		} else {
			out = append(out, miss{CausePodSelectorOnly, field + ".podSelector",
				lang.M("diagnose.pod-selector-only", ns, pod.ID(), pod.Namespace),
				lang.M("diagnose.pod-selector-only.fix", fmt.Sprintf("  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}\n    %s", pod.Namespace, podSel)), weight})
		}
	case pr.namespaces != nil && !pr.namespaces.Matches(e.namespaceLabels(pod.Namespace)):
		m := d.namespaceMiss(pr, pod.Namespace, field)
		m.weight = weight
		out = append(out, m)
	}
	if pr.pods != nil && !pr.pods.Matches(labels.Set(pod.Labels)) {
		out = append(out, miss{CausePodLabels, field + ".podSelector",
			lang.M("diagnose.pod-labels", selectorWords(pr.pods), pod.ID(), flowMap(shownLabels(pod.Labels))),
			lang.M("diagnose.pod-labels.fix", fmt.Sprintf("  podSelector:\n    matchLabels: %s", flowMap(pickLabels(pod.Labels)))), weight})
	}
	return out
}

// namespaceMiss says which label of a namespaceSelector the namespace lacks, and offers both
// fixes: label the namespace, or select it by the label every namespace carries.
func (d *diagnosis) namespaceMiss(pr peer, ns, field string) miss {
	have := d.e.namespaceLabels(ns)
	reqs, _ := pr.namespaces.Requirements()
	var why []lang.Msg
	wants := map[string]string{}
	for _, r := range reqs {
		if r.Matches(have) {
			continue
		}
		vals := r.ValuesUnsorted()
		switch {
		case !have.Has(r.Key()) && len(vals) == 1:
			why = append(why, lang.M("diagnose.namespace.no-label", ns, r.Key()))
			wants[r.Key()] = vals[0]
		case !have.Has(r.Key()):
			why = append(why, lang.M("diagnose.namespace.no-label", ns, r.Key()))
		case len(vals) == 1 && (r.Operator() == "=" || r.Operator() == "==" || r.Operator() == "in"):
			why = append(why, lang.M("diagnose.namespace.other-value", ns, r.Key()+"="+have.Get(r.Key()), vals[0]))
			wants[r.Key()] = vals[0]
		default:
			why = append(why, lang.M("diagnose.namespace.fails", ns, r.String()))
		}
	}
	text := lang.M("diagnose.namespace-labels", selectorWords(pr.namespaces), ns, lang.Join("join.comma", why...), flowMap(shownLabels(have)))
	var cmd []string
	for _, k := range sortedKeys(wants) {
		cmd = append(cmd, k+"="+wants[k])
	}
	selectYAML := fmt.Sprintf("  namespaceSelector:\n    matchLabels: {kubernetes.io/metadata.name: %s}", ns)
	fix := lang.M("diagnose.namespace-labels.fix", selectYAML)
	if len(cmd) > 0 && wants["kubernetes.io/metadata.name"] == "" {
		fix = lang.M("diagnose.namespace-labels.fix.label", fmt.Sprintf("  kubectl label namespace %s %s", ns, strings.Join(cmd, " ")), selectYAML)
	}
	return miss{code: CauseNamespaceLabels, field: field + ".namespaceSelector", text: text, fix: fix}
}

// portMisses says why a rule's ports do not admit the connection's port and protocol.
func (d *diagnosis) portMisses(ports []networkingv1.NetworkPolicyPort) []miss {
	c := d.c
	if portsMatch(ports, c.Port, c.Protocol, c.To.Pod) {
		return nil
	}
	admits := describePorts(ports)
	portYAML := fmt.Sprintf("  - {port: %d, protocol: %s}", c.Port, c.Protocol)
	add := lang.M("diagnose.port.fix", portYAML)
	for i, p := range ports {
		if p.Port != nil && p.Port.Type != 0 && c.To.Pod != nil && protocolOf(p) == c.Protocol {
			if !declares([]*Pod{c.To.Pod}, p.Port.StrVal, c.Protocol) {
				return []miss{{CauseNamedPort, fmt.Sprintf("ports[%d]", i),
					lang.M("diagnose.named-port", p.Port.StrVal, c.To, c.Protocol, declaredWords(c.To.Pod)),
					lang.M("diagnose.named-port.fix", p.Port.StrVal, portYAML), 1}}
			}
		}
	}
	for i, p := range ports {
		if protocolOf(p) != c.Protocol && portsMatch([]networkingv1.NetworkPolicyPort{withProtocol(p, c.Protocol)}, c.Port, c.Protocol, c.To.Pod) {
			id := "diagnose.port"
			if c.Port == 53 {
				id = "diagnose.port.dns"
			}
			return []miss{{CauseProtocol, fmt.Sprintf("ports[%d].protocol", i), lang.M(id, admits, d.port()), add, 1}}
		}
	}
	return []miss{{CausePort, "ports", lang.M("diagnose.port", admits, d.port()), add, 1}}
}

// nearWeight: an address just outside a cidr (within the same /16) is likely a slip; one far
// away, a rule meant for other addresses.
func nearWeight(ip netip.Addr, cidr netip.Prefix) int {
	if ip.Is4() && cidr.Addr().Is4() && cidr.Bits() >= 16 && netip.PrefixFrom(cidr.Addr(), 16).Masked().Contains(ip) {
		return 1
	}
	return 2
}

func withProtocol(p networkingv1.NetworkPolicyPort, proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	p.Protocol = &proto
	return p
}

// declaredWords lists the container ports a pod declares: name=port/protocol.
func declaredWords(p *Pod) lang.Msg {
	if len(p.Ports) == 0 {
		return lang.M("diagnose.declares.none")
	}
	out := make([]lang.Msg, 0, len(p.Ports))
	for _, port := range p.Ports {
		if port.Name == "" {
			out = append(out, lang.M("diagnose.declares.unnamed", port.Port, port.Protocol))
			continue
		}
		out = append(out, lang.Verbatim(fmt.Sprintf("%s=%d/%s", port.Name, port.Port, port.Protocol)))
	}
	return lang.Join("join.comma", out...)
}

// allowed explains why a connection wanted blocked is allowed: the rules that admit it on each
// isolated side, or why neither side is isolated.
func (d *diagnosis) allowed(v Verdict) []Cause {
	var out []Cause
	// admin: the side was decided by the Admin tier, which no NetworkPolicy overrides.
	var admin [2]bool
	for _, egress := range []bool{true, false} {
		side := v.Ingress
		if egress {
			side = v.Egress
		}
		switch {
		case side.Cluster != nil && side.Tier != TierNetworkPolicy:
			out = append(out, d.clusterTier(egress, side))
			admin[boolIndex(egress)] = side.Tier == TierAdmin
		case side.Isolated:
			out = append(out, d.admitting(egress)...)
		}
	}
	if v.Egress.Isolated || v.Ingress.Isolated || admin[0] {
		return out
	}
	for _, egress := range []bool{false, true} {
		if !admin[boolIndex(egress)] {
			out = append(out, d.misplaced(egress, false)...)
			out = append(out, d.typeMissing(egress)...)
		}
	}
	self, _ := d.ends(false)
	if self.Pod == nil {
		if !admin[1] {
			out = append(out, Cause{Code: CauseNotIsolated, Side: "egress", rank: 5}.saying(
				lang.M("diagnose.not-isolated.egress", d.c.From, d.c.To), lang.M("diagnose.not-isolated.egress.fix", d.c.From)))
		}
		return out
	}
	msg := lang.M("diagnose.not-isolated.ingress", d.c.To)
	if d.c.From.Pod != nil && !admin[1] {
		msg = lang.M("diagnose.not-isolated.both", d.c.To, d.c.From)
	}
	out = append(out, Cause{Code: CauseNotIsolated, Side: "ingress", rank: 5}.saying(msg,
		lang.M("diagnose.not-isolated.ingress.fix", d.c.To, fmt.Sprintf("  podSelector:\n    matchLabels: %s\n  policyTypes: [Ingress]", flowMap(pickLabels(d.c.To.Pod.Labels))))))
	return out
}

// admitting explains each rule of one side that admits the connection.
func (d *diagnosis) admitting(egress bool) []Cause {
	self, other := d.ends(egress)
	dir := direction(egress)
	list := "from"
	if egress {
		list = "to"
	}
	var out []Cause
	for i := range d.e.policies {
		p := &d.e.policies[i]
		if p.namespace != self.Pod.Namespace || !p.podSelector.Matches(labels.Set(self.Pod.Labels)) || !p.applies(egress) {
			continue
		}
		for ri, r := range p.rules(egress) {
			if !d.ruleAdmits(r, egress, p.namespace) {
				continue
			}
			index := ri
			c := Cause{Code: CauseRuleAdmits, Side: dir, Policy: p.name, Rule: &index, Field: fmt.Sprintf("spec.%s[%d]", dir, ri), rank: 2}
			var why []lang.Msg
			var fix lang.Msg
			if len(r.peers) == 0 {
				id := "diagnose.admits.no-peers.ingress"
				if egress {
					id = "diagnose.admits.no-peers.egress"
				}
				why = append(why, lang.M(id))
			}
			for pi, pr := range r.peers {
				if !d.e.peerMatches(pr, other, p.namespace) {
					continue
				}
				c.Field = fmt.Sprintf("spec.%s[%d].%s[%d]", dir, ri, list, pi)
				why = append(why, d.peerAdmits(pr, other, p.namespace))
				if splitPeers(r.peers) && (pr.namespaces == nil) != (pr.pods == nil) && pr.block < 0 {
					c.Code, c.rank = CauseSplitPeers, 1
					c.Field = fmt.Sprintf("spec.%s[%d].%s", dir, ri, list)
					why = append(why, lang.M("diagnose.admits.split-peers"))
					fix = splitPeersYAML(r.peers, list)
				}
				break
			}
			if len(r.ports) == 0 {
				why = append(why, lang.M("diagnose.admits.no-ports"))
				if fix.IsZero() {
					fix = lang.M("diagnose.admits.no-ports.fix", "  ports:\n  - {port: N, protocol: TCP}", d.port())
				}
			}
			if fix.IsZero() {
				id := "diagnose.admits.fix.ingress"
				if egress {
					id = "diagnose.admits.fix.egress"
				}
				fix = lang.M(id, other, d.port())
			}
			out = append(out, c.saying(lang.M("diagnose.admits", p.name, dirWord(egress), ri, other, d.port(), lang.Join("join.semi", why...)), fix))
		}
	}
	return out
}

// peerAdmits says why a peer selects the other end, naming the broad selectors.
func (d *diagnosis) peerAdmits(pr peer, other Endpoint, ns string) lang.Msg {
	switch {
	case pr.block >= 0:
		return lang.M("diagnose.peer.ipblock", d.e.blocks[pr.block].says(), other)
	case pr.namespaces == nil && pr.pods.Empty():
		return lang.M("diagnose.peer.every-pod-here", ns)
	case pr.namespaces == nil:
		return lang.M("diagnose.peer.pods-here", selectorWords(pr.pods), other)
	case pr.namespaces.Empty() && (pr.pods == nil || pr.pods.Empty()):
		return lang.M("diagnose.peer.every-pod-everywhere")
	case pr.namespaces.Empty():
		return lang.M("diagnose.peer.pods-everywhere", selectorWords(pr.pods), other)
	case pr.pods == nil || pr.pods.Empty():
		return lang.M("diagnose.peer.every-pod-in", selectorWords(pr.namespaces), other.Pod.Namespace)
	default:
		return lang.M("diagnose.peer.pods-in", selectorWords(pr.namespaces), selectorWords(pr.pods), other)
	}
}

// typeMissing finds policies that select the pod and have rules for a direction their
// policyTypes leave out: those rules are ignored.
func (d *diagnosis) typeMissing(egress bool) []Cause {
	self, _ := d.ends(egress)
	if self.Pod == nil {
		return nil
	}
	dir := direction(egress)
	var out []Cause
	for i := range d.e.policies {
		p := &d.e.policies[i]
		if p.namespace != self.Pod.Namespace || !p.podSelector.Matches(labels.Set(self.Pod.Labels)) || p.applies(egress) || len(p.rules(egress)) == 0 {
			continue
		}
		kind := "Ingress"
		if egress {
			kind = "Egress"
		}
		out = append(out, Cause{Code: CausePolicyTypeMissing, Side: dir, Policy: p.name, Field: "spec.policyTypes", rank: 1}.saying(
			lang.M("diagnose.policy-type-missing", p.name, self, dirWord(egress), fmt.Sprint(p.src.Spec.PolicyTypes), kind),
			lang.M("diagnose.policy-type-missing.fix", kind)))
	}
	return out
}

// ruleYAML is a rule that admits the connection, with the real names.
func (d *diagnosis) ruleYAML(egress bool) lang.Msg {
	_, other := d.ends(egress)
	list, dir := "from", "ingress"
	if egress {
		list, dir = "to", "egress"
	}
	var peerYAML string
	if other.Pod == nil {
		peerYAML = fmt.Sprintf("    - ipBlock: {cidr: %s}", netip.PrefixFrom(other.IP.Unmap(), other.IP.Unmap().BitLen()))
	} else {
		peerYAML = fmt.Sprintf("    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}\n      podSelector: {matchLabels: %s}", other.Pod.Namespace, flowMap(pickLabels(other.Pod.Labels)))
	}
	return lang.M("diagnose.fix.add-rule", fmt.Sprintf("  %s:\n  - %s:\n%s\n    ports:\n    - {port: %d, protocol: %s}", dir, list, peerYAML, d.c.Port, d.c.Protocol))
}

// dnsRuleYAML is an egress rule that admits the cluster DNS.
const dnsRuleYAML = `  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}`

// splitPeersYAML shows the rule's separate namespace-only and pod-only items as one item.
func splitPeersYAML(peers []peer, list string) lang.Msg {
	var ns, pods *metav1.LabelSelector
	for _, p := range peers {
		if p.namespaces != nil && p.pods == nil && ns == nil {
			ns = p.src.NamespaceSelector
		}
		if p.pods != nil && p.namespaces == nil && pods == nil {
			pods = p.src.PodSelector
		}
	}
	return lang.M("diagnose.admits.split-peers.fix", fmt.Sprintf("  - %s:\n    - namespaceSelector: %s\n      podSelector: %s", list, flowSelector(ns), flowSelector(pods)))
}

// flowSelector writes a label selector in YAML flow style.
func flowSelector(s *metav1.LabelSelector) string {
	if s == nil || len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		return "{}"
	}
	var parts []string
	if len(s.MatchLabels) > 0 {
		parts = append(parts, "matchLabels: "+flowMap(s.MatchLabels))
	}
	if len(s.MatchExpressions) > 0 {
		var exprs []string
		for _, r := range s.MatchExpressions {
			x := fmt.Sprintf("{key: %s, operator: %s", r.Key, r.Operator)
			if len(r.Values) > 0 {
				x += ", values: [" + strings.Join(r.Values, ", ") + "]"
			}
			exprs = append(exprs, x+"}")
		}
		parts = append(parts, "matchExpressions: ["+strings.Join(exprs, ", ")+"]")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// flowMap writes labels in YAML flow style, sorted.
func flowMap(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+": "+m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// shownLabels leaves out the labels kubectl-netpol puts on what its labs create: they say who
// made an object, and no selector of a learner's is about them.
func shownLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if k == "netpol.lab/name" || k == "app.kubernetes.io/managed-by" && v == "kubectl-netpol" {
			continue
		}
		out[k] = v
	}
	return out
}

// pickLabels chooses the labels a fix selects a pod by: app (or app.kubernetes.io/name) when
// the pod has it, else all of its labels.
func pickLabels(l map[string]string) map[string]string {
	for _, k := range []string{"app", "app.kubernetes.io/name"} {
		if v, ok := l[k]; ok {
			return map[string]string{k: v}
		}
	}
	return l
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// peerSelectsAny reports whether a selector peer selects any pod at all.
func (e *Evaluator) peerSelectsAny(pr peer, ns string) bool {
	for i := range e.pods {
		if e.peerMatches(pr, Endpoint{Pod: &e.pods[i]}, ns) {
			return true
		}
	}
	return false
}

// selectsAny reports whether a policy's podSelector selects a pod of namespace ns.
func (e *Evaluator) selectsAny(p *compiled, ns string) bool {
	for i := range e.pods {
		if e.pods[i].Namespace == ns && p.podSelector.Matches(labels.Set(e.pods[i].Labels)) {
			return true
		}
	}
	return false
}

// selectedPods lists the pods a policy selects.
func (e *Evaluator) selectedPods(p *compiled) []*Pod {
	var out []*Pod
	for i := range e.pods {
		if e.pods[i].Namespace == p.namespace && p.podSelector.Matches(labels.Set(e.pods[i].Labels)) {
			out = append(out, &e.pods[i])
		}
	}
	return out
}

// clusterTier explains a side that a cluster-scoped policy decided: an Admin tier Accept or
// Deny, final whatever the NetworkPolicies say, or the Baseline tier, which decides only where
// no NetworkPolicy isolates the pod.
func (d *diagnosis) clusterTier(egress bool, side Side) Cause {
	ref := side.Cluster
	var what lang.Msg
	for _, r := range d.e.clusterRules {
		if r.ref == ref {
			what = r.what
		}
	}
	self, _ := d.ends(egress)
	dir := direction(egress)
	rule := ref.Rule
	c := Cause{Code: CauseClusterTier, Side: dir, Policy: ref.Kind + "/" + ref.Policy, Rule: &rule, Field: fmt.Sprintf("spec.%s[%d]", dir, ref.Rule)}
	kind := strings.ToLower(ref.Kind)
	args := []any{dirWord(egress), d.c.From, d.c.To, d.port(), what}
	switch {
	case side.Tier == TierAdmin && !side.Allowed:
		return c.saying(lang.M("diagnose.cluster.denied", args...), lang.M("diagnose.cluster.denied.fix", kind, ref.Policy))
	case side.Tier == TierAdmin:
		return c.saying(lang.M("diagnose.cluster.accepted", args...), lang.M("diagnose.cluster.accepted.fix", kind, ref.Policy))
	case !side.Allowed:
		return c.saying(lang.M("diagnose.cluster.baseline-denied", append(args, self)...), lang.M("diagnose.cluster.baseline-denied.fix", self, dirWord(egress)))
	default:
		return c.saying(lang.M("diagnose.cluster.baseline-accepted", append(args, self)...), lang.M("diagnose.cluster.baseline-accepted.fix", self, dirWord(egress)))
	}
}
