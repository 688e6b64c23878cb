package source

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/resource"
)

// BenchmarkReadFiles reads a folder of one file a namespace, each with a Namespace, 20 pods and 5
// NetworkPolicies, as plugin's BenchmarkExplainE2E writes it: ReadFiles alone, without the
// evaluator. Run it with -short (no control plane):
//
//	go test -short -run XXX -bench ReadFiles ./source/
func BenchmarkReadFiles(b *testing.B) {
	for _, pods := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			dir := writeBenchFolder(b, pods/20)
			fo := &resource.FilenameOptions{Filenames: []string{dir}}
			b.ReportAllocs()
			for b.Loop() {
				o, err := ReadFiles(fo, "default", io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				if len(o.Pods) != pods {
					b.Fatalf("%d pods, want %d", len(o.Pods), pods)
				}
			}
		})
	}
}

// writeBenchFolder writes namespaces files of a Namespace, 20 pods and 5 NetworkPolicies each.
func writeBenchFolder(b *testing.B, namespaces int) string {
	b.Helper()
	dir := b.TempDir()
	var w strings.Builder
	pod := 0
	for n := range namespaces {
		ns := fmt.Sprintf("ns-%04d", n)
		w.Reset()
		fmt.Fprintf(&w, "apiVersion: v1\nkind: Namespace\nmetadata: {name: %[1]s, labels: {kubernetes.io/metadata.name: %[1]s, team: team-%d}}\n", ns, n%10)
		for _, app := range []string{"web", "api", "db", "cache"} {
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
		for i, app := range []string{"web", "api", "db", "cache", "all"} {
			fmt.Fprintf(&w, `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: %s, name: policy-%d}
spec:
  podSelector: {matchLabels: {app: %s}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {app: %[3]s}}
    ports: [{port: http}]
  egress:
  - to: [{ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25]}}]
    ports: [{protocol: TCP, port: 443}]
`, ns, i, app)
		}
		if err := os.WriteFile(filepath.Join(dir, ns+".yaml"), []byte(w.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}
