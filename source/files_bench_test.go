package source

import (
	"fmt"
	"io"
	"math"
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

// BenchmarkReadHugeFile reads the cluster of BenchmarkReadFiles as one file, a single List as
// `kubectl get -A -o yaml` (or -o json) writes it: "whole" by one Builder, as kubectl reads it
// and as ReadFiles read it before large files were cut, "parts" as ReadFiles reads it now, its
// List's items cut into parts read on every core (split.go), beside "folder", the same objects
// in a folder of files:
//
//	go test -short -run XXX -bench ReadHugeFile ./source/
func BenchmarkReadHugeFile(b *testing.B) {
	for _, pods := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			folder := sourcetest.WriteCluster(b, pods/20)
			for _, format := range []string{"yaml", "json"} {
				file := sourcetest.WriteClusterList(b, pods/20, format)
				for _, how := range []string{"whole", "parts", "folder"} {
					b.Run(format+"/"+how, func(b *testing.B) {
						if how == "whole" {
							old := splitMin
							splitMin = math.MaxInt64
							defer func() { splitMin = old }()
						}
						path := file
						if how == "folder" {
							if format == "json" {
								b.Skip("the folder is YAML")
							}
							path = folder
						}
						fo := &resource.FilenameOptions{Filenames: []string{path}}
						b.ReportAllocs()
						for b.Loop() {
							o, err := ReadFiles(fo, "default", io.Discard)
							if err != nil {
								b.Fatal(err)
							}
							if len(o.Pods) != pods+2 {
								b.Fatalf("%d pods, want %d", len(o.Pods), pods+2)
							}
						}
					})
				}
			}
		})
	}
}
