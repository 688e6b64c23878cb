package plugin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

func TestMain(m *testing.M) {
	// The plugin speaks the locale's language (LC_ALL, LC_MESSAGES, LANG): the tests expect
	// English unless they set one themselves, whatever the developer's locale.
	for _, v := range lang.LocaleVariables {
		os.Unsetenv(v)
	}
	os.Exit(localcluster.RunTests(m))
}

// result is one run of the plugin as a user would see it.
type result struct {
	code           int
	stdout, stderr string
}

// run executes the plugin in-process with a clean environment: no kubeconfig but the one the
// test names, and a HOME without ~/.kube.
func run(t *testing.T, args ...string) result {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	if os.Getenv("KUBECONFIG") == "" {
		t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
	}
	var out, errOut bytes.Buffer
	code := Main(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// writeKubeconfig writes a one-context kubeconfig for server with the given user credentials.
func writeKubeconfig(t *testing.T, contextName, server string, ca []byte, user *clientcmdapi.AuthInfo) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca, InsecureSkipTLSVerify: ca == nil}
	cfg.AuthInfos["u"] = user
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = contextName
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// oneErrorLine checks the contract for failures: exactly one line on stderr, starting "error: ".
func oneErrorLine(t *testing.T, r result) string {
	t.Helper()
	if !strings.HasPrefix(r.stderr, "error: ") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("stderr should be one 'error: …' line, got %q", r.stderr)
	}
	return r.stderr
}
