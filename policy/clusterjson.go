package policy

// WriteJSON with cluster policies. A side's reasons then depend on more than the rules that
// admit a pair (a Pass, the tiers, the notes), so they are Verdict's, encoded once per side
// and reused: a side's reasons are a function of its class, its direction and what each rule
// that can decide it says of the pair (the NetworkPolicy rules of its selecting policies:
// match or not; the rules of its cluster policies: match, no match, cannot be decided). That
// pattern is a few bytes, made with the bit tests of the way without cluster policies; the
// encoded reasons are kept per class, direction and pattern, up to reasonCacheBytes.

// sideReasons are the encoded reasons of sides for the current port.
type sideReasons struct {
	byClass [2]map[int]map[string][]byte // direction -> class -> pattern -> encoded reasons
	bytes   int
	pattern []byte
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
	for t := range 2 {
		for _, pi := range m.cl.subjects[dir][t][self] {
			for _, r := range m.ev.cluster[pi].rules[dir] {
				switch {
				case !m.clusterAdmits(r, rs.pp, dest):
					p = append(p, 0)
				case m.cl.match[r.id].has(other):
					p = append(p, 1)
				case m.cl.unknown[r.id] != nil && m.cl.unknown[r.id].has(other):
					p = append(p, 2)
				default:
					p = append(p, 0)
				}
			}
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
		rs.sides = sideReasons{pattern: p}
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
