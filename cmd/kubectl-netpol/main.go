// Command kubectl-netpol is the kubectl plugin for learning and debugging NetworkPolicy.
// Everything lives in package plugin; main only wires the process to it.
package main

import (
	"os"
	"path/filepath"
	"strings"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netpol/kubectl-netpol/plugin"
)

func main() {
	args := os.Args[1:]
	// kubectl >= 1.26 completes plugin arguments by running kubectl_complete-netpol with the words
	// typed so far. Installed as a link or copy under that name, this binary answers it itself.
	if name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe"); name == plugin.CompletionHelperName {
		args = append([]string{"__complete"}, args...)
	}
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(plugin.Main(streams, args))
}
