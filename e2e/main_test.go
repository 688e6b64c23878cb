package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/plugin"
)

func TestMain(m *testing.M) { os.Exit(localcluster.RunDataplaneTests(m)) }

// result is one run of the plugin as a user would see it.
type result struct {
	code           int
	stdout, stderr string
}

// netpol runs the plugin in-process against the node's cluster, with no other kubeconfig.
func netpol(t *testing.T, c *localcluster.Cluster, args ...string) result {
	t.Helper()
	// A test whose parent set them (usePluginEnv) may run in parallel, and t.Setenv may not.
	if os.Getenv("KUBECONFIG") != c.Kubeconfig {
		usePluginEnv(t, c)
	}
	var out, errOut bytes.Buffer
	code := plugin.Main(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// usePluginEnv points the plugin at the node's cluster, with no other kubeconfig, for t and the
// subtests it starts (which may then run in parallel).
func usePluginEnv(t *testing.T, c *localcluster.Cluster) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", c.Kubeconfig)
}

// netpolJSON runs the plugin with -o json and decodes what it printed into v.
func netpolJSON(t *testing.T, c *localcluster.Cluster, v any, args ...string) result {
	t.Helper()
	r := netpol(t, c, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("netpol %s: exit %d, not JSON (%v)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, err, r.stdout, r.stderr)
	}
	return r
}

// kubectl runs the real kubectl against the cluster and returns its output.
func kubectl(t *testing.T, c *localcluster.Cluster, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(c.BinDir, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
