package policy

// WriteJSON with cluster policies. A side's reasons then depend on more than the rules that
// admit a pair (a Pass, the tiers, the notes), so they are Verdict's, encoded once per side
// and reused: a side's reasons are a function of its class, its direction and what each rule
// that can decide it says of the pair (the NetworkPolicy rules of its selecting policies:
// match or not; the rules of its cluster policies: match, no match, cannot be decided). That
// pattern is a few bytes, made with the bit tests of the way without cluster policies (and the
// cluster rules' ports, decided once per port); the encoded reasons are kept per class,
// direction and pattern, up to reasonCacheBytes, and those of the current row per class pair
// (clusterRow).

// sideReasons are the encoded reasons of sides for the current port, and what makes their
// patterns quickly.
type sideReasons struct {
	byClass [2]map[int]map[string][]byte // direction -> class -> pattern -> encoded reasons
	bytes   int
	pattern []byte
	// rules are, per direction and class, the cluster rules that can decide the side, in the
	// order they are walked (nil: not listed yet).
	rules [2][][]*clusterRule
	// admits is, per cluster rule, whether its ports admit the current port: admitsAll,
	// admitsNone, admitsSome (named ports: it depends on the destination), 0 not known yet.
	admits []uint8
	row    clusterRow
}

const (
	admitsAll uint8 = 1 + iota
	admitsNone
	admitsSome
)

// clusterRules are the cluster rules that can decide class c's side in direction dir: those of
// the cluster policies that apply to it, in the order they are walked.
func (rs *reasonPieces) clusterRules(c, dir int) []*clusterRule {
	s := &rs.sides
	if s.rules[dir] == nil {
		s.rules[dir] = make([][]*clusterRule, len(rs.m.Classes))
	}
	if list := s.rules[dir][c]; list != nil {
		return list
	}
	list := []*clusterRule{}
	for t := range 2 {
		for _, pi := range rs.m.cl.subjects[dir][t][c] {
			list = append(list, rs.m.ev.cluster[pi].rules[dir]...)
		}
	}
	s.rules[dir][c] = list
	return list
}

// clusterAdmit is Matrix.clusterAdmits on the current port, remembered for the rules whose
// ports do not depend on the destination.
func (rs *reasonPieces) clusterAdmit(r *clusterRule, dest int) bool {
	s := &rs.sides
	if s.admits == nil {
		s.admits = make([]uint8, len(rs.m.ev.clusterRules))
	}
	a := s.admits[r.id]
	if a == 0 {
		switch {
		case r.named:
			a = admitsSome
		case rs.m.clusterAdmits(r, rs.pp, -1):
			a = admitsAll
		default:
			a = admitsNone
		}
		s.admits[r.id] = a
	}
	if a == admitsSome {
		return rs.m.clusterAdmits(r, rs.pp, dest)
	}
	return a == admitsAll
}

// clusterRow holds the encoded reasons of the class pairs of one row (one source class, on one
// port), indexed by destination class. WriteJSON writes a row per source pod and the pods of a
// class usually come one after another (and so do the destinations of one class in a row), so
// that each class pair is worked out about once; where they do not, a pair is worked out again,
// which costs what it did without the row: the pattern's bit tests, and a look-up of the side's
// encoded reasons.
type clusterRow struct {
	from, port int
	gen        uint32
	at         []rowEntry // per destination class
	arena      []byte
}

type rowEntry struct{ off, len, gen uint32 }

// appendClusterPair appends the encoded reasons of class pair from, to on the current port,
// through the row.
func (rs *reasonPieces) appendClusterPair(buf []byte, from, to int) []byte {
	row := &rs.sides.row
	if row.at == nil {
		row.at = make([]rowEntry, len(rs.m.Classes))
		row.from = -1
	}
	if row.from != from || row.port != rs.pi {
		row.from, row.port, row.arena = from, rs.pi, row.arena[:0]
		if row.gen++; row.gen == 0 { // wrapped: entries of old rows would look current
			clear(row.at)
			row.gen = 1
		}
	}
	if e := row.at[to]; e.gen == row.gen {
		return append(buf, row.arena[e.off:e.off+e.len]...)
	}
	start := len(buf)
	buf = rs.appendClusterReasons(buf, from, to)
	row.at[to] = rowEntry{off: uint32(len(row.arena)), len: uint32(len(buf) - start), gen: row.gen}
	row.arena = append(row.arena, buf[start:]...)
	return buf
}

// appendClusterReasons appends the encoded reasons of class pair from, to on the current port:
// the egress side's, a comma, the ingress side's.
func (rs *reasonPieces) appendClusterReasons(buf []byte, from, to int) []byte {
	buf = rs.appendClusterSide(buf, from, to, true)
	buf = append(buf, ',')
	return rs.appendClusterSide(buf, to, from, false)
}

func (rs *reasonPieces) appendClusterSide(buf []byte, self, other int, egress bool) []byte {
	m := rs.m
	dest := self
	if egress {
		dest = other
	}
	// The pattern: one byte per rule that can decide the side.
	p := rs.sides.pattern[:0]
	rules, _ := rs.side(self, egress)
	for _, ri := range rules {
		if m.peerSets[ri].has(other) && rs.admit(ri, dest) {
			p = append(p, 1)
		} else {
			p = append(p, 0)
		}
	}
	dir := boolIndex(egress)
	for _, r := range rs.clusterRules(self, dir) {
		switch {
		case !rs.clusterAdmit(r, dest):
			p = append(p, 0)
		case m.cl.match[r.id].has(other):
			p = append(p, 1)
		case m.cl.unknown[r.id] != nil && m.cl.unknown[r.id].has(other):
			p = append(p, 2)
		default:
			p = append(p, 0)
		}
	}
	rs.sides.pattern = p
	cache := rs.sides.byClass[dir][self]
	if encoded, ok := cache[string(p)]; ok {
		return append(buf, encoded...)
	}
	start := len(buf)
	s := m.side(rs.pi, self, other, egress)
	for i, r := range s.Reasons {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, jsonString(r)...)
	}
	encoded := buf[start:]
	if rs.sides.bytes+len(encoded) > reasonCacheBytes {
		rs.sides = sideReasons{pattern: p, rules: rs.sides.rules, admits: rs.sides.admits, row: rs.sides.row}
	}
	if rs.sides.byClass[dir] == nil {
		rs.sides.byClass[dir] = map[int]map[string][]byte{}
	}
	if cache = rs.sides.byClass[dir][self]; cache == nil {
		cache = map[string][]byte{}
		rs.sides.byClass[dir][self] = cache
	}
	cache[string(p)] = append([]byte(nil), encoded...)
	rs.sides.bytes += len(encoded) + len(p)
	return buf
}
