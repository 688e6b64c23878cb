package policy

import (
	"fmt"
)

// The cluster tier in the Matrix: per class, the cluster policies that apply to it; per
// cluster rule, the classes its peers match. A class holds pods that cluster policies cannot
// tell apart either: subjects and pods/namespaces peers look at namespaces and labels, which
// the class key holds; networks peers are ipBlocks (Evaluator.blocks) there too; only
// host-network pods add their addresses to the key (nodes peers), see classify.

type matrixCluster struct {
	// subjects are, per direction (ingress, egress), tier (Admin, Baseline) and class, the
	// cluster policies that apply, in the order they are walked (Evaluator.clusterSubjects).
	subjects [2][2][][]int
	// match is, per cluster rule, the classes (of the other end) its peers match; unknown the
	// classes for which that cannot be decided offline (nil: none).
	match   []bitset
	unknown []bitset
}

func (m *Matrix) compileCluster() {
	e := m.ev
	n := len(m.Classes)
	cl := &matrixCluster{match: make([]bitset, len(e.clusterRules)), unknown: make([]bitset, len(e.clusterRules))}
	for dir := range cl.subjects {
		for t := range cl.subjects[dir] {
			cl.subjects[dir][t] = make([][]int, n)
		}
	}
	for c := range m.Classes {
		rep := m.rep(c)
		for dir, egress := range []bool{false, true} {
			admin, baseline := e.clusterSubjects(rep, egress)
			cl.subjects[dir][0][c], cl.subjects[dir][1][c] = admin, baseline
		}
	}
	for _, r := range e.clusterRules {
		set := newBitset(n)
		var unknown bitset
		for c := range m.Classes {
			switch e.clusterPeersMatch(r, Endpoint{Pod: m.rep(c)}) {
			case matches:
				set.set(c)
			case unknownMatch:
				if unknown == nil {
					unknown = newBitset(n)
				}
				unknown.set(c)
			}
		}
		cl.match[r.id], cl.unknown[r.id] = set, unknown
	}
	m.cl = cl
}

// clusterAdmits reports whether cluster rule r's ports admit the port to a destination of
// class dest.
func (m *Matrix) clusterAdmits(r *clusterRule, pp PortProtocol, dest int) bool {
	var destPod *Pod
	if r.named {
		destPod = m.rep(dest)
	}
	return clusterPortsMatch(r.ports, r.action, pp.Port, pp.Protocol, destPod)
}

// clusterSide is Evaluator.clusterSettle for class self's side against class other.
func (m *Matrix) clusterSide(s *Side, port, self, other int, egress bool) {
	pp := m.Ports[port]
	dest := self
	if egress {
		dest = other
	}
	dir := boolIndex(egress)
	admin, baseline := m.cl.subjects[dir][0][self], m.cl.subjects[dir][1][self]
	m.ev.clusterSettle(s, egress, admin, baseline, func(r *clusterRule) match {
		if !m.clusterAdmits(r, pp, dest) {
			return noMatch
		}
		if m.cl.match[r.id].has(other) {
			return matches
		}
		if u := m.cl.unknown[r.id]; u != nil && u.has(other) {
			return unknownMatch
		}
		return noMatch
	})
}

// compose is clusterSettle as bit sets: of the classes at the other end, those a side allows,
// given the cluster policies that apply (admin, baseline, in order), the classes the
// NetworkPolicies allow (np) and whether they isolate the side. admit gives the classes whose
// connection a rule's ports admit (nil: none). Undecidable matches count as no match.
func (m *Matrix) compose(np bitset, isolated bool, admin, baseline []int, egress bool, all bitset, admit func(*clusterRule) bitset) bitset {
	n := len(m.Classes)
	dir := boolIndex(egress)
	undecided := append(bitset(nil), all...)
	allowed, passed, hit := newBitset(n), newBitset(n), newBitset(n)
	step := func(r *clusterRule) bool {
		a := admit(r)
		if a == nil {
			return false
		}
		match := m.cl.match[r.id]
		any := uint64(0)
		for i := range hit {
			hit[i] = match[i] & undecided[i] & a[i]
			any |= hit[i]
		}
		if any == 0 {
			return false
		}
		for i := range undecided {
			undecided[i] &^= hit[i]
		}
		return true
	}
	for _, pi := range admin {
		for _, r := range m.ev.cluster[pi].rules[dir] {
			if !step(r) {
				continue
			}
			switch r.action {
			case ActionAccept:
				allowed.or(hit)
			case ActionPass:
				passed.or(hit)
			}
		}
	}
	undecided.or(passed)
	if isolated {
		for i := range allowed {
			allowed[i] |= undecided[i] & np[i]
		}
		return allowed
	}
	for _, pi := range baseline {
		for _, r := range m.ev.cluster[pi].rules[dir] {
			if step(r) && r.action != ActionDeny {
				allowed.or(hit)
			}
		}
	}
	allowed.or(undecided)
	return allowed
}

// clusterEgressRows wraps the NetworkPolicy egress rows (row) with the cluster tier: per
// source class, the destination classes it may reach on this port.
func (m *Matrix) clusterEgressRows(pp PortProtocol, all bitset, row func(int) bitset) func(int) bitset {
	n := len(m.Classes)
	// What each egress rule's ports admit: every destination, none, or (named ports) some.
	admits := make([]bitset, len(m.ev.clusterRules))
	for _, r := range m.ev.clusterRules {
		if !r.egress {
			continue
		}
		switch {
		case r.named:
			set := newBitset(n)
			for d := range n {
				if m.clusterAdmits(r, pp, d) {
					set.set(d)
				}
			}
			admits[r.id] = set
		case m.clusterAdmits(r, pp, -1):
			admits[r.id] = all
		}
	}
	admit := func(r *clusterRule) bitset { return admits[r.id] }
	rows := map[string]bitset{}
	return func(c int) bitset {
		admin, baseline := m.cl.subjects[1][0][c], m.cl.subjects[1][1][c]
		if len(admin) == 0 && len(baseline) == 0 {
			return row(c)
		}
		key := fmt.Sprint(m.egressBy[c], admin, baseline)
		if r, ok := rows[key]; ok {
			return r
		}
		r := m.compose(row(c), len(m.egressBy[c]) > 0, admin, baseline, true, all, admit)
		rows[key] = r
		return r
	}
}

// clusterIngressRows wraps the NetworkPolicy ingress rows (sources) with the cluster tier: per
// destination class, the source classes it admits on this port.
func (m *Matrix) clusterIngressRows(pp PortProtocol, all bitset, sources func(int) bitset) func(int) bitset {
	rows := map[string]bitset{}
	return func(d int) bitset {
		admin, baseline := m.cl.subjects[0][0][d], m.cl.subjects[0][1][d]
		if len(admin) == 0 && len(baseline) == 0 {
			return sources(d)
		}
		key := fmt.Sprint(m.ingressBy[d], admin, baseline) + portsKey(m.rep(d).Ports)
		if r, ok := rows[key]; ok {
			return r
		}
		r := m.compose(sources(d), len(m.ingressBy[d]) > 0, admin, baseline, false, all, func(r *clusterRule) bitset {
			if m.clusterAdmits(r, pp, d) {
				return all
			}
			return nil
		})
		rows[key] = r
		return r
	}
}

// HasClusterTier reports whether cluster policies take part in the matrix's verdicts (then
// Verdict's sides say which tier decided).
func (m *Matrix) HasClusterTier() bool { return m.cl != nil }

// DecidingTier is Verdict(port, from, to).DecidingTier() for classes from and to, without the
// words: the tier a truth table's cell rests on, for every cell of a large table.
func (m *Matrix) DecidingTier(port, from, to int) Tier {
	if m.cl == nil {
		return ""
	}
	et, ea := m.sideTier(port, from, to, true)
	it, ia := m.sideTier(port, to, from, false)
	return Verdict{Allowed: ea && ia, Egress: Side{Tier: et, Allowed: ea}, Ingress: Side{Tier: it, Allowed: ia}}.DecidingTier()
}

// sideTier is the tier that decides class self's side against class other, and its verdict,
// as clusterSide and Evaluator.clusterSettle settle it (a match that cannot be known offline is
// no match there too).
func (m *Matrix) sideTier(port, self, other int, egress bool) (Tier, bool) {
	pp := m.Ports[port]
	dest, selecting := self, m.ingressBy[self]
	if egress {
		dest, selecting = other, m.egressBy[self]
	}
	dir := boolIndex(egress)
	first := func(order []int) *clusterRule {
		for _, pi := range order {
			for _, r := range m.ev.cluster[pi].rules[dir] {
				if m.cl.match[r.id].has(other) && m.clusterAdmits(r, pp, dest) {
					return r
				}
			}
		}
		return nil
	}
	if r := first(m.cl.subjects[dir][0][self]); r != nil && r.action != ActionPass {
		return TierAdmin, r.action == ActionAccept
	}
	if len(selecting) > 0 {
		for _, pi := range selecting {
			for _, ri := range m.rulesOf[pi] {
				if r := m.rules[ri]; r.egress == egress && m.peerSets[ri].has(other) && m.portAdmits(ri, pp, dest) {
					return TierNetworkPolicy, true
				}
			}
		}
		return TierNetworkPolicy, false
	}
	if r := first(m.cl.subjects[dir][1][self]); r != nil {
		return TierBaseline, r.action != ActionDeny
	}
	return "", true
}
