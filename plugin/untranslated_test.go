package plugin

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Everything a learner reads in Korean or Japanese is in Korean or Japanese: every failing
// attempt of the learner corpus, graded by lab check (its whole explanation: the table, the
// reasons, the hints and fixes) and walked through by explain --why, and every doctor fixture,
// in ko and ja. Latin letters are allowed only for names (anything the lab's objects or the
// files name), YAML and commands, IDs and the terms kept in English (lang.KeptTerms).
func TestEveryExplanationInTheLearnersLanguage(t *testing.T) {
	labDirs, err := os.ReadDir("../labs/testdata/attempts")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range labDirs {
		lab, err := labs.Get(d.Name())
		if err != nil {
			t.Fatal(err)
		}
		r, err := lab.Render(labs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		labNames := map[string]bool{}
		for _, obj := range append(r.Setup, r.Solution...) {
			collectNames(obj.Object, labNames)
		}
		files, _ := filepath.Glob(filepath.Join("../labs/testdata/attempts", d.Name(), "fail-*.yaml"))
		for _, file := range files {
			names := fileNames(t, file, labNames)
			ns := "default"
			if data, _ := os.ReadFile(file); bytes.Contains(data, []byte("# namespace: ")) {
				ns = strings.Fields(string(data[bytes.Index(data, []byte("# namespace: "))+len("# namespace: "):]))[0]
			}
			names[ns] = true // the current namespace, where a policy without one lands
			for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
				res := run(t, "lab", "check", d.Name(), "-f", file, "-n", ns, "--lang", string(l))
				if res.code != ExitError {
					t.Errorf("%s --lang %s: exit %d, want %d (a failing attempt)\n%s", file, l, res.code, ExitError, res.stderr)
				}
				expectTranslated(t, file+" lab check --lang "+string(l), l, res.stdout+res.stderr, names)
				// The page too: its chrome, the goal rows, hints and fixes (its text, not its
				// markup, style and script).
				page := run(t, "lab", "check", d.Name(), "-f", file, "-n", ns, "--lang", string(l), "-o", "html")
				if !strings.Contains(page.stdout, `<html lang="`+string(l)+`"`) {
					t.Errorf("%s -o html --lang %s: the page does not carry its language", file, l)
				}
				expectTranslated(t, file+" lab check -o html --lang "+string(l), l, pageText(page.stdout), names)
				checked++
			}
		}
		// explain --why over the lab's own setup plus each failing attempt: the walkthrough of
		// the first goal row.
		g := r.Goal[0]
		if strings.Contains(g.From, "/") && strings.Contains(g.To, "/") {
			for _, file := range files {
				names := fileNames(t, file, labNames)
				setup := writeObjects(t, r)
				for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
					res := run(t, "explain", "-f", setup, "-f", file, "--why", g.From, g.To, "--port", portArg(g), "--lang", string(l))
					if res.code != ExitOK {
						t.Errorf("%s explain --why --lang %s: exit %d\n%s", file, l, res.code, res.stderr)
					}
					expectTranslated(t, file+" explain --why --lang "+string(l), l, res.stdout+res.stderr, names)
				}
			}
		}
	}
	if checked < 50 { // 27 failing attempts today, in two languages
		t.Errorf("only %d renderings of failing attempts checked", checked)
	}
	fixtures, _ := filepath.Glob("testdata/doctor/*.yaml")
	if len(fixtures) == 0 {
		t.Fatal("no doctor fixtures")
	}
	for _, file := range fixtures {
		names := fileNames(t, file, map[string]bool{})
		for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
			res := run(t, "doctor", "-f", file, "--lang", string(l))
			if res.code == ExitUsage {
				t.Errorf("%s doctor --lang %s: exit %d\n%s", file, l, res.code, res.stderr)
			}
			expectTranslated(t, file+" doctor --lang "+string(l), l, res.stdout, names)
		}
	}
}

var (
	scriptOrStyle = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>`)
	tag           = regexp.MustCompile(`(?s)<[^>]*>`)
)

// pageText is what a reader of an HTML page sees: its text without markup, one line per
// element.
func pageText(page string) string {
	return html.UnescapeString(tag.ReplaceAllString(scriptOrStyle.ReplaceAllString(page, ""), "\n"))
}

// expectTranslated fails on English left in out, a command's output in l.
func expectTranslated(t *testing.T, what string, l lang.Lang, out string, names map[string]bool) {
	t.Helper()
	if left := lang.Untranslated(out, names); len(left) > 0 {
		t.Errorf("%s: English left %q in:\n%s", what, left, out)
	}
	if !lang.WrittenIn(l, out) {
		t.Errorf("%s: nothing in %s:\n%s", what, l, out)
	}
}

// fileNames are the names a file's objects use (and those of names), for Untranslated.
func fileNames(t *testing.T, file string, names map[string]bool) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for k := range names {
		out[k] = true
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		collectNames(doc, out)
	}
	return out
}

// collectNames adds every string value of an object, and the keys of its label maps: names of
// objects, namespaces, labels, ports.
func collectNames(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "labels" || k == "matchLabels" || k == "annotations" {
				if m, ok := x.(map[string]any); ok {
					for key := range m {
						into[key] = true
					}
				}
			}
			collectNames(x, into)
		}
	case []any:
		for _, x := range v {
			collectNames(x, into)
		}
	case string:
		into[v] = true
	}
}

// writeObjects writes a lab's setup objects to a file explain can read.
func writeObjects(t *testing.T, r *labs.Rendered) string {
	t.Helper()
	var buf bytes.Buffer
	for _, obj := range r.Setup {
		data, err := obj.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(data)
		buf.WriteString("\n")
	}
	file := filepath.Join(t.TempDir(), "setup.json")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func portArg(c labs.Connection) string { return fmt.Sprintf("%d/%s", c.Port, c.Proto()) }
