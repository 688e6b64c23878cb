package labs

import (
	"io"

	"k8s.io/cli-runtime/pkg/resource"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// Grading a lab's setup alone fails with a hint on every wrong row; its solution passes.
func TestGradeCatalog(t *testing.T) {
	catalog, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lab := range catalog {
		r, err := lab.Render(Options{})
		if err != nil {
			t.Fatal(err)
		}
		setup, err := r.Grade(snapshotOf(t, r, false))
		if err != nil {
			t.Fatal(err)
		}
		wrong := 0
		for _, g := range setup.Rows {
			if !g.Correct {
				wrong++
				if g.Hint == "" {
					t.Errorf("%s: wrong row %s -> %s has no hint", lab.Name, g.From, g.To)
				}
			}
		}
		if wrong == 0 {
			t.Errorf("%s: the setup alone passes", lab.Name)
		}
		solved, err := r.Grade(snapshotOf(t, r, true))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range solved.Rows {
			if !g.Correct || g.Hint != "" {
				t.Errorf("%s: with the solution, %s -> %s %d is wrong: %+v", lab.Name, g.From, g.To, g.Port, g)
			}
		}
	}
}

// The hints name the cause the lab is about.
func TestGradeHints(t *testing.T) {
	for _, tc := range []struct{ lab, from, to, want string }{
		// The broken policy's namespaceSelector wants a label no namespace has: label the
		// namespace named, or select it by the label every namespace carries.
		{"namespace-labels", "frontend/client", "backend/api", "kubectl label namespace frontend name=frontend"},
		{"namespace-labels", "frontend/client", "backend/api", "kubernetes.io/metadata.name: frontend"},
		// Default deny egress without a DNS rule.
		{"dns-egress", "", "kube-dns", "no rule allows DNS"},
		// Two peers (OR) where one (AND) was meant.
		{"and-vs-or", "ops/shell", "vault/store", "EITHER admits"},
	} {
		lab, err := Get(tc.lab)
		if err != nil {
			t.Fatal(err)
		}
		r, err := lab.Render(Options{})
		if err != nil {
			t.Fatal(err)
		}
		graded, err := r.Grade(snapshotOf(t, r, false))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range graded.Rows {
			if g.Correct || (tc.from != "" && g.From != tc.from) || (tc.to != "" && g.To != tc.to) {
				continue
			}
			found = true
			if len(g.Causes) == 0 || g.Hint != g.Causes[0].Message {
				t.Fatalf("%s %s -> %s: the hint is not the first cause: %+v", tc.lab, g.From, g.To, g)
			}
			if text := g.Hint + "\n" + g.Causes[0].Fix; !strings.Contains(text, tc.want) {
				t.Errorf("%s %s -> %s: hint and fix %q lack %q", tc.lab, g.From, g.To, text, tc.want)
			}
		}
		if !found {
			t.Errorf("%s: no wrong row %s -> %s", tc.lab, tc.from, tc.to)
		}
	}
}

// -f grades files before they are applied: a broken file fails, the solution's files pass.
func TestGradeFiles(t *testing.T) {
	lab, err := Get("and-vs-or")
	if err != nil {
		t.Fatal(err)
	}
	r, err := lab.Render(Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	// OR instead of AND: the mistake the lab teaches.
	writeText(t, broken, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-backup, namespace: vault}
spec:
  podSelector: {matchLabels: {app: store}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}
    - podSelector: {matchLabels: {app: backup}}
    ports: [{port: 5432}]`)
	fixed := filepath.Join(dir, "fixed.yaml")
	writeText(t, fixed, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-backup, namespace: vault}
spec:
  podSelector: {matchLabels: {app: store}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}
      podSelector: {matchLabels: {app: backup}}
    ports: [{port: 5432}]`)
	for path, wantPass := range map[string]bool{broken: false, fixed: true} {
		graded, err := r.GradeFiles(&resource.FilenameOptions{Filenames: []string{path}}, "default", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		pass := true
		for _, g := range graded.Rows {
			pass = pass && g.Correct
		}
		if pass != wantPass {
			t.Errorf("%s: pass=%t, want %t: %+v", filepath.Base(path), pass, wantPass, graded)
		}
	}
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshotOf is the lab as the evaluator sees it: setup, plus the solution when solved.
func snapshotOf(t *testing.T, r *Rendered, solved bool) *policy.Snapshot {
	t.Helper()
	objs := slices.Clone(r.Setup)
	if solved {
		objs = append(objs, r.Solution...)
	}
	read, err := source.FromUnstructured(objs, "lab "+r.Name, "default")
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := read.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
