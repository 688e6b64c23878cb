package source

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/resource"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func read(t *testing.T, defaultNamespace string, recursive bool, paths ...string) (*Objects, string) {
	t.Helper()
	var warn bytes.Buffer
	o, err := ReadFiles(&resource.FilenameOptions{Filenames: paths, Recursive: recursive}, defaultNamespace, &warn)
	if err != nil {
		t.Fatalf("ReadFiles(%v): %v", paths, err)
	}
	return o, warn.String()
}

func podIDs(o *Objects) []string {
	var ids []string
	for _, p := range o.Pods {
		ids = append(ids, p.Namespace+"/"+p.Name)
	}
	return ids
}

// Every shape kubectl accepts: typed Lists whose items carry no kind (kubectl get -o yaml, raw
// API dumps), List, multi-document YAML, JSON; workloads ReplicationControllers included; a
// stray file that is no Kubernetes object and another engine's policy, skipped with warnings.
func TestReadFilesShapes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "namespaces.yaml", `
apiVersion: v1
kind: NamespaceList
items:
- metadata: {name: shop, labels: {team: web}}
- metadata: {name: ops}
`)
	writeFile(t, dir, "pods.json", `{"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "1"}, "items": [
  {"metadata": {"name": "client", "namespace": "shop", "labels": {"app": "client"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}, "status": {"phase": "Running", "podIP": "10.1.2.3"}},
  {"metadata": {"name": "done", "namespace": "shop"}, "spec": {"containers": [{"name": "c", "image": "x"}]}, "status": {"phase": "Succeeded"}},
  {"metadata": {"name": "node-agent", "namespace": "ops"}, "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "x"}]}}]}`)
	writeFile(t, dir, "policies.yaml", `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
- metadata: {name: deny, namespace: shop}
  spec: {podSelector: {}}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ReplicationController
  metadata: {name: legacy, namespace: shop}
  spec:
    template:
      metadata: {labels: {app: legacy}}
      spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: DeploymentList
items:
- metadata: {name: api, namespace: shop}
  spec:
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec: {containers: [{name: api, image: x}]}
`)
	writeFile(t, dir, "calico.yaml", `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  selector: all()
  ingress: [{action: Deny}]
`)
	writeFile(t, dir, "README.json", `[{"result": "ok"}, {"result": "fail"}]`)
	writeFile(t, dir, "kustomize-config.yaml", "namePrefix: dev-\nfoo: bar\n")
	writeFile(t, dir, "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\n")
	writeFile(t, dir, "notes.txt", "not a manifest")

	o, warn := read(t, "default", false, dir)
	if got := strings.Join(podIDs(o), " "); got != "shop/client shop/done ops/node-agent shop/replicationcontroller/legacy shop/deployment/api" {
		t.Errorf("pods %s", got)
	}
	if len(o.Namespaces) != 2 || o.Namespaces[0].Labels["team"] != "web" {
		t.Errorf("namespaces %+v", o.Namespaces)
	}
	if len(o.Policies) != 1 || o.Policies[0].Name != "deny" {
		t.Errorf("policies %+v: the Calico policy must not be read as a Kubernetes one", o.Policies)
	}
	if len(o.Foreign) != 1 || o.Foreign[0].APIVersion != "projectcalico.org/v3" || !strings.HasSuffix(o.Foreign[0].Source, "calico.yaml") {
		t.Errorf("foreign %+v", o.Foreign)
	}
	if len(o.Deployments) != 1 || !o.StandIns["shop/deployment/api"] || !o.StandIns["shop/replicationcontroller/legacy"] || o.StandIns["shop/client"] {
		t.Errorf("deployments %d, stand-ins %v", len(o.Deployments), o.StandIns)
	}
	for _, want := range []string{
		"README.json: not a Kubernetes object",
		"kustomize-config.yaml: not a Kubernetes object",
		"secret.yaml (not evaluated): v1 Secret",
		"calico.yaml",
	} {
		if !strings.Contains(warn, want) {
			t.Errorf("warnings lack %q:\n%s", want, warn)
		}
	}
	if strings.Contains(warn, "notes.txt") {
		t.Errorf("a file kubectl does not read (.txt) is warned about:\n%s", warn)
	}

	// Files and a cluster leave out the same pods: the host network's and the finished ones.
	s, left, err := o.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Pods) != 3 || len(left) != 2 || left[0].Pod != "shop/done" || left[1].Reason != "host network" {
		t.Errorf("snapshot pods %d, left out %+v", len(s.Pods), left)
	}
	if line := DescribeLeftOut(left); !strings.Contains(line, "1 host network (ops/node-agent)") || !strings.Contains(line, "finished (succeeded)") {
		t.Errorf("left-out line %q", line)
	}
	for _, p := range s.Pods {
		if p.StandIn != strings.Contains(p.Name, "/") {
			t.Errorf("pod %s stand-in %t", p.ID(), p.StandIn)
		}
	}
}

// A folder is read as kubectl reads it: its own files, and its subfolders only with -R.
func TestReadFilesRecursive(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "top.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: top, namespace: a}\n")
	writeFile(t, dir, "sub/deep.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: deep, namespace: a}\n")
	if o, _ := read(t, "default", false, dir); !slices.Equal(podIDs(o), []string{"a/top"}) {
		t.Errorf("without -R: %v", podIDs(o))
	}
	if o, _ := read(t, "default", true, dir); !slices.Equal(podIDs(o), []string{"a/deep", "a/top"}) && !slices.Equal(podIDs(o), []string{"a/top", "a/deep"}) {
		t.Errorf("with -R: %v", podIDs(o))
	}
}

// "-" reads stdin, as kubectl -f - does.
func TestReadFilesStdin(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old }()
	go func() {
		_, _ = w.WriteString("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-stdin}\nspec: {podSelector: {}}\n")
		w.Close()
	}()
	o, _ := read(t, "team-a", false, "-")
	if len(o.Policies) != 1 || o.Policies[0].Namespace != "team-a" || !slices.Equal(o.Defaulted, []string{"NetworkPolicy/team-a/from-stdin"}) {
		t.Errorf("stdin: policies %+v, defaulted %v", o.Policies, o.Defaulted)
	}
}

// A later object of the same kind, namespace and name replaces an earlier one, in its place.
func TestReadFilesLaterWins(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {v: '1'}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ops}\n")
	b := writeFile(t, dir, "b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {v: '2'}}\n")
	o, _ := read(t, "default", false, a, b)
	if len(o.Namespaces) != 2 || o.Namespaces[0].Name != "shop" || o.Namespaces[0].Labels["v"] != "2" {
		t.Errorf("namespaces %+v", o.Namespaces)
	}
}

// A malformed Kubernetes object is an error that names the file and the object (or document).
func TestReadFilesErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ text, want string }{
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: [oops\n", "document 1"},
		{"apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n", "Pod without metadata.name"},
		{"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\nspec: {}\n", "Deployment x/d: no pod template"},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec: {containers: [{name: c, ports: [{containerPort: abc}]}]}\n", "Pod x/p"},
		{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\nspec: {podSelector: {matchLabels: 7}}\n", "NetworkPolicy x/np"},
	} {
		p := writeFile(t, dir, "bad.yaml", tc.text)
		o, err := ReadFiles(&resource.FilenameOptions{Filenames: []string{p}}, "default", &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.yaml") || o != nil {
			t.Errorf("%q: got %v, want an error naming bad.yaml and %q", tc.text, err, tc.want)
		}
	}
	if _, err := ReadFiles(&resource.FilenameOptions{Filenames: []string{filepath.Join(dir, "missing.yaml")}}, "default", &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("a missing file: %v", err)
	}
}

// No input makes the reader panic: it returns objects or an error, and a snapshot or an error.
func FuzzReadFiles(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{}}}}]}`))
	f.Add([]byte("apiVersion: v1\nkind: PodList\nitems: [{metadata: {name: a}, spec: {hostNetwork: true}}]\n"))
	f.Add([]byte("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: {metadata: {labels: {a: b}}}}}}\n---\n"))
	f.Add([]byte("[1, 2]"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := ReadFiles(&resource.FilenameOptions{Filenames: []string{p}}, "default", &bytes.Buffer{})
		if err != nil {
			return
		}
		_, _, _ = o.Snapshot()
	})
}
