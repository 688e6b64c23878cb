package labs

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// labFile is lab.yaml: the lab's structure, the same in every language. Its texts are in
// texts/LANG.yaml beside it.
type labFile struct {
	Name       string       `json:"name"`
	Level      string       `json:"level"`
	Topics     []string     `json:"topics"`
	Namespaces []string     `json:"namespaces"`
	Goal       []Connection `json:"goal"`
	Variant    Vary         `json:"variant"`
}

// loadTexts reads texts/LANG.yaml of a lab for every language and checks that each holds
// every text of the English one, with the same placeholders.
func loadTexts(fsys fs.FS, dir string) (map[lang.Lang]Texts, error) {
	texts := map[lang.Lang]Texts{}
	for _, l := range lang.All {
		file := path.Join(dir, "texts", string(l)+".yaml")
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("lab %s has no %s texts: %w", path.Base(dir), l, err)
		}
		var t Texts
		if err := yaml.UnmarshalStrict(data, &t); err != nil {
			return nil, fmt.Errorf("%s: %w", strings.TrimPrefix(file, "catalog/"), err)
		}
		texts[l] = t
	}
	var problems []string
	for _, l := range lang.All[1:] {
		problems = append(problems, compareTexts(texts[lang.En], texts[l], l)...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("lab %s: %s", path.Base(dir), strings.Join(problems, "; "))
	}
	return texts, nil
}

// textItem is one text of a lab, named as a translator would look for it ("steps[2]").
type textItem struct {
	name, text string
}

// items lists every text of t, in file order.
func (t Texts) items() []textItem {
	items := []textItem{{"title", t.Title}, {"summary", t.Summary}, {"task", t.Task}}
	for i, s := range t.Steps {
		items = append(items, textItem{fmt.Sprintf("steps[%d]", i), s})
	}
	for i, s := range t.Hints {
		items = append(items, textItem{fmt.Sprintf("hints[%d]", i), s})
	}
	return items
}

// compareTexts says how the texts in l differ from the English ones in what a translation
// must keep: every item present, as many steps and hints, the same placeholders in each item,
// and written in l's script (kana for Japanese, Hangul for Korean), not copied over in English.
func compareTexts(en, other Texts, l lang.Lang) []string {
	var problems []string
	if len(other.Steps) != len(en.Steps) || len(other.Hints) != len(en.Hints) {
		problems = append(problems, fmt.Sprintf("texts/%s.yaml has %d steps and %d hints, the English %d and %d",
			l, len(other.Steps), len(other.Hints), len(en.Steps), len(en.Hints)))
	}
	theirs := map[string]string{}
	for _, it := range other.items() {
		theirs[it.name] = it.text
	}
	for _, it := range en.items() {
		text, ok := theirs[it.name]
		if !ok {
			continue // counted above
		}
		if strings.TrimSpace(text) == "" {
			problems = append(problems, fmt.Sprintf("texts/%s.yaml: %s is missing", l, it.name))
			continue
		}
		if !writtenIn(l, text) {
			problems = append(problems, fmt.Sprintf("texts/%s.yaml: %s is not written in %s: %q", l, it.name, l, text))
		}
		want, err := placeholders(it.text)
		if err != nil {
			problems = append(problems, fmt.Sprintf("texts/en.yaml: %s: %v", it.name, err))
			continue
		}
		got, err := placeholders(text)
		if err != nil {
			problems = append(problems, fmt.Sprintf("texts/%s.yaml: %s: %v", l, it.name, err))
			continue
		}
		if !slices.Equal(got, want) {
			problems = append(problems, fmt.Sprintf("texts/%s.yaml: %s has the placeholders %v, the English %v", l, it.name, got, want))
		}
	}
	return problems
}

// writtenIn reports whether a lab text is in l: Korean texts hold Hangul, Japanese ones kana
// (kanji alone could be Chinese).
func writtenIn(l lang.Lang, s string) bool {
	if l != lang.Ja {
		return lang.WrittenIn(l, s)
	}
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana) {
			return true
		}
	}
	return false
}

// placeholderFuncs stand in for Render's template functions when only the text's shape is
// read.
var placeholderFuncs = template.FuncMap{"ns": func(string) string { return "" }, "cluster": func(string) string { return "" }, "image": func(string) string { return "" }}

// placeholders lists the template actions of a text ({{ns "web"}}), each once, sorted.
func placeholders(text string) ([]string, error) {
	t, err := template.New("").Funcs(placeholderFuncs).Parse(text)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.TextNode:
		default:
			// Actions, and the control structures around them, whole.
			set[n.String()] = true
		}
	}
	if t.Tree != nil {
		walk(t.Tree.Root)
	}
	return slices.Sorted(maps.Keys(set)), nil
}
