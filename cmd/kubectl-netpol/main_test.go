package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// These tests use the plugin the way users do: the built binary on PATH, called by the real
// kubectl (built with the control plane) against the local control plane.

func TestMain(m *testing.M) {
	code := localcluster.RunTests(m)
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

type kubectlEnv struct {
	t   *testing.T
	env []string
}

var (
	buildOnce  sync.Once
	builtBin   string
	buildError error
)

// pluginBinary builds the plugin once for the package's tests.
func pluginBinary(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kubectl-netpol-bin-")
		if err != nil {
			buildError = err
			return
		}
		builtBin = filepath.Join(dir, "kubectl-netpol")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildError = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildError != nil {
		t.Fatal(buildError)
	}
	return builtBin
}

// newKubectlEnv puts the plugin in a fresh PATH folder next to the completion helper.
func newKubectlEnv(t *testing.T, helper string) *kubectlEnv {
	c := localcluster.ForTest(t)
	bin := t.TempDir()
	if err := os.Symlink(pluginBinary(t), filepath.Join(bin, "kubectl-netpol")); err != nil {
		t.Fatal(err)
	}
	switch helper {
	case "script": // what the release archives ship
		data, err := os.ReadFile(filepath.Join(localcluster.RepoRoot(), "hack", "kubectl_complete-netpol"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, "kubectl_complete-netpol"), data, 0o755); err != nil {
			t.Fatal(err)
		}
	case "link": // what `make build` makes
		if err := os.Symlink(pluginBinary(t), filepath.Join(bin, "kubectl_complete-netpol")); err != nil {
			t.Fatal(err)
		}
	}
	return &kubectlEnv{t: t, env: []string{
		"PATH=" + bin + string(os.PathListSeparator) + c.BinDir + string(os.PathListSeparator) + "/usr/bin:/bin",
		"KUBECONFIG=" + c.Kubeconfig,
		"HOME=" + t.TempDir(),
	}}
}

func (k *kubectlEnv) kubectl(args ...string) (stdout, stderr string, code int) {
	k.t.Helper()
	cmd := exec.Command("kubectl", args...)
	cmd.Env = k.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		k.t.Fatalf("kubectl %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

func TestKubectlFindsAndRunsThePlugin(t *testing.T) {
	k := newKubectlEnv(t, "script")

	out, errOut, code := k.kubectl("plugin", "list", "--name-only")
	if code != 0 || !strings.Contains(out, "kubectl-netpol\n") {
		t.Fatalf("kubectl plugin list: exit %d\n%s%s", code, out, errOut)
	}

	out, errOut, code = k.kubectl("netpol", "version", "-o", "json")
	if code != 0 {
		t.Fatalf("kubectl netpol version: exit %d\n%s", code, errOut)
	}
	var v struct {
		ServerVersion struct{ GitVersion string } `json:"serverVersion"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	kubeVersion, err := os.ReadFile(filepath.Join(localcluster.RepoRoot(), "hack", "KUBE_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	if v.ServerVersion.GitVersion != strings.TrimSpace(string(kubeVersion)) {
		t.Errorf("server version %q, want the local control plane's %s", v.ServerVersion.GitVersion, kubeVersion)
	}

	out, _, code = k.kubectl("netpol")
	if code != 0 || !strings.Contains(out, "kubectl netpol [command]") {
		t.Errorf("kubectl netpol without a command should print help naming 'kubectl netpol', got exit %d:\n%s", code, out)
	}
}

// kubectl >= 1.26 completes plugin arguments through kubectl_complete-netpol: both the shipped
// script and a link to the binary must answer.
func TestKubectlCompletesThePlugin(t *testing.T) {
	for _, helper := range []string{"script", "link"} {
		t.Run(helper, func(t *testing.T) {
			k := newKubectlEnv(t, helper)
			out, errOut, code := k.kubectl("__complete", "netpol", "")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			for _, want := range []string{"version", "completion"} {
				if !strings.Contains(out, want) {
					t.Errorf("completions %q lack %q", out, want)
				}
			}
			out, _, _ = k.kubectl("__complete", "netpol", "version", "-o", "")
			if !strings.Contains(out, "json") || !strings.Contains(out, "yaml") {
				t.Errorf("-o completions %q lack json and yaml", out)
			}
		})
	}
}

// kubectl passes the plugin's exit code and message through.
func TestKubectlPassesThroughErrors(t *testing.T) {
	k := newKubectlEnv(t, "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + l.Addr().String()
	l.Close()
	_, errOut, code := k.kubectl("netpol", "version", "--server", dead, "--insecure-skip-tls-verify")
	if code != 3 || !strings.HasPrefix(errOut, "error: cannot reach the Kubernetes API server at "+dead) {
		t.Errorf("exit %d, stderr %q; want 3 and the unreachable server named", code, errOut)
	}
}

// A learner's session through kubectl: set a lab up, apply the printed solution with
// kubectl apply, see it counted as the learner's policies, and take the lab down; the
// learner's policies keep their namespace.
func TestKubectlLabSession(t *testing.T) {
	k := newKubectlEnv(t, "")
	if out, errOut, code := k.kubectl("netpol", "lab", "up", "dns-egress"); code != 0 || !strings.Contains(out, "Lab dns-egress is up") {
		t.Fatalf("lab up: exit %d\n%s%s", code, out, errOut)
	}
	// Graded before the learner writes anything: FAIL, exit 1, with hints.
	if out, _, code := k.kubectl("netpol", "lab", "check", "dns-egress", "--static-only"); code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, "hint:") {
		t.Errorf("lab check before: exit %d\n%s", code, out)
	}
	solution, _, code := k.kubectl("netpol", "lab", "show", "dns-egress", "--solution")
	if code != 0 {
		t.Fatalf("lab show --solution: exit %d", code)
	}
	apply := exec.Command("kubectl", "apply", "-f", "-")
	apply.Env = k.env
	apply.Stdin = strings.NewReader(solution)
	if out, err := apply.CombinedOutput(); err != nil || !strings.Contains(string(out), "networkpolicy.networking.k8s.io/allow-dns created") {
		t.Fatalf("kubectl apply of the solution: %v\n%s", err, out)
	}
	if out, errOut, code := k.kubectl("netpol", "lab", "check", "dns-egress", "--static-only"); code != 0 || !strings.Contains(out, "PASS") {
		t.Errorf("lab check after applying the solution: exit %d\n%s%s", code, out, errOut)
	}
	out, _, _ := k.kubectl("netpol", "lab", "status", "dns-egress", "-o", "json")
	var sts []struct {
		Policies      []string `json:"policies"`
		OtherPolicies []string `json:"otherPolicies"`
	}
	if err := json.Unmarshal([]byte(out), &sts); err != nil || len(sts) != 1 {
		t.Fatalf("lab status -o json: %v\n%s", err, out)
	}
	if strings.Join(sts[0].OtherPolicies, ",") != "shop/allow-dns,shop/storefront-to-catalog" || strings.Join(sts[0].Policies, ",") != "shop/default-deny-egress" {
		t.Errorf("status: lab policies %v, learner's %v", sts[0].Policies, sts[0].OtherPolicies)
	}
	out, errOut, code := k.kubectl("netpol", "lab", "down", "dns-egress")
	if code != 0 || !strings.Contains(out, "namespace/shop kept") || !strings.Contains(out, "networkpolicy/allow-dns") {
		t.Errorf("lab down: exit %d\n%s%s", code, out, errOut)
	}
	out, _, _ = k.kubectl("get", "networkpolicy", "-n", "shop", "-o", "name")
	if strings.TrimSpace(out) != "networkpolicy.networking.k8s.io/allow-dns\nnetworkpolicy.networking.k8s.io/storefront-to-catalog" {
		t.Errorf("after lab down, policies in shop: %q; want exactly the learner's two", out)
	}
	if _, errOut, code := k.kubectl("delete", "namespace", "shop"); code != 0 {
		t.Errorf("cleanup: %s", errOut)
	}
}
