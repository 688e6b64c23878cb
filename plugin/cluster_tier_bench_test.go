package plugin

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
)

// BenchmarkExplainClusterTierE2E is BenchmarkExplainE2E's cluster of 2,000 pods (and 500
// NetworkPolicies) without cluster-scoped policies (cnps=0) and with 200 of them
// (sourcetest.WriteClusterPolicies: Admin and Baseline, namespace and pod subjects, every kind
// of peer and port), through Main, in explain's usual modes. The target (issue 28): with them,
// within 1.5 times the time without, in every mode.
//
//	go test -short -run XXX -bench ExplainClusterTierE2E -count 5 ./plugin/
//
// Besides ns/op it reports cpu-ns/op (Linux), the process's CPU time (user and system, every
// thread, the garbage collector's included) per run: on a machine shared with other jobs, wall
// time varies with their load, CPU time much less.
func BenchmarkExplainClusterTierE2E(b *testing.B) {
	b.Setenv("HOME", b.TempDir())
	if os.Getenv("KUBECONFIG") == "" {
		b.Setenv("KUBECONFIG", filepath.Join(b.TempDir(), "absent"))
	}
	const pods = 2000
	b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
		// The same cluster twice, the second with the cluster policies; each mode runs on one,
		// then the other, so that the two are measured close in time (-count repeats each).
		dirs := map[int]string{}
		for _, cnps := range []int{0, 200} {
			dirs[cnps] = sourcetest.WriteCluster(b, pods/20)
			if cnps > 0 {
				sourcetest.WriteClusterPolicies(b, dirs[cnps], pods/20, cnps)
			}
		}
		for _, mode := range []struct {
			name string
			args []string
		}{
			{"table", []string{"--port", "8080/TCP"}},
			{"table-by-class", []string{"--port", "8080/TCP", "--by", "class"}},
			{"json", []string{"--port", "8080/TCP", "-o", "json"}},
			{"from-one-pod", []string{"--port", "8080/TCP", "--from", "ns-0000/web-0"}},
		} {
			b.Run(mode.name, func(b *testing.B) {
				for _, cnps := range []int{0, 200} {
					b.Run(fmt.Sprintf("cnps=%d", cnps), func(b *testing.B) {
						start, ok := cpuTime()
						benchmarkMain(b, append([]string{"explain", "-f", dirs[cnps]}, mode.args...))
						if end, _ := cpuTime(); ok {
							b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
						}
					})
				}
			})
		}
	})
}

// cpuTime is the CPU time the process has used so far, user and system, from /proc/self/stat
// (in clock ticks, taken as 100 a second, as on every Linux kernel built these days); false
// where there is no /proc.
func cpuTime() (time.Duration, bool) {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command (in parentheses, which may hold spaces): state is the
	// first, utime the 12th, stime the 13th.
	_, rest, ok := strings.Cut(string(data), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * (time.Second / 100), true
}

// The generated cluster policies are read as written: every one, of each kind, with no warning,
// and they decide some connections of the benchmark's cluster (else the benchmark would
// measure a tier that changes nothing).
func TestClusterPoliciesGenerated(t *testing.T) {
	dir := sourcetest.WriteCluster(t, 100)
	sourcetest.WriteClusterPolicies(t, dir, 100, 200)
	text := sourcetest.ClusterPoliciesYAML(100, 200)
	if n := strings.Count(text, "\nkind: "); n != 200 {
		t.Fatalf("%d policies written, want 200", n)
	}
	for _, kind := range []string{"ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"} {
		if !strings.Contains(text, "\nkind: "+kind+"\n") {
			t.Errorf("no %s", kind)
		}
	}
	r := run(t, "explain", "-f", dir, "--port", "8080/TCP", "-o", "json", "--from", "ns-0000/web-0")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, reason := range []string{"denied by ClusterNetworkPolicy", "denied by AdminNetworkPolicy", "Pass by AdminNetworkPolicy", "allowed by ns-0000/allow-same-app"} {
		if !strings.Contains(r.stdout, reason) {
			t.Errorf("no side %s", reason)
		}
	}
	w := run(t, "explain", "-f", dir, "--why", "ns-0003/web-0", "ns-0004/api-0", "--port", "8080")
	if w.code != ExitOK || !strings.Contains(w.stdout, "ClusterNetworkPolicy ns-0003-web-to-ns-0004") {
		t.Errorf("--why: exit %d\n%s%s", w.code, w.stdout, w.stderr)
	}
}
