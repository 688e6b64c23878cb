//go:build unix

package plugin

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
)

// BenchmarkExplainFilesVsKubectl holds `explain -f` to kubectl's own read of the same input:
// `kubectl create --dry-run=client --validate=false -o name -f PATH`, which decodes every object
// of it and prints its name. Each iteration is a pair, the plugin's binary then kubectl (the
// local cluster's), both into /dev/null (benchmarkPairs), and the benchmark reports the
// median of the pairs' ratios (the bar is 1.1) and each side's median wall and CPU time. The
// input is sourcetest's cluster at 2,000 and 10,000 pods: a folder of YAML files (one a
// namespace), the same folder in JSON (one List a file, as `kubectl get -o json` writes it),
// and the whole cluster as one List in one file, as `kubectl get -A -o yaml` (or json) writes it.
//
// kubectl maps kinds through the API server's discovery even with --dry-run=client, so this
// benchmark uses the package's local control plane, and skips under -short:
//
//	go test -run XXX -bench ExplainFilesVsKubectl -benchtime 10x ./plugin/
func BenchmarkExplainFilesVsKubectl(b *testing.B) {
	c := localcluster.ForTest(b)
	b.Setenv("KUBECONFIG", c.Kubeconfig)
	b.Setenv("HOME", b.TempDir()) // kubectl's discovery cache, warmed by the first run
	kubectl := filepath.Join(c.BinDir, "kubectl")
	plugin := buildPlugin(b)
	for _, pods := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			inputs := []struct{ name, path string }{
				{"yaml", sourcetest.WriteCluster(b, pods/20)},
				{"json", sourcetest.WriteClusterJSON(b, pods/20)},
				{"list-yaml", sourcetest.WriteClusterList(b, pods/20, "yaml")},
				{"list-json", sourcetest.WriteClusterList(b, pods/20, "json")},
			}
			for _, in := range inputs {
				b.Run(in.name, func(b *testing.B) {
					benchmarkPairs(b, plugin, []string{"explain", "-f", in.path}, kubectl,
						[]string{"create", "--dry-run=client", "--validate=false", "-o", "name", "-f", in.path})
				})
			}
		})
	}
}
