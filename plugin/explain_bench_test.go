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

	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
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
			dir := sourcetest.WriteCluster(b, pods/20)
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
