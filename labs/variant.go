package labs

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A variant is the same lab under other names: its namespaces, pods and labels, and its ports,
// renamed from a seed, so that a second run tests skill, not memory. Each lab says in lab.yaml
// which of its words and ports vary (`variant: {names: [...], ports: [...]}`); every rendered
// text (in every language), manifest and goal row has them replaced, as whole words, all at
// once. Variant 0 is the lab as written.

// Vary is what a lab lets a variant rename: names (namespaces, pods, label values; used as
// whole words in its manifests and texts) and ports.
type Vary struct {
	Names []string `json:"names"`
	Ports []int    `json:"ports"`
}

// LabelVariant is carried by every object `lab up --variant N` creates: lab check finds the
// variant that is up by it.
const LabelVariant = "netpol.lab/variant"

// The words and ports variants draw from: short, valid as DNS labels, and unlike the words the
// labs' texts use (a name must never be read as prose).
var (
	variantNames = []string{
		"amber", "aspen", "basalt", "birch", "cedar", "cobalt", "coral", "delta", "ember", "falcon",
		"fjord", "garnet", "harbor", "heron", "indigo", "jasper", "juniper", "kestrel", "lumen", "marble",
		"nimbus", "onyx", "orchid", "pebble", "quartz", "raven", "sierra", "tundra", "umber", "willow",
		"yarrow", "zephyr", "lotus", "maple", "prism", "saffron", "topaz", "walnut", "lagoon", "mesa",
	}
	variantPorts = []int{
		3000, 3307, 4000, 4567, 5000, 5433, 5601, 6000, 6380, 7000, 7070, 7443, 8000, 8001, 8081, 8088,
		8181, 8443, 8888, 9001, 9091, 9200, 9443, 9999, 10080, 11000, 12345, 15000, 18080, 27017,
	}
)

// variant is one variant's renaming.
type variant struct {
	names map[string]string
	ports map[int]int
}

// variantOf draws variant n of the lab: the same n gives the same names and ports, different
// labs different ones. Words and ports the lab already uses are never drawn.
func (l *Lab) variantOf(n int) (*variant, error) {
	if n < 0 {
		return nil, fmt.Errorf("variant %d: use a number from 1 (0 is the lab as written)", n)
	}
	if n == 0 {
		return nil, nil
	}
	if len(l.Vary.Names) == 0 && len(l.Vary.Ports) == 0 {
		return nil, fmt.Errorf("lab %s has no variants", l.Name)
	}
	h := fnv.New64a()
	h.Write([]byte(l.Name))
	rng := rand.New(rand.NewPCG(uint64(n), h.Sum64()))
	used := l.words()
	names, ok := draw(rng, l.Vary.Names, variantNames, func(w string) bool { return used[w] })
	if !ok {
		return nil, fmt.Errorf("lab %s: not enough words for a variant", l.Name)
	}
	ports, ok := draw(rng, l.Vary.Ports, variantPorts, func(p int) bool { return used[strconv.Itoa(p)] })
	if !ok {
		return nil, fmt.Errorf("lab %s: not enough ports for a variant", l.Name)
	}
	v := &variant{names: names, ports: ports}
	return v, nil
}

// draw gives each of froms its own value of pool, in an order rng shuffles, passing over the
// values taken says the lab uses; false when the pool runs out.
func draw[T comparable](rng *rand.Rand, froms, pool []T, taken func(T) bool) (map[T]T, bool) {
	pool = slices.Clone(pool)
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	out := map[T]T{}
	for _, from := range froms {
		for len(pool) > 0 && taken(pool[0]) {
			pool = pool[1:]
		}
		if len(pool) == 0 {
			return nil, false
		}
		out[from], pool = pool[0], pool[1:]
	}
	return out, true
}

// wordRE finds the words of a text: names (letters, digits, inner dashes) and numbers.
var wordRE = regexp.MustCompile(`[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*`)

// words are every word and number in the lab's manifests and texts, in every language.
func (l *Lab) words() map[string]bool {
	used := map[string]bool{}
	add := func(s string) {
		for _, w := range wordRE.FindAllString(s, -1) {
			used[w] = true
			for _, part := range strings.Split(w, "-") {
				used[part] = true
			}
		}
	}
	for _, f := range append(slices.Clone(l.setup), l.solution...) {
		add(f.text)
	}
	for _, t := range l.texts {
		add(strings.Join(append(append([]string{t.Title, t.Summary, t.Task}, t.Steps...), t.Hints...), "\n"))
	}
	add(strings.Join(append(append([]string{l.Title, l.Summary, l.Task}, l.Steps...), l.Hints...), "\n"))
	return used
}

// nameRE and portRE find what a variant may rename: a name as a whole word (a dash may join it
// to another word: orders-api), a port as a whole number that is not part of an address
// (192.0.2.80) or a version.
var (
	nameRE = regexp.MustCompile(`[A-Za-z0-9]+`)
	portRE = regexp.MustCompile(`[0-9]+`)
)

// apply renames in s every name and port the variant changes; nil changes nothing.
func (v *variant) apply(s string) string {
	if v == nil {
		return s
	}
	s = replaceWords(s, nameRE, func(w string) (string, bool) {
		to, ok := v.names[w]
		return to, ok
	}, nil)
	// Names with a dash inside them (ns-a) are words of their own.
	for from, to := range v.names {
		if strings.Contains(from, "-") {
			s = replaceDashed(s, from, to)
		}
	}
	return replaceWords(s, portRE, func(w string) (string, bool) {
		p, err := strconv.Atoi(w)
		if err != nil {
			return "", false
		}
		to, ok := v.port(p)
		return strconv.Itoa(to), ok
	}, func(s string, start, end int) bool {
		// Part of an address or a version (a dot beside it) or of a longer word: not a port.
		return start > 0 && (s[start-1] == '.' || isAlnum(s[start-1])) || end < len(s) && (s[end] == '.' || isAlnum(s[end]))
	})
}

// replaceWords replaces each match of re in s for which to says so, unless skip says the match
// is not a word of its own.
func replaceWords(s string, re *regexp.Regexp, to func(string) (string, bool), skip func(s string, start, end int) bool) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		w := s[m[0]:m[1]]
		repl, ok := to(w)
		if !ok || skip != nil && skip(s, m[0], m[1]) {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(repl)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// replaceDashed replaces the dashed name from as a whole word (no letter or digit beside it).
func replaceDashed(s, from, to string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, from)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(from)
		whole := (i == 0 || !isAlnum(s[i-1])) && (end == len(s) || !isAlnum(s[end]))
		b.WriteString(s[:i])
		if whole {
			b.WriteString(to)
		} else {
			b.WriteString(from)
		}
		s = s[end:]
	}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// port is the variant's port for a port of the lab.
func (v *variant) port(p int) (int, bool) {
	if v == nil {
		return 0, false
	}
	to, ok := v.ports[p]
	return to, ok
}

// Renamed lists what the variant renamed, original first, for lab show and the exam.
func (r *Rendered) Renamed() map[string]string {
	out := map[string]string{}
	if r.variant == nil {
		return out
	}
	for from, to := range r.variant.names {
		out[from] = to
	}
	for from, to := range r.variant.ports {
		out[strconv.Itoa(from)] = strconv.Itoa(to)
	}
	return out
}
