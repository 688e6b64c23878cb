package plugin

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// BenchmarkExplainE2E runs `explain -f DIR` the way a user does, through Main: reading and
// decoding the YAML files, building the snapshot, evaluating, and printing to io.Discard. The
// policy package's benchmarks cover the evaluator alone; this one shows what the files and the
// printers add on top.
//
// The package's TestMain starts a local control plane unless -short, and these benchmarks do
// not need it, so run them with -short:
//
//	go test -short -run XXX -bench 'ExplainE2E/pods=200$' -benchtime 3x ./plugin/
//
// (Anchor the size with $: pods=200 also matches pods=2000.)
func BenchmarkExplainE2E(b *testing.B) {
	// As the run helper does: no kubeconfig is needed for -f, and none from this machine is read.
	b.Setenv("HOME", b.TempDir())
	if os.Getenv("KUBECONFIG") == "" {
		b.Setenv("KUBECONFIG", filepath.Join(b.TempDir(), "absent"))
	}
	for _, pods := range []int{200, 2000, 10000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			// A parent benchmark's body runs once, so the files are written once per size.
			dir := writeSyntheticCluster(b, pods/20)
			// Every mode asks for one port, so that they differ only in what they print.
			modes := []struct {
				name string
				args []string
			}{
				{"table", []string{"explain", "-f", dir, "--port", "8080/TCP"}}, // the default: a summary when too wide
				{"table-by-class", []string{"explain", "-f", dir, "--port", "8080/TCP", "--by", "class"}},
				{"json", []string{"explain", "-f", dir, "--port", "8080/TCP", "-o", "json"}},
				{"from-one-pod", []string{"explain", "-f", dir, "--port", "8080/TCP", "--from", "ns-0000/web-0"}},
			}
			for _, mode := range modes {
				b.Run(mode.name, func(b *testing.B) {
					if pods >= 10000 && mode.name == "json" && os.Getenv("KUBECTL_NETPOL_BENCH_HUGE") != "1" {
						b.Skip("10,000 pods as JSON is 10^8 results, over 10 GB of output; set KUBECTL_NETPOL_BENCH_HUGE=1 to run it")
					}
					benchmarkMain(b, mode.args)
				})
			}
		})
	}
}

// benchmarkMain runs Main with args, its output counted and dropped.
func benchmarkMain(b *testing.B, args []string) {
	b.ReportAllocs()
	var out byteCounter
	var errOut bytes.Buffer
	for b.Loop() {
		out, errOut = byteCounter{w: io.Discard}, bytes.Buffer{}
		streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
		if code := Main(streams, args); code != ExitOK {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
	if out.n == 0 {
		b.Fatalf("no output; stderr: %s", errOut.String())
	}
	b.ReportMetric(float64(out.n), "out-bytes/op")
}

// byteCounter counts what passes through to w.
type byteCounter struct {
	w io.Writer
	n int64
}

func (c *byteCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// benchApps are the apps of every namespace, five replicas each: 20 pods a namespace.
var benchApps = []string{"web", "api", "db", "cache"}

// writeSyntheticCluster writes a cluster of namespaces×20 pods and namespaces×5 policies (so
// policies ≈ pods/4) into a temporary folder, one file a namespace plus kube-system, and
// returns the folder. The same arguments always give the same files.
//
// Each namespace has: a default deny (ingress and egress), DNS egress to kube-dns, a same-app
// policy, an ingress from the previous namespace's web pods (namespace AND pod selector), and
// an ipBlock egress for web (192.0.2.0/24, TEST-NET: nothing is sent anyway) which also lets
// web call the next namespace's api, so that cross-namespace flows are allowed end to end.
func writeSyntheticCluster(b testing.TB, namespaces int) string {
	b.Helper()
	dir := b.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
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
	return dir
}

func benchNamespace(name, team, env string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: %[1]s, labels: {kubernetes.io/metadata.name: %[1]s, team: %s, env: %s}}
`, name, team, env)
}
