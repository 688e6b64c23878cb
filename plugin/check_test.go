package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// On the local control plane: the lab without its solution fails statically, with the wrong
// rows and their hints; with the solution applied it passes.
func TestLabCheckStatic(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	suffix := "--namespace-suffix=-check"
	if r := run(t, "lab", "up", "and-vs-or", suffix, kc); r.code != ExitOK {
		t.Fatalf("lab up: %s", r.stderr)
	}
	defer func() {
		if r := run(t, "lab", "down", "and-vs-or", kc); r.code != ExitOK {
			t.Errorf("lab down: %s", r.stderr)
		}
	}()

	r := run(t, "lab", "check", "and-vs-or", suffix, "--static-only", "-o", "json", kc)
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s%s", err, r.stdout, r.stderr)
	}
	if r.code != ExitError || rep.Verdict != "FAIL" || rep.Score != "1/3" {
		t.Errorf("unsolved: exit %d, %s %s", r.code, rep.Verdict, rep.Score)
	}
	// By the lab's goal: the setup's OR lets ops/shell and vault/backup-agent in.
	var wrong []string
	for _, g := range rep.Static {
		if !g.Correct {
			wrong = append(wrong, g.From+" -> "+g.To)
			if !strings.Contains(g.Hint, "EITHER admits") || len(g.Causes) == 0 || g.Causes[0].Code != policy.CauseSplitPeers || g.Causes[0].Policy != "vault-check/allow-backup" {
				t.Errorf("hint for %s -> %s: %q %+v", g.From, g.To, g.Hint, g.Causes)
			}
		}
	}
	if strings.Join(wrong, ", ") != "ops-check/shell -> vault-check/store, vault-check/backup-agent -> vault-check/store" {
		t.Errorf("wrong rows %v", wrong)
	}
	if r = run(t, "lab", "check", "and-vs-or", suffix, "--static-only", kc); !strings.Contains(r.stdout, "FAIL: 1/3 goal connections right (static only)") ||
		!strings.Contains(r.stdout, "hint: vault-check/allow-backup ingress rule 0 admits ops-check/shell on 5432/TCP") {
		t.Errorf("table output:\n%s", r.stdout)
	}

	if r := run(t, "lab", "up", "and-vs-or", "--solution", suffix, kc); r.code != ExitOK {
		t.Fatalf("lab up --solution: %s", r.stderr)
	}
	r = run(t, "lab", "check", "and-vs-or", suffix, "--static-only", kc)
	if r.code != ExitOK || !strings.Contains(r.stdout, "PASS: 3/3 goal connections right") || r.stderr != "" {
		t.Errorf("solved: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A lab that is not up: one line that says how to start it.
	r = run(t, "lab", "check", "ipblock", "--static-only", kc)
	if line := oneErrorLine(t, r); r.code != ExitError || !strings.Contains(line, "lab up ipblock") {
		t.Errorf("not up: exit %d %q", r.code, line)
	}
}

// -f grades files without any cluster: a broken file fails, a correct one passes.
func TestLabCheckFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The lab's own broken policy, and the solution as `lab show --solution` prints it.
	broken := write("broken.yaml", `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-backup, namespace: vault}
spec:
  podSelector: {matchLabels: {app: store}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}}, {podSelector: {matchLabels: {app: backup}}}]
    ports: [{port: 5432}]`)
	solution := write("solution.yaml", run(t, "lab", "show", "and-vs-or", "--solution").stdout)

	r := run(t, "lab", "check", "and-vs-or", "-f", broken)
	if r.code != ExitError || !strings.Contains(r.stdout, "FAIL: 1/3") || strings.Contains(r.stdout, "Live check") {
		t.Errorf("broken file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "lab", "check", "and-vs-or", "-f", solution)
	if r.code != ExitOK || !strings.Contains(r.stdout, "PASS: 3/3") {
		t.Errorf("solution file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// -o json carries the causes as fields.
	r = run(t, "lab", "check", "and-vs-or", "-f", broken, "-o", "json")
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	for _, g := range rep.Static {
		if g.Correct {
			continue
		}
		if c := g.Causes; len(c) == 0 || c[0].Code != policy.CauseSplitPeers || c[0].Field != "spec.ingress[0].from" || c[0].Rule == nil || *c[0].Rule != 0 || !strings.Contains(c[0].Fix, "ONE item") {
			t.Errorf("%s -> %s: causes %+v", g.From, g.To, c)
		}
	}

	// A policy the API server would refuse fails with its own words, whatever the rows say.
	refused := write("refused.yaml", strings.Replace(run(t, "lab", "show", "and-vs-or", "--solution").stdout,
		"ports:", "ports:\n    - {port: 5432, endPort: 5000}", 1))
	r = run(t, "lab", "check", "and-vs-or", "-f", refused)
	if r.code != ExitError || !strings.Contains(r.stdout, "REFUSED: the API server would refuse vault/allow-backup") ||
		!strings.Contains(r.stdout, "spec.ingress[0].ports[0].endPort: Invalid value: 5432: must be greater than or equal to `port`") {
		t.Errorf("refused file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// So is one with a field a NetworkPolicy does not have (here a podSelector indented as a
	// rule's field, not the peer's); the check names it and where it goes, and grades the
	// rest. explain cannot evaluate the policy as written, and says why; doctor reports it.
	misplaced := write("misplaced.yaml", strings.Replace(run(t, "lab", "show", "and-vs-or", "--solution").stdout,
		"      podSelector:\n        matchLabels: {app: backup}", "    podSelector:\n      matchLabels: {app: backup}", 1))
	r = run(t, "lab", "check", "and-vs-or", "-f", misplaced)
	if r.code != ExitError || !strings.Contains(r.stdout, "REFUSED: the API server would refuse vault/allow-backup") ||
		!strings.Contains(r.stdout, `unknown field "spec.ingress[0].podSelector" ("podSelector" goes deeper, in from[]: check its indentation)`) ||
		!strings.Contains(r.stdout, "ops/shell            vault/store   5432/TCP   blocked") {
		t.Errorf("misplaced field: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "explain", "-f", misplaced)
	if line := oneErrorLine(t, r); r.code != ExitError || r.stdout != "" || !strings.Contains(line, misplaced+`: NetworkPolicy vault/allow-backup: unknown field "spec.ingress[0].podSelector"`) {
		t.Errorf("explain, misplaced field: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "doctor", "-f", misplaced, "-o", "json")
	if !strings.Contains(r.stdout, `"NP4006"`) || !strings.Contains(r.stdout, `unknown field \"spec.ingress[0].podSelector\"`) {
		t.Errorf("doctor, misplaced field: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Without metadata.namespace a policy lands in the current namespace, -n here.
	bare := write("bare.yaml", strings.Replace(run(t, "lab", "show", "and-vs-or", "--solution").stdout, "namespace: vault", "", 1))
	r = run(t, "lab", "check", "and-vs-or", "-f", bare, "-n", "team-a")
	if r.code != ExitError || !strings.Contains(r.stdout, "graded in namespace team-a") || !strings.Contains(r.stdout, "no metadata.namespace") {
		t.Errorf("file without namespace: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = run(t, "lab", "check", "and-vs-or", "-f", bare, "-n", "vault"); r.code != ExitOK {
		t.Errorf("file without namespace, -n vault: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = run(t, "lab", "check", "and-vs-or", "-f", filepath.Join(dir, "nope.yaml"))
	if line := oneErrorLine(t, r); r.code != ExitError || !strings.Contains(line, "nope.yaml") {
		t.Errorf("missing file: exit %d %q", r.code, line)
	}
}
