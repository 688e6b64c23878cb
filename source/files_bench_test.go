package source

import (
	"fmt"
	"io"
	"testing"

	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
)

// BenchmarkReadFiles reads the folder plugin's BenchmarkExplainE2E reads (sourcetest.WriteCluster):
// ReadFiles alone, without the evaluator. Run it with -short (no control plane):
//
//	go test -short -run XXX -bench ReadFiles ./source/
func BenchmarkReadFiles(b *testing.B) {
	for _, pods := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			dir := sourcetest.WriteCluster(b, pods/20)
			fo := &resource.FilenameOptions{Filenames: []string{dir}}
			b.ReportAllocs()
			for b.Loop() {
				o, err := ReadFiles(fo, "default", io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				if len(o.Pods) != pods+2 { // and kube-system's two DNS pods
					b.Fatalf("%d pods, want %d", len(o.Pods), pods+2)
				}
			}
		})
	}
}
