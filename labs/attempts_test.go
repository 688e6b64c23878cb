package labs

import (
	"io"

	"bufio"
	"bytes"
	"k8s.io/cli-runtime/pkg/resource"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The learner corpus: testdata/attempts/LAB/*.yaml are attempts at each lab, graded with
// `lab check LAB -f FILE`. Each file says in its leading comments what grading must give:
//
//	# verdict: PASS | FAIL
//	# code: namespace-labels-differ   (FAIL: the first cause of some wrong row, or a problem's code)
//	# hint: kube-system, kubernetes.io/metadata.name   (FAIL: words that cause's message and fix hold)
//	# namespace: web   (optional: the current namespace the file is graded in; default "default")
//	# problem: policy-in-other-namespace   (optional: a problem of the files grading must report)
//
// The passing attempts are written differently from the solutions; the failing ones each make
// one of the pitfalls the labs teach.
func TestLearnerAttempts(t *testing.T) {
	labDirs, err := os.ReadDir("testdata/attempts")
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string][2]int{}
	for _, d := range labDirs {
		lab, err := Get(d.Name())
		if err != nil {
			t.Fatalf("testdata/attempts/%s: %v", d.Name(), err)
		}
		r, err := lab.Render(Options{})
		if err != nil {
			t.Fatal(err)
		}
		files, err := filepath.Glob(filepath.Join("testdata/attempts", d.Name(), "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			t.Run(d.Name()+"/"+strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
				want := readExpectations(t, path)
				ns := want["namespace"]
				if ns == "" {
					ns = "default"
				}
				g, err := r.GradeFiles(&resource.FilenameOptions{Filenames: []string{path}}, ns, io.Discard)
				if err != nil {
					t.Fatal(err)
				}
				if code := want["problem"]; code != "" && !slices.ContainsFunc(g.Problems, func(p Problem) bool { return p.Code == code }) {
					t.Errorf("no %s problem reported:\n%s", code, describeGrading(g))
				}
				verdict := map[bool]string{true: "PASS", false: "FAIL"}[g.Pass()]
				if verdict != want["verdict"] {
					t.Fatalf("verdict %s, want %s; rows:\n%s", verdict, want["verdict"], describeGrading(g))
				}
				c := covered[d.Name()]
				if verdict == "PASS" {
					c[0]++
					covered[d.Name()] = c
					return
				}
				c[1]++
				covered[d.Name()] = c
				if want["code"] == "" || want["hint"] == "" {
					t.Fatalf("a FAIL attempt must say its code and hint words")
				}
				// The cause named: a problem of the files, or the first cause of a wrong row.
				var texts []string
				for _, p := range g.Problems {
					if p.Code == want["code"] {
						texts = append(texts, p.Message+"\n"+p.Fix)
					}
				}
				for _, row := range g.Rows {
					if len(row.Causes) > 0 && row.Causes[0].Code == want["code"] {
						texts = append(texts, row.Hint+"\n"+row.Causes[0].Fix)
					}
				}
				if len(texts) == 0 {
					t.Fatalf("no wrong row's first cause (nor any problem) is %s:\n%s", want["code"], describeGrading(g))
				}
				words := strings.Split(want["hint"], ",")
				if !slices.ContainsFunc(texts, func(text string) bool {
					return !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(text, strings.TrimSpace(w)) })
				}) {
					t.Errorf("no %s hint holds all of %q:\n%s", want["code"], words, strings.Join(texts, "\n---\n"))
				}
			})
		}
	}
	for _, lab := range catalog {
		if c := covered[lab.Name]; c[0] < 2 || c[1] < 2 {
			t.Errorf("lab %s has %d passing and %d failing attempts in testdata/attempts; want at least 2 of each", lab.Name, c[0], c[1])
		}
	}
}

// readExpectations reads the "# key: value" lines at the top of an attempt.
func readExpectations(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "#") {
			break
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":"); ok && slices.Contains([]string{"verdict", "code", "hint", "namespace", "problem"}, k) {
			out[k] = strings.TrimSpace(v)
		}
	}
	if out["verdict"] != "PASS" && out["verdict"] != "FAIL" {
		t.Fatalf("%s: no '# verdict: PASS|FAIL' line at the top", path)
	}
	return out
}

func describeGrading(g *Grading) string {
	var b strings.Builder
	for _, p := range g.Problems {
		b.WriteString("problem " + p.Code + ": " + p.Message + "\n")
	}
	for _, r := range g.Rows {
		mark := "ok   "
		if !r.Correct {
			mark = "WRONG"
		}
		b.WriteString(mark + " " + r.From + " -> " + r.To + " " + r.Protocol + "\n")
		for _, c := range r.Causes {
			b.WriteString("      " + c.Code + ": " + c.Message + "\n        fix: " + strings.ReplaceAll(c.Fix, "\n", "\n             ") + "\n")
		}
	}
	return b.String()
}
