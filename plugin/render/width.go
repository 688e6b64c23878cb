package render

import (
	"unicode"

	"golang.org/x/text/width"
)

// DisplayWidth is how many terminal columns s takes: two for East Asian wide and fullwidth
// characters (Hangul, kana, kanji, fullwidth punctuation), none for combining marks and
// zero-width format characters, one for the rest (ambiguous-width characters as one, which is
// what terminals do outside CJK legacy modes).
func DisplayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r == '\u200d' || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Cf, r):
		return 0
	case r < 0x20 || r == 0x7f:
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
