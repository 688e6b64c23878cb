package plugin

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
)

// A small application: three frontend replicas in web (a namespace labelled tier=web), a
// database and an admin pod in db, and one policy that lets only namespaces labelled tier=web
// reach the database, on its named port.
const appYAML = `
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {tier: web}}
---
apiVersion: v1
kind: Namespace
metadata: {name: db}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: frontend-7d9f-a1, namespace: web, labels: {app: frontend}}
  spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 80}]}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: frontend-7d9f-b2, namespace: web, labels: {app: frontend}}
  spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 80}]}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: frontend-7d9f-c3, namespace: web, labels: {app: frontend}}
  spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: postgres-0, namespace: db, labels: {app: postgres}}
spec: {containers: [{name: c, image: postgres, ports: [{name: pg, containerPort: 5432}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: admin, namespace: db, labels: {app: admin}}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: db}
spec:
  podSelector: {matchLabels: {app: postgres}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {tier: web}}}]
    ports: [{port: pg}]
`

func appFile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(appYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// truthTable reads the table printed for one port into row -> column -> cell.
func truthTable(t *testing.T, out, port string) map[string]map[string]string {
	t.Helper()
	_, after, ok := strings.Cut(out, port+":\n")
	if !ok {
		t.Fatalf("no table for %s in\n%s", port, out)
	}
	lines := strings.Split(after, "\n")
	// Group names hold spaces ("web/frontend-7d9f-* (3 pods)"): split on runs of 3 spaces.
	split := func(l string) []string {
		var cells []string
		for _, c := range strings.Split(l, "   ") {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		return cells
	}
	header := split(lines[0])
	table := map[string]map[string]string{}
	for _, l := range lines[1:] {
		cells := split(l)
		if len(cells) != len(header) {
			break
		}
		table[cells[0]] = map[string]string{}
		for i, c := range cells[1:] {
			table[cells[0]][header[i+1]] = c
		}
	}
	return table
}

func TestExplainFiles(t *testing.T) {
	dir := appFile(t)
	r := run(t, "explain", "-f", dir)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	// Written by hand from the policy: only web's pods reach postgres, and only on 5432;
	// nothing else is isolated, and postgres reaches itself (loopback, which no policy
	// blocks). The three frontends have one row, with their count.
	fe, pg, admin := "web/frontend-7d9f-* (3 pods)", "db/postgres-0", "db/admin"
	want := map[string]map[string]map[string]string{
		"5432/TCP": {
			fe:    {fe: ".", pg: ".", admin: "."},
			pg:    {fe: ".", pg: ".", admin: "."},
			admin: {fe: ".", pg: "X", admin: "."},
		},
		"80/TCP": {
			fe:    {fe: ".", pg: "X", admin: "."},
			pg:    {fe: ".", pg: ".", admin: "."},
			admin: {fe: ".", pg: "X", admin: "."},
		},
	}
	for port, rows := range want {
		got := truthTable(t, r.stdout, port)
		for from, cols := range rows {
			for to, cell := range cols {
				if got[from][to] != cell {
					t.Errorf("%s %s -> %s: %q, want %q\n%s", port, from, to, got[from][to], cell, r.stdout)
				}
			}
		}
	}

	// --no-group: one row per frontend; filters narrow rows and columns.
	r = run(t, "explain", "-f", dir, "--no-group", "--port", "5432", "--from", "web", "--to", "app=postgres")
	got := truthTable(t, r.stdout, "5432/TCP")
	if len(got) != 3 || got["web/frontend-7d9f-b2"][pg] != "." || len(got["web/frontend-7d9f-b2"]) != 1 {
		t.Errorf("--no-group with filters:\n%s", r.stdout)
	}
}

// -o json is the contract README.md gives: every from/to/port with the verdict and reasons.
func TestExplainJSON(t *testing.T) {
	r := run(t, "explain", "-f", appFile(t), "-o", "json", "--port", "5432/tcp", "--to", "db/postgres-0")
	var rep policy.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != ExitOK {
		t.Fatalf("exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if len(rep.Ports) != 1 || rep.Ports[0] != (policy.JSONPort{Port: 5432, Protocol: "TCP"}) || len(rep.Pods) != 5 || len(rep.Results) != 5 {
		t.Fatalf("report %+v", rep)
	}
	for _, res := range rep.Results {
		self := res.From == res.To // postgres to itself: loopback
		want := strings.HasPrefix(res.From, "web/") || self
		if res.To != "db/postgres-0" || res.Allowed != want || len(res.Reasons) != 2 {
			t.Errorf("result %+v: want allowed=%t with a reason per side", res, want)
		}
		wantReason := "ingress allowed by db/db-from-web rule 0"
		if self {
			wantReason = "ingress allowed: loopback, a pod can always reach itself"
		}
		if want && len(res.Reasons) == 2 && res.Reasons[1] != wantReason {
			t.Errorf("reasons %q", res.Reasons)
		}
	}
}

func TestExplainWhy(t *testing.T) {
	dir := appFile(t)
	r := run(t, "explain", "-f", dir, "--why", "db/admin", "db/postgres-0")
	for _, want := range []string{
		"db/admin -> db/postgres-0 on 5432/TCP: BLOCKED",
		"db/db-from-web selects db/postgres-0",
		"rule 0: from every pod in namespaces [tier=web]; ports pg/TCP",
		"db/admin does not match; 5432/TCP is admitted",
		"Verdict: BLOCKED (egress allowed, ingress blocked",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("walkthrough lacks %q:\n%s", want, r.stdout)
		}
	}
	// An address outside the cluster: no namespaceSelector selects it.
	r = run(t, "explain", "-f", dir, "--why", "203.0.113.9", "db/postgres-0", "--port", "5432", "-o", "json")
	var reps []whyReport
	if err := json.Unmarshal([]byte(r.stdout), &reps); err != nil || len(reps) != 1 || reps[0].Allowed || !reps[0].Egress.Allowed {
		t.Errorf("why from outside: %v %s", err, r.stdout)
	}
}

// A pod to itself is allowed whatever its policies (loopback): in the table, -o json and
// --why. Here a default deny in web isolates the three frontends from one another.
func TestExplainLoopback(t *testing.T) {
	dir := appFile(t)
	deny := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: web}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n"
	if err := os.WriteFile(filepath.Join(dir, "deny.yaml"), []byte(deny), 0o644); err != nil {
		t.Fatal(err)
	}
	const a, b = "web/frontend-7d9f-a1", "web/frontend-7d9f-b2"

	// Grouped: the frontends to one another are blocked, and the legend says each still
	// reaches itself.
	r := run(t, "explain", "-f", dir, "--port", "80", "--from", "web", "--to", "web")
	fe := "web/frontend-7d9f-* (3 pods)"
	if got := truthTable(t, r.stdout, "80/TCP"); got[fe][fe] != "X" || !strings.Contains(r.stdout, "each pod can always reach itself (loopback)") {
		t.Errorf("grouped:\n%s", r.stdout)
	}
	// One row per pod: the diagonal allowed, the rest blocked.
	r = run(t, "explain", "-f", dir, "--port", "80", "--from", "web", "--to", "web", "--no-group")
	got := truthTable(t, r.stdout, "80/TCP")
	for _, from := range []string{a, b} {
		for _, to := range []string{a, b} {
			if want := render.Cell(from == to); got[from][to] != want {
				t.Errorf("--no-group %s -> %s: %q, want %q\n%s", from, to, got[from][to], want, r.stdout)
			}
		}
	}
	if strings.Contains(r.stdout, "loopback") {
		t.Errorf("--no-group: no group to itself, no loopback note:\n%s", r.stdout)
	}

	// -o json: the reason on each side.
	r = run(t, "explain", "-f", dir, "--port", "80", "--from", "web", "--to", "web", "-o", "json")
	var rep policy.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Results) != 9 {
		t.Fatalf("exit %d, %v\n%s", r.code, err, r.stdout)
	}
	loopback := []string{"egress allowed: loopback, a pod can always reach itself", "ingress allowed: loopback, a pod can always reach itself"}
	for _, res := range rep.Results {
		self := res.From == res.To
		if res.Allowed != self || (strings.Join(res.Reasons, "|") == strings.Join(loopback, "|")) != self {
			t.Errorf("%+v: want allowed=%t", res, self)
		}
	}

	// --why: the walkthrough still shows the policies, and the verdict says why it is allowed.
	r = run(t, "explain", "-f", dir, "--why", a, a, "--port", "80")
	for _, want := range []string{
		a + " -> " + a + " on 80/TCP: ALLOWED",
		"web/deny-all selects " + a + " and has no egress rules",
		"Ingress: " + loopback[1],
		"Verdict: ALLOWED (a pod to itself: loopback, which no policy can block)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("walkthrough lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "To block it") {
		t.Errorf("a fix offered for loopback:\n%s", r.stdout)
	}
	r = run(t, "explain", "-f", dir, "--why", a, a, "--port", "80", "-o", "json")
	var reps []whyReport
	if err := json.Unmarshal([]byte(r.stdout), &reps); err != nil || len(reps) != 1 || !reps[0].Allowed ||
		!reps[0].Egress.Isolated || len(reps[0].Causes) != 1 || reps[0].Causes[0].Code != policy.CauseLoopback {
		t.Errorf("--why -o json: %v\n%s", err, r.stdout)
	}
	// Another frontend: blocked by the policies, as before.
	if r = run(t, "explain", "-f", dir, "--why", a, b, "--port", "80"); !strings.Contains(r.stdout, "Verdict: BLOCKED (egress blocked, ingress blocked") {
		t.Errorf("--why to another pod:\n%s", r.stdout)
	}

	// Pictures: no edge from a pod to itself (it is not a flow).
	r = run(t, "explain", "-f", dir, "--port", "80", "--from", "web", "--to", "web", "--no-group", "-o", "dot")
	if strings.Contains(r.stdout, "->") {
		t.Errorf("dot with only loopback allowed has edges:\n%s", r.stdout)
	}
}

func TestExplainPictures(t *testing.T) {
	dir := appFile(t)
	r := run(t, "explain", "-f", dir, "--port", "5432", "-o", "dot")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "digraph netpol {") || !strings.Contains(r.stdout, `subgraph "cluster_db"`) {
		t.Fatalf("dot:\n%s", r.stdout)
	}
	node := func(out, name string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, `[label="`+name+`"]`) {
				return strings.Fields(l)[0]
			}
		}
		t.Fatalf("no node %s in\n%s", name, out)
		return ""
	}
	fe, pg, admin := node(r.stdout, "web/frontend-7d9f-* (3 pods)"), node(r.stdout, "db/postgres-0"), node(r.stdout, "db/admin")
	if !strings.Contains(r.stdout, fe+" -> "+pg+" ") || strings.Contains(r.stdout, admin+" -> "+pg+" ") || !strings.Contains(r.stdout, pg+" -> "+admin+" ") {
		t.Errorf("dot edges: want frontends->postgres and postgres->admin, not admin->postgres:\n%s", r.stdout)
	}
	r = run(t, "explain", "-f", dir, "--port", "5432", "-o", "mermaid")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "flowchart LR\n") || !strings.Contains(r.stdout, `-->|"5432/TCP"|`) {
		t.Errorf("mermaid:\n%s", r.stdout)
	}
}

// Bad input: one clear line, the right exit code, nothing on stdout.
func TestExplainErrors(t *testing.T) {
	dir := appFile(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("kind: Pod\nmetadata: {name: a}\n---\nkind: [oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-f", bad}, ExitError, "bad.yaml"},
		{[]string{"-f", bad}, ExitError, "bad.yaml: line 4 (document 2)"},
		{[]string{"-f", dir, "--port", "http"}, ExitUsage, "--port"},
		{[]string{"-f", dir, "--port", "80/ICMP"}, ExitUsage, "TCP, UDP or SCTP"},
		{[]string{"-f", dir, "--why", "db/admin"}, ExitUsage, "FROM and TO"},
		{[]string{"-f", dir, "--why", "db/admin", "db/nope"}, ExitError, `no pod "db/nope"`},
		{[]string{"-f", dir, "--from", "app in (a"}, ExitUsage, "label selector"},
		{[]string{"-f", dir, "--to", "nowhere"}, ExitError, "no pod"},
		{[]string{"-f", dir, "-o", "wide"}, ExitUsage, "unknown output format"},
		{[]string{"-f", filepath.Join(dir, "missing.yaml")}, ExitError, "missing.yaml"},
	} {
		r := run(t, append([]string{"explain"}, tc.args...)...)
		if r.code != tc.code || r.stdout != "" {
			t.Errorf("%v: exit %d (want %d), stdout %q", tc.args, r.code, tc.code, r.stdout)
			continue
		}
		if line := oneErrorLine(t, r); !strings.Contains(line, tc.want) {
			t.Errorf("%v: %q lacks %q", tc.args, line, tc.want)
		}
	}
}

// A policy the API server would refuse by its validation rules is evaluated as written, with a
// warning that names it and the server's words; one with a field a NetworkPolicy does not have
// cannot be evaluated as written, and is an error.
func TestExplainRefusedPolicies(t *testing.T) {
	dir := t.TempDir()
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: db, labels: {app: db}}\nspec: {containers: [{name: c, image: x, ports: [{containerPort: 3306}]}]}\n---\n"
	invalid := filepath.Join(dir, "invalid.yaml")
	unknown := filepath.Join(dir, "unknown.yaml")
	for path, text := range map[string]string{
		invalid: pod + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: db}\nspec: {podSelector: {}, policyTypes: [ingress]}\n",
		unknown: pod + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: db}\nspec: {podSelector: {}, policyType: [Ingress]}\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, "explain", "-f", invalid)
	if r.code != ExitOK || !strings.Contains(r.stdout, "db/db") ||
		r.stderr != "Warning: NetworkPolicy db/a: the API server would refuse it (kubectl apply fails), so no cluster can hold it; it is evaluated anyway: spec.policyTypes[0]: Unsupported value: \"ingress\": supported values: \"Ingress\", \"Egress\"\n" {
		t.Errorf("invalid policy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "explain", "-f", unknown)
	if line := oneErrorLine(t, r); r.code != ExitError || !strings.Contains(line, `unknown field "spec.policyType" (did you mean "policyTypes"?)`) {
		t.Errorf("unknown field: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "diff", "--before", invalid, "--after", unknown)
	if r.code != ExitDiffFailed || !strings.Contains(r.stderr, "Warning: NetworkPolicy db/a: the API server would refuse it") || !strings.Contains(r.stderr, `unknown field "spec.policyType"`) {
		t.Errorf("diff: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Live: a lab with its solution on the local control plane, read back through List calls,
// gives the lab's hand-written goal for every pair the cluster has (kube-dns is not there).
func TestExplainLive(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	const suffix = "-explain"
	if r := run(t, "lab", "up", "cross-namespace", "--solution", "--namespace-suffix="+suffix, kc); r.code != ExitOK {
		t.Fatalf("lab up: %s", r.stderr)
	}
	defer func() {
		if r := run(t, "lab", "down", "cross-namespace", kc); r.code != ExitOK {
			t.Errorf("lab down: %s", r.stderr)
		}
	}()
	lab, err := labs.Get("cross-namespace")
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := lab.Render(labs.Options{NamespaceSuffix: suffix})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, "explain", "-A", "-o", "json", "--port", "80", "--port", "8080", kc)
	var rep policy.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != ExitOK {
		t.Fatalf("exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	verdicts := map[string]bool{}
	for _, res := range rep.Results {
		verdicts[fmt.Sprintf("%s %s %d/%s", res.From, res.To, res.Port, res.Protocol)] = res.Allowed
	}
	checked := 0
	for _, g := range rendered.Goal {
		got, ok := verdicts[fmt.Sprintf("%s %s %d/TCP", g.From, g.To, g.Port)]
		if !ok {
			continue
		}
		checked++
		if got != g.Allowed {
			t.Errorf("%s -> %s %d: explain says %t, the lab's goal %t", g.From, g.To, g.Port, got, g.Allowed)
		}
	}
	if checked < 5 {
		t.Errorf("only %d goal rows found in explain's output", checked)
	}

	// -n: only that namespace's pods, rows and columns.
	r = run(t, "explain", "-n", "ns-b"+suffix, "--port", "80", kc)
	table := truthTable(t, r.stdout, "80/TCP")
	for from, cols := range table {
		for to := range cols {
			if !strings.HasPrefix(from, "ns-b"+suffix+"/") || !strings.HasPrefix(to, "ns-b"+suffix+"/") {
				t.Errorf("-n ns-b shows %s -> %s", from, to)
			}
		}
	}
	if len(table) == 0 {
		t.Errorf("-n ns-b: no rows\n%s%s", r.stdout, r.stderr)
	}
	if r = run(t, "explain", "-n", "no-such-namespace", kc); r.code != ExitError || !strings.Contains(oneErrorLine(t, r), `namespace "no-such-namespace" not found`) {
		t.Errorf("unknown namespace: exit %d %q", r.code, r.stderr)
	}

	// A user who may not list pods is told which permission is missing.
	path, err := c.AddUser("explain-nobody")
	if err != nil {
		t.Fatal(err)
	}
	r = run(t, "explain", "-A", "--kubeconfig="+path)
	if line := oneErrorLine(t, r); r.code != ExitError || !strings.Contains(line, "kubectl auth can-i list") {
		t.Errorf("forbidden: exit %d %q", r.code, line)
	}
}

// A cluster too wide for a table: the default is the summary by namespace, within 200 columns
// when the output is not a terminal, saying how to zoom in; --by class and --by pod still give
// the whole table, and -o json keeps the per-pod contract unless --by asks for a grouped form.
func TestExplainSummaryAtScale(t *testing.T) {
	dir := sourcetest.WriteCluster(t, 30) // 600 pods, 120 classes
	r := run(t, "explain", "-f", dir, "--port", "8080/TCP")
	if r.code != ExitOK || !strings.Contains(r.stdout, "8080/TCP by namespace") || !strings.Contains(r.stdout, "Zoom in:") {
		t.Fatalf("default: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if n := len([]rune(line)); n > 200 {
			t.Fatalf("a summary line is %d columns wide: %q", n, line)
		}
	}
	// web of each namespace reaches the next namespace's api (5 web x 5 api = 25 pairs of 400).
	if !regexp.MustCompile(`(?m)^ns-0000 +ns-0001 +25/400$`).MatchString(r.stdout) {
		t.Errorf("summary lacks ns-0000 -> ns-0001 25/400:\n%s", r.stdout)
	}
	// 30 namespaces of 4 classes of 5 pods, and kube-system's 2 DNS pods.
	r = run(t, "explain", "-f", dir, "--port", "8080/TCP", "--by", "class")
	if header := strings.Split(r.stdout, "\n")[1]; r.code != ExitOK || strings.Count(header, " pods)") != 30*4+1 {
		t.Errorf("--by class: exit %d, %d groups in the header", r.code, strings.Count(header, " pods)"))
	}
	r = run(t, "explain", "-f", dir, "--port", "8080/TCP", "--by", "pod")
	if header := strings.Split(r.stdout, "\n")[1]; r.code != ExitOK || len(strings.Fields(header)) != 3+602 {
		t.Errorf("--by pod: exit %d, %d fields in the header", r.code, len(strings.Fields(header)))
	}
	var perPod policy.Report
	r = run(t, "explain", "-f", dir, "--port", "8080/TCP", "-o", "json", "--from", "ns-0000")
	if err := json.Unmarshal([]byte(r.stdout), &perPod); err != nil || len(perPod.Results) != 20*602 {
		t.Errorf("-o json --from ns-0000: %v, %d results, want %d", err, len(perPod.Results), 20*602)
	}
	r = run(t, "explain", "-f", dir, "--port", "8080/TCP", "-o", "json", "--by", "namespace")
	var byNS struct {
		Namespaces []string `json:"namespaces"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &byNS); err != nil || len(byNS.Namespaces) != 31 {
		t.Errorf("-o json --by namespace: %v, namespaces %v", err, byNS.Namespaces)
	}
	for _, args := range [][]string{{"--by", "team"}, {"--by", "namespace", "-o", "dot"}, {"--no-group", "--by", "class"}} {
		if r := run(t, append([]string{"explain", "-f", dir}, args...)...); r.code != ExitUsage {
			t.Errorf("explain %v: exit %d, want %d", args, r.code, ExitUsage)
		}
	}
}

// explain --why names the cluster policy rule that decides, before the NetworkPolicies (Admin)
// or where none isolates (Baseline), and says which NetworkPolicies were not reached.
func TestExplainWhyNamesTheClusterRule(t *testing.T) {
	file := filepath.Join("testdata", "cluster-tier.yaml")
	r := run(t, "explain", "-f", file, "--why", "shop/api", "169.254.169.254", "--port", "80")
	for _, want := range []string{
		"shop/api -> 169.254.169.254 on 80/TCP: BLOCKED\n",
		"  ClusterNetworkPolicy deny-metadata (Admin, priority 10) rule 0 (no-metadata): Deny networks 169.254.169.254/32; ports any port\n",
		"      169.254.169.254 matches; 80/TCP is admitted -> decides: Deny\n",
		"  NetworkPolicies not reached (the Admin tier decided): shop/allow-all-egress\n",
		"  Egress: egress denied by ClusterNetworkPolicy deny-metadata (Admin, priority 10) rule 0 (no-metadata)\n",
		"a Deny of the Admin tier is final, and no NetworkPolicy can allow it",
	} {
		if r.code != ExitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d; lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	// The Baseline tier decides only where no NetworkPolicy isolates; in Korean too.
	ko := run(t, "explain", "-f", file, "--why", "tools/debug", "shop/api", "--port", "8080", "--lang", "ko")
	for _, want := range []string{
		"shop/api의 ingress를 선택하는 NetworkPolicy가 없습니다",
		"ClusterNetworkPolicy baseline-isolate(Baseline, 우선순위 5)의 규칙 0번(deny-from-other-namespaces)",
		"-> 여기서 결정: Deny",
		"판정: 차단",
	} {
		if ko.code != ExitOK || !strings.Contains(ko.stdout, want) {
			t.Errorf("--lang ko: exit %d; lacks %q:\n%s%s", ko.code, want, ko.stdout, ko.stderr)
		}
	}
	if strings.Contains(r.stderr, "not evaluated") || strings.Contains(ko.stderr, "not evaluated") {
		t.Errorf("a cluster policy was skipped as foreign: %s", r.stderr)
	}
}

// The truth table marks the cells the cluster tier decides with the tier ("Xb": the Baseline
// tier blocks it), says so in the legend, in the learner's language; a cell the NetworkPolicies
// decide keeps its plain mark, and a table without cluster policies is as it always was.
func TestExplainTableMarksTheClusterTier(t *testing.T) {
	file := filepath.Join("testdata", "cluster-tier.yaml")
	r := run(t, "explain", "-f", file, "--port", "8080")
	rows := map[string][]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) == 4 {
			rows[f[0]] = f[1:]
		}
	}
	// tools/debug -> shop: the Baseline deny (no NetworkPolicy isolates shop's ingress);
	// shop/web -> shop/api: allowed by nothing at all (no tier decides).
	if got := rows["tools/debug"]; r.code != ExitOK || len(got) != 3 || got[0] != "Xb" || got[1] != "Xb" || got[2] != "." {
		t.Errorf("tools/debug's row %v, want [Xb Xb .]:\n%s", got, r.stdout)
	}
	if got := rows["shop/web"]; len(got) != 3 || got[0] != "." {
		t.Errorf("shop/web's row %v, want a plain . to shop/api:\n%s", got, r.stdout)
	}
	if !strings.Contains(r.stdout, "Xa, .a: the Admin tier of the cluster policies decides it; Xb: the Baseline tier") {
		t.Errorf("no tier legend:\n%s", r.stdout)
	}
	page := run(t, "explain", "-f", file, "--port", "8080", "-o", "html")
	if page.code != ExitOK || strings.Count(page.stdout, `">Xb</td>`) != 2 || !strings.Contains(page.stdout, "Xa, .a: the Admin tier of the cluster policies decides it") {
		t.Errorf("-o html: exit %d, %d cells marked Xb (want 2), tier note %v", page.code, strings.Count(page.stdout, `">Xb</td>`), strings.Contains(page.stdout, "Xa, .a: the Admin tier"))
	}
	ko := run(t, "explain", "-f", file, "--port", "8080", "--lang", "ko")
	if !strings.Contains(ko.stdout, "Baseline 단계가 결정합니다") || !strings.Contains(ko.stdout, ". 허용   X 차단") {
		t.Errorf("--lang ko legend:\n%s", ko.stdout)
	}
	plain := run(t, "explain", "-f", filepath.Join("testdata", "doctor", "and-or-split.yaml"))
	if plain.code != ExitOK || !strings.Contains(plain.stdout, ". allowed   X blocked") || strings.Contains(plain.stdout, "Admin tier") || strings.Contains(plain.stdout, "Xb") {
		t.Errorf("no cluster policies, yet tier marks:\n%s", plain.stdout)
	}
}
