package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ns.yaml", `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: web}}
---
# an empty document
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: api, image: x, ports: [{name: http, containerPort: 8080}]}
`)
	writeFile(t, dir, "sub/list.json", `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client", "labels": {"app": "client"}},
   "spec": {"containers": [{"name": "c", "image": "x"}]}, "status": {"podIP": "10.1.2.3"}},
  {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "shop"},
   "spec": {"podSelector": {}}}]}`)
	writeFile(t, dir, "notes.txt", "not a manifest")

	s, err := LoadFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Namespaces) != 1 || s.Namespaces[0].Labels["team"] != "web" || s.Namespaces[0].Labels["kubernetes.io/metadata.name"] != "shop" {
		t.Errorf("namespaces %+v", s.Namespaces)
	}
	var ids []string
	for _, p := range s.Pods {
		ids = append(ids, p.ID())
	}
	if strings.Join(ids, " ") != "shop/deployment/api default/client" {
		t.Errorf("pods %v, want the deployment's template and the listed pod (in default)", ids)
	}
	if s.Pods[0].Ports[0] != (Port{Name: "http", Port: 8080, Protocol: "TCP"}) || s.Pods[1].IPs[0].String() != "10.1.2.3" {
		t.Errorf("pod details %+v", s.Pods)
	}
	if len(s.Policies) != 1 || s.Policies[0].Namespace != "shop" {
		t.Errorf("policies %+v", s.Policies)
	}
}

func TestLoadFilesErrorsNameFileAndDocument(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ text, want string }{
		{"kind: Pod\nmetadata: {name: a}\n---\nkind: [oops\n", "bad.yaml: document 1"},
		{"apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n", "bad.yaml: document 0: Pod without metadata.name"},
		{"metadata: {name: a}\n", "bad.yaml: document 0: no kind"},
		{"kind: Deployment\nmetadata: {name: d}\nspec: {}\n", "no pod template"},
		{"kind: List\nitems: [{kind: Pod, metadata: {}}]\n", "List item 0: Pod without metadata.name"},
		{"kind: Pod\nmetadata: {name: a}\nstatus: {podIP: 10.0.0.300}\n", "status IP"},
		{"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {podSelector: {matchLabels: 7}}\n", "networkpolicy default/np"},
	} {
		p := writeFile(t, dir, "bad.yaml", tc.text)
		s, err := LoadFiles([]string{p})
		if err == nil || !strings.Contains(err.Error(), tc.want) || s != nil {
			t.Errorf("%q: got %v (snapshot %v), want an error containing %q and no snapshot", tc.text, err, s, tc.want)
		}
	}
	if _, err := LoadFiles([]string{filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("a missing file should be an error")
	}
}
