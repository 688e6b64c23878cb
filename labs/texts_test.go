package labs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/cli-runtime/pkg/resource"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Every lab has every text in every language, read straight from the catalog's files (not
// through the loader, which would stop at the first lab it refuses): the items the English
// has, as many steps and hints, each written in its language's script.
func TestEveryLabHasEveryTextInEveryLanguage(t *testing.T) {
	dirs, err := fs.ReadDir(catalogFS, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	labs := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		labs++
		texts := map[lang.Lang]Texts{}
		for _, l := range lang.All {
			data, err := fs.ReadFile(catalogFS, "catalog/"+d.Name()+"/texts/"+string(l)+".yaml")
			if err != nil {
				t.Errorf("%s: no %s texts: %v", d.Name(), l, err)
				continue
			}
			var tx Texts
			if err := yaml.UnmarshalStrict(data, &tx); err != nil {
				t.Errorf("%s/texts/%s.yaml: %v", d.Name(), l, err)
				continue
			}
			texts[l] = tx
		}
		en := texts[lang.En]
		if en.Title == "" || en.Summary == "" || en.Task == "" || len(en.Steps) == 0 || len(en.Hints) < 2 {
			t.Errorf("%s: the English texts are incomplete: %+v", d.Name(), en)
		}
		for _, l := range lang.All[1:] {
			tx, ok := texts[l]
			if !ok {
				continue
			}
			if len(tx.Steps) != len(en.Steps) || len(tx.Hints) != len(en.Hints) {
				t.Errorf("%s/%s: %d steps and %d hints, the English %d and %d", d.Name(), l, len(tx.Steps), len(tx.Hints), len(en.Steps), len(en.Hints))
			}
			for _, it := range tx.items() {
				if strings.TrimSpace(it.text) == "" {
					t.Errorf("%s/%s: %s is empty", d.Name(), l, it.name)
				} else if !writtenIn(l, it.text) {
					t.Errorf("%s/%s: %s is not in %s: %q", d.Name(), l, it.name, l, it.text)
				}
			}
		}
		// The structure file carries no texts: they would be English in every language.
		data, err := fs.ReadFile(catalogFS, "catalog/"+d.Name()+"/lab.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(data, &labFile{}); err != nil {
			t.Errorf("%s/lab.yaml holds more than the structure: %v", d.Name(), err)
		}
	}
	if all, err := Catalog(); err != nil || len(all) != labs {
		t.Errorf("the catalog loads %d labs (%v), the folder holds %d", len(all), err, labs)
	}
}

// The placeholders ({{ns "web"}} and the like) are the same set in every language, item by
// item: a translation that drops or invents one would print a wrong namespace name.
func TestPlaceholdersAreTheSameInEveryLanguage(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, lab := range all {
		en := lab.Text(lang.En).items()
		for _, l := range lang.All[1:] {
			other := lab.Text(l).items()
			if len(other) != len(en) {
				t.Errorf("%s/%s: %d texts, the English %d", lab.Name, l, len(other), len(en))
				continue
			}
			for i := range en {
				want, err := placeholders(en[i].text)
				if err != nil {
					t.Fatal(err)
				}
				got, err := placeholders(other[i].text)
				if err != nil {
					t.Fatalf("%s/%s %s: %v", lab.Name, l, other[i].name, err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s/%s %s: placeholders %v, the English %v", lab.Name, l, en[i].name, got, want)
				}
				used += len(want)
			}
		}
		// Rendered for a suffix, every language names the renamed namespaces and no template
		// is left.
		for _, l := range lang.All {
			r, err := lab.Render(Options{NamespaceSuffix: "-zz", Lang: l})
			if err != nil {
				t.Fatalf("%s in %s: %v", lab.Name, l, err)
			}
			text := strings.Join(append(append([]string{r.Title, r.Summary, r.Task}, r.Steps...), r.Hints...), "\n")
			if strings.Contains(text, "{{") || !strings.Contains(text, "-zz") {
				t.Errorf("%s in %s: not rendered for the suffix:\n%s", lab.Name, l, text)
			}
		}
	}
	if used == 0 {
		t.Fatal("no placeholder found in any text: the comparison tests nothing")
	}
}

func TestPlaceholders(t *testing.T) {
	got, err := placeholders(`from {{ns "web"}} and {{ns "db"}} to {{ns "web"}}, image {{image "client"}}; {x} stays text`)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`{{image "client"}}`, `{{ns "db"}}`, `{{ns "web"}}`}; !slices.Equal(got, want) {
		t.Errorf("placeholders %v, want %v", got, want)
	}
	if _, err := placeholders(`{{ns "web"`); err == nil {
		t.Error("a broken template should be an error")
	}
}

// The loader refuses a lab whose translation is incomplete or differs from the English in
// what it must keep, and says what and where.
func TestLoaderRefusesBrokenTranslations(t *testing.T) {
	base := fstest.MapFS{}
	for _, f := range []string{"lab.yaml", "setup/namespaces.yaml", "setup/web.yaml", "solution/web.yaml"} {
		data, err := fs.ReadFile(catalogFS, "catalog/three-tier/"+f)
		if err != nil {
			t.Fatal(err)
		}
		base["c/three-tier/"+f] = &fstest.MapFile{Data: data}
	}
	read := func(l lang.Lang) string {
		data, err := fs.ReadFile(catalogFS, "catalog/three-tier/texts/"+string(l)+".yaml")
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	en, ko, ja := read(lang.En), read(lang.Ko), read(lang.Ja)
	load := func(ko, ja string) error {
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		fsys["c/three-tier/texts/en.yaml"] = &fstest.MapFile{Data: []byte(en)}
		if ko != "" {
			fsys["c/three-tier/texts/ko.yaml"] = &fstest.MapFile{Data: []byte(ko)}
		}
		fsys["c/three-tier/texts/ja.yaml"] = &fstest.MapFile{Data: []byte(ja)}
		_, err := loadCatalog(fsys, "c")
		return err
	}
	if err := load(ko, ja); err != nil {
		t.Fatalf("the real texts: %v", err)
	}
	// The second hint dropped from the Korean texts (the hints are the last items).
	koHints := ko[:strings.LastIndex(ko, "\n  - '")+1]
	cases := []struct {
		name   string
		ko, ja string
		want   string
	}{
		{"missing file", "", ja, "lab three-tier has no ko texts"},
		{"a hint missing", koHints, ja, "texts/ko.yaml has 5 steps and 2 hints, the English 5 and 3"},
		{"a placeholder changed", ko, strings.Replace(ja, `{{ns "was"}}、{{ns "db"}} も同様`, `{{ns "was"}}、db も同様`, 1),
			`texts/ja.yaml: steps[0] has the placeholders [{{ns "was"}} {{ns "web"}}], the English [{{ns "db"}} {{ns "was"}} {{ns "web"}}]`},
		{"English copied over", strings.Replace(ko, "title: 세 네임스페이스에 나뉜 3계층 구조", "title: Three tiers in three namespaces", 1), ja,
			`texts/ko.yaml: title is not written in ko`},
		{"an unknown key", ko, ja + "goal: []\n", `unknown field "goal"`},
	}
	for _, c := range cases {
		err := load(c.ko, c.ja)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one that says %q", c.name, err, c.want)
		}
	}
}

// A lab rendered in a language carries that language's texts; the structure (goal, objects)
// is the same in all of them.
func TestRenderInLanguage(t *testing.T) {
	l, err := Get("three-tier")
	if err != nil {
		t.Fatal(err)
	}
	en, err := l.Render(Options{NamespaceSuffix: "-2"})
	if err != nil {
		t.Fatal(err)
	}
	if en.Title != "Three tiers in three namespaces" || en.Title != l.Title {
		t.Errorf("English title %q", en.Title)
	}
	ko, err := l.Render(Options{NamespaceSuffix: "-2", Lang: lang.Ko})
	if err != nil {
		t.Fatal(err)
	}
	if ko.Title != "세 네임스페이스에 나뉜 3계층 구조" || !strings.Contains(ko.Task, "(네임스페이스 web-2, 포트 80)") || !strings.Contains(ko.Hints[1], "kubernetes.io/metadata.name: was-2") {
		t.Errorf("Korean texts: %q\n%s\n%v", ko.Title, ko.Task, ko.Hints)
	}
	ja, err := l.Render(Options{Lang: lang.Ja})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ja.Summary, "WEB <-> WAS <-> DB の間だけ") || !strings.Contains(ja.Steps[4], "kubectl netpol lab check three-tier") {
		t.Errorf("Japanese texts: %q %v", ja.Summary, ja.Steps)
	}
	if len(ko.Goal) != len(en.Goal) || ko.Goal[0] != en.Goal[0] || len(ko.Setup) != len(en.Setup) || ko.SolutionYAML != en.SolutionYAML {
		t.Error("the structure differs between languages")
	}
	if _, err := l.Render(Options{Lang: "de"}); err == nil || !strings.Contains(err.Error(), "en, ja, ko") {
		t.Errorf("an unknown language: %v", err)
	}
}

// Grading writes its own messages in the lab's language: the problems of the files and the
// one-line summary of the first cause; the engine's detailed cause stays as it is.
func TestGradingMessagesInLanguage(t *testing.T) {
	l, err := Get("three-tier")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "no-namespace.yaml")
	writeText(t, path, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`)
	for _, c := range []struct {
		l       lang.Lang
		problem string
	}{
		{lang.En, "deny-all has no metadata.namespace, so it is graded in namespace default"},
		{lang.Ko, "deny-all에는 metadata.namespace가 없어서"},
		{lang.Ja, "deny-all には metadata.namespace がないため"},
	} {
		r, err := l.Render(Options{Lang: c.l})
		if err != nil {
			t.Fatal(err)
		}
		g, err := r.GradeFiles(&resource.FilenameOptions{Filenames: []string{path}}, "default", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Problems) != 1 || !strings.Contains(g.Problems[0].Message, c.problem) || !lang.WrittenIn(c.l, g.Problems[0].Fix) {
			t.Errorf("%s: problems %+v, want one that says %q", c.l, g.Problems, c.problem)
		}
		wrong := 0
		for _, row := range g.Rows {
			if row.Correct {
				continue
			}
			wrong++
			code := row.Causes[0].Code
			if row.HintSummary == "" || row.HintSummary != CauseSummary(c.l, code) || !lang.WrittenIn(c.l, row.HintSummary) {
				t.Errorf("%s: %s -> %s: summary %q for cause %s", c.l, row.From, row.To, row.HintSummary, code)
			}
			if row.Hint != row.Causes[0].Message || !strings.Contains(row.Hint, row.From) && !strings.Contains(row.Hint, row.To) {
				t.Errorf("%s: the engine's hint %q is not the first cause's message with the names", c.l, row.Hint)
			}
		}
		if wrong == 0 {
			t.Errorf("%s: no wrong row to summarize", c.l)
		}
	}
}

// Every cause code the policy engine can give (every Cause* constant of policy/diagnose.go,
// read from its source so that a new one cannot be forgotten) and the lab's own have a summary
// in every language.
func TestEveryCauseHasASummary(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "policy", "diagnose.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := []string{CauseInvalidPolicy}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if strings.HasPrefix(name.Name, "Cause") && i < len(spec.Values) {
				if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					code, _ := strconv.Unquote(lit.Value)
					codes = append(codes, code)
				}
			}
		}
		return true
	})
	if len(codes) < 20 {
		t.Fatalf("found only %d cause codes in policy/diagnose.go: %v", len(codes), codes)
	}
	for _, code := range codes {
		for _, l := range lang.All {
			if s := CauseSummary(l, code); s == "" || !lang.WrittenIn(l, s) {
				t.Errorf("cause %s has no %s summary (%q)", code, l, s)
			}
		}
	}
	if CauseSummary(lang.Ko, "no-such-cause") != "" {
		t.Error("an unknown code has a summary")
	}
}
