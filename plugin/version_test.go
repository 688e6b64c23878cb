package plugin

import (
	"encoding/json"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

func TestVersionClientOnly(t *testing.T) {
	r := run(t, "version", "--client", "-o", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var got VersionInfo
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	want := ClientVersion{Version: "dev", Commit: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if got.Client != want || got.Server != nil {
		t.Errorf("got %+v, want client %+v and no server", got, want)
	}

	r = run(t, "version", "--client", "-o", "yaml")
	var fromYAML VersionInfo
	if err := yaml.Unmarshal([]byte(r.stdout), &fromYAML); err != nil || fromYAML.Client != want {
		t.Errorf("yaml output %q (err %v), want client %+v", r.stdout, err, want)
	}

	r = run(t, "version", "--client")
	wantLine := "Client Version: dev (commit unknown, " + runtime.Version() + ", " + want.Platform + ")\n"
	if r.stdout != wantLine {
		t.Errorf("table output %q, want %q", r.stdout, wantLine)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"no-such-command"},
		{"--no-such-flag"},
		{"version", "-o", "xml"},
		{"version", "extra"},
		{"completion"},
		{"completion", "tcsh"},
		{"lab", "show"},
		{"lab", "up", "three-tier", "--timeout=0"},
		{"lab", "down", "three-tier", "--timeout=-1s"},
		{"lab", "show", "three-tier", "-o", "xml"},
		{"lab", "show", "three-tier", "--solution", "-o", "json"},
		{"lab", "status", "three-tier", "dns-egress"},
		{"lab", "up", "three-tier", "--namespace-suffix=_X"},
		{"lab", "up", "three-tier", "--image", "database=x"},
	} {
		r := run(t, args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (usage)", args, r.code, ExitUsage)
		}
		oneErrorLine(t, r)
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "__start_kubectl-netpol", "zsh": "#compdef kubectl-netpol", "fish": "complete -c kubectl-netpol", "powershell": "Register-ArgumentCompleter"} {
		r := run(t, "completion", shell)
		if r.code != ExitOK || !strings.Contains(r.stdout, marker) {
			t.Errorf("completion %s: exit %d, output lacks %q", shell, r.code, marker)
		}
	}
	// What kubectl_complete-netpol answers for `kubectl netpol <TAB>`.
	r := run(t, "__complete", "")
	for _, sub := range []string{"version\t", "completion\t"} {
		if !strings.Contains(r.stdout, sub) {
			t.Errorf("__complete lists %q, want %q among the candidates", r.stdout, sub)
		}
	}
}

func TestNoKubeconfig(t *testing.T) {
	r := run(t, "version")
	if r.code != ExitUnreachable {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, ExitUnreachable, r.stderr)
	}
	if line := oneErrorLine(t, r); !strings.Contains(line, "no cluster configured") || !strings.Contains(line, "--kubeconfig") {
		t.Errorf("message %q should say no cluster is configured and how to name one", line)
	}
	if !strings.HasPrefix(r.stdout, "Client Version: ") {
		t.Errorf("the client version is printed even without a cluster, got %q", r.stdout)
	}
}

func TestUnreachableServerRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := "https://" + l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	kubeconfig := writeKubeconfig(t, "dead-cluster", server, nil, &clientcmdapi.AuthInfo{Token: "t"})

	r := run(t, "version", "--kubeconfig", kubeconfig)
	if r.code != ExitUnreachable {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, ExitUnreachable, r.stderr)
	}
	line := oneErrorLine(t, r)
	for _, want := range []string{server, `context "dead-cluster"`, kubeconfig, "connection refused"} {
		if !strings.Contains(line, want) {
			t.Errorf("message %q lacks %q", line, want)
		}
	}
}

// A server that accepts connections and never answers: the command must give up after
// --request-timeout, name the server, and say that it timed out.
func TestUnreachableServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold the connection open, say nothing
		}
	}()
	server := "https://" + l.Addr().String()
	kubeconfig := writeKubeconfig(t, "silent", server, nil, &clientcmdapi.AuthInfo{Token: "t"})

	start := time.Now()
	r := run(t, "version", "--kubeconfig", kubeconfig, "--request-timeout", "1s")
	elapsed := time.Since(start)
	if r.code != ExitUnreachable {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, ExitUnreachable, r.stderr)
	}
	line := oneErrorLine(t, r)
	if !strings.Contains(line, server) || !strings.Contains(line, "--request-timeout") {
		t.Errorf("message %q should name %s and the timeout", line, server)
	}
	// The contract is "within --request-timeout", not a speed target: a generous bound that
	// only a retry loop or a missing timeout would break.
	if elapsed > 4*time.Second {
		t.Errorf("took %s with --request-timeout=1s", elapsed)
	}
}

func TestDefaultRequestTimeoutIsSeconds(t *testing.T) {
	root := NewRootCmd(genericiooptions.NewTestIOStreamsDiscard())
	flag := root.PersistentFlags().Lookup("request-timeout")
	if flag == nil {
		t.Fatal("no --request-timeout flag")
	}
	d, err := time.ParseDuration(flag.DefValue)
	if err != nil || d <= 0 || d > 10*time.Second {
		t.Errorf("--request-timeout defaults to %q, want a few seconds", flag.DefValue)
	}
	for _, name := range []string{"kubeconfig", "context", "namespace", "cluster", "user", "server", "token", "as"} {
		if root.PersistentFlags().Lookup(name) == nil {
			t.Errorf("standard kubectl flag --%s missing", name)
		}
	}
}
