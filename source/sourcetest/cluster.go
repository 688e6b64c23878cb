// Package sourcetest writes the synthetic clusters that the benchmarks and scale tests of
// several packages read: one generator, so that their figures are about the same input.
package sourcetest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// benchApps are the apps of every namespace, five replicas each: 20 pods a namespace.
var benchApps = []string{"web", "api", "db", "cache"}

// WriteCluster writes a cluster of namespaces×20 pods and namespaces×5 policies (so
// policies ≈ pods/4) into a temporary folder, one file a namespace plus kube-system, and
// returns the folder. The same arguments always give the same files.
//
// Each namespace has: a default deny (ingress and egress), DNS egress to kube-dns, a same-app
// policy, an ingress from the previous namespace's web pods (namespace AND pod selector), and
// an ipBlock egress for web (192.0.2.0/24, TEST-NET: nothing is sent anyway) which also lets
// web call the next namespace's api, so that cross-namespace flows are allowed end to end.
func WriteCluster(b testing.TB, namespaces int) string {
	b.Helper()
	dir := b.TempDir()
	for _, f := range clusterFiles(namespaces) {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// WriteClusterJSON is WriteCluster in JSON: the same objects in the same files, named .json,
// each one List as `kubectl get -o json` writes it (indented by four spaces).
func WriteClusterJSON(b testing.TB, namespaces int) string {
	b.Helper()
	dir := b.TempDir()
	for _, f := range clusterFiles(namespaces) {
		data, err := json.MarshalIndent(list(b, f.text), "", "    ")
		if err != nil {
			b.Fatal(err)
		}
		name := strings.TrimSuffix(f.name, ".yaml") + ".json"
		if err := os.WriteFile(filepath.Join(dir, name), append(data, '\n'), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// WriteClusterList writes WriteCluster's objects, in its order, into one file: one List of
// them all, as `kubectl get -A -o yaml` (format "yaml") or `-o json` (format "json") writes a
// cluster's objects. It returns the file's path.
func WriteClusterList(b testing.TB, namespaces int, format string) string {
	b.Helper()
	var all strings.Builder
	for _, f := range clusterFiles(namespaces) {
		all.WriteString("---\n")
		all.WriteString(f.text)
	}
	l := list(b, all.String())
	var data []byte
	var err error
	switch format {
	case "yaml":
		data, err = yaml.Marshal(l)
	case "json":
		data, err = json.MarshalIndent(l, "", "    ")
		data = append(data, '\n')
	default:
		err = fmt.Errorf("format %q: yaml or json", format)
	}
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "cluster."+format)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// list is the List of the YAML documents of text, as kubectl writes one.
func list(b testing.TB, text string) map[string]any {
	b.Helper()
	var items []any
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(text)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		var item map[string]any
		if err := yaml.Unmarshal(doc, &item); err != nil {
			b.Fatal(err)
		}
		if item != nil {
			items = append(items, item)
		}
	}
	return map[string]any{"apiVersion": "v1", "kind": "List", "items": items, "metadata": map[string]any{"resourceVersion": ""}}
}

// file is one file of WriteCluster: its name and its YAML documents.
type file struct{ name, text string }

// clusterFiles are WriteCluster's files, in the order the Builder reads them (by name).
func clusterFiles(namespaces int) []file {
	var files []file
	write := func(name, text string) { files = append(files, file{name, text}) }
	var w strings.Builder
	w.WriteString(benchNamespace("kube-system", "system", "prod"))
	for i := range 2 {
		fmt.Fprintf(&w, `---
apiVersion: v1
kind: Pod
metadata: {namespace: kube-system, name: coredns-%d, labels: {k8s-app: kube-dns}}
spec:
  containers:
  - name: coredns
    image: registry.k8s.io/coredns/coredns:v1.12.0
    ports:
    - {name: dns, containerPort: 53, protocol: UDP}
    - {name: dns-tcp, containerPort: 53, protocol: TCP}
status: {phase: Running, podIP: 10.244.0.%d, podIPs: [{ip: 10.244.0.%d}]}
`, i, 2+i, 2+i)
	}
	w.WriteString(`---
apiVersion: v1
kind: Service
metadata: {namespace: kube-system, name: kube-dns, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: 10.96.0.10
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
`)
	write("kube-system.yaml", w.String())

	pod := 0 // across namespaces, for unique pod IPs
	for n := range namespaces {
		ns := fmt.Sprintf("ns-%04d", n)
		prev := fmt.Sprintf("ns-%04d", (n+namespaces-1)%namespaces)
		next := fmt.Sprintf("ns-%04d", (n+1)%namespaces)
		same := benchApps[n%len(benchApps)] // namespaces differ in which app talks to itself
		w.Reset()
		w.WriteString(benchNamespace(ns, fmt.Sprintf("team-%d", n%10), []string{"prod", "staging", "dev"}[n%3]))
		for _, app := range benchApps {
			for r := range 5 {
				fmt.Fprintf(&w, `---
apiVersion: v1
kind: Pod
metadata: {namespace: %s, name: %s-%d, labels: {app: %s, pod-template-hash: 5d8f7c}}
spec:
  containers:
  - name: %s
    image: registry.k8s.io/pause:3.10
    ports:
    - {name: http, containerPort: 8080, protocol: TCP}
    - {name: metrics, containerPort: 9090, protocol: TCP}
status: {phase: Running, podIP: %[6]s, podIPs: [{ip: %[6]s}]}
`, ns, app, r, app, app, fmt.Sprintf("10.%d.%d.%d", 1+pod>>16, pod>>8&255, pod&255))
				pod++
			}
		}
		fmt.Fprintf(&w, `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: %[1]s, name: default-deny}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: %[1]s, name: allow-dns}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: %[1]s, name: allow-same-app}
spec:
  podSelector: {matchLabels: {app: %[2]s}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: %[2]s}}}]
    ports: [{port: http}]
  egress:
  - to: [{podSelector: {matchLabels: {app: %[2]s}}}]
    ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: %[1]s, name: allow-api-from-%[3]s}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %[3]s}}
      podSelector: {matchLabels: {app: web}}
    ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: %[1]s, name: web-egress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25]}}]
    ports: [{protocol: TCP, port: 443}]
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %[4]s}}
      podSelector: {matchLabels: {app: api}}
    ports: [{port: 8080}]
`, ns, same, prev, next)
		write(ns+".yaml", w.String())
	}
	return files
}

func benchNamespace(name, team, env string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: %[1]s, labels: {kubernetes.io/metadata.name: %[1]s, team: %s, env: %s}}
`, name, team, env)
}
