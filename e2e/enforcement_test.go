package e2e

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubectl-netpol/kubectl-netpol/checks"
	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

type probeReport struct {
	Results []observation `json:"results"`
	Summary struct {
		Correct, Wrong, Failed, Ignored, Total int
	} `json:"summary"`
}

type doctorReport struct {
	Findings []checks.Finding `json:"findings"`
}

// threeTierProbe is the probe matrix of the three-tier lab: its 6 pods to the 3 servers, each on
// the port it declares (and serves).
var threeTierProbe = []string{"probe", "-A", "--from", "web", "--from", "was", "--from", "db",
	"--to", "web", "--to", "was", "--to", "db", "--probe-timeout", "2s"}

// With kube-router enforcing, `probe` sees exactly what the evaluator expects, in every cell; with
// the enforcer gone, it shows the wrong cells and says plainly that the network plugin does not
// enforce NetworkPolicy. doctor --active tells the two apart.
func TestEnforcerOnAndOff(t *testing.T) {
	c := localcluster.ForDataplane(t)
	if r := netpol(t, c, "lab", "up", "three-tier", "--solution"); r.code != 0 {
		t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
	}
	defer netpol(t, c, "lab", "down", "three-tier")

	var rep probeReport
	netpolJSON(t, c, &rep, threeTierProbe...)
	if rep.Summary.Failed != 0 || rep.Summary.Correct == 0 {
		t.Errorf("enforced: summary %+v", rep.Summary)
	}
	for _, o := range wrongCells(t, c, rep) {
		t.Errorf("enforced: %s: expected allowed=%v, observed %s (%s)", o, o.Expected, o.Outcome, o.Detail)
	}
	// Without --port, a destination is probed only on the ports it declares: the client pods
	// serve nothing, and a refusal from them would be a false "wrong".
	for _, o := range rep.Results {
		if strings.HasSuffix(o.To, "/client") && o.From != o.To && !strings.Contains(o.Ignored, "declares no") {
			t.Errorf("%s probed though the destination declares no such port (%q)", o, o.Ignored)
		}
	}
	denied := 0
	for _, o := range rep.Results {
		if o.Ignored == "" && !o.Expected && listens(t, c, o.To, o.Port) {
			denied++
		}
	}
	if denied == 0 {
		t.Fatal("the matrix has no denied cell: it proves nothing about enforcement")
	}
	active := activeFinding(t, c)
	if active.ID != "NP6002" {
		t.Errorf("doctor --active with the enforcer: %s %s", active.ID, active.Message)
	}

	defer stopEnforcer(t, c)()
	// The DaemonSet stays, scheduled on no node: doctor says nothing enforces, and why.
	var cni checks.Finding
	_ = wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 15*time.Second, true, func(context.Context) (bool, error) {
		cni = cniFinding(t, c)
		return cni.ID == "NP1001", nil
	})
	if cni.ID != "NP1001" || !strings.Contains(cni.Message, "kube-router") || !strings.Contains(cni.Message, "runs no pod") {
		t.Errorf("doctor's CNI finding with kube-router's DaemonSet on no node: %s %s", cni.ID, cni.Message)
	}
	r := netpol(t, c, append(threeTierProbe, "--retries", "0")...)
	if r.code != 1 || !strings.Contains(r.stdout, "the network plugin (CNI) is not enforcing NetworkPolicy") {
		t.Errorf("not enforced: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Every denied cell gets through, and every allowed one still does. kube-router's rules go
	// as it stops, and a probe on a loaded machine can miss once: look again for a while
	// (with a retry for cells that disagree) before calling it wrong.
	var blockedAllowed []observation
	leaked := 0
	if err := wait.PollUntilContextTimeout(context.Background(), time.Second, 45*time.Second, true, func(context.Context) (bool, error) {
		var open probeReport
		netpolJSON(t, c, &open, append(threeTierProbe, "--retries", "1")...)
		blockedAllowed, leaked = nil, 0
		for _, o := range wrongCells(t, c, open) {
			if o.Expected {
				blockedAllowed = append(blockedAllowed, o)
				continue
			}
			leaked++
		}
		return len(blockedAllowed) == 0 && leaked == denied, nil
	}); err != nil {
		for _, o := range blockedAllowed {
			t.Errorf("not enforced: %s expected allowed, observed %s", o, o.Outcome)
		}
		t.Errorf("not enforced: %d denied cells got through, want every one (%d)", leaked, denied)
	}
	if active := activeFinding(t, c); active.ID != "NP6001" {
		t.Errorf("doctor --active without the enforcer: %s %s", active.ID, active.Message)
	}
}

// activeFinding runs doctor's active test and returns its finding.
func activeFinding(t *testing.T, c *localcluster.Cluster) checks.Finding {
	t.Helper()
	return doctorFinding(t, c, "active", "--active", "--probe-timeout", "2s")
}

// doctorFinding runs one doctor check (with args) and returns its finding.
func doctorFinding(t *testing.T, c *localcluster.Cluster, check string, args ...string) checks.Finding {
	t.Helper()
	var rep doctorReport
	netpolJSON(t, c, &rep, append([]string{"doctor", "--check", check}, args...)...)
	for _, f := range rep.Findings {
		if f.Check == check {
			return f
		}
	}
	t.Fatalf("no %s finding in %+v", check, rep.Findings)
	return checks.Finding{}
}

// waitEnforced waits until kube-router, started again, enforces: the active test passes.
func waitEnforced(t *testing.T, c *localcluster.Cluster) {
	t.Helper()
	var rep doctorReport
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		rep = doctorReport{}
		netpolJSON(t, c, &rep, "doctor", "--active", "--check", "active", "--probe-timeout", "2s")
		return slices.ContainsFunc(rep.Findings, func(f checks.Finding) bool { return f.ID == "NP6002" }), nil
	})
	if err != nil {
		t.Fatalf("kube-router did not enforce again within a minute: %+v", rep.Findings)
	}
}

// stopEnforcer stops kube-router (its DaemonSet's pod leaves the node, and no rule or ipset of
// it stays) and returns what starts it again and waits until it enforces.
func stopEnforcer(t *testing.T, c *localcluster.Cluster) (restart func()) {
	t.Helper()
	if err := c.StopEnforcer(); err != nil {
		t.Fatalf("stopping kube-router: %v", err)
	}
	if pods := kubectl(t, c, "", "get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-router", "-o", "name"); strings.Contains(pods, "pod/") {
		t.Fatalf("kube-router's pod still there after StopEnforcer: %s", pods)
	}
	inNode := func(args ...string) string {
		out, err := exec.Command("ip", append([]string{"netns", "exec", c.Node.NetNS}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	for _, left := range []string{"KUBE-ROUTER-", "KUBE-POD-FW-", "KUBE-NWPLCY-"} {
		if rules := inNode("iptables-save"); strings.Contains(rules, left) {
			t.Fatalf("kube-router's %s rules left on the node after StopEnforcer:\n%s", left, rules)
		}
	}
	for _, set := range strings.Fields(inNode("ipset", "list", "-n")) {
		if strings.HasPrefix(set, "KUBE-SRC-") || strings.HasPrefix(set, "KUBE-DST-") {
			t.Fatalf("kube-router's ipset %s left on the node after StopEnforcer", set)
		}
	}
	return func() {
		if err := c.StartEnforcer(); err != nil {
			t.Fatalf("starting kube-router again: %v", err)
		}
		waitEnforced(t, c)
	}
}
