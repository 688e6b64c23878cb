package plugin

import (
	"encoding/json"
	"fmt"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// The application of explain's tests, in pieces that the cases below change one at a time:
// three frontends in web (labelled tier=web), a database and an admin pod in db, and a policy
// that lets namespaces labelled tier=web reach the database on its named port.
const (
	diffNamespaceWeb = `
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {tier: web}}
`
	diffNamespaceDB = `
apiVersion: v1
kind: Namespace
metadata: {name: db}
`
	diffFrontends = `
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
`
	diffPostgres = `
apiVersion: v1
kind: Pod
metadata: {name: postgres-0, namespace: db, labels: {app: postgres}}
spec: {containers: [{name: c, image: postgres, ports: [{name: pg, containerPort: 5432}]}]}
`
	diffAdmin = `
apiVersion: v1
kind: Pod
metadata: {name: admin, namespace: db, labels: {app: admin}}
spec: {containers: [{name: c, image: busybox}]}
`
	diffDBFromWeb = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: db}
spec:
  podSelector: {matchLabels: {app: postgres}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {tier: web}}}]
    ports: [{port: pg}]
`
)

// diffDocs joins documents into one YAML text.
func diffDocs(docs ...string) string { return strings.Join(docs, "\n---\n") }

func diffBase() []string {
	return []string{diffNamespaceWeb, diffNamespaceDB, diffFrontends, diffPostgres, diffAdmin, diffDBFromWeb}
}

// diffFolders writes before and after into folders of their own and returns them.
func diffFolders(t *testing.T, before, after string) (string, string) {
	t.Helper()
	dirs := [2]string{}
	for i, text := range []string{before, after} {
		dirs[i] = filepath.Join(t.TempDir(), []string{"before", "after"}[i])
		if err := os.MkdirAll(dirs[i], 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dirs[i], "app.yaml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dirs[0], dirs[1]
}

// changeLines are a report's changes as "+ FROM -> TO PORT/PROTO xN" ('-' for closed).
func changeLines(rep diffReport) []string {
	var out []string
	for _, c := range rep.Changes {
		mark := "-"
		if c.Change == "opened" {
			mark = "+"
		}
		out = append(out, fmt.Sprintf("%s %s -> %s %d/%s x%d", mark, c.From, c.To, c.Port, c.Protocol, c.Connections))
	}
	return out
}

func objectLines(rep diffReport) []string {
	var out []string
	for _, o := range rep.Objects {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", o.Change, o.Kind, o.Name, o.Detail)))
	}
	return out
}

// Each change, through the command as a user runs it, worked out by hand from the spec. The
// ports compared are those the destinations declare: 80 (frontends) and 5432 (postgres).
func TestDiffFiles(t *testing.T) {
	const frontends = "web/frontend-7d9f-* (3 pods)"
	replace := func(old, new string) string {
		base := diffBase()
		base[slices.Index(base, old)] = new
		return diffDocs(base...)
	}
	for _, tc := range []struct {
		name    string
		after   string
		args    []string
		code    int
		changes []string
		objects []string
		summary diffSummary
	}{{
		name: "policy added: the admin pod may reach the database on 5432",
		after: diffDocs(append(diffBase(), `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: admin-to-postgres, namespace: db}
spec:
  podSelector: {matchLabels: {app: postgres}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: admin}}}]
    ports: [{port: 5432}]
`)...),
		code:    1,
		changes: []string{"+ db/admin -> db/postgres-0 5432/TCP x1"},
		objects: []string{"added NetworkPolicy db/admin-to-postgres"},
		summary: diffSummary{Opened: 1, ObjectsChanged: 1},
	}, {
		name:  "policy removed: the database is no longer isolated",
		after: diffDocs(diffNamespaceWeb, diffNamespaceDB, diffFrontends, diffPostgres, diffAdmin),
		code:  1,
		// The frontends had 5432 already; port 80 is new to them, and everything to admin.
		changes: []string{"+ db/admin -> db/postgres-0 80/TCP x1", "+ " + frontends + " -> db/postgres-0 80/TCP x3", "+ db/admin -> db/postgres-0 5432/TCP x1"},
		objects: []string{"removed NetworkPolicy db/db-from-web"},
		summary: diffSummary{Opened: 5, ObjectsChanged: 1},
	}, {
		// The pods of db declare 5432 only: port 80 is not compared.
		name:    "policy removed, -n db: only the pods of db",
		after:   diffDocs(diffNamespaceWeb, diffNamespaceDB, diffFrontends, diffPostgres, diffAdmin),
		args:    []string{"-n", "db"},
		code:    1,
		changes: []string{"+ db/admin -> db/postgres-0 5432/TCP x1"},
		objects: []string{"removed NetworkPolicy db/db-from-web"},
		summary: diffSummary{Opened: 1, ObjectsChanged: 1},
	}, {
		name:    "policy edited: port 80 opens and 5432 closes",
		after:   replace(diffDBFromWeb, strings.Replace(diffDBFromWeb, "port: pg", "port: 80", 1)),
		code:    1,
		changes: []string{"+ " + frontends + " -> db/postgres-0 80/TCP x3", "- " + frontends + " -> db/postgres-0 5432/TCP x3"},
		objects: []string{"changed NetworkPolicy db/db-from-web spec"},
		summary: diffSummary{Opened: 3, Closed: 3, ObjectsChanged: 1},
	}, {
		name:    "policy edited, --fail-on opened: something opened, exit 1",
		after:   replace(diffDBFromWeb, strings.Replace(diffDBFromWeb, "port: pg", "port: 80", 1)),
		args:    []string{"--fail-on", "opened"},
		code:    1,
		changes: []string{"+ " + frontends + " -> db/postgres-0 80/TCP x3", "- " + frontends + " -> db/postgres-0 5432/TCP x3"},
		objects: []string{"changed NetworkPolicy db/db-from-web spec"},
		summary: diffSummary{Opened: 3, Closed: 3, ObjectsChanged: 1},
	}, {
		name:    "namespace label: web is no longer tier=web",
		after:   replace(diffNamespaceWeb, strings.Replace(diffNamespaceWeb, "tier: web", "tier: frontend", 1)),
		code:    1,
		changes: []string{"- " + frontends + " -> db/postgres-0 5432/TCP x3"},
		objects: []string{"changed Namespace web labels: -tier=web +tier=frontend"},
		summary: diffSummary{Closed: 3, ObjectsChanged: 1},
	}, {
		name:    "namespace label, --fail-on opened: only closed, exit 0",
		after:   replace(diffNamespaceWeb, strings.Replace(diffNamespaceWeb, "tier: web", "tier: frontend", 1)),
		args:    []string{"--fail-on", "opened"},
		code:    0,
		changes: []string{"- " + frontends + " -> db/postgres-0 5432/TCP x3"},
		objects: []string{"changed Namespace web labels: -tier=web +tier=frontend"},
		summary: diffSummary{Closed: 3, ObjectsChanged: 1},
	}, {
		name: "pods added and removed: listed, not compared",
		after: replace(diffAdmin, `
apiVersion: v1
kind: Pod
metadata: {name: reports-0, namespace: db, labels: {app: reports}}
spec: {containers: [{name: c, image: busybox}]}
`),
		code:    1,
		objects: []string{"removed Pod db/admin", "added Pod db/reports-0"},
		summary: diffSummary{PodsAdded: 1, PodsRemoved: 1, ObjectsChanged: 2},
	}, {
		name: "pods added and removed, --fail-on opened: exit 0",
		after: replace(diffAdmin, `
apiVersion: v1
kind: Pod
metadata: {name: reports-0, namespace: db, labels: {app: reports}}
spec: {containers: [{name: c, image: busybox}]}
`),
		args:    []string{"--fail-on", "opened"},
		code:    0,
		objects: []string{"removed Pod db/admin", "added Pod db/reports-0"},
		summary: diffSummary{PodsAdded: 1, PodsRemoved: 1, ObjectsChanged: 2},
	}, {
		name:  "identical",
		after: diffDocs(diffBase()...),
		code:  0,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := diffFolders(t, diffDocs(diffBase()...), tc.after)
			r := run(t, append([]string{"diff", "--before", before, "--after", after, "-o", "json"}, tc.args...)...)
			var rep diffReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("exit %d: %v\n%s%s", r.code, err, r.stdout, r.stderr)
			}
			if r.code != tc.code || r.stderr != "" {
				t.Errorf("exit %d, stderr %q; want %d and nothing", r.code, r.stderr, tc.code)
			}
			if got := changeLines(rep); !reflect.DeepEqual(got, tc.changes) {
				t.Errorf("changes:\n%q\nwant\n%q", got, tc.changes)
			}
			if got := objectLines(rep); !reflect.DeepEqual(got, tc.objects) {
				t.Errorf("objects:\n%q\nwant\n%q", got, tc.objects)
			}
			if rep.Summary != tc.summary {
				t.Errorf("summary %+v, want %+v", rep.Summary, tc.summary)
			}
		})
	}
}

// The JSON contract as README.md documents it: its fields, the groups named by the changes, and
// the reasons on both sides.
func TestDiffJSONContract(t *testing.T) {
	before, after := diffFolders(t, diffDocs(diffBase()...), diffDocs(diffNamespaceWeb, diffNamespaceDB, diffFrontends, diffPostgres, diffAdmin))
	r := run(t, "diff", "--before", before, "--after", after, "-o", "json", "--port", "5432")
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"after", "before", "changes", "groups", "objects", "ports", "summary"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("fields %v, want %v", keys, want)
	}
	want := fmt.Sprintf(`{
  "before": "the files %s",
  "after": "the files %s",
  "ports": [{"port": 5432, "protocol": "TCP"}],
  "summary": {"opened": 1, "closed": 0, "podsAdded": 0, "podsRemoved": 0, "objectsChanged": 1},
  "objects": [{"kind": "NetworkPolicy", "name": "db/db-from-web", "change": "removed"}],
  "groups": [
    {"name": "db/admin", "namespace": "db", "pods": ["db/admin"]},
    {"name": "db/postgres-0", "namespace": "db", "pods": ["db/postgres-0"]}
  ],
  "changes": [{
    "change": "opened", "from": "db/admin", "to": "db/postgres-0", "port": 5432, "protocol": "TCP", "connections": 1,
    "before": {"allowed": false, "reasons": ["egress not isolated: no policy selects the source for egress", "ingress denied: isolated by db/db-from-web and no rule allows it"]},
    "after": {"allowed": true, "reasons": ["egress not isolated: no policy selects the source for egress", "ingress not isolated: no policy selects the destination for ingress"]}
  }]
}`, before, after)
	var got, expected any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &expected); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, expected) {
		t.Errorf("got\n%s\nwant\n%s", r.stdout, want)
	}

	// YAML carries the same.
	y := run(t, "diff", "--before", before, "--after", after, "-o", "yaml", "--port", "5432")
	if y.code != 1 || !strings.Contains(y.stdout, "change: opened") || !strings.Contains(y.stdout, "objectsChanged: 1") {
		t.Errorf("yaml: exit %d\n%s%s", y.code, y.stdout, y.stderr)
	}
}

// The human output, in kubectl diff's style: '+' opened, '-' closed, a section per port, the
// deciding reasons on both sides, and the summary line; colour only when asked for.
func TestDiffTable(t *testing.T) {
	before, after := diffFolders(t, diffDocs(diffBase()...), diffDocs(append(diffBase()[:5], strings.Replace(diffDBFromWeb, "port: pg", "port: 80", 1))...))
	r := run(t, "diff", "--before", before, "--after", after)
	want := fmt.Sprintf(`--- before: the files %s
+++ after:  the files %s
Changed in the inputs:
  ~ NetworkPolicy db/db-from-web (spec)
@@ 80/TCP @@
+ web/frontend-7d9f-* (3 pods) -> db/postgres-0 (3 connections)
+     before: blocked: ingress denied: isolated by db/db-from-web and no rule allows it
+     after:  allowed: ingress allowed by db/db-from-web rule 0
@@ 5432/TCP @@
- web/frontend-7d9f-* (3 pods) -> db/postgres-0 (3 connections)
-     before: allowed: ingress allowed by db/db-from-web rule 0
-     after:  blocked: ingress denied: isolated by db/db-from-web and no rule allows it

3 connection(s) opened, 3 closed; 0 pod(s) added, 0 removed; 1 change(s) in the inputs
`, before, after)
	if r.code != 1 || r.stdout != want || r.stderr != "" {
		t.Errorf("exit %d, stdout\n%s\nwant\n%s\nstderr %q", r.code, r.stdout, want, r.stderr)
	}

	// In the learner's language, the same diff: its words and the evaluator's reasons
	// translated, the markers and names as they are.
	ko := run(t, "diff", "--before", before, "--after", after, "--lang", "ko")
	for _, want := range []string{"--- 이전: 파일 ", "+++ 이후: 파일 ", "입력에서 바뀐 것:", "(연결 3개)", "+     이전: 차단: ingress 방향: 거부됩니다. db/db-from-web 정책이", "연결 3개 열림, 3개 닫힘"} {
		if ko.code != 1 || !strings.Contains(ko.stdout, want) {
			t.Errorf("diff --lang ko: exit %d, lacks %q:\n%s", ko.code, want, ko.stdout)
		}
	}

	// Not a terminal (a buffer here): no colour. Asked for: green, red and cyan.
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour codes in output that is not a terminal")
	}
	var colored strings.Builder
	printDiff(&colored, diffReportOf(t, before, after), true, lang.En)
	for _, want := range []string{"\x1b[32m+ web/frontend-7d9f-*", "\x1b[31m- web/frontend-7d9f-*", "\x1b[36m@@ 80/TCP @@\x1b[0m"} {
		if !strings.Contains(colored.String(), want) {
			t.Errorf("coloured output lacks %q:\n%q", want, colored.String())
		}
	}
}

// diffReportOf is the report diff prints for two folders, built by its parts.
func diffReportOf(t *testing.T, before, after string) diffReport {
	t.Helper()
	var snaps [2]*policy.Snapshot
	for i, dir := range []string{before, after} {
		objs, err := source.ReadFiles(&resource.FilenameOptions{Filenames: []string{dir}}, "default", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if snaps[i], _, err = objs.Snapshot(); err != nil {
			t.Fatal(err)
		}
	}
	d, err := policy.NewDiff(snaps[0], snaps[1], policy.DiffOptions{Ports: []policy.PortProtocol{{Port: 80, Protocol: "TCP"}, {Port: 5432, Protocol: "TCP"}}})
	if err != nil {
		t.Fatal(err)
	}
	return newDiffReport(d, snaps[0], snaps[1], before, after, lang.En)
}

// Exit codes as kubectl diff's: 0 none, 1 changes, above 1 errors, never 1 for an error.
func TestDiffErrors(t *testing.T) {
	before, after := diffFolders(t, diffDocs(diffBase()...), diffDocs(diffBase()...))
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"diff"}, ExitUsage, "say what to compare"},
		{[]string{"diff", "--before", before}, ExitUsage, "--before and --after go together"},
		{[]string{"diff", "-f", before, "--before", before, "--after", after}, ExitUsage, "use one or the other"},
		{[]string{"diff", "--before", before, "--after", after, "--prune"}, ExitUsage, "--prune"},
		{[]string{"diff", "--before", before, "--after", after, "--fail-on", "closed"}, ExitUsage, "--fail-on"},
		{[]string{"diff", "--before", before, "--after", after, "--port", "http"}, ExitUsage, "--port"},
		{[]string{"diff", "--before", before, "--after", after, "-o", "wide"}, ExitUsage, "output format"},
		{[]string{"diff", "--before", filepath.Join(before, "absent.yaml"), "--after", after}, ExitDiffFailed, "does not exist"},
		{[]string{"diff", "--before", before, "--after", bad}, ExitDiffFailed, "bad.yaml"},
		// -f compares with the cluster: none is configured in the tests' environment.
		{[]string{"diff", "-f", after}, ExitUnreachable, "no cluster configured"},
	} {
		r := run(t, tc.args...)
		if r.code != tc.code || !strings.Contains(oneErrorLine(t, r), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.msg)
		}
	}
}

// A folder of policies alone, as a pull request may hold: no pods, so no connection to compare;
// the objects are still listed, and nothing counts for the exit status.
func TestDiffPoliciesOnly(t *testing.T) {
	before, after := diffFolders(t, diffDBFromWeb, strings.Replace(diffDBFromWeb, "port: pg", "port: 80", 1))
	r := run(t, "diff", "--before", before, "--after", after, "-o", "json")
	var rep diffReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if r.code != ExitOK || len(rep.Changes) != 0 || !reflect.DeepEqual(objectLines(rep), []string{"changed NetworkPolicy db/db-from-web spec"}) ||
		!strings.Contains(r.stderr, "No pods in all namespaces on either side") {
		t.Errorf("exit %d, %+v, stderr %q", r.code, rep, r.stderr)
	}
}

// A change of the cluster-scoped tier alone, through the command: the connections follow it
// (the evaluator decides with the tier), the policy is listed with what changed in every
// format, and the reasons name the tier's rule. Worked out from the network-policy-api
// documentation: an Admin Deny is final, a Pass hands the traffic to the NetworkPolicies, the
// Baseline tier is not reached where a NetworkPolicy isolates the pod.
func TestDiffClusterTier(t *testing.T) {
	const frontends = "web/frontend-7d9f-* (3 pods)"
	const denyWeb = `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: db-from-web}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: db}}}
  ingress:
  - name: no-web
    action: Deny
    from: [{namespaces: {matchLabels: {tier: web}}}]`
	passWeb := strings.Replace(denyWeb, "action: Deny", "action: Pass", 1)
	const baseline = `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: postgres-baseline}
spec:
  tier: Baseline
  priority: 50
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: postgres}}}}
  ingress:
  - name: web
    action: Accept
    from: [{namespaces: {matchLabels: {tier: web}}}]
    protocols: [{tcp: {destinationPort: {number: 5432}}}]`
	with := func(extra ...string) string { return diffDocs(append(diffBase(), extra...)...) }
	// The frontends reach the admin pod on every port (nothing isolates it), and postgres on
	// 5432 (db-from-web admits them on its named port pg).
	webToDB := func(mark string) []string {
		return []string{mark + " " + frontends + " -> db/admin 80/TCP x3", mark + " " + frontends + " -> db/admin 5432/TCP x3",
			mark + " " + frontends + " -> db/postgres-0 5432/TCP x3"}
	}
	for _, tc := range []struct {
		name          string
		before, after string
		code          int
		changes       []string
		objects       []string
		summary       diffSummary
	}{{
		name:   "an Admin Deny added closes what it denies",
		before: with(), after: with(denyWeb),
		code:    1,
		changes: webToDB("-"),
		objects: []string{"added ClusterNetworkPolicy db-from-web"},
		summary: diffSummary{Closed: 9, ObjectsChanged: 1},
	}, {
		name:   "Deny -> Pass opens it again: the NetworkPolicies decide",
		before: with(denyWeb), after: with(passWeb),
		code:    1,
		changes: webToDB("+"),
		objects: []string{"changed ClusterNetworkPolicy db-from-web ingress"},
		summary: diffSummary{Opened: 9, ObjectsChanged: 1},
	}, {
		name:   "a Baseline change under an isolating NetworkPolicy changes nothing",
		before: with(baseline), after: with(strings.Replace(baseline, "action: Accept", "action: Deny", 1)),
		code:    0,
		objects: []string{"changed ClusterNetworkPolicy postgres-baseline ingress"},
		summary: diffSummary{ObjectsChanged: 1},
	}, {
		name:   "priority and subject",
		before: with(denyWeb),
		after:  with(strings.NewReplacer("priority: 10", "priority: 30", "kubernetes.io/metadata.name: db", "kubernetes.io/metadata.name: web").Replace(denyWeb)),
		code:   1,
		// The Deny now holds web's pods, from namespaces tier=web: web itself (a pod to itself
		// is loopback, never denied).
		changes: []string{webToDB("+")[0], "- " + frontends + " -> " + frontends + " 80/TCP x6", webToDB("+")[1], webToDB("+")[2],
			"- " + frontends + " -> " + frontends + " 5432/TCP x6"},
		objects: []string{"changed ClusterNetworkPolicy db-from-web priority: -10 +30; subject"},
		summary: diffSummary{Opened: 9, Closed: 12, ObjectsChanged: 1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := diffFolders(t, tc.before, tc.after)
			r := run(t, "diff", "--before", before, "--after", after, "-o", "json")
			var rep diffReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("exit %d: %v\n%s%s", r.code, err, r.stdout, r.stderr)
			}
			if r.code != tc.code || r.stderr != "" {
				t.Errorf("exit %d, stderr %q; want %d and nothing", r.code, r.stderr, tc.code)
			}
			if got := changeLines(rep); !reflect.DeepEqual(got, tc.changes) {
				t.Errorf("changes:\n%q\nwant\n%q", got, tc.changes)
			}
			if got := objectLines(rep); !reflect.DeepEqual(got, tc.objects) {
				t.Errorf("objects:\n%q\nwant\n%q", got, tc.objects)
			}
			if rep.Summary != tc.summary {
				t.Errorf("summary %+v, want %+v", rep.Summary, tc.summary)
			}
		})
	}

	// The text, YAML and the page of the Deny -> Pass change: the policy with what changed, and
	// the tier's rule in the reasons before and after.
	before, after := diffFolders(t, with(denyWeb), with(passWeb))
	r := run(t, "diff", "--before", before, "--after", after, "--port", "5432")
	for _, want := range []string{
		"Changed in the inputs:\n  ~ ClusterNetworkPolicy db-from-web (ingress)\n@@ 5432/TCP @@\n",
		"+ web/frontend-7d9f-* (3 pods) -> db/admin (3 connections)\n" +
			"+     before: blocked: ingress denied by ClusterNetworkPolicy db-from-web (Admin, priority 10) rule 0 (no-web)\n" +
			"+     after:  allowed: egress not isolated: no policy selects the source for egress; ingress: Pass by ClusterNetworkPolicy db-from-web (Admin, priority 10) rule 0 (no-web), on to the NetworkPolicies; ingress allowed: no NetworkPolicy isolates it and no cluster policy rule decides it\n",
		"+     after:  allowed: ingress: Pass by ClusterNetworkPolicy db-from-web (Admin, priority 10) rule 0 (no-web), on to the NetworkPolicies; ingress allowed by db/db-from-web rule 0\n",
		"6 connection(s) opened, 0 closed; 0 pod(s) added, 0 removed; 1 change(s) in the inputs\n",
	} {
		if r.code != 1 || !strings.Contains(r.stdout, want) {
			t.Errorf("text: exit %d, lacks\n%s\nin\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	y := run(t, "diff", "--before", before, "--after", after, "--port", "5432", "-o", "yaml")
	for _, want := range []string{"- change: changed\n  detail: ingress\n  kind: ClusterNetworkPolicy\n  name: db-from-web\n", "ingress denied by ClusterNetworkPolicy db-from-web (Admin, priority 10)"} {
		if y.code != 1 || !strings.Contains(y.stdout, want) {
			t.Errorf("yaml: exit %d, lacks %q:\n%s%s", y.code, want, y.stdout, y.stderr)
		}
	}
	h := run(t, "diff", "--before", before, "--after", after, "--port", "5432", "-o", "html")
	for _, want := range []string{"ClusterNetworkPolicy db-from-web (ingress)", "ingress denied by ClusterNetworkPolicy db-from-web (Admin, priority 10) rule 0 (no-web)"} {
		if h.code != 1 || !strings.Contains(h.stdout, want) {
			t.Errorf("html: exit %d, lacks %q:\n%s", h.code, want, h.stderr)
		}
	}
}
