package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// The cluster of the live diff test: two frontends in diffl-web (labelled tier=diffl-web, a
// label no other namespace carries), a database and an admin pod in diffl-db, a policy that lets
// the tier reach the database on its named port, and one that lets the admin pod in.
const diffLiveBase = `
apiVersion: v1
kind: Namespace
metadata: {name: diffl-web, labels: {tier: diffl-web}}
---
apiVersion: v1
kind: Namespace
metadata: {name: diffl-db}
---
apiVersion: v1
kind: Pod
metadata: {name: frontend-1, namespace: diffl-web, labels: {app: frontend}}
spec: {containers: [{name: c, image: busybox, ports: [{name: http, containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: frontend-2, namespace: diffl-web, labels: {app: frontend}}
spec: {containers: [{name: c, image: busybox, ports: [{name: http, containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: postgres-0, namespace: diffl-db, labels: {app: postgres}}
spec: {containers: [{name: c, image: busybox, ports: [{name: pg, containerPort: 5432}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: admin, namespace: diffl-db, labels: {app: admin}}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: diffl-db}
spec:
  podSelector: {matchLabels: {app: postgres}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {tier: diffl-web}}}]
    ports: [{port: pg}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: admin-in, namespace: diffl-db}
spec:
  podSelector: {matchLabels: {app: postgres}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: admin}}}]
    ports: [{port: 5432}]
`

// diff -f against the local control plane: the live objects as the API server keeps them
// (defaults filled in, last-applied annotations), the files on top. Expectations by hand.
func TestDiffLive(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	base := write("base.yaml", diffLiveBase)
	kubectl(t, c, "apply", "-f", base)
	defer kubectl(t, c, "delete", "-f", base, "--wait")

	// The policy moves from the database's port to 80.
	edited := write("edited.yaml", `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: diffl-db}
spec:
  podSelector: {matchLabels: {app: postgres}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {tier: diffl-web}}}]
    ports: [{port: 80}]
`)
	// The namespace's tier label, set by the last kubectl apply, changes.
	relabeled := write("relabeled.yaml", `
apiVersion: v1
kind: Namespace
metadata: {name: diffl-web, labels: {tier: frontend}}
`)
	const frontends = "diffl-web/frontend-* (2 pods)"
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		changes []string
		objects []string
	}{{
		// The same objects as the cluster holds: nothing changes, though the server added
		// defaults (policyTypes, protocols) and labels (kubernetes.io/metadata.name).
		name: "identical", args: []string{"-f", base}, code: ExitOK,
	}, {
		name: "policy edited: 80 opens, 5432 closes", args: []string{"-f", edited}, code: 1,
		changes: []string{"+ " + frontends + " -> diffl-db/postgres-0 80/TCP x2", "- " + frontends + " -> diffl-db/postgres-0 5432/TCP x2"},
		objects: []string{"changed NetworkPolicy diffl-db/db-from-web spec"},
	}, {
		// The files hold a policy of diffl-db and not admin-in: pruned, the admin pod loses
		// the database.
		name: "policy edited, pruned", args: []string{"-f", edited, "--prune"}, code: 1,
		changes: []string{"+ " + frontends + " -> diffl-db/postgres-0 80/TCP x2", "- diffl-db/admin -> diffl-db/postgres-0 5432/TCP x1", "- " + frontends + " -> diffl-db/postgres-0 5432/TCP x2"},
		objects: []string{"removed NetworkPolicy diffl-db/admin-in", "changed NetworkPolicy diffl-db/db-from-web spec"},
	}, {
		name: "namespace label", args: []string{"-f", relabeled}, code: 1,
		changes: []string{"- " + frontends + " -> diffl-db/postgres-0 5432/TCP x2"},
		objects: []string{"changed Namespace diffl-web labels: -tier=diffl-web +tier=frontend"},
	}, {
		name: "namespace label, --fail-on opened", args: []string{"-f", relabeled, "--fail-on", "opened"}, code: ExitOK,
		changes: []string{"- " + frontends + " -> diffl-db/postgres-0 5432/TCP x2"},
		objects: []string{"changed Namespace diffl-web labels: -tier=diffl-web +tier=frontend"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, append([]string{"diff", "-o", "json", kc}, tc.args...)...)
			var rep diffReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("exit %d: %v\n%s%s", r.code, err, r.stdout, r.stderr)
			}
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tc.code, r.stderr)
			}
			if got := changeLines(rep); !reflect.DeepEqual(got, tc.changes) {
				t.Errorf("changes:\n%q\nwant\n%q", got, tc.changes)
			}
			if got := objectLines(rep); !reflect.DeepEqual(got, tc.objects) {
				t.Errorf("objects:\n%q\nwant\n%q", got, tc.objects)
			}
			if !strings.HasPrefix(rep.Before, "the cluster (all namespaces)") || !strings.Contains(rep.After, "applied") {
				t.Errorf("sides %q, %q", rep.Before, rep.After)
			}
		})
	}

	// Nothing was written: the cluster still holds both policies as they were.
	r := run(t, "diff", "-f", base, kc)
	if r.code != ExitOK || !strings.Contains(r.stdout, "No changes") {
		t.Errorf("after the diffs: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// lab check --diff on a lab as lab up leaves it (no policy of the learner's): the baseline built
// from the setup is the cluster itself, so nothing is reported changed.
func TestDiffLabCheckLive(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	suffix := "--namespace-suffix=-diff"
	if r := run(t, "lab", "up", "dns-egress", suffix, kc); r.code != ExitOK {
		t.Fatalf("lab up: %s", r.stderr)
	}
	defer func() {
		if r := run(t, "lab", "down", "dns-egress", kc); r.code != ExitOK {
			t.Errorf("lab down: %s", r.stderr)
		}
	}()
	r := run(t, "lab", "check", "dns-egress", suffix, "--static-only", "--diff", "-o", "json", kc)
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != ExitError || rep.Diff == nil {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if len(rep.Diff.Changes) != 0 || len(rep.Diff.Objects) != 0 {
		t.Errorf("the setup alone against itself: %+v", rep.Diff)
	}

	// The learner's policy, applied: storefront reaches catalog.
	policy := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policy, []byte(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: storefront-to-catalog, namespace: shop-diff}
spec:
  podSelector: {matchLabels: {app: storefront}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: catalog}}}]
    ports: [{port: 8080}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	kubectl(t, c, "apply", "-f", policy)
	defer kubectl(t, c, "delete", "-f", policy, "--wait") // not the lab's: lab down would keep the namespace for it
	r = run(t, "lab", "check", "dns-egress", suffix, "--static-only", "--diff", "-o", "json", kc)
	rep = checkReport{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Diff == nil {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if got, want := changeLines(*rep.Diff), []string{"+ shop-diff/storefront -> shop-diff/catalog 8080/TCP x1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
	if got, want := objectLines(*rep.Diff), []string{"added NetworkPolicy shop-diff/storefront-to-catalog"}; !reflect.DeepEqual(got, want) {
		t.Errorf("objects %q, want %q", got, want)
	}
}
