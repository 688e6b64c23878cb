package checks

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// The cluster-tier check: the cluster-scoped policies of policy.networking.k8s.io
// (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) held against the
// NetworkPolicies, with the evaluator's own verdicts (policy.New, Matrix, Evaluate):
//
//   - NP7001: a NetworkPolicy rule admits connections that an Admin Deny decides first. Only
//     Deny is reported: an Admin Accept of what the rule admits changes nothing for the rule
//     (the connection is allowed either way). A warning per NetworkPolicy when every connection
//     the rule admits (of those weighed) is denied, so the rule is dead; when only some are (an
//     allow-all egress rule under a guardrail that denies the metadata address, the tier's
//     textbook use), one info per Admin rule, naming the NetworkPolicy rules.
//   - NP7002: a Baseline policy's rules for a direction never decide: every pod its subject
//     selects is isolated for that direction by a NetworkPolicy (info: a safety net for pods to
//     come is a fair use).
//   - NP7003: two policies of one tier and priority apply to a pod and disagree on a
//     connection: the API leaves their order to implementations.
//   - NP7004: an Admin Pass hands connections to tiers that say nothing of them (no
//     NetworkPolicy isolates the pod, no Baseline rule matches): the Pass allows them.
//   - NP7005: cluster-scoped policies are in use and no network plugin known to implement them
//     was found.
//   - NP7006: the cluster-scoped policies could not be read (RBAC).
//
// The connections weighed are every pair of pod classes (pods no policy can tell apart, as the
// Matrix groups them), on the ports the rules name and the pods declare, and, for egress, one
// address of each network a cluster rule names. The work is bounded (tierBudget); past it the
// check says that it stopped.

const (
	tierIDOverridden  = "NP7001" // warning / info: an Admin Deny decides before a NetworkPolicy rule
	tierIDShadowed    = "NP7002" // info: a Baseline policy that NetworkPolicies always shadow
	tierIDOverlap     = "NP7003" // warning: one tier and priority, different actions
	tierIDPassNothing = "NP7004" // warning: an Admin Pass with nothing below it
	tierIDEngine      = "NP7005" // warning: no plugin known to enforce the cluster-scoped policies
	tierIDUnread      = "NP7006" // skipped: the cluster-scoped policies could not be read
)

const tierCheckName = "cluster-tier"

var clusterTierCheck = Check{
	Name:  tierCheckName,
	Title: lang.M("doctor.title.cluster-tier"),
	IDs:   []string{tierIDOverridden, tierIDShadowed, tierIDOverlap, tierIDPassNothing, tierIDEngine, tierIDUnread},
	Run:   runClusterTierCheck,
}

const (
	// tierBudget bounds the work of each part of the check (NP7001, NP7003, NP7004), in units
	// of a few tens of nanoseconds: a Matrix built counts its bits (classes² per port) over 64,
	// a class pair and port looked up 1/8, an Evaluate with its walkthrough tierEvaluateCost.
	// A few seconds each at most.
	tierBudget       = 60_000_000
	tierEvaluateCost = 200
	// tierMaxPorts is how many ports are weighed: those the rules name first, then those the
	// pods declare, most declared first.
	tierMaxPorts = 24
	// tierMaxRules is how many NetworkPolicy rules under an Admin Deny are weighed (NP7001).
	tierMaxRules = 2000
	// tierMaxExternal is how many addresses outside the cluster are weighed (egress).
	tierMaxExternal = 16
	// tierExamples is how many connections a finding names.
	tierExamples = 3
)

func runClusterTierCheck(in *Input) []Finding {
	s := in.Snapshot
	var out []Finding
	if len(s.ClusterPoliciesUnread) > 0 {
		out = append(out, tierUnread(in))
	}
	if len(s.ClusterPolicies) == 0 {
		if len(s.ClusterPoliciesUnread) == 0 {
			id := "doctor.tier.none"
			if !in.Live {
				id = "doctor.tier.none.files"
			}
			return []Finding{pass(tierCheckName, tierIDOverridden, lang.M(id))}
		}
		// Served (RBAC refused the List, it did not say "no such resource"): in use, perhaps.
		return append(out, tierEngineFinding(in))
	}
	out = append(out, tierAnalysis(in)...)
	return append(out, tierEngineFinding(in))
}

// tierUnread is NP7006: what RBAC kept doctor from reading, and how to see and grant it.
func tierUnread(in *Input) Finding {
	unread := in.Snapshot.ClusterPoliciesUnread
	var errs []string
	for _, r := range unread {
		if err := in.Forbidden[r]; err != nil {
			errs = append(errs, err.Error())
		}
	}
	detail := strings.Join(errs, "; ")
	if detail == "" {
		detail = strings.Join(unread, ", ")
	}
	f := skipped(tierCheckName, tierIDUnread, lang.M("doctor.tier.unread", strings.Join(unread, ", "), detail))
	return f.withFix(lang.M("doctor.tier.unread.fix", unread[0]))
}

// tierAnalysis runs NP7001 to NP7004, or says why it could not.
func tierAnalysis(in *Input) []Finding {
	check := tierCheckName
	if in.Forbidden["pods"] != nil || in.Forbidden["networkpolicies"] != nil {
		return []Finding{skipped(check, tierIDOverridden, lang.M("doctor.tier.forbidden"))}
	}
	if _, err := in.Warnings(); err != nil {
		return []Finding{unreadable(check, tierIDOverridden, err)}
	}
	ev, err := policy.New(in.Snapshot)
	if err != nil {
		return []Finding{unreadable(check, tierIDOverridden, err)}
	}
	a := newTierRun(in, ev)
	// Each part has the whole budget: one that stops does not starve the others.
	a.spent = 0
	out := a.overridden()
	out = append(out, a.shadowed()...)
	a.spent = 0
	out = append(out, a.overlaps()...)
	a.spent = 0
	out = append(out, a.passes()...)
	if len(failingIDs(out)) == 0 {
		out = append(out, pass(check, tierIDOverridden, lang.M("doctor.tier.pass", len(in.Snapshot.ClusterPolicies))))
	}
	if a.capped {
		out = append(out, skipped(check, tierIDOverridden, lang.M("doctor.tier.capped")))
	}
	return out
}

// tierProfile is what the policies say of one class of pods, per direction (ingress, egress):
// whether NetworkPolicies isolate it, which select it, and the cluster rules that apply to it
// in the order the evaluator walks them.
type tierProfile struct {
	isolated  [2]bool
	selecting [2][]string
	rules     [2][]policy.ClusterRuleCheck
}

type tierRun struct {
	in    *Input
	snap  *policy.Snapshot
	ev    *policy.Evaluator
	m     *policy.Matrix
	ports []policy.PortProtocol
	prof  []tierProfile
	ext   []netip.Addr // addresses outside the cluster, for egress
	// reps are the first two pods of each class, repIndex their index there by their index in
	// the snapshot (repSnapshot).
	reps     []policy.Pod
	repIndex map[int]int
	spent    float64
	capped   bool
}

func newTierRun(in *Input, ev *policy.Evaluator) *tierRun {
	a := &tierRun{in: in, snap: in.Snapshot, ev: ev}
	a.ports = tierPorts(a.snap)
	var all []*policy.ClusterPolicy
	for i := range a.snap.ClusterPolicies {
		if a.snap.ClusterPolicies[i].Tier == policy.TierAdmin {
			all = append(all, &a.snap.ClusterPolicies[i])
		}
	}
	a.ext = tierExternal(all...) // what an Admin Deny may deny (NP7001)
	a.m = ev.Matrix(nil)         // the classes only: the questions are asked of smaller evaluators
	a.prof = make([]tierProfile, len(a.m.Classes))
	for c := range a.m.Classes {
		rep := a.pod(c, 0)
		v := ev.Evaluate(policy.Connection{From: policy.Endpoint{Pod: rep}, To: policy.Endpoint{Pod: rep},
			Port: a.ports[0].Port, Protocol: a.ports[0].Protocol})
		for d, side := range []policy.Side{v.Ingress, v.Egress} {
			p := &a.prof[c]
			p.isolated[d], p.selecting[d] = side.Isolated, side.Selecting
			if side.ClusterDetail != nil {
				p.rules[d] = side.ClusterDetail.Rules
			}
		}
	}
	a.spend(float64(len(a.m.Classes) * tierEvaluateCost))
	return a
}

// spend counts work, and reports whether there is budget left (for the part running).
func (a *tierRun) spend(units float64) bool {
	a.spent += units
	if a.spent > tierBudget {
		a.capped = true
		return false
	}
	return true
}

// pod is the i-th pod of class c (the first is its representative).
func (a *tierRun) pod(c, i int) *policy.Pod { return &a.snap.Pods[a.m.Classes[c].Pods[i]] }

// other is the pod at the other end of a connection from class self to class o (an index
// into the snapshot's pods): o's first pod, or its second when that is self's own
// representative; -1 when the pair would be a pod to itself (always allowed, nothing to weigh).
func (a *tierRun) other(self, o int) int {
	pods := a.m.Classes[o].Pods
	switch {
	case self != o:
		return pods[0]
	case len(pods) > 1:
		return pods[1]
	case a.snap.Pods[pods[0]].StandIn:
		return pods[0]
	}
	return -1
}

func (a *tierRun) inScope(c int) bool { return a.in.InScope(a.m.Classes[c].Namespace) }

// dirName is the direction as the API spells it (ingress, egress: kept in every language).
func dirName(d int) string { return [2]string{"ingress", "egress"}[d] }

// conn says one connection, for examples.
func conn(from, to string, pp policy.PortProtocol) lang.Msg {
	return lang.M("doctor.tier.connection", from, to, pp.String())
}

// connOf is conn for a connection whose self end is of class s, in direction d.
func (a *tierRun) connOf(d int, self *policy.Pod, other policy.Endpoint, pp policy.PortProtocol) lang.Msg {
	if d == 1 {
		return conn(self.ID(), other.String(), pp)
	}
	return conn(other.String(), self.ID(), pp)
}

// evaluate is the full verdict of one connection, self of direction d.
func (a *tierRun) evaluate(d int, self *policy.Pod, other policy.Endpoint, pp policy.PortProtocol) policy.Side {
	a.spend(tierEvaluateCost)
	c := policy.Connection{From: policy.Endpoint{Pod: self}, To: other, Port: pp.Port, Protocol: pp.Protocol}
	if d == 0 {
		c.From, c.To = other, policy.Endpoint{Pod: self}
	}
	v := a.ev.Evaluate(c)
	if d == 1 {
		return v.Egress
	}
	return v.Ingress
}

// --- the ports and addresses weighed

// tierPorts are the ports the NetworkPolicy and cluster rules name, then those the pods
// declare (most declared first), at most tierMaxPorts; 80/TCP when there are none.
func tierPorts(s *policy.Snapshot) []policy.PortProtocol {
	var named []policy.PortProtocol
	add := func(list *[]policy.PortProtocol, proto corev1.Protocol, ports ...int32) {
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		for _, p := range ports {
			pp := policy.PortProtocol{Port: p, Protocol: proto}
			if p > 0 && !slices.Contains(*list, pp) {
				*list = append(*list, pp)
			}
		}
	}
	byName := map[string][]policy.PortProtocol{}
	declared := map[policy.PortProtocol]int{}
	for _, p := range s.Pods {
		for _, cp := range p.Ports {
			proto := cp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			pp := policy.PortProtocol{Port: cp.Port, Protocol: proto}
			declared[pp]++
			if cp.Name != "" && !slices.Contains(byName[cp.Name], pp) {
				byName[cp.Name] = append(byName[cp.Name], pp)
			}
		}
	}
	addNamed := func(name string) {
		for _, pp := range byName[name] {
			add(&named, pp.Protocol, pp.Port)
		}
	}
	for i := range s.Policies {
		spec := &s.Policies[i].Spec
		var all []networkingv1.NetworkPolicyPort
		for _, r := range spec.Ingress {
			all = append(all, r.Ports...)
		}
		for _, r := range spec.Egress {
			all = append(all, r.Ports...)
		}
		for _, p := range all {
			var proto corev1.Protocol
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			switch {
			case p.Port == nil:
			case p.Port.Type == 1: // a name
				addNamed(p.Port.StrVal)
			case p.EndPort != nil:
				add(&named, proto, p.Port.IntVal, *p.EndPort)
			default:
				add(&named, proto, p.Port.IntVal)
			}
		}
	}
	for _, cp := range s.ClusterPolicies {
		for _, r := range append(slices.Clone(cp.Ingress), cp.Egress...) {
			for _, p := range r.Ports {
				switch {
				case p.Unknown:
				case p.Name != "":
					addNamed(p.Name)
				default:
					add(&named, p.Protocol, p.Port, p.EndPort)
				}
			}
		}
	}
	rest := make([]policy.PortProtocol, 0, len(declared))
	for pp := range declared {
		rest = append(rest, pp)
	}
	sort.Slice(rest, func(i, j int) bool {
		if declared[rest[i]] != declared[rest[j]] {
			return declared[rest[i]] > declared[rest[j]]
		}
		return rest[i].String() < rest[j].String()
	})
	out := named
	for _, pp := range rest {
		if !slices.Contains(out, pp) {
			out = append(out, pp)
		}
	}
	if len(out) == 0 {
		out = append(out, policy.PortProtocol{Port: 80, Protocol: corev1.ProtocolTCP})
	}
	if len(out) > tierMaxPorts {
		out = out[:tierMaxPorts]
	}
	return out
}

// tierExternal is one address of each network the egress peers of these cluster policies name:
// the first host address (the address itself for a single one).
func tierExternal(cps ...*policy.ClusterPolicy) []netip.Addr {
	var out []netip.Addr
	for _, cp := range cps {
		if cp == nil {
			continue
		}
		for _, r := range cp.Egress {
			for _, p := range r.Peers {
				for _, n := range p.Networks {
					pfx, err := netip.ParsePrefix(n)
					if err != nil {
						continue
					}
					addr := pfx.Masked().Addr()
					if pfx.Bits() < addr.BitLen() {
						addr = addr.Next()
					}
					if !slices.Contains(out, addr) && len(out) < tierMaxExternal {
						out = append(out, addr)
					}
				}
			}
		}
	}
	return out
}

// --- NP7001: NetworkPolicy rules that an Admin Deny overrides

// npRule is one rule of one NetworkPolicy.
type npRule struct {
	policy int // index into the snapshot's policies
	dir    int // 0 ingress, 1 egress
	index  int
}

type overrideHit struct {
	admitted, denied int
	pairs            map[string]bool // the pod pairs (or pod and address) denied
	examples         []lang.Msg      // one connection of each of the first pairs
	first            lang.Msg        // the first connection, without the rule that denies it
	// The first Admin rule that denies, and the connection: for the fix.
	deny  *policy.ClusterRuleRef
	dir   int
	other policy.Endpoint
	port  policy.PortProtocol
}

func (a *tierRun) overridden() []Finding {
	// The classes each policy selects, per direction, and which of them an Admin Deny rule
	// applies to.
	byName := map[string]int{}
	for i := range a.snap.Policies {
		np := &a.snap.Policies[i]
		byName[np.Namespace+"/"+np.Name] = i
	}
	selected := map[[2]int][]int{} // (policy, dir) -> classes in scope under an Admin Deny
	for c := range a.m.Classes {
		if !a.inScope(c) {
			continue
		}
		for d := range 2 {
			if !a.prof[c].isolated[d] || !slices.ContainsFunc(a.prof[c].rules[d], func(r policy.ClusterRuleCheck) bool {
				return r.Tier == policy.TierAdmin && r.Action == policy.ActionDeny
			}) {
				continue
			}
			for _, name := range a.prof[c].selecting[d] {
				if pi, ok := byName[name]; ok {
					selected[[2]int{pi, d}] = append(selected[[2]int{pi, d}], c)
				}
			}
		}
	}
	keys := make([][2]int, 0, len(selected))
	for key := range selected {
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(x, y [2]int) int {
		if x[0] != y[0] {
			return x[0] - y[0]
		}
		return x[1] - y[1]
	})
	// What the Admin tier alone says, per direction: a side it denies is a class pair the
	// Matrix of the Admin policies (with that direction's rules only) does not allow.
	var admin [2]*policy.Evaluator
	var adminM [2]*policy.Matrix
	for d := range 2 {
		if !slices.ContainsFunc(keys, func(k [2]int) bool { return k[1] == d }) {
			continue
		}
		snap := a.repSnapshot()
		for _, cp := range a.snap.ClusterPolicies {
			if cp.Tier != policy.TierAdmin {
				continue
			}
			if d == 1 {
				cp.Ingress = nil
			} else {
				cp.Egress = nil
			}
			snap.ClusterPolicies = append(snap.ClusterPolicies, cp)
		}
		ev, err := policy.New(snap)
		if err != nil {
			return nil // compiled once already (policy.New on the whole snapshot)
		}
		admin[d], adminM[d] = ev, a.matrix(ev)
	}

	type ruleHit struct {
		r   npRule
		hit *overrideHit
	}
	var hits []ruleHit
	weighed := 0
	for _, key := range keys {
		if a.capped {
			break
		}
		spec := &a.snap.Policies[key[0]].Spec
		n := len(spec.Ingress)
		if key[1] == 1 {
			n = len(spec.Egress)
		}
		classes := selected[key]
		if n > 1 {
			// The policy's rules of that direction together first: most deny nothing.
			all := a.weighRules(key[0], key[1], nil, classes, admin[key[1]], adminM[key[1]])
			if all == nil || all.denied == 0 {
				continue
			}
		}
		for i := range n {
			if weighed++; weighed > tierMaxRules || a.capped {
				a.capped = true
				break
			}
			r := npRule{policy: key[0], dir: key[1], index: i}
			if hit := a.weighRules(key[0], key[1], []int{i}, classes, admin[key[1]], adminM[key[1]]); hit != nil && hit.denied > 0 {
				hits = append(hits, ruleHit{r, hit})
			}
		}
	}

	// A rule the Admin tier leaves nothing of: a warning of its own. Rules it takes some
	// connections from (an allow-all egress rule under a guardrail that denies the metadata
	// address): one info per Admin rule, naming them.
	var out []Finding
	type group struct {
		deny  policy.ClusterRuleRef
		items []lang.Msg
		first *overrideHit
	}
	groups := map[string]*group{}
	for _, h := range hits {
		np := &a.snap.Policies[h.r.policy]
		field := fmt.Sprintf("spec.%s[%d]", dirName(h.r.dir), h.r.index)
		examples := moreSays(h.hit.examples, len(h.hit.pairs))
		if h.hit.denied == h.hit.admitted || h.hit.deny == nil {
			out = append(out, finding(tierCheckName, tierIDOverridden, SeverityWarning, "NetworkPolicy/"+np.Namespace+"/"+np.Name,
				lang.M("doctor.tier.overridden.all", field, h.hit.admitted, examples), a.overriddenFix(h.hit)))
			continue
		}
		k := ruleKey(*h.hit.deny, h.r.dir)
		g := groups[k]
		if g == nil {
			g = &group{deny: *h.hit.deny, first: h.hit}
			groups[k] = g
		}
		g.items = append(g.items, lang.M("doctor.tier.overridden.item", np.Namespace+"/"+np.Name+" "+field, h.hit.denied, h.hit.admitted, h.hit.first))
	}
	for _, k := range sortedKeys(groups) {
		g := groups[k]
		out = append(out, finding(tierCheckName, tierIDOverridden, SeverityInfo, g.deny.Kind+"/"+g.deny.Policy,
			lang.M("doctor.tier.overridden.some", g.deny.Says(), len(g.items), listSomeSays(g.items, tierExamples)), a.overriddenFix(g.first)))
	}
	return out
}

// repSnapshot is the snapshot's namespaces, nodes and, for pods, the first two of each class
// (a class's pods behave the same; the second stands for its pods to one another): what the
// evaluators built for one question read, smaller than the whole.
func (a *tierRun) repSnapshot() *policy.Snapshot {
	if a.reps == nil {
		a.repIndex = map[int]int{}
		for _, c := range a.m.Classes {
			for _, pi := range c.Pods[:min(2, len(c.Pods))] {
				a.repIndex[pi] = len(a.reps)
				a.reps = append(a.reps, a.snap.Pods[pi])
			}
		}
	}
	return &policy.Snapshot{Namespaces: a.snap.Namespaces, Pods: a.reps, Nodes: a.snap.Nodes}
}

// matrix is ev's Matrix on the ports weighed, counted against the budget (classes² bits per
// port, and the pods to classify).
func (a *tierRun) matrix(ev *policy.Evaluator) *policy.Matrix {
	m := ev.Matrix(a.ports)
	n := float64(len(m.Classes))
	a.spend((n*n*float64(len(a.ports)))/64 + float64(len(a.reps)))
	return m
}

// weighRules counts the connections that the rules of a policy for one direction (only, when
// not nil: their indices) admit, on the ports weighed, from or to the classes the policy
// selects under an Admin Deny, and those of them the Admin tier denies first, with examples
// named by the full evaluator.
func (a *tierRun) weighRules(pi, dir int, only []int, classes []int, admin *policy.Evaluator, adminM *policy.Matrix) *overrideHit {
	np := a.snap.Policies[pi].DeepCopy()
	if dir == 1 {
		np.Spec.Ingress = nil
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		if only != nil {
			var keep []networkingv1.NetworkPolicyEgressRule
			for _, i := range only {
				keep = append(keep, np.Spec.Egress[i])
			}
			np.Spec.Egress = keep
		}
	} else {
		np.Spec.Egress = nil
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if only != nil {
			var keep []networkingv1.NetworkPolicyIngressRule
			for _, i := range only {
				keep = append(keep, np.Spec.Ingress[i])
			}
			np.Spec.Ingress = keep
		}
	}
	snap := a.repSnapshot()
	snap.Policies = []networkingv1.NetworkPolicy{*np}
	ruleEv, err := policy.New(snap)
	if err != nil {
		return nil
	}
	ruleM := a.matrix(ruleEv)
	a.spend(float64(len(classes)*len(a.m.Classes)*len(a.ports)) / 8)
	hit := &overrideHit{pairs: map[string]bool{}}
	record := func(self *policy.Pod, other policy.Endpoint, pp policy.PortProtocol) {
		hit.denied++
		pair := self.ID() + " " + other.String()
		if hit.pairs[pair] {
			return
		}
		hit.pairs[pair] = true
		if len(hit.examples) >= tierExamples {
			return
		}
		side := a.evaluate(dir, self, other, pp)
		ex := a.connOf(dir, self, other, pp)
		if hit.first.IsZero() {
			hit.first = ex
		}
		if side.Tier == policy.TierAdmin && side.Cluster != nil {
			ex = lang.M("doctor.tier.overridden.example", ex, side.Cluster.Says())
			if hit.deny == nil {
				hit.deny, hit.dir, hit.other, hit.port = side.Cluster, dir, other, pp
			}
		}
		hit.examples = append(hit.examples, ex)
	}
	for _, s := range classes {
		si := a.m.Classes[s].Pods[0]
		self := &a.snap.Pods[si]
		for o := range a.m.Classes {
			oi := a.other(s, o)
			if oi < 0 {
				continue
			}
			from, to := a.repIndex[si], a.repIndex[oi]
			if dir == 0 {
				from, to = to, from
			}
			for port, pp := range a.ports {
				if !ruleM.ClassAllowed(port, ruleM.Class(from), ruleM.Class(to)) {
					continue
				}
				hit.admitted++
				if !adminM.ClassAllowed(port, adminM.Class(from), adminM.Class(to)) {
					record(self, policy.Endpoint{Pod: &a.snap.Pods[oi]}, pp)
				}
			}
		}
		if dir == 1 {
			for _, ip := range a.ext {
				for _, pp := range a.ports {
					c := policy.Connection{From: policy.Endpoint{Pod: self}, To: policy.Endpoint{IP: ip}, Port: pp.Port, Protocol: pp.Protocol}
					a.spend(2 * tierEvaluateCost)
					if !ruleEv.Evaluate(c).Egress.Allowed {
						continue
					}
					hit.admitted++
					if !admin.Evaluate(c).Egress.Allowed {
						record(self, policy.Endpoint{IP: ip}, pp)
					}
				}
			}
		}
		if a.capped {
			break
		}
	}
	return hit
}

// overriddenFix is NP7001's fix: hand the connection to the NetworkPolicies with a Pass rule
// placed right before the Deny (a JSON patch of the cluster policy), or drop from the rule
// what it cannot allow.
func (a *tierRun) overriddenFix(hit *overrideHit) lang.Msg {
	if hit.deny == nil {
		return lang.M("doctor.tier.overridden.fix.no-patch")
	}
	return lang.M("doctor.tier.overridden.fix", passPatch(*hit.deny, hit.dir, hit.other, hit.port))
}

// passPatch is a kubectl patch that inserts, right before the Deny rule deny, a Pass rule for
// the other end of one connection on its port: what the NetworkPolicies then decide.
func passPatch(deny policy.ClusterRuleRef, d int, other policy.Endpoint, pp policy.PortProtocol) string {
	dir, peers := "ingress", "from"
	if d == 1 {
		dir, peers = "egress", "to"
	}
	var peer map[string]any
	if other.Pod != nil {
		podSel := map[string]any{}
		if len(other.Pod.Labels) > 0 {
			podSel["matchLabels"] = other.Pod.Labels
		}
		peer = map[string]any{"pods": map[string]any{
			"namespaceSelector": map[string]any{"matchLabels": map[string]string{"kubernetes.io/metadata.name": other.Pod.Namespace}},
			"podSelector":       podSel}}
	} else {
		bits := 32
		if other.IP.Is6() {
			bits = 128
		}
		peer = map[string]any{"networks": []string{fmt.Sprintf("%s/%d", other.IP, bits)}}
	}
	rule := map[string]any{"name": "let-networkpolicies-decide", "action": "Pass", peers: []any{peer}}
	if deny.Kind == policy.KindClusterNetworkPolicy {
		rule["protocols"] = []any{map[string]any{strings.ToLower(string(pp.Protocol)): map[string]any{"destinationPort": map[string]any{"number": pp.Port}}}}
	} else {
		rule["ports"] = []any{map[string]any{"portNumber": map[string]any{"protocol": string(pp.Protocol), "port": pp.Port}}}
	}
	patch, _ := json.Marshal([]any{map[string]any{"op": "add", "path": fmt.Sprintf("/spec/%s/%d", dir, deny.Rule), "value": rule}})
	return fmt.Sprintf("kubectl patch %s %s --type json -p '%s'", strings.ToLower(deny.Kind), deny.Policy, patch)
}

// moreSays names the first examples, then how many more of total there are.
func moreSays(examples []lang.Msg, total int) lang.Msg {
	list := lang.Join("join.semi", examples...)
	if total > len(examples) {
		return lang.M("doctor.more", list, total-len(examples))
	}
	return list
}

// --- NP7002: Baseline policies the NetworkPolicies always shadow

func (a *tierRun) shadowed() []Finding {
	if a.in.PartialPods {
		return nil // the subject may hold pods doctor could not list
	}
	type key struct {
		ref policy.ClusterRuleRef
		dir int
	}
	classes := map[string][]int{} // kind/name/dir -> classes it applies to
	refs := map[string]policy.ClusterRuleRef{}
	for c := range a.m.Classes {
		for d := range 2 {
			seen := map[string]bool{}
			for _, r := range a.prof[c].rules[d] {
				if r.Tier != policy.TierBaseline {
					continue
				}
				k := fmt.Sprintf("%s/%s/%d", r.Kind, r.Policy, d)
				if seen[k] {
					continue
				}
				seen[k] = true
				classes[k] = append(classes[k], c)
				refs[k] = r.ClusterRuleRef
			}
		}
	}
	var out []Finding
	for _, k := range sortedKeys(classes) {
		cs := classes[k]
		d := int(k[len(k)-1] - '0')
		var pods []string
		var nps []string
		shadowed := true
		for _, c := range cs {
			// The NetworkPolicies of a namespace out of the scope were not read.
			if !a.inScope(c) || !a.prof[c].isolated[d] {
				shadowed = false
				break
			}
			for _, pi := range a.m.Classes[c].Pods {
				pods = append(pods, a.snap.Pods[pi].ID())
			}
			for _, n := range a.prof[c].selecting[d] {
				if !slices.Contains(nps, n) {
					nps = append(nps, n)
				}
			}
		}
		if !shadowed || len(pods) == 0 {
			continue
		}
		sort.Strings(pods)
		sort.Strings(nps)
		ref := refs[k]
		fix := lang.M("doctor.tier.shadowed.fix", strings.ToLower(ref.Kind), ref.Policy)
		if ref.Kind == policy.KindBaselineAdminNetworkPolicy {
			fix = lang.M("doctor.tier.shadowed.fix.banp", ref.Policy)
		}
		out = append(out, finding(tierCheckName, tierIDShadowed, SeverityInfo, ref.Kind+"/"+ref.Policy,
			lang.M("doctor.tier.shadowed", dirName(d), policySays(ref), len(pods), listSome(pods, 5), listSome(nps, 3)), fix))
	}
	return out
}

// policySays names a cluster policy: its kind, name, tier and priority.
func policySays(ref policy.ClusterRuleRef) lang.Msg {
	if ref.Priority == nil {
		return lang.M("doctor.tier.policy.no-priority", ref.Kind, ref.Policy, string(ref.Tier))
	}
	return lang.M("doctor.tier.policy", ref.Kind, ref.Policy, string(ref.Tier), *ref.Priority)
}

// --- NP7003 and NP7004: policies of one priority that disagree, Passes with nothing below
//
// Both are read from small evaluators built for one question each (a mini: the class
// representatives and a few policies, restricted to one direction), whose Matrix answers for
// every class pair and port at once: where a policy's first matching rule denies (the policy
// alone), accepts (the policy before a NetworkPolicy that isolates every pod and allows
// nothing), or matches at all (its actions all made Deny); where an Admin Pass rule decides
// (made Deny, against the Admin tier as it is); where a Baseline rule matches. Addresses outside
// the cluster are asked of the full evaluator, one connection at a time.

// mini is an evaluator of the representatives with these cluster policies and NetworkPolicies,
// and its Matrix on the ports weighed.
type mini struct {
	ev *policy.Evaluator
	m  *policy.Matrix
}

func (a *tierRun) mini(cps []policy.ClusterPolicy, nps []networkingv1.NetworkPolicy) *mini {
	snap := a.repSnapshot()
	snap.ClusterPolicies, snap.Policies = cps, nps
	ev, err := policy.New(snap)
	if err != nil {
		return nil // compiled once already, as the whole snapshot
	}
	return &mini{ev: ev, m: a.matrix(ev)}
}

// denies reports whether the mini denies the side of class self (direction d) against the pod
// other (an index into the snapshot's pods) on port: the minis have rules for d only, so the
// other side never denies.
func (a *tierRun) denies(mi *mini, d, port, self, other int) bool {
	from, to := a.repIndex[a.m.Classes[self].Pods[0]], a.repIndex[other]
	if d == 0 {
		from, to = to, from
	}
	a.spend(0.125)
	return !mi.m.ClassAllowed(port, mi.m.Class(from), mi.m.Class(to))
}

// oneWay is p with the rules of direction d only.
func oneWay(p policy.ClusterPolicy, d int) policy.ClusterPolicy {
	if d == 1 {
		p.Ingress = nil
	} else {
		p.Egress = nil
	}
	return p
}

// withAction is p with every rule of direction d (only (d, index) when index >= 0) given action.
func withAction(p policy.ClusterPolicy, d, index int, action policy.ClusterAction) policy.ClusterPolicy {
	rules := &p.Ingress
	if d == 1 {
		rules = &p.Egress
	}
	*rules = slices.Clone(*rules)
	for i := range *rules {
		if index < 0 || i == index {
			(*rules)[i].Action = action
		}
	}
	return p
}

// isolateAll are NetworkPolicies that isolate every pod for direction d and allow nothing.
func (a *tierRun) isolateAll(d int) []networkingv1.NetworkPolicy {
	pt := networkingv1.PolicyTypeIngress
	if d == 1 {
		pt = networkingv1.PolicyTypeEgress
	}
	var out []networkingv1.NetworkPolicy
	for _, ns := range a.snap.Namespaces {
		np := networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{pt}}}
		np.Name, np.Namespace = "isolate-all", ns.Name
		out = append(out, np)
	}
	return out
}

// policyMinis are what one cluster policy alone says in direction d: where its first matching
// rule matches at all, denies, accepts.
type policyMinis struct{ matched, deny, accept *mini }

// actionOf is the action of the policy's first matching rule for a connection, "" when none
// matches.
func (a *tierRun) actionOf(pm *policyMinis, d, port, self, other int) policy.ClusterAction {
	switch {
	case !a.denies(pm.matched, d, port, self, other):
		return ""
	case a.denies(pm.deny, d, port, self, other):
		return policy.ActionDeny
	case !a.denies(pm.accept, d, port, self, other):
		return policy.ActionAccept
	}
	return policy.ActionPass
}

type overlapHit struct {
	first, second policy.ClusterRuleRef
	dir           int
	example       lang.Msg
}

// clusterPolicyNamed is the cluster policy of kind/name.
func (a *tierRun) clusterPolicyNamed(kindName string) *policy.ClusterPolicy {
	kind, name, _ := strings.Cut(kindName, "/")
	return a.clusterPolicy(kind, name)
}

// clusterPolicy is the cluster policy of that kind and name, nil when there is none.
func (a *tierRun) clusterPolicy(kind, name string) *policy.ClusterPolicy {
	for i := range a.snap.ClusterPolicies {
		if cp := &a.snap.ClusterPolicies[i]; cp.Kind == kind && cp.Name == name {
			return cp
		}
	}
	return nil
}

func (a *tierRun) overlaps() []Finding {
	// The pairs of policies of one tier and priority, per direction, and the classes in scope
	// both apply to.
	type pairKey struct {
		first, second string // kind/name, in walk order
		dir           int
	}
	pairs := map[pairKey][]int{}
	for s := range a.m.Classes {
		if !a.inScope(s) {
			continue
		}
		for d := range 2 {
			byPriority := map[string][]string{}
			var order []string
			for _, r := range a.prof[s].rules[d] {
				if r.Priority == nil {
					continue
				}
				k := fmt.Sprintf("%s/%d", r.Tier, *r.Priority)
				name := r.Kind + "/" + r.Policy
				if !slices.Contains(byPriority[k], name) {
					if byPriority[k] == nil {
						order = append(order, k)
					}
					byPriority[k] = append(byPriority[k], name)
				}
			}
			for _, k := range order {
				ps := byPriority[k]
				for i := range ps {
					for j := i + 1; j < len(ps); j++ {
						key := pairKey{ps[i], ps[j], d}
						pairs[key] = append(pairs[key], s)
					}
				}
			}
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	keys := slices.Collect(maps.Keys(pairs))
	slices.SortFunc(keys, func(x, y pairKey) int {
		return strings.Compare(fmt.Sprint(x), fmt.Sprint(y))
	})
	minis := map[string]*policyMinis{}
	minisOf := func(name string, d int) *policyMinis {
		k := fmt.Sprintf("%s/%d", name, d)
		if pm, ok := minis[k]; ok {
			return pm
		}
		cp := a.clusterPolicyNamed(name)
		if cp == nil {
			minis[k] = nil
			return nil
		}
		// One policy alone, in the Admin tier (its tier does not change its first match).
		alone := oneWay(*cp, d)
		alone.Tier = policy.TierAdmin
		pm := &policyMinis{
			matched: a.mini([]policy.ClusterPolicy{withAction(alone, d, -1, policy.ActionDeny)}, nil),
			deny:    a.mini([]policy.ClusterPolicy{alone}, nil),
			accept:  a.mini([]policy.ClusterPolicy{alone}, a.isolateAll(d)),
		}
		if pm.matched == nil || pm.deny == nil || pm.accept == nil {
			pm = nil
		}
		minis[k] = pm
		return pm
	}
	var out []Finding
	for _, key := range keys {
		if a.capped {
			break
		}
		pa, pb := minisOf(key.first, key.dir), minisOf(key.second, key.dir)
		if pa == nil || pb == nil {
			continue
		}
		d := key.dir
		var self *policy.Pod
		var other policy.Endpoint
		var pp policy.PortProtocol
	search:
		for _, s := range pairs[key] {
			for o := range a.m.Classes {
				oi := a.other(s, o)
				if oi < 0 {
					continue
				}
				for port := range a.ports {
					if a.capped {
						break search
					}
					x := a.actionOf(pa, d, port, s, oi)
					if x == "" {
						continue
					}
					if y := a.actionOf(pb, d, port, s, oi); y != "" && y != x {
						self, other, pp = a.pod(s, 0), policy.Endpoint{Pod: &a.snap.Pods[oi]}, a.ports[port]
						break search
					}
				}
			}
			if d == 1 {
				for _, ip := range tierExternal(a.clusterPolicyNamed(key.first), a.clusterPolicyNamed(key.second)) {
					for _, port := range a.ports {
						if a.capped {
							break search
						}
						side := a.evaluate(d, a.pod(s, 0), policy.Endpoint{IP: ip}, port)
						if side.ClusterDetail == nil {
							continue
						}
						if x, y := firstMatch(side.ClusterDetail.Rules, key.first), firstMatch(side.ClusterDetail.Rules, key.second); x != nil && y != nil && x.Action != y.Action {
							self, other, pp = a.pod(s, 0), policy.Endpoint{IP: ip}, port
							break search
						}
					}
				}
			}
		}
		if self == nil {
			continue
		}
		// The rules, named by the full evaluator's walkthrough of that connection.
		side := a.evaluate(d, self, other, pp)
		if side.ClusterDetail == nil {
			continue
		}
		x, y := firstMatch(side.ClusterDetail.Rules, key.first), firstMatch(side.ClusterDetail.Rules, key.second)
		if x == nil || y == nil {
			continue
		}
		prio := int32(0)
		if x.Priority != nil {
			prio = *x.Priority
		}
		// Keep the order kubectl-netpol takes (the first by name first): the other one after.
		patched, to := *y, prio+1
		if prio >= 1000 {
			patched, to = *x, prio-1
		}
		fix := lang.M("doctor.tier.overlap.fix", x.Policy, strings.ToLower(patched.Kind), patched.Policy, to)
		out = append(out, finding(tierCheckName, tierIDOverlap, SeverityWarning, x.Kind+"/"+x.Policy,
			lang.M("doctor.tier.overlap", x.Says(), y.Says(), dirName(d), a.connOf(d, self, other, pp), string(x.Action), string(y.Action)), fix))
	}
	return out
}

// firstMatch is the first rule of the policy (kind/name) that matches, in a side's
// walkthrough of the cluster rules; nil when none does.
func firstMatch(rules []policy.ClusterRuleCheck, name string) *policy.ClusterRuleRef {
	for i := range rules {
		r := &rules[i]
		if r.Kind+"/"+r.Policy == name && r.PeerMatch && r.PortMatch && !r.PeerUnknown {
			return &r.ClusterRuleRef
		}
	}
	return nil
}

// passClass is what one Admin Pass rule did for one class: connections it passed that fell
// through to "allowed" (nothing below decided), and whether a Baseline rule decided any.
type passClass struct {
	fell     int
	baseline bool
	example  lang.Msg
}

func (a *tierRun) passes() []Finding {
	// The Admin Pass rules, per direction, and the classes in scope that no NetworkPolicy
	// isolates there and that they apply to.
	type passKey struct {
		kind, name string
		dir, rule  int
	}
	classes := map[passKey][]int{}
	refs := map[passKey]policy.ClusterRuleRef{}
	for s := range a.m.Classes {
		if !a.inScope(s) {
			continue
		}
		for d := range 2 {
			if a.prof[s].isolated[d] {
				continue
			}
			for _, r := range a.prof[s].rules[d] {
				if r.Tier == policy.TierAdmin && r.Action == policy.ActionPass {
					k := passKey{r.Kind, r.Policy, d, r.Rule}
					classes[k] = append(classes[k], s)
					refs[k] = r.ClusterRuleRef
				}
			}
		}
	}
	if len(classes) == 0 {
		return nil
	}
	keys := slices.Collect(maps.Keys(classes))
	slices.SortFunc(keys, func(x, y passKey) int { return strings.Compare(fmt.Sprint(x), fmt.Sprint(y)) })
	// Per direction: the Admin tier as it is, and where a Baseline rule matches (the Baseline
	// policies alone, their actions made Deny).
	var adminAsIs, baseline [2]*mini
	tierOf := func(t policy.Tier, d int, action policy.ClusterAction) []policy.ClusterPolicy {
		var out []policy.ClusterPolicy
		for _, cp := range a.snap.ClusterPolicies {
			if cp.Tier == t {
				cp = oneWay(cp, d)
				if action != "" {
					cp = withAction(cp, d, -1, action)
				}
				out = append(out, cp)
			}
		}
		return out
	}
	var out []Finding
	for _, k := range keys {
		if a.capped {
			break
		}
		d := k.dir
		if adminAsIs[d] == nil {
			adminAsIs[d] = a.mini(tierOf(policy.TierAdmin, d, ""), nil)
			baseline[d] = a.mini(tierOf(policy.TierBaseline, d, policy.ActionDeny), nil)
		}
		// The Admin tier with this rule made Deny: it denies, beyond what the tier denies, what
		// the rule decides.
		var withR []policy.ClusterPolicy
		for _, cp := range tierOf(policy.TierAdmin, d, "") {
			if cp.Kind == k.kind && cp.Name == k.name {
				cp = withAction(cp, d, k.rule, policy.ActionDeny)
			}
			withR = append(withR, cp)
		}
		passR := a.mini(withR, nil)
		if passR == nil || adminAsIs[d] == nil || baseline[d] == nil {
			continue
		}
		var pods []string
		var example lang.Msg
		for _, s := range classes[k] {
			pc := passClass{}
			self := a.pod(s, 0)
		weigh:
			for o := range a.m.Classes {
				oi := a.other(s, o)
				if oi < 0 {
					continue
				}
				for port, pp := range a.ports {
					if a.capped {
						break weigh
					}
					if !a.denies(passR, d, port, s, oi) || a.denies(adminAsIs[d], d, port, s, oi) {
						continue // not the Pass rule's to decide
					}
					if a.denies(baseline[d], d, port, s, oi) {
						pc.baseline = true
						break weigh
					}
					pc.fell++
					if pc.example.IsZero() {
						pc.example = a.connOf(d, self, policy.Endpoint{Pod: &a.snap.Pods[oi]}, pp)
					}
				}
			}
			if d == 1 && !pc.baseline {
			external:
				for _, ip := range tierExternal(a.clusterPolicy(k.kind, k.name)) {
					for _, pp := range a.ports {
						if a.capped {
							break external
						}
						side := a.evaluate(d, self, policy.Endpoint{IP: ip}, pp)
						ref := side.Pass()
						if ref == nil || ref.Kind != k.kind || ref.Policy != k.name || ref.Rule != k.rule {
							continue
						}
						if side.Tier != "" {
							pc.baseline = true
							break external
						}
						pc.fell++
						if pc.example.IsZero() {
							pc.example = a.connOf(d, self, policy.Endpoint{IP: ip}, pp)
						}
					}
				}
			}
			if pc.fell == 0 || pc.baseline {
				continue
			}
			if example.IsZero() {
				example = pc.example
			}
			for _, pi := range a.m.Classes[s].Pods {
				pods = append(pods, a.snap.Pods[pi].ID())
			}
		}
		if len(pods) == 0 {
			continue
		}
		sort.Strings(pods)
		ref := refs[k]
		out = append(out, finding(tierCheckName, tierIDPassNothing, SeverityWarning, ref.Kind+"/"+ref.Policy,
			lang.M("doctor.tier.pass-nothing", ref.Says(), dirName(d), listSome(pods, 5), example),
			lang.M("doctor.tier.pass-nothing.fix", a.baselineDenyYAML(ref, d), dirName(d))))
	}
	return out
}

// ruleKey identifies a cluster rule in a direction.
func ruleKey(r policy.ClusterRuleRef, d int) string {
	return fmt.Sprintf("%s/%s/%d/%d", r.Kind, r.Policy, d, r.Rule)
}

// baselineDenyYAML is a Baseline ClusterNetworkPolicy that denies what the Pass rule passes,
// for the same subject: the NP7004 fix, indented for the remediation.
func (a *tierRun) baselineDenyYAML(ref policy.ClusterRuleRef, dir int) string {
	var src *policy.ClusterPolicy
	for i := range a.snap.ClusterPolicies {
		cp := &a.snap.ClusterPolicies[i]
		if cp.Kind == ref.Kind && cp.Name == ref.Policy {
			src = cp
		}
	}
	if src == nil {
		return ""
	}
	rules := src.Ingress
	if dir == 1 {
		rules = src.Egress
	}
	if ref.Rule >= len(rules) {
		return ""
	}
	r := rules[ref.Rule]
	name := "deny-passed"
	if r.Name != "" {
		name = r.Name + "-baseline"
	}
	var peers any
	key := "from"
	if dir == 1 {
		key = "to"
		var to []v1beta1.ClusterNetworkPolicyEgressPeer
		for _, p := range r.Peers {
			peer := v1beta1.ClusterNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: betaPods(p.Pods), Nodes: p.Nodes}
			for _, n := range p.Networks {
				peer.Networks = append(peer.Networks, v1beta1.CIDR(n))
			}
			if peer.Namespaces != nil || peer.Pods != nil || peer.Nodes != nil || len(peer.Networks) > 0 {
				to = append(to, peer)
			}
		}
		peers = to
	} else {
		var from []v1beta1.ClusterNetworkPolicyIngressPeer
		for _, p := range r.Peers {
			if p.Namespaces != nil || p.Pods != nil {
				from = append(from, v1beta1.ClusterNetworkPolicyIngressPeer{Namespaces: p.Namespaces, Pods: betaPods(p.Pods)})
			}
		}
		peers = from
	}
	subject := v1beta1.ClusterNetworkPolicySubject{Namespaces: src.Subject.Namespaces, Pods: betaPods(src.Subject.Pods)}
	// Written in the order people write it: what, where, then the rule.
	var b strings.Builder
	b.WriteString("apiVersion: " + policy.ClusterPolicyGroup + "/v1beta1\n")
	b.WriteString("kind: " + policy.KindClusterNetworkPolicy + "\n")
	b.WriteString("metadata:\n  name: " + src.Name + "-baseline\n")
	b.WriteString("spec:\n  tier: Baseline\n  priority: 1000\n")
	b.WriteString("  subject:\n" + yamlIndent(subject, "    "))
	b.WriteString("  " + dirName(dir) + ":\n")
	b.WriteString("  - name: " + name + "\n    action: Deny\n")
	b.WriteString("    " + key + ":\n" + yamlIndent(peers, "    "))
	if protocols := betaProtocols(r.Ports); len(protocols) > 0 {
		b.WriteString("    protocols:\n" + yamlIndent(protocols, "    "))
	}
	return indent(strings.TrimRight(b.String(), "\n"))
}

// indent indents each line of text by two spaces: the remediation's code.
func indent(text string) string {
	return "  " + strings.ReplaceAll(text, "\n", "\n  ")
}

// yamlIndent is v as YAML, each line after prefix.
func yamlIndent(v any, prefix string) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	y, err := yaml.JSONToYAML(raw)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(string(y), "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

func betaPods(p *policy.ClusterPods) *v1beta1.NamespacedPod {
	if p == nil {
		return nil
	}
	return &v1beta1.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

func betaProtocols(ports []policy.ClusterPort) []v1beta1.ClusterNetworkPolicyProtocol {
	var out []v1beta1.ClusterNetworkPolicyProtocol
	for _, p := range ports {
		switch {
		case p.Unknown:
			continue
		case p.Name != "":
			out = append(out, v1beta1.ClusterNetworkPolicyProtocol{DestinationNamedPort: p.Name})
			continue
		}
		var dest *v1beta1.Port
		switch {
		case p.EndPort != 0:
			dest = &v1beta1.Port{Range: &v1beta1.PortRange{Start: p.Port, End: p.EndPort}}
		case p.Port != 0:
			dest = &v1beta1.Port{Number: p.Port}
		}
		switch p.Protocol {
		case corev1.ProtocolUDP:
			out = append(out, v1beta1.ClusterNetworkPolicyProtocol{UDP: &v1beta1.ClusterNetworkPolicyProtocolUDP{DestinationPort: dest}})
		case corev1.ProtocolSCTP:
			out = append(out, v1beta1.ClusterNetworkPolicyProtocol{SCTP: &v1beta1.ClusterNetworkPolicyProtocolSCTP{DestinationPort: dest}})
		default:
			out = append(out, v1beta1.ClusterNetworkPolicyProtocol{TCP: &v1beta1.ClusterNetworkPolicyProtocolTCP{DestinationPort: dest}})
		}
	}
	return out
}

// --- NP7005: a network plugin that enforces the cluster-scoped policies

// tierSupport is whether a plugin implements the cluster-scoped policies.
type tierSupport int

const (
	tierYes tierSupport = iota
	tierMaybe
	tierNo
)

type tierEngine struct {
	where   string // name (resource)
	res     string
	support tierSupport
	note    lang.Msg // maybe: on what it depends
}

// detectTierEngines are the network plugins found (the CNI check's signatures, and Kube-OVN's),
// with whether each implements the cluster-scoped policies.
func detectTierEngines(in *Input) []tierEngine {
	var out []tierEngine
	for _, e := range detectCNIs(in) {
		te := tierEngine{where: e.where(), res: e.resource, support: tierNo}
		switch e.name {
		case "Calico", "canal", "Antrea", "OVN-Kubernetes":
			te.support = tierYes
		case "Cilium":
			te.support, te.note = tierMaybe, lang.M("doctor.tier.engine.cilium", e.where())
		case "kube-network-policies", "flannel":
			ds := daemonSetOf(in, e.resource)
			switch {
			case ds == nil || e.name == "flannel" && e.verdict != cniEnforces:
			case knpBuild(ds):
				te.support = tierYes
			default:
				te.support, te.note = tierMaybe, lang.M("doctor.tier.engine.knp", e.where())
			}
		}
		out = append(out, te)
	}
	for i := range in.DaemonSets {
		ds := &in.DaemonSets[i]
		if ds.Name == "kube-ovn-cni" || ds.Labels["app"] == "kube-ovn-cni" || ds.Spec.Template.Labels["app"] == "kube-ovn-cni" {
			res := "DaemonSet/" + ds.Namespace + "/" + ds.Name
			out = append(out, tierEngine{where: "Kube-OVN (" + res + ")", res: res, support: tierYes})
		}
	}
	return out
}

func daemonSetOf(in *Input, resource string) *appsv1.DaemonSet {
	for i := range in.DaemonSets {
		ds := &in.DaemonSets[i]
		if "DaemonSet/"+ds.Namespace+"/"+ds.Name == resource {
			return ds
		}
	}
	return nil
}

// knpBuild reports whether a DaemonSet runs one of kube-network-policies' builds for the
// cluster-scoped policies (npa-v1alpha1: AdminNetworkPolicy, npa-v1alpha2: ClusterNetworkPolicy),
// as its images, commands or arguments name it.
func knpBuild(ds *appsv1.DaemonSet) bool {
	spec := &ds.Spec.Template.Spec
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		if !strings.Contains(c.Image, "kube-network-policies") && !strings.Contains(c.Name, "kube-network-policies") {
			continue
		}
		for _, s := range append(append([]string{c.Image}, c.Command...), c.Args...) {
			if strings.Contains(s, "npa") {
				return true
			}
		}
	}
	return false
}

// ClusterTierEnforcement says whether a network plugin known to enforce the cluster-scoped
// policies runs (enforcers: where each was found), and, when none does, what was found instead
// (in l); unknown when the DaemonSets could not be read.
func ClusterTierEnforcement(in *Input, l lang.Lang) (enforcers, others []string, unknown bool) {
	for _, e := range detectTierEngines(in) {
		switch e.support {
		case tierYes:
			enforcers = append(enforcers, e.where)
		case tierMaybe:
			others = append(others, e.note.In(l))
		default:
			others = append(others, lang.T(l, "doctor.tier.engine.not", e.where))
		}
	}
	return enforcers, others, in.Forbidden["daemonsets"] != nil
}

func tierEngineFinding(in *Input) Finding {
	engines := detectTierEngines(in)
	var yes []string
	for _, e := range engines {
		if e.support == tierYes {
			yes = append(yes, e.where)
		}
	}
	if len(yes) > 0 {
		id := "doctor.tier.engine.pass"
		if !in.Live {
			id = "doctor.tier.engine.pass.files"
		}
		f := pass(tierCheckName, tierIDEngine, lang.M(id, strings.Join(yes, ", ")))
		return f
	}
	if err := in.Forbidden["daemonsets"]; err != nil {
		f := skipped(tierCheckName, tierIDEngine, lang.M("doctor.tier.engine.forbidden", err.Error()))
		return f.withFix(cniRBACFix("daemonsets"))
	}
	if !in.Live && len(engines) == 0 {
		f := skipped(tierCheckName, tierIDEngine, lang.M("doctor.tier.engine.files-none"))
		return f.withFix(lang.M("doctor.tier.engine.files-none.fix"))
	}
	inUse := tierKinds(in.Snapshot)
	var found []lang.Msg
	for _, e := range engines {
		if e.support == tierMaybe {
			found = append(found, e.note)
		} else {
			found = append(found, lang.M("doctor.tier.engine.not", e.where))
		}
	}
	detail := lang.M("doctor.tier.engine.no-plugin")
	if len(found) > 0 {
		detail = lang.Join("join.semi", found...)
	}
	id := "doctor.tier.engine.none"
	if !in.Live {
		id = "doctor.tier.engine.none.files"
	}
	res := ""
	if len(engines) == 1 {
		res = engines[0].res
	}
	return finding(tierCheckName, tierIDEngine, SeverityWarning, res, lang.M(id, inUse, detail), lang.M("doctor.tier.engine.fix", tierResource(in.Snapshot)))
}

// tierResource is the resource (plural) of the first cluster-scoped kind in use, for kubectl.
func tierResource(s *policy.Snapshot) string {
	if len(s.ClusterPolicies) == 0 && len(s.ClusterPoliciesUnread) > 0 {
		return s.ClusterPoliciesUnread[0]
	}
	kind := policy.KindClusterNetworkPolicy
	if len(s.ClusterPolicies) > 0 {
		kind = s.ClusterPolicies[0].Kind
	}
	return strings.TrimSuffix(strings.ToLower(kind), "y") + "ies"
}

// tierKinds names what is in use: the kinds of the policies read, or the resources that could
// not be read.
func tierKinds(s *policy.Snapshot) string {
	var kinds []string
	for _, cp := range s.ClusterPolicies {
		if !slices.Contains(kinds, cp.Kind) {
			kinds = append(kinds, cp.Kind)
		}
	}
	if len(kinds) == 0 {
		kinds = s.ClusterPoliciesUnread
	}
	return strings.Join(kinds, ", ")
}
