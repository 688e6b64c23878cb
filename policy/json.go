package policy

import (
	"encoding/json"
	"io"
	"strconv"
)

// Result is one row of explain's JSON contract (README.md, explain): a connection and its verdict.
type Result struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	Port     int32    `json:"port"`
	Protocol string   `json:"protocol"`
	Allowed  bool     `json:"allowed"`
	Reasons  []string `json:"reasons"`
}

// JSONPort is a port of the JSON contract.
type JSONPort struct {
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
}

// Report is the whole JSON contract, for callers small enough to hold it (and for tests that
// read WriteJSON's output back).
type Report struct {
	Ports   []JSONPort `json:"ports"`
	Pods    []string   `json:"pods"`
	Results []Result   `json:"results"`
}

// jsonFlushSize is how much output WriteJSON gathers before handing it to the writer.
const jsonFlushSize = 256 << 10

// A class pair's reasons are walked rule by rule, a few bit tests each. When the two classes'
// policies hold at least reasonCacheMinRules rules, a walk costs more than a cache miss, and
// the encoded reasons go through a bounded cache: reasonCacheSlots class pairs (direct-mapped),
// their bytes in an arena of at most reasonCacheBytes, emptied whenever it fills up and at each
// port. (Variables, so a test can send every pair through a small cache.)
var (
	reasonCacheMinRules = 64
	reasonCacheBytes    = 16 << 20
)

const (
	reasonCacheBits  = 16
	reasonCacheSlots = 1 << reasonCacheBits
)

// WriteJSON streams the contract for the pods from (rows) and to (columns), indices into the
// snapshot's pods: every port, every from, every to. It writes as it goes, so the output can be
// far larger than memory.
//
// Nothing is encoded per result: each pod's quoted name, each port's fields, and each reason
// (a rule's "allowed by", a class's "not isolated" or "denied") are JSON-encoded once, and a
// result is those pieces appended into one reusable buffer. A result's reasons are the pieces
// of the rules that admit the class pair (Verdict's walk, as bit tests), or for classes with
// many rules, a bounded cache of the encoded reasons per class pair. What is held grows with
// rules, classes and pods (one reason piece per rule, one per class and side, two bits per
// class for each named-port rule, each pod's quoted name and column), never with class pairs
// or results; the cache has a fixed size.
func (m *Matrix) WriteJSON(w io.Writer, from, to []int) error {
	jw := &jsonStream{w: w, buf: make([]byte, 0, jsonFlushSize+4<<10)}
	// Quoted names, encoded once per pod that appears, in the order the pods list wants them.
	names := make([][]byte, len(m.ev.pods))
	var podList []int
	for _, list := range [][]int{from, to} {
		for _, i := range list {
			if names[i] == nil {
				names[i] = jsonString(m.ev.pods[i].ID())
				podList = append(podList, i)
			}
		}
	}
	jw.buf = append(jw.buf, `{"ports":[`...)
	for i, p := range m.Ports {
		if i > 0 {
			jw.buf = append(jw.buf, ',')
		}
		b, _ := json.Marshal(JSONPort{Port: p.Port, Protocol: string(p.Protocol)})
		jw.buf = append(jw.buf, b...)
	}
	jw.buf = append(jw.buf, `],"pods":[`...)
	for k, i := range podList {
		if k > 0 {
			jw.buf = append(jw.buf, ',')
		}
		jw.buf = append(jw.buf, names[i]...)
	}
	jw.buf = append(jw.buf, `],"results":[`...)

	rs := m.newReasonPieces()
	// A pod to itself: allowed, with the same reasons whatever its class.
	loopbackReasons, _ := json.Marshal([]string{loopbackReason(true), loopbackReason(false)})
	loopbackTail := append([]byte(`true,"reasons":`), loopbackReasons...)
	loopbackTail = append(loopbackTail, '}')

	// Per port, each column's `"x/b","port":80,"protocol":"TCP","allowed":`, and per row
	// `,\n{"from":"x/a","to":`.
	var cols []byte
	colEnd := make([]int, len(to))
	var row []byte
	first := true
	for pi, p := range m.Ports {
		rs.port(pi)
		proto := jsonString(string(p.Protocol))
		cols = cols[:0]
		for k, t := range to {
			cols = append(cols, names[t]...)
			cols = append(cols, `,"port":`...)
			cols = strconv.AppendInt(cols, int64(p.Port), 10)
			cols = append(cols, `,"protocol":`...)
			cols = append(cols, proto...)
			cols = append(cols, `,"allowed":`...)
			colEnd[k] = len(cols)
		}
		allowed := m.allowed[pi]
		for _, f := range from {
			cf := m.classOf[f]
			row = append(row[:0], ",\n"+`{"from":`...)
			row = append(row, names[f]...)
			row = append(row, `,"to":`...)
			egress, egressSettled := rs.side(cf, true)
			rowBits := cf * m.stride
			start := 0
			for k, t := range to {
				buf := jw.buf
				if first {
					buf = append(buf, row[1:]...)
					first = false
				} else {
					buf = append(buf, row...)
				}
				buf = append(buf, cols[start:colEnd[k]]...)
				start = colEnd[k]
				ct := m.classOf[t]
				if ct == cf && loopback(&m.ev.pods[f], &m.ev.pods[t]) {
					buf = append(buf, loopbackTail...)
				} else {
					if allowed.has(rowBits + ct) {
						buf = append(buf, `true,"reasons":[`...)
					} else {
						buf = append(buf, `false,"reasons":[`...)
					}
					buf = rs.appendReasons(buf, cf, ct, egress, egressSettled)
					buf = append(buf, ']', '}')
				}
				jw.buf = buf
				if len(buf) >= jsonFlushSize {
					if err := jw.flush(); err != nil {
						return err
					}
				}
			}
		}
	}
	jw.buf = append(jw.buf, "\n]}\n"...)
	return jw.flush()
}

// jsonStream is WriteJSON's output buffer, handed to the writer in large chunks.
type jsonStream struct {
	w   io.Writer
	buf []byte
	err error
}

func (s *jsonStream) flush() error {
	if s.err == nil && len(s.buf) > 0 {
		_, s.err = s.w.Write(s.buf)
	}
	s.buf = s.buf[:0]
	return s.err
}

// jsonString is s as encoding/json writes it (HTML characters escaped, invalid UTF-8 replaced).
func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// reasonPieces are the JSON-encoded reasons Verdict gives, piece by piece, for one port at a
// time: per rule its "allowed by" reason; per class and side the reason when no rule admits
// (not isolated, or denied by its selecting policies); and per class and side the rules to
// walk, in Verdict's order (selecting policies in order, each policy's rules in order).
type reasonPieces struct {
	m *Matrix

	rule        [][]byte    // per rule: its encoded "allowed by" reason
	egress      []classSide // per class, computed on first use
	ingress     []classSide
	notIsolated [2][]byte         // the encoded reason of a side no policy isolates: ingress, egress
	denied      map[string][]byte // the encoded denied reasons, shared by classes with the same policies

	// For the current port: whether a rule without named ports admits it, and for rules with
	// named ports, per destination class, known and admitted (computed on first use).
	pp        PortProtocol
	pi        int
	admitsAll []bool
	known     []bitset
	admits    []bitset

	// With cluster policies: the encoded reasons of sides, by class and direction, and what
	// decides them (clusterjson.go).
	sides sideReasons

	// The cache of encoded reasons for class pairs with many rules, for the current port: a slot
	// is valid while its generation is the cache's.
	slots []reasonSlot
	arena []byte
	gen   uint32
}

// classSide is one side (egress or ingress) of a class: the rules to walk, and the encoded
// reason when none admits (not isolated, or denied).
type classSide struct {
	done    bool
	rules   []int32
	settled []byte
}

type reasonSlot struct {
	pair     uint64 // from class * classes + to class
	off, len uint32 // the encoded reasons, in the arena
	gen      uint32
}

func (m *Matrix) newReasonPieces() *reasonPieces {
	n := len(m.Classes)
	rs := &reasonPieces{m: m,
		rule:   make([][]byte, len(m.rules)),
		egress: make([]classSide, n), ingress: make([]classSide, n),
		notIsolated: [2][]byte{jsonString(notIsolatedReason(false)), jsonString(notIsolatedReason(true))},
		denied:      map[string][]byte{},
		admitsAll:   make([]bool, len(m.rules)),
		known:       make([]bitset, len(m.rules)), admits: make([]bitset, len(m.rules)),
	}
	for ri, r := range m.rules {
		rs.rule[ri] = jsonString(allowedReason(r.egress, m.ev.policies[r.policy].name, r.index))
	}
	return rs
}

// port makes the port with index pi the current one.
func (rs *reasonPieces) port(pi int) {
	rs.pp, rs.pi = rs.m.Ports[pi], pi
	rs.emptyCache()
	rs.sides = sideReasons{}
	for ri, r := range rs.m.rules {
		if r.named {
			rs.known[ri], rs.admits[ri] = nil, nil
		} else {
			rs.admitsAll[ri] = rs.m.portAdmits(ri, rs.pp, -1)
		}
	}
}

// admit reports whether rule ri's ports admit the current port to a destination of class dest
// (portAdmits, remembered).
func (rs *reasonPieces) admit(ri int32, dest int) bool {
	if !rs.m.rules[ri].named {
		return rs.admitsAll[ri]
	}
	return rs.admitNamed(ri, dest)
}

func (rs *reasonPieces) admitNamed(ri int32, dest int) bool {
	known := rs.known[ri]
	if known == nil {
		known, rs.admits[ri] = newBitset(len(rs.m.Classes)), newBitset(len(rs.m.Classes))
		rs.known[ri] = known
	}
	if !known.has(dest) {
		known.set(dest)
		if rs.m.portAdmits(int(ri), rs.pp, dest) {
			rs.admits[ri].set(dest)
		}
	}
	return rs.admits[ri].has(dest)
}

// emptyCache drops every cached pair (a new generation; slots of older ones do not count).
func (rs *reasonPieces) emptyCache() {
	rs.arena = rs.arena[:0]
	if rs.gen++; rs.gen == 0 { // wrapped: zeroed slots would look current
		clear(rs.slots)
		rs.gen = 1
	}
}

// appendReasons appends the encoded reasons of class pair from, to on the current port: the
// egress side's (from's rules, given), a comma, the ingress side's.
func (rs *reasonPieces) appendReasons(buf []byte, from, to int, egress []int32, egressSettled []byte) []byte {
	if rs.m.cl != nil {
		return rs.appendClusterPair(buf, from, to)
	}
	ingress, ingressSettled := rs.side(to, false)
	if len(egress)+len(ingress) < reasonCacheMinRules {
		buf = rs.appendSide(buf, egress, egressSettled, to, to)
		buf = append(buf, ',')
		return rs.appendSide(buf, ingress, ingressSettled, from, to)
	}
	if rs.slots == nil {
		rs.slots, rs.arena = make([]reasonSlot, reasonCacheSlots), make([]byte, 0, reasonCacheBytes)
	}
	pair := uint64(from)*uint64(len(rs.m.Classes)) + uint64(to)
	slot := &rs.slots[(pair*0x9E3779B97F4A7C15)>>(64-reasonCacheBits)]
	if slot.gen == rs.gen && slot.pair == pair {
		return append(buf, rs.arena[slot.off:slot.off+slot.len]...)
	}
	start := len(buf)
	buf = rs.appendSide(buf, egress, egressSettled, to, to)
	buf = append(buf, ',')
	buf = rs.appendSide(buf, ingress, ingressSettled, from, to)
	encoded := buf[start:]
	if len(encoded) > reasonCacheBytes {
		return buf
	}
	if len(rs.arena)+len(encoded) > reasonCacheBytes {
		rs.emptyCache()
	}
	*slot = reasonSlot{pair: pair, off: uint32(len(rs.arena)), len: uint32(len(encoded)), gen: rs.gen}
	rs.arena = append(rs.arena, encoded...)
	return buf
}

// appendSide appends one side's reasons: the pieces of the rules (walked in order) whose peers
// hold class other and whose ports admit destination class dest, or else settled.
func (rs *reasonPieces) appendSide(buf []byte, rules []int32, settled []byte, other, dest int) []byte {
	matched := false
	for _, ri := range rules {
		if rs.m.peerSets[ri].has(other) && rs.admit(ri, dest) {
			if matched {
				buf = append(buf, ',')
			}
			buf = append(buf, rs.rule[ri]...)
			matched = true
		}
	}
	if !matched {
		buf = append(buf, settled...)
	}
	return buf
}

// side returns, for class c and one side, the rules to walk and the reason when none admits.
func (rs *reasonPieces) side(c int, egress bool) ([]int32, []byte) {
	s := &rs.ingress[c]
	if egress {
		s = &rs.egress[c]
	}
	if !s.done {
		rs.compute(s, c, egress)
	}
	return s.rules, s.settled
}

func (rs *reasonPieces) compute(s *classSide, c int, egress bool) {
	s.done = true
	selecting := rs.m.ingressBy[c]
	if egress {
		selecting = rs.m.egressBy[c]
	}
	if len(selecting) == 0 {
		s.settled = rs.notIsolated[boolIndex(egress)]
		return
	}
	var names []string
	for _, pi := range selecting {
		names = append(names, rs.m.ev.policies[pi].name)
		for _, ri := range rs.m.rulesOf[pi] {
			if rs.m.rules[ri].egress == egress {
				s.rules = append(s.rules, int32(ri))
			}
		}
	}
	reason := deniedReason(egress, names)
	if s.settled = rs.denied[reason]; s.settled == nil {
		s.settled = jsonString(reason)
		rs.denied[reason] = s.settled
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}
