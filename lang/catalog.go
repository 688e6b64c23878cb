package lang

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Text is one message in every language: a fmt format, its arguments named by position
// (%[2]s) wherever a language orders them differently from English.
type Text struct{ En, Ko, Ja string }

// In returns the text's format in l (English for an unknown or empty l).
func (t Text) In(l Lang) string {
	switch l {
	case Ko:
		return t.Ko
	case Ja:
		return t.Ja
	}
	return t.En
}

// Catalog holds the messages one package builds in Go code, by key.
type Catalog map[string]Text

// T returns the message key in l, formatted with args. A key the catalog lacks is a bug that
// the catalog's test finds; at run time it prints as the key itself, never as nothing.
func (c Catalog) T(l Lang, key string, args ...any) string {
	t, ok := c[key]
	if !ok {
		return "!" + key
	}
	if len(args) == 0 {
		// No arguments: the text is printed as written (a lone % stays a %).
		return t.In(l)
	}
	return fmt.Sprintf(t.In(l), args...)
}

// Check finds what is wrong with the catalog: a message missing in a language, a translation
// not written in its language's script, or one that uses other arguments (or verbs) than the
// English. It returns one line per problem, in key order.
func (c Catalog) Check() []string {
	var problems []string
	for _, key := range slices.Sorted(maps.Keys(c)) {
		t := c[key]
		if t.En == "" {
			problems = append(problems, fmt.Sprintf("%s: no English text", key))
			continue
		}
		want := Placeholders(t.En)
		for _, l := range All {
			if s := t.In(l); s != "" && len(want) > 0 && strings.Contains(fmt.Sprintf(s, sampleArgs(want)...), "%!") {
				problems = append(problems, fmt.Sprintf("%s: the %s text %q does not format (fmt says %%!)", key, l, s))
			}
		}
		for _, l := range All[1:] {
			s := t.In(l)
			switch {
			case s == "":
				problems = append(problems, fmt.Sprintf("%s: no %s text", key, l))
			case !WrittenIn(l, s):
				problems = append(problems, fmt.Sprintf("%s: the %s text %q is not written in %s", key, l, s, l))
			default:
				if got := Placeholders(s); !slices.Equal(got, want) {
					problems = append(problems, fmt.Sprintf("%s: the %s text uses %v, the English %v", key, l, got, want))
				}
			}
		}
	}
	return problems
}

// Placeholders lists the arguments a fmt format uses, each as "N:verb" (argument N, from 1,
// printed with verb; %[2]s and the second implicit %s are both "2:s"), sorted, each once.
func Placeholders(format string) []string {
	set := map[string]bool{}
	arg := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		for i < len(format) {
			c := format[i]
			switch {
			case strings.IndexByte("+-# 0.", c) >= 0 || c >= '1' && c <= '9':
				i++
				continue
			case c == '*':
				arg++
				i++
				continue
			case c == '[':
				end := strings.IndexByte(format[i:], ']')
				if end < 0 {
					i = len(format)
					continue
				}
				if n, err := strconv.Atoi(format[i+1 : i+end]); err == nil {
					arg = n
				}
				i += end + 1
				continue
			}
			break
		}
		if i >= len(format) {
			break
		}
		set[fmt.Sprintf("%d:%c", arg, format[i])] = true
		arg++
	}
	out := slices.Collect(maps.Keys(set))
	sort.Strings(out)
	return out
}

// sampleArgs makes arguments of the right types for a format's placeholders.
func sampleArgs(placeholders []string) []any {
	n := 0
	for _, p := range placeholders {
		i, _ := strconv.Atoi(p[:strings.IndexByte(p, ':')])
		n = max(n, i)
	}
	args := make([]any, n)
	for i := range args {
		args[i] = "x"
	}
	for _, p := range placeholders {
		i, _ := strconv.Atoi(p[:strings.IndexByte(p, ':')])
		switch p[len(p)-1] {
		case 'd', 'x', 'c':
			args[i-1] = 1
		case 'f', 'g', 'e':
			args[i-1] = 1.5
		case 't':
			args[i-1] = true
		}
	}
	return args
}

// WrittenIn reports whether s holds at least one letter of l's script: Hangul for Korean,
// kana or kanji for Japanese. English is any text. It tells a translation from an English
// text copied over by mistake.
func WrittenIn(l Lang, s string) bool {
	var tables []*unicode.RangeTable
	switch l {
	case Ko:
		tables = []*unicode.RangeTable{unicode.Hangul}
	case Ja:
		tables = []*unicode.RangeTable{unicode.Hiragana, unicode.Katakana, unicode.Han}
	default:
		return true
	}
	for _, r := range s {
		if unicode.In(r, tables...) {
			return true
		}
	}
	return false
}
