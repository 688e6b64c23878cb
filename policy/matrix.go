package policy

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// PortProtocol is one port and protocol of a truth table.
type PortProtocol struct {
	Port     int32
	Protocol corev1.Protocol
}

func (p PortProtocol) String() string { return fmt.Sprintf("%d/%s", p.Port, p.Protocol) }

// ParsePortProtocol reads "80", "80/TCP" or "53/udp"; the protocol defaults to TCP. What it
// cannot read is a *PortError.
func ParsePortProtocol(s string) (PortProtocol, error) {
	num, proto, hasProto := strings.Cut(s, "/")
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 {
		return PortProtocol{}, &PortError{Value: s}
	}
	p := PortProtocol{Port: int32(n), Protocol: corev1.ProtocolTCP}
	if hasProto {
		switch up := corev1.Protocol(strings.ToUpper(proto)); up {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
			p.Protocol = up
		default:
			return PortProtocol{}, &PortError{Value: s, Protocol: true}
		}
	}
	return p, nil
}

// PortError is a port that ParsePortProtocol cannot read: its number, or (Protocol) its
// protocol. Its fields let a command say it in the reader's language.
type PortError struct {
	Value    string
	Protocol bool
}

func (e *PortError) Error() string {
	if e.Protocol {
		return fmt.Sprintf("port %q: protocol must be TCP, UDP or SCTP", e.Value)
	}
	return fmt.Sprintf("port %q: want a number from 1 to 65535, optionally with /TCP, /UDP or /SCTP", e.Value)
}

// Class is a set of pods that no policy of the snapshot can tell apart: same namespace, labels
// and declared ports, and their IPs fall in the same ipBlocks. Every pod of a class has the same
// verdicts, so the matrix is computed per class, not per pod.
type Class struct {
	Namespace string
	Labels    map[string]string
	Pods      []int // indices into the snapshot's pods, in snapshot order
}

// Matrix is the full truth table of a snapshot for some ports: every pod to every pod.
type Matrix struct {
	Ports   []PortProtocol
	Classes []Class
	classOf []int // pod index -> class index

	ev        *Evaluator
	rules     []ruleRef
	peerSets  []bitset // per rule: the classes its peers select
	rulesOf   [][]int  // per policy: indices into rules
	egressBy  [][]int  // per class: indices of the policies selecting it for egress
	ingressBy [][]int
	allowed   []bitset // per port: row-major classes x classes, rows padded to whole words
	stride    int      // bits per row

	// denied is, per direction (ingress, egress) and class, the reason of a side that its
	// policies isolate and no rule allows, made when Verdict first needs it.
	deniedOnce sync.Once
	denied     [2][]atomic.Pointer[reason]

	cl *matrixCluster // the cluster tier (clustermatrix.go); nil without cluster policies
}

// ruleRef is one rule of one policy.
type ruleRef struct {
	policy int
	egress bool
	index  int
	named  bool // has a named port: what it admits depends on the destination
}

// Matrix evaluates every pod of the snapshot against every pod for each port. Its cost grows
// with classes² (as bit operations) plus classes × rules, not with pods² × policies.
func (e *Evaluator) Matrix(ports []PortProtocol) *Matrix {
	m := &Matrix{Ports: ports, ev: e}
	m.classify()
	m.stride = (len(m.Classes) + 63) / 64 * 64
	m.compileRules()
	if e.clusterOn {
		m.compileCluster()
	}
	for _, port := range ports {
		m.allowed = append(m.allowed, m.compute(port))
	}
	return m
}

// Class returns the class index of a pod (an index into the snapshot's pods).
func (m *Matrix) Class(pod int) int { return m.classOf[pod] }

// Allowed reports the verdict for pods from and to (indices into the snapshot's pods) on the
// port with index port. A pod to itself is allowed (see Connection.Loopback).
func (m *Matrix) Allowed(port, from, to int) bool {
	return m.Loopback(from, to) || m.ClassAllowed(port, m.classOf[from], m.classOf[to])
}

// Loopback reports whether pods from and to (indices into the snapshot's pods) are one pod
// that is not a stand-in: its connections to itself are allowed whatever the policies say.
// Such a pair is on the diagonal of the pod pairs; two pods of one class are not loopback.
func (m *Matrix) Loopback(from, to int) bool {
	return m.classOf[from] == m.classOf[to] && loopback(&m.ev.pods[from], &m.ev.pods[to])
}

// ClassAllowed is the policies' verdict for a pod of class from to another pod of class to.
// It leaves out loopback: a class pair stands for pairs of different pods (and for a stand-in's
// replicas), so a pod to itself, allowed always, is Allowed's to answer.
func (m *Matrix) ClassAllowed(port, from, to int) bool {
	return m.allowed[port].has(from*m.stride + to)
}

// Verdict gives the reasons for one class pair on one port, as Evaluate words them for two
// different pods of those classes (without the rule walkthrough, which Evaluate gives for
// single connections). PodVerdict answers for pods, loopback included.
func (m *Matrix) Verdict(port, from, to int) Verdict {
	v := Verdict{Egress: m.side(port, from, to, true), Ingress: m.side(port, to, from, false)}
	v.settle()
	return v
}

// PodVerdict is Verdict for pods from and to (indices into the snapshot's pods): what Evaluate
// says of that connection, a pod to itself included, without the rule walkthrough.
func (m *Matrix) PodVerdict(port, from, to int) Verdict {
	v := m.Verdict(port, m.classOf[from], m.classOf[to])
	if m.Loopback(from, to) {
		v.Egress.loopback(true)
		v.Ingress.loopback(false)
		v.settle()
	}
	return v
}

func (m *Matrix) side(port, self, other int, egress bool) Side {
	var s Side
	selecting, dest := m.ingressBy[self], self
	if egress {
		selecting, dest = m.egressBy[self], other
	}
	for _, pi := range selecting {
		name := m.ev.policies[pi].name
		s.Selecting = append(s.Selecting, name)
		for _, ri := range m.rulesOf[pi] {
			r := m.rules[ri]
			if r.egress == egress && m.peerSets[ri].has(other) && m.portAdmits(ri, m.Ports[port], dest) {
				s.Allowed = true
				w := &m.ev.ruleWords(pi, egress)[r.index]
				s.Why = append(s.Why, w.allowed)
				s.Reasons = append(s.Reasons, w.allowedText)
			}
		}
	}
	s.Isolated = len(selecting) > 0
	if m.cl != nil {
		m.clusterSide(&s, port, self, other, egress)
		return s
	}
	if s.Isolated && !s.Allowed {
		s.Why, s.Reasons = m.denial(self, egress, s.Selecting)
		return s
	}
	s.settle(egress)
	return s
}

// denial is settle's reason for a class that its policies (selecting) isolate and no rule
// allows: the same for every pair of the class, so it is worded once.
func (m *Matrix) denial(class int, egress bool, selecting []string) ([]lang.Msg, []string) {
	m.deniedOnce.Do(func() {
		for i := range m.denied {
			m.denied[i] = make([]atomic.Pointer[reason], len(m.Classes))
		}
	})
	slot := &m.denied[boolIndex(egress)][class]
	if r := slot.Load(); r != nil {
		return r.get()
	}
	r := denied(egress, selecting)
	slot.Store(&r)
	return r.get()
}

// classify puts every pod in its class.
func (m *Matrix) classify() {
	e := m.ev
	index := map[string]int{}
	m.classOf = make([]int, len(e.pods))
	var key strings.Builder
	for i := range e.pods {
		p := &e.pods[i]
		key.Reset()
		key.WriteString(p.Namespace)
		key.WriteByte(0)
		key.WriteString(labels.Set(p.Labels).String()) // sorted, so equal sets give equal keys
		key.WriteByte(0)
		key.WriteString(portsKey(p.Ports))
		key.WriteByte(0)
		for bi, b := range e.blocks {
			if (Endpoint{Pod: p}).inBlock(b) {
				key.WriteString(strconv.Itoa(bi))
				key.WriteByte(',')
			}
		}
		if e.clusterOn && p.HostNetwork {
			// Cluster policies see a host-network pod by its addresses (nodes peers) only.
			key.WriteString("\x00host")
			for _, ip := range p.IPs {
				key.WriteString(" " + ip.String())
			}
		}
		c, ok := index[key.String()]
		if !ok {
			c = len(m.Classes)
			index[key.String()] = c
			m.Classes = append(m.Classes, Class{Namespace: p.Namespace, Labels: p.Labels})
		}
		m.Classes[c].Pods = append(m.Classes[c].Pods, i)
		m.classOf[i] = c
	}
}

func portsKey(ports []Port) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprintf("%s:%d/%s", p.Name, p.Port, protocolOrTCP(p.Protocol))
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func (a Endpoint) inBlock(b *ipBlock) bool {
	for _, ip := range a.addrs() {
		if b.contains(ip) {
			return true
		}
	}
	return false
}

// rep is a class's representative pod.
func (m *Matrix) rep(class int) *Pod { return &m.ev.pods[m.Classes[class].Pods[0]] }

// compileRules finds, per policy, the classes it selects, and per rule, the classes its peers
// select. Identical peers (common: the same DNS or same-namespace peer in many policies) are
// computed once.
func (m *Matrix) compileRules() {
	e := m.ev
	n := len(m.Classes)
	byNamespace := map[string][]int{}
	for c := range m.Classes {
		byNamespace[m.Classes[c].Namespace] = append(byNamespace[m.Classes[c].Namespace], c)
	}
	m.egressBy, m.ingressBy = make([][]int, n), make([][]int, n)
	m.rulesOf = make([][]int, len(e.policies))
	for pi := range e.policies {
		p := &e.policies[pi]
		for _, c := range byNamespace[p.namespace] {
			if !p.podSelector.Matches(labels.Set(m.Classes[c].Labels)) {
				continue
			}
			if p.ingress {
				m.ingressBy[c] = append(m.ingressBy[c], pi)
			}
			if p.egress {
				m.egressBy[c] = append(m.egressBy[c], pi)
			}
		}
	}

	namespacesOf := map[string][]string{} // namespace selector -> the namespaces (with pods) it matches
	peerCache := map[string]bitset{}
	peerSet := func(pr peer, policyNamespace string) bitset {
		var key string
		switch {
		case pr.block >= 0:
			key = "block " + strconv.Itoa(pr.block)
		case pr.namespaces == nil:
			key = "pods " + policyNamespace + " " + pr.pods.String()
		case pr.pods == nil:
			key = "namespaces " + pr.namespaces.String()
		default:
			key = "namespaces " + pr.namespaces.String() + " pods " + pr.pods.String()
		}
		if set, ok := peerCache[key]; ok {
			return set
		}
		set := newBitset(n)
		switch {
		case pr.block >= 0:
			for c := range m.Classes {
				if (Endpoint{Pod: m.rep(c)}).inBlock(e.blocks[pr.block]) {
					set.set(c)
				}
			}
		case pr.namespaces == nil:
			for _, c := range byNamespace[policyNamespace] {
				if pr.pods.Matches(labels.Set(m.Classes[c].Labels)) {
					set.set(c)
				}
			}
		default:
			nsKey := pr.namespaces.String()
			names, ok := namespacesOf[nsKey]
			if !ok {
				names = []string{}
				for ns := range byNamespace {
					if pr.namespaces.Matches(e.namespaceLabels(ns)) {
						names = append(names, ns)
					}
				}
				namespacesOf[nsKey] = names
			}
			for _, ns := range names {
				for _, c := range byNamespace[ns] {
					if pr.pods == nil || pr.pods.Matches(labels.Set(m.Classes[c].Labels)) {
						set.set(c)
					}
				}
			}
		}
		peerCache[key] = set
		return set
	}

	all := newBitset(n)
	all.fill(n)
	for pi := range e.policies {
		p := &e.policies[pi]
		for _, egress := range []bool{false, true} {
			for ri, r := range p.rules(egress) {
				ref := ruleRef{policy: pi, egress: egress, index: ri}
				for _, port := range r.ports {
					ref.named = ref.named || (port.Port != nil && port.Port.Type != 0)
				}
				var set bitset
				if len(r.peers) == 0 {
					set = all
				} else if len(r.peers) == 1 {
					set = peerSet(r.peers[0], p.namespace)
				} else {
					set = newBitset(n)
					for _, pr := range r.peers {
						set.or(peerSet(pr, p.namespace))
					}
				}
				m.rulesOf[pi] = append(m.rulesOf[pi], len(m.rules))
				m.rules = append(m.rules, ref)
				m.peerSets = append(m.peerSets, set)
			}
		}
	}
}

// portAdmits reports whether rule ri's ports admit the port to a destination of class dest.
func (m *Matrix) portAdmits(ri int, pp PortProtocol, dest int) bool {
	r := m.rules[ri]
	var destPod *Pod
	if r.named {
		destPod = m.rep(dest)
	}
	return portsMatch(m.ev.policies[r.policy].rules(r.egress)[r.index].ports, pp.Port, pp.Protocol, destPod)
}

// compute fills the classes x classes table for one port.
func (m *Matrix) compute(pp PortProtocol) bitset {
	n := len(m.Classes)
	all := newBitset(n)
	all.fill(n)

	// What each egress rule lets through on this port: its peers, narrowed to the destinations
	// whose ports it admits.
	ruleDest := make([]bitset, len(m.rules))
	for ri, r := range m.rules {
		if !r.egress {
			continue
		}
		switch {
		case r.named:
			set := newBitset(n)
			for d := range n {
				if m.peerSets[ri].has(d) && m.portAdmits(ri, pp, d) {
					set.set(d)
				}
			}
			ruleDest[ri] = set
		case m.portAdmits(ri, pp, -1):
			ruleDest[ri] = m.peerSets[ri]
		}
	}

	// Egress rows: classes selected by the same policies share one row.
	egressRows := map[string]bitset{}
	row := func(c int) bitset {
		if len(m.egressBy[c]) == 0 {
			return all
		}
		key := fmt.Sprint(m.egressBy[c])
		if r, ok := egressRows[key]; ok {
			return r
		}
		r := newBitset(n)
		for _, pi := range m.egressBy[c] {
			for _, ri := range m.rulesOf[pi] {
				if m.rules[ri].egress && ruleDest[ri] != nil {
					r.or(ruleDest[ri])
				}
			}
		}
		egressRows[key] = r
		return r
	}

	if m.cl != nil {
		row = m.clusterEgressRows(pp, all, row)
	}
	table := newBitset(n * m.stride)
	words := m.stride / 64
	for s := range n {
		copy(table[s*words:(s+1)*words], row(s))
	}

	// Ingress: per destination, the sources its policies admit (all sources when it is not
	// isolated). Classes with the same policies and declared ports share one such row. The
	// rows are then transposed so the table can be narrowed a word at a time.
	ingressRows := map[string]bitset{}
	ingress := newBitset(m.stride * m.stride) // square: rows past n stay empty
	npSources := func(d int) bitset {
		if len(m.ingressBy[d]) == 0 {
			return all
		}
		key := fmt.Sprint(m.ingressBy[d]) + portsKey(m.rep(d).Ports)
		sources, ok := ingressRows[key]
		if !ok {
			sources = newBitset(n)
			for _, pi := range m.ingressBy[d] {
				for _, ri := range m.rulesOf[pi] {
					if !m.rules[ri].egress && m.portAdmits(ri, pp, d) {
						sources.or(m.peerSets[ri])
					}
				}
			}
			ingressRows[key] = sources
		}
		return sources
	}
	if m.cl != nil {
		npSources = m.clusterIngressRows(pp, all, npSources)
	}
	for d := range n {
		copy(ingress[d*words:(d+1)*words], npSources(d))
	}
	table.and(ingress.transpose(words))
	return table
}

// bitset is a fixed-size set of small integers.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) clear(i int)    { b[i/64] &^= 1 << (i % 64) }
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}
func (b bitset) fill(n int) {
	for i := range b {
		b[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		b[len(b)-1] = 1<<r - 1
	}
}

// transpose reads b as a square bit matrix of words*64 rows of words words each and returns
// its transpose, 64x64 blocks at a time.
func (b bitset) transpose(words int) bitset {
	out := newBitset(len(b) * 64)
	var block [64]uint64
	for br := range words {
		for bc := range words {
			for i := range 64 {
				block[i] = b[(br*64+i)*words+bc]
			}
			transpose64(&block)
			for i := range 64 {
				out[(bc*64+i)*words+br] = block[i]
			}
		}
	}
	return out
}

// transpose64 transposes a 64x64 bit block (bit j of word i is row i, column j): it swaps the
// off-diagonal halves, then the quarters within each half, down to single bits.
func transpose64(a *[64]uint64) {
	mask := uint64(0x00000000FFFFFFFF)
	for j := 32; j != 0; j, mask = j>>1, mask^(mask<<(j>>1)) {
		for k := 0; k < 64; k = (k + j + 1) &^ j {
			t := (a[k]>>j ^ a[k+j]) & mask
			a[k+j] ^= t
			a[k] ^= t << j
		}
	}
}

// count is the number of members.
func (b bitset) count() int {
	c := 0
	for _, w := range b {
		c += bits.OnesCount64(w)
	}
	return c
}

// AllowedPairs counts the allowed pod pairs on the port with index port, each pod to itself
// included (loopback is allowed even where the policies deny its class to itself).
func (m *Matrix) AllowedPairs(port int) int {
	total, words := 0, m.stride/64
	for from := range m.Classes {
		if !m.ClassAllowed(port, from, from) {
			for _, p := range m.Classes[from].Pods {
				if m.Loopback(p, p) {
					total++
				}
			}
		}
		row := m.allowed[port][from*words : (from+1)*words]
		for w, word := range row {
			for word != 0 {
				to := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				total += len(m.Classes[from].Pods) * len(m.Classes[to].Pods)
			}
		}
	}
	return total
}

func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}
