package localcluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Components are the executables the local control plane runs, all built by hack/testbin.sh
// from one pinned Kubernetes release (and kwok from its own release).
var Components = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok"}

// EnsureBinaries returns the folder holding the control-plane binaries, building them first if the
// cache does not have them yet (minutes on a cold machine; progress goes to log).
// KUBECTL_NETPOL_TESTBIN names a ready folder and skips the build.
func EnsureBinaries(ctx context.Context, log io.Writer) (string, error) {
	if dir := os.Getenv("KUBECTL_NETPOL_TESTBIN"); dir != "" {
		return dir, checkBinaries(dir)
	}
	script := filepath.Join(RepoRoot(), "hack", "testbin.sh")
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stdout = &out
	cmd.Stderr = log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the control plane with %s: %w", script, err)
	}
	dir := strings.TrimSpace(out.String())
	return dir, checkBinaries(dir)
}

// NodeComponents are the real node's executables and the images of its network plugins, built
// by hack/nodebin.sh.
var NodeComponents = []string{"containerd", "containerd-shim-runc-v2", "ctr", "kubelet", "kube-proxy", "busybox",
	"images/kube-router.tar", "images/flannel.tar", "images/flannel-cni-plugin.tar"}

// EnsureNodeBinaries returns the folder holding the real node's binaries and images, building
// them first if needed (about 10 minutes cold; it also installs missing Debian packages as root).
// KUBECTL_NETPOL_NODEBIN names a ready folder and skips the build.
func EnsureNodeBinaries(ctx context.Context, log io.Writer) (string, error) {
	dir := os.Getenv("KUBECTL_NETPOL_NODEBIN")
	if dir == "" {
		script := filepath.Join(RepoRoot(), "hack", "nodebin.sh")
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, "bash", script)
		cmd.Stdout = &out
		cmd.Stderr = log
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("building the node with %s: %w", script, err)
		}
		dir = strings.TrimSpace(out.String())
	}
	for _, name := range NodeComponents {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("node binary missing: %w (run 'make nodebin')", err)
		}
	}
	return dir, nil
}

func checkBinaries(dir string) error {
	for _, name := range Components {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("control-plane binary missing: %w (run 'make testbin')", err)
		}
	}
	return nil
}

// RepoRoot is the kubectl-netpol source tree: the one this package was compiled from, or,
// when built with -trimpath (which drops that path), the one around the working directory.
func RepoRoot() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		return filepath.Join(filepath.Dir(file), "..", "..")
	}
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(data, []byte("module github.com/kubectl-netpol/kubectl-netpol\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}

// CacheDir is where built binaries and the people's control plane live, outside any clone:
// $KUBECTL_NETPOL_CACHE, else the user cache folder (~/.cache/kubectl-netpol). hack/testbin.sh
// follows the same rule.
func CacheDir() string {
	if dir := os.Getenv("KUBECTL_NETPOL_CACHE"); dir != "" {
		return dir
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "kubectl-netpol")
}
