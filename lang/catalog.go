package lang

import (
	"embed"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"sigs.k8s.io/yaml"
)

// The message catalogs: one file per language, catalog/LANG.yaml, a flat map from message ID
// to a fmt format (arguments named by position, %[2]s, wherever a language orders them
// differently from English). en.yaml is the source; a language is one more file (plus its lab
// texts), and TestCatalogs holds every file to the English one.
//
//go:embed catalog/*.yaml
var catalogFiles embed.FS

// Catalog holds, per language, the message formats by ID.
type Catalog map[Lang]map[string]string

// scriptsKey names, in each catalog, the Unicode scripts its language is written in
// (unicode.Scripts names, comma-separated): Check and WrittenIn tell a translation from an
// English text copied over by it.
const scriptsKey = "lang.scripts"

var (
	loadOnce sync.Once
	loaded   Catalog
)

// Messages is the catalog of every language, read from the embedded files on first use.
func Messages() Catalog {
	loadOnce.Do(func() {
		loaded = Catalog{}
		for _, l := range All {
			data, err := catalogFiles.ReadFile("catalog/" + string(l) + ".yaml")
			if err != nil {
				panic(err) // All is read from the same files
			}
			m := map[string]string{}
			if err := yaml.UnmarshalStrict(data, &m); err != nil {
				panic(fmt.Sprintf("catalog/%s.yaml: %v", l, err)) // TestCatalogs reads every file first
			}
			loaded[l] = m
		}
	})
	return loaded
}

// T returns message id in l, formatted with args (an argument that is a Msg is rendered in l
// first). A message missing in l is taken in English; one missing in English is a bug that
// the catalog's tests find, and prints as the ID itself, never as nothing.
func T(l Lang, id string, args ...any) string { return Messages().T(l, id, args...) }

// T is the package T on catalog c.
func (c Catalog) T(l Lang, id string, args ...any) string {
	format, ok := c[l.Or()][id]
	if !ok {
		if format, ok = c[En][id]; !ok {
			return "!" + id
		}
	}
	if len(args) == 0 {
		// No arguments: the text is printed as written (a lone % stays a %).
		return format
	}
	for i, a := range args {
		if m, ok := a.(interface{ In(Lang) string }); ok {
			args[i] = m.In(l)
		}
	}
	return fmt.Sprintf(format, args...)
}

// Check finds what is wrong with the catalog: an ID missing in a language or only there, a
// translation not written in its language's script, or one that uses other arguments (or
// verbs) than the English. It returns one line per problem, in ID order.
func (c Catalog) Check() []string {
	var problems []string
	en := c[En]
	var others []Lang
	for _, l := range slices.Sorted(maps.Keys(c)) {
		if l != En {
			others = append(others, l)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(en)) {
		if id == scriptsKey {
			continue
		}
		want := Placeholders(en[id])
		if en[id] == "" {
			problems = append(problems, fmt.Sprintf("%s: no English text", id))
			continue
		}
		for _, l := range append([]Lang{En}, others...) {
			if s := c[l][id]; s != "" && len(want) > 0 && strings.Contains(fmt.Sprintf(s, sampleArgs(want)...), "%!") {
				problems = append(problems, fmt.Sprintf("%s: the %s text %q does not format (fmt says %%!)", id, l, s))
			}
		}
		for _, l := range others {
			s := c[l][id]
			switch {
			case s == "":
				problems = append(problems, fmt.Sprintf("%s: no %s text", id, l))
			case !c.writtenIn(l, s):
				problems = append(problems, fmt.Sprintf("%s: the %s text %q is not written in %s", id, l, s, l))
			default:
				if got := Placeholders(s); !slices.Equal(got, want) {
					problems = append(problems, fmt.Sprintf("%s: the %s text uses %v, the English %v", id, l, got, want))
				}
			}
		}
	}
	for _, l := range others {
		if len(c.scripts(l)) == 0 {
			problems = append(problems, fmt.Sprintf("%s: %s names no Unicode script this Go knows (e.g. %s: Hangul)", scriptsKey, l, scriptsKey))
		}
		for _, id := range slices.Sorted(maps.Keys(c[l])) {
			if _, ok := en[id]; !ok && id != scriptsKey {
				problems = append(problems, fmt.Sprintf("%s: only in %s, not in English (renamed or removed?)", id, l))
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

// scripts are the Unicode tables of the scripts language l is written in, as its catalog
// names them; none for English, the source, which any text passes for.
func (c Catalog) scripts(l Lang) []*unicode.RangeTable {
	var tables []*unicode.RangeTable
	for _, name := range strings.Split(c[l][scriptsKey], ",") {
		if t, ok := unicode.Scripts[strings.TrimSpace(name)]; ok {
			tables = append(tables, t)
		}
	}
	return tables
}

func (c Catalog) writtenIn(l Lang, s string) bool {
	if l.Or() == En {
		return true
	}
	tables := c.scripts(l)
	for _, r := range s {
		if unicode.In(r, tables...) {
			return true
		}
	}
	// No letter of the script: punctuation alone (a list's separator), or only words every
	// language keeps (a "Pod" heading in Japanese, which keeps Pod in Latin letters).
	return len(Untranslated(fmtVerbs.ReplaceAllString(s, " "), nil)) == 0
}

// fmtVerbs matches a fmt verb with its flags and argument index, %[2]s or %-8d.
var fmtVerbs = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?(\[\d+\])?[a-zA-Z%]`)

// WrittenIn reports whether s holds at least one letter of l's script (Hangul for Korean,
// kana or kanji for Japanese, as each catalog says). English is any text. It tells a
// translation from an English text copied over by mistake.
func WrittenIn(l Lang, s string) bool { return Messages().writtenIn(l, s) }

// languages lists the languages there are catalogs for, English (the source) first.
func languages() []Lang {
	entries, err := catalogFiles.ReadDir("catalog")
	if err != nil {
		panic(err)
	}
	out := []Lang{En}
	for _, e := range entries {
		if l := fileLang(e.Name()); !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// fileLang is the language of a catalog file, LANG.yaml.
func fileLang(name string) Lang { return Lang(strings.TrimSuffix(name, ".yaml")) }
