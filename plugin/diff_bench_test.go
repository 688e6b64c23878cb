package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-netpol/kubectl-netpol/source"
	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
)

// BenchmarkDiffE2E runs diff through Main on the 2,000-pod, 500-policy cluster of
// BenchmarkExplainE2E, beside explain on the same cluster, so the two can be set side by side:
//
//   - files: `diff --before DIR --after COPY`, COPY being DIR with one namespace's file edited
//     (its same-app policy moves from the http port to metrics, and its api pods are admitted
//     from every namespace): two folders read, two evaluations, the class pairs compared.
//     explain-files is `explain -f DIR` on one folder.
//   - live: `diff -A -f EDITED` against an API server holding DIR's objects (a local HTTP server
//     answering the List calls in pages of 500, as in source's BenchmarkReadCluster): one
//     cluster read, one small file, two evaluations. explain-live is `explain -A` against it.
//
// Run it with -short (no control plane):
//
//	go test -short -run XXX -bench 'DiffE2E' -benchtime 5x ./plugin/
func BenchmarkDiffE2E(b *testing.B) {
	b.Setenv("HOME", b.TempDir())
	dir := sourcetest.WriteCluster(b, 100) // 2,000 pods, 500 policies
	edited := editedNamespace(b, dir, "ns-0007")
	after := b.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if e.Name() == "ns-0007.yaml" {
			data = []byte(edited)
		}
		if err := os.WriteFile(filepath.Join(after, e.Name()), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	change := filepath.Join(b.TempDir(), "ns-0007.yaml")
	if err := os.WriteFile(change, []byte(edited), 0o644); err != nil {
		b.Fatal(err)
	}
	kubeconfig := fakeAPIServer(b, dir)

	port := []string{"--port", "8080/TCP", "--port", "9090/TCP"}
	for _, mode := range []struct {
		name string
		args []string
		code int
	}{
		{"explain-files", append([]string{"explain", "-f", dir, "--by", "class"}, port...), ExitOK},
		{"diff-files", append([]string{"diff", "--before", dir, "--after", after}, port...), 1},
		{"explain-live", append([]string{"explain", "-A", "--by", "class", "--kubeconfig", kubeconfig}, port...), ExitOK},
		{"diff-live", append([]string{"diff", "-A", "-f", change, "--kubeconfig", kubeconfig}, port...), 1},
	} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				var errOut bytes.Buffer
				streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
				if code := Main(streams, mode.args); code != mode.code {
					b.Fatalf("exit %d, want %d: %s", code, mode.code, errOut.String())
				}
			}
			if mode.code == 1 {
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				b.Logf("%s: %s", mode.name, lines[len(lines)-1]) // the summary line
			}
		})
	}
}

// editedNamespace is the file of namespace ns with two changes that open and close connections:
// its same-app policy admits the metrics port instead of http (both ways), and its api pods are reachable
// from the web pods of every namespace instead of the previous one's only.
func editedNamespace(b *testing.B, dir, ns string) string {
	data, err := os.ReadFile(filepath.Join(dir, ns+".yaml"))
	if err != nil {
		b.Fatal(err)
	}
	// The same-app policy's two rules come first in the file; allow-api-from's is third.
	text := strings.Replace(string(data), "ports: [{port: http}]", "ports: [{port: metrics}]", 2)
	prev := "namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ns-0006}}\n      podSelector: {matchLabels: {app: web}}"
	if !strings.Contains(text, prev) || text == string(data) {
		b.Fatal("the synthetic cluster changed: edit editedNamespace to match")
	}
	return strings.Replace(text, prev, "namespaceSelector: {}\n      podSelector: {matchLabels: {app: web}}", 1)
}

// fakeAPIServer serves the objects of the folder dir as an API server lists them (in pages,
// as JSON) for the reads explain and diff make, and returns a kubeconfig for it. Nothing leaves
// this machine: it listens on the loopback address.
func fakeAPIServer(b *testing.B, dir string) string {
	objs, err := source.ReadFiles(&resource.FilenameOptions{Filenames: []string{dir}}, "default", io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	items := func(list any) []string {
		data, err := json.Marshal(list)
		if err != nil {
			b.Fatal(err)
		}
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			b.Fatal(err)
		}
		out := make([]string, len(raw))
		for i, r := range raw {
			out[i] = string(r)
		}
		return out
	}
	lists := map[string]struct {
		apiVersion, kind string
		items            []string
	}{
		"/api/v1/namespaces": {"v1", "NamespaceList", items(objs.Namespaces)},
		"/api/v1/pods":       {"v1", "PodList", items(objs.Pods)},
		"/apis/networking.k8s.io/v1/networkpolicies": {"networking.k8s.io/v1", "NetworkPolicyList", items(objs.Policies)},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/version" {
			fmt.Fprint(w, `{"major":"1","minor":"36","gitVersion":"v1.36.3"}`)
			return
		}
		list, ok := lists[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
		end := len(list.items)
		if limit > 0 && start+limit < end {
			end = start + limit
		}
		cont := ""
		if end < len(list.items) {
			cont = strconv.Itoa(end)
		}
		fmt.Fprintf(w, `{"kind":%q,"apiVersion":%q,"metadata":{"resourceVersion":"1","continue":%q},"items":[%s]}`,
			list.kind, list.apiVersion, cont, strings.Join(list.items[start:end], ","))
	}))
	b.Cleanup(srv.Close)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: srv.URL}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["bench"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "bench"
	path := filepath.Join(b.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		b.Fatal(err)
	}
	return path
}
