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
	rank    int
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
		return []Cause{{Code: CauseLoopback, Message: fmt.Sprintf("%s -> %s is a pod's connection to itself (loopback): NetworkPolicy cannot block it, whatever the policies say", c.From, c.To)}}
	}
	d := &diagnosis{e: e, c: c, in: in}
	var out []Cause
	if in.Want {
		if !v.Egress.Allowed {
			out = append(out, d.blocked(true)...)
		}
		if !v.Ingress.Allowed {
			out = append(out, d.blocked(false)...)
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
	code, field, text, fix string
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
			out = append(out, Cause{Code: CauseEgressIsolated, Side: dir, Policy: p, Field: "spec.policyTypes", rank: 1,
				Message: fmt.Sprintf("%s isolates the egress of %s (policyTypes includes Egress), which only ingress was meant to control, so what %s opens is blocked too", p, self, self),
				Fix:     "Remove Egress from the policy's policyTypes (policyTypes: [Ingress]); the egress rules can then go as well"})
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
		texts := make([]string, len(n.misses))
		fixes := []string{}
		for i, m := range n.misses {
			texts[i] = m.text
			if m.fix != "" {
				fixes = append(fixes, m.fix)
			}
		}
		index := n.index
		field := fmt.Sprintf("spec.%s[%d]", dir, n.index)
		if first.field != "" {
			field += "." + first.field
		}
		out = append(out, Cause{Code: first.code, Side: dir, Policy: n.p.name, Rule: &index, Field: field, rank: 1 + best,
			Message: fmt.Sprintf("%s %s rule %d nearly admits %s on %s, but %s", n.p.name, dir, n.index, other, d.port(), strings.Join(texts, "; and ")),
			Fix:     strings.Join(fixes, "\nand\n")})
	}

	switch {
	case egress && other.Pod != nil && d.isDNS(other.Pod) && best > 1:
		out = append(out, Cause{Code: CauseNoDNSRule, Side: dir, Policy: selecting[0], rank: 2,
			Message: fmt.Sprintf("the egress of %s is isolated by %s and no rule allows DNS, so every name lookup fails", self, isolatedBy),
			Fix:     dnsRuleYAML})
	case best > 1:
		msg := fmt.Sprintf("the %s of %s is isolated by %s and no rule admits %s on %s", dir, self, isolatedBy, other, d.port())
		fix := d.ruleYAML(egress)
		if len(ruleless) == len(selecting) {
			msg = fmt.Sprintf("%s isolates the %s of %s and has no %s rules, so it allows nothing", isolatedBy, dir, self, dir)
			if egress {
				fix += "\nor, if only incoming traffic is meant to be controlled, remove Egress from policyTypes"
			}
		}
		out = append(out, Cause{Code: CauseNoRule, Side: dir, Policy: selecting[0], rank: 9, Message: msg, Fix: fix})
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
		switch {
		case moved:
			where := fmt.Sprintf("is in namespace %s", p.namespace)
			if d.in.Defaulted[p.name] {
				where = fmt.Sprintf("has no metadata.namespace, so kubectl apply puts it in the current namespace (%s)", p.namespace)
			}
			out = append(out, Cause{Code: CausePolicyElsewhere, Side: dir, Policy: p.name, Field: "metadata.namespace", rank: 0,
				Message: fmt.Sprintf("%s %s, not in %s: a policy selects pods of its own namespace only, so it does nothing for %s", p.name, where, ns, self),
				Fix:     fmt.Sprintf("Set metadata.namespace: %s in the policy (or apply it with -n %s)", ns, ns)})
		case len(selects) == 0:
			out = append(out, Cause{Code: CausePolicySelectsNone, Side: dir, Policy: p.name, Field: "spec.podSelector", rank: 0,
				Message: fmt.Sprintf("%s would %s, but its podSelector %s selects no pod in %s, so the policy has no effect (%s has labels %s)",
					p.name, wouldWord(wantAllowed, dir), selectorWords(p.podSelector), ns, self, flowMap(shownLabels(self.Pod.Labels))),
				Fix: fmt.Sprintf("Select the pod:\n  podSelector:\n    matchLabels: %s", flowMap(pickLabels(self.Pod.Labels)))})
		default:
			out = append(out, Cause{Code: CausePolicyMisses, Side: dir, Policy: p.name, Field: "spec.podSelector", rank: 3,
				Message: fmt.Sprintf("%s would %s, but its podSelector %s selects %s, not %s (labels %s)",
					p.name, wouldWord(wantAllowed, dir), selectorWords(p.podSelector), podList(selects), self, flowMap(shownLabels(self.Pod.Labels))),
				Fix: fmt.Sprintf("If it is meant for %s too, widen its podSelector, e.g.\n  podSelector:\n    matchLabels: %s", self, flowMap(pickLabels(self.Pod.Labels)))})
		}
	}
	return out
}

func wouldWord(admit bool, dir string) string {
	if admit {
		return "admit it"
	}
	return "isolate the " + dir
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
				fmt.Sprintf("its %s is meant for addresses outside the cluster and does not hold %s's IP (pod IPs change; pods are matched by selectors)", b, other),
				fmt.Sprintf("Select the pod instead:\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}\n    podSelector: {matchLabels: %s}", other.Pod.Namespace, flowMap(pickLabels(other.Pod.Labels))), 1}}
		}
		ip := other.IP.Unmap()
		if !b.cidr.Contains(ip) {
			return []miss{{CauseIPBlock, field + ".ipBlock.cidr", fmt.Sprintf("%s is outside its cidr %s", ip, b.cidr),
				fmt.Sprintf("Widen the cidr to hold %s, or add a peer of its own:\n  - ipBlock: {cidr: %s}", ip, netip.PrefixFrom(ip, ip.BitLen())), nearWeight(ip, b.cidr)}}
		}
		for i, ex := range b.except {
			if ex.Contains(ip) {
				return []miss{{CauseIPBlock, fmt.Sprintf("%s.ipBlock.except[%d]", field, i), fmt.Sprintf("%s is in its except %s", ip, ex),
					fmt.Sprintf("Narrow or drop the except entry %s", ex), 1}}
			}
		}
		return nil
	}
	if other.Pod == nil {
		return []miss{{CauseSelectorForIP, field, fmt.Sprintf("selectors select pods, and %s is an address outside the cluster", other.IP),
			fmt.Sprintf("Use an ipBlock peer for it:\n  - ipBlock: {cidr: %s}", netip.PrefixFrom(other.IP.Unmap(), other.IP.Unmap().BitLen())), 1}}
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
				fmt.Sprintf("podSelector: {} alone means every pod of the policy's own namespace (%s), not everyone; %s is in %s", ns, pod.ID(), pod.Namespace),
				fmt.Sprintf("Add a namespaceSelector to the same item:\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}\n    podSelector: {}\n(namespaceSelector: {} would admit every namespace)", pod.Namespace), 1})
		} else {
			out = append(out, miss{CausePodSelectorOnly, field + ".podSelector",
				fmt.Sprintf("a podSelector without a namespaceSelector selects pods of the policy's own namespace (%s) only; %s is in %s", ns, pod.ID(), pod.Namespace),
				fmt.Sprintf("Add a namespaceSelector to the same item (no dash before podSelector):\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}\n    %s", pod.Namespace, podSel), weight})
		}
	case pr.namespaces != nil && !pr.namespaces.Matches(e.namespaceLabels(pod.Namespace)):
		m := d.namespaceMiss(pr, pod.Namespace, field)
		m.weight = weight
		out = append(out, m)
	}
	if pr.pods != nil && !pr.pods.Matches(labels.Set(pod.Labels)) {
		out = append(out, miss{CausePodLabels, field + ".podSelector",
			fmt.Sprintf("its podSelector %s does not match %s, whose labels are %s", selectorWords(pr.pods), pod.ID(), flowMap(shownLabels(pod.Labels))),
			fmt.Sprintf("Match the pod's labels:\n  podSelector:\n    matchLabels: %s", flowMap(pickLabels(pod.Labels))), weight})
	}
	return out
}

// namespaceMiss says which label of a namespaceSelector the namespace lacks, and offers both
// fixes: label the namespace, or select it by the label every namespace carries.
func (d *diagnosis) namespaceMiss(pr peer, ns, field string) miss {
	have := d.e.namespaceLabels(ns)
	reqs, _ := pr.namespaces.Requirements()
	var why []string
	wants := map[string]string{}
	for _, r := range reqs {
		if r.Matches(have) {
			continue
		}
		vals := r.ValuesUnsorted()
		switch {
		case !have.Has(r.Key()) && len(vals) == 1:
			why = append(why, fmt.Sprintf("namespace %s has no label %s", ns, r.Key()))
			wants[r.Key()] = vals[0]
		case !have.Has(r.Key()):
			why = append(why, fmt.Sprintf("namespace %s has no label %s", ns, r.Key()))
		case len(vals) == 1 && (r.Operator() == "=" || r.Operator() == "==" || r.Operator() == "in"):
			why = append(why, fmt.Sprintf("namespace %s has %s=%s, not %s", ns, r.Key(), have.Get(r.Key()), vals[0]))
			wants[r.Key()] = vals[0]
		default:
			why = append(why, fmt.Sprintf("namespace %s fails %s", ns, r.String()))
		}
	}
	text := fmt.Sprintf("its namespaceSelector %s does not match namespace %s: %s (its labels: %s)",
		selectorWords(pr.namespaces), ns, strings.Join(why, ", "), flowMap(shownLabels(have)))
	var cmd []string
	for _, k := range sortedKeys(wants) {
		cmd = append(cmd, k+"="+wants[k])
	}
	fix := fmt.Sprintf("Select the namespace by the label every namespace carries:\n  namespaceSelector:\n    matchLabels: {kubernetes.io/metadata.name: %s}", ns)
	if len(cmd) > 0 && wants["kubernetes.io/metadata.name"] == "" {
		fix = fmt.Sprintf("Either label the namespace:\n  kubectl label namespace %s %s\nor %s", ns, strings.Join(cmd, " "), strings.ToLower(fix[:1])+fix[1:])
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
	add := fmt.Sprintf("Add it to the rule's ports:\n  - {port: %d, protocol: %s}", c.Port, c.Protocol)
	for i, p := range ports {
		if p.Port != nil && p.Port.Type != 0 && c.To.Pod != nil && protocolOf(p) == c.Protocol {
			if !declares([]*Pod{c.To.Pod}, p.Port.StrVal, c.Protocol) {
				return []miss{{CauseNamedPort, fmt.Sprintf("ports[%d]", i),
					fmt.Sprintf("its port %q is a name that %s does not declare for %s (it declares %s), so it matches nothing", p.Port.StrVal, c.To, c.Protocol, declaredWords(c.To.Pod)),
					fmt.Sprintf("Name the containerPort %q in the pod, or use the number:\n  - {port: %d, protocol: %s}", p.Port.StrVal, c.Port, c.Protocol), 1}}
			}
		}
	}
	for i, p := range ports {
		if protocolOf(p) != c.Protocol && portsMatch([]networkingv1.NetworkPolicyPort{withProtocol(p, c.Protocol)}, c.Port, c.Protocol, c.To.Pod) {
			text := fmt.Sprintf("it admits %s, not %s", admits, d.port())
			if c.Port == 53 {
				text += " (DNS uses TCP too, for answers too large for UDP)"
			}
			return []miss{{CauseProtocol, fmt.Sprintf("ports[%d].protocol", i), text, add, 1}}
		}
	}
	return []miss{{CausePort, "ports", fmt.Sprintf("it admits %s, not %s", admits, d.port()), add, 1}}
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

func declaredWords(p *Pod) string {
	if len(p.Ports) == 0 {
		return "no ports"
	}
	var out []string
	for _, port := range p.Ports {
		name := port.Name
		if name == "" {
			name = "(no name)"
		}
		out = append(out, fmt.Sprintf("%s=%d/%s", name, port.Port, port.Protocol))
	}
	return strings.Join(out, ", ")
}

// allowed explains why a connection wanted blocked is allowed: the rules that admit it on each
// isolated side, or why neither side is isolated.
func (d *diagnosis) allowed(v Verdict) []Cause {
	var out []Cause
	for _, egress := range []bool{true, false} {
		side := v.Ingress
		if egress {
			side = v.Egress
		}
		if side.Isolated {
			out = append(out, d.admitting(egress)...)
		}
	}
	if v.Egress.Isolated || v.Ingress.Isolated {
		return out
	}
	for _, egress := range []bool{false, true} {
		out = append(out, d.misplaced(egress, false)...)
		out = append(out, d.typeMissing(egress)...)
	}
	self, _ := d.ends(false)
	if self.Pod == nil {
		out = append(out, Cause{Code: CauseNotIsolated, Side: "egress", rank: 5,
			Message: fmt.Sprintf("no policy isolates the egress of %s, so it may reach %s", d.c.From, d.c.To),
			Fix:     fmt.Sprintf("Select %s with a policy whose policyTypes include Egress, and allow only what it needs (DNS too)", d.c.From)})
		return out
	}
	msg := fmt.Sprintf("no policy isolates the ingress of %s", d.c.To)
	if d.c.From.Pod != nil {
		msg += fmt.Sprintf(" (nor the egress of %s)", d.c.From)
	}
	out = append(out, Cause{Code: CauseNotIsolated, Side: "ingress", rank: 5, Message: msg + ", so nothing restricts this connection",
		Fix: fmt.Sprintf("Select %s with a policy whose policyTypes include Ingress, e.g.\n  podSelector:\n    matchLabels: %s\n  policyTypes: [Ingress]", d.c.To, flowMap(pickLabels(d.c.To.Pod.Labels)))})
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
			var why []string
			if len(r.peers) == 0 {
				why = append(why, fmt.Sprintf("it has no %s, so it admits every %s", list, map[bool]string{true: "destination", false: "source"}[egress]))
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
					why = append(why, "its peers are separate list items, so EITHER admits (OR)")
					c.Fix = splitPeersYAML(r.peers, list)
				}
				break
			}
			if len(r.ports) == 0 {
				why = append(why, "it lists no ports, so every port")
				if c.Fix == "" {
					c.Fix = fmt.Sprintf("List only the ports meant, e.g.\n  ports:\n  - {port: N, protocol: TCP}\n(%s is then admitted only if listed)", d.port())
				}
			}
			if c.Fix == "" {
				c.Fix = fmt.Sprintf("Narrow that rule (its %s or ports) so that it no longer admits %s on %s", list, other, d.port())
			}
			c.Message = fmt.Sprintf("%s %s rule %d admits %s on %s: %s", p.name, dir, ri, other, d.port(), strings.Join(why, "; "))
			out = append(out, c)
		}
	}
	return out
}

// peerAdmits says why a peer selects the other end, naming the broad selectors.
func (d *diagnosis) peerAdmits(pr peer, other Endpoint, ns string) string {
	switch {
	case pr.block >= 0:
		return fmt.Sprintf("its %s holds %s", d.e.blocks[pr.block], other)
	case pr.namespaces == nil && pr.pods.Empty():
		return fmt.Sprintf("podSelector: {} selects every pod of %s", ns)
	case pr.namespaces == nil:
		return fmt.Sprintf("its podSelector %s matches %s", selectorWords(pr.pods), other)
	case pr.namespaces.Empty() && (pr.pods == nil || pr.pods.Empty()):
		return "namespaceSelector: {} selects every pod of every namespace"
	case pr.namespaces.Empty():
		return fmt.Sprintf("namespaceSelector: {} selects every namespace, and podSelector %s matches %s", selectorWords(pr.pods), other)
	case pr.pods == nil || pr.pods.Empty():
		return fmt.Sprintf("its namespaceSelector %s matches namespace %s, and it selects every pod there", selectorWords(pr.namespaces), other.Pod.Namespace)
	default:
		return fmt.Sprintf("its namespaceSelector %s and podSelector %s both match %s", selectorWords(pr.namespaces), selectorWords(pr.pods), other)
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
		out = append(out, Cause{Code: CausePolicyTypeMissing, Side: dir, Policy: p.name, Field: "spec.policyTypes", rank: 1,
			Message: fmt.Sprintf("%s selects %s and has %s rules, but its policyTypes %v leave out %s, so those rules are ignored and the %s of %s is not isolated", p.name, self, dir, p.src.Spec.PolicyTypes, kind, dir, self),
			Fix:     fmt.Sprintf("Add %s to policyTypes", kind)})
	}
	return out
}

// ruleYAML is a rule that admits the connection, with the real names.
func (d *diagnosis) ruleYAML(egress bool) string {
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
	return fmt.Sprintf("Add a rule (one peer item: namespace AND pods):\n  %s:\n  - %s:\n%s\n    ports:\n    - {port: %d, protocol: %s}", dir, list, strings.TrimPrefix(peerYAML, ""), d.c.Port, d.c.Protocol)
}

const dnsRuleYAML = `Add an egress rule for DNS:
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}`

// splitPeersYAML shows the rule's separate namespace-only and pod-only items as one item.
func splitPeersYAML(peers []peer, list string) string {
	var ns, pods *metav1.LabelSelector
	for _, p := range peers {
		if p.namespaces != nil && p.pods == nil && ns == nil {
			ns = p.src.NamespaceSelector
		}
		if p.pods != nil && p.namespaces == nil && pods == nil {
			pods = p.src.PodSelector
		}
	}
	return fmt.Sprintf("If both must hold (those pods in those namespaces), make them ONE item:\n  - %s:\n    - namespaceSelector: %s\n      podSelector: %s", list, flowSelector(ns), flowSelector(pods))
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
