package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netpol/kubectl-netpol/checks"
	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// nodeWith starts a real node of the test's own whose network plugin is cni, stopped when the
// test ends, and points the plugin at it.
func nodeWith(t *testing.T, cni string) *localcluster.Cluster {
	t.Helper()
	localcluster.RequireDataplane(t)
	c, err := localcluster.Start(context.Background(), localcluster.Options{Dataplane: true, CNI: cni, Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	usePluginEnv(t, c)
	return c
}

// cniFinding runs doctor's CNI check on the whole cluster and returns its finding.
func cniFinding(t *testing.T, c *localcluster.Cluster) checks.Finding {
	t.Helper()
	return doctorFinding(t, c, "cni", "-A")
}

// On the package's node, kube-router runs as its own manifests deploy it (a DaemonSet in
// kube-system): doctor names it from that DaemonSet, as on any cluster, and its active test
// proves that it enforces.
func TestDoctorFindsKubeRouter(t *testing.T) {
	c := localcluster.ForDataplane(t)
	f := cniFinding(t, c)
	if f.ID != "NP1003" || f.Status != checks.StatusPass || f.Resource != "DaemonSet/kube-system/kube-router" {
		t.Errorf("doctor's CNI finding on the kube-router node: %s %s %s: %s", f.ID, f.Status, f.Resource, f.Message)
	}
	if active := activeFinding(t, c); active.ID != "NP6002" {
		t.Errorf("doctor --active on the kube-router node: %s %s", active.ID, active.Message)
	}
}

// The seeds' flannel lesson on real packets: on a node whose pods flannel connects and where
// nothing enforces NetworkPolicy, doctor names flannel and says how to add a policy engine,
// its active test shows the deny policy ignored, and the three-tier solution, right by the
// evaluator, lets every row its policies deny through: each one is blamed on the network,
// none on the policies.
func TestFlannelEnforcesNothing(t *testing.T) {
	c := nodeWith(t, localcluster.CNIFlannel)

	f := cniFinding(t, c)
	if f.ID != "NP1001" || f.Severity != checks.SeverityError || f.Resource != "DaemonSet/kube-flannel/kube-flannel-ds" ||
		!strings.Contains(f.Message, "flannel") || !strings.Contains(f.Remediation, "kube-network-policies") {
		t.Errorf("doctor's CNI finding on the flannel node: %s %s %s: %s\nfix: %s", f.ID, f.Severity, f.Resource, f.Message, f.Remediation)
	}
	if active := activeFinding(t, c); active.ID != "NP6001" {
		t.Errorf("doctor --active on the flannel node: %s %s", active.ID, active.Message)
	}

	if r := netpol(t, c, "lab", "up", "three-tier", "--solution"); r.code != 0 {
		t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
	}
	// Every goal row observed (pods just started may miss a probe once): the denied ones
	// connected, the allowed ones too.
	rep, unobserved := checkUntil(t, c, "three-tier", 45*time.Second, func(rep checkReport) []string {
		var off []string
		for _, o := range rep.Live {
			if o.Ignored == "" && (o.Observed == nil || !*o.Observed) {
				off = append(off, o.String()+": "+o.Outcome+" "+o.Detail)
			}
		}
		return off
	})
	if len(unobserved) > 0 {
		t.Fatalf("rows not connected on flannel after 45s:\n%s\nflanneld's log ends:\n%s", strings.Join(unobserved, "\n"), c.LogTail("kube-flannel", 20))
	}
	denied := 0
	for i, o := range rep.Live {
		s := rep.Static[i]
		if !s.Correct {
			t.Errorf("static: %s -> %s %d: the solution's policies give %v, the goal %v", s.From, s.To, s.Port, s.Evaluated, s.Allowed)
		}
		if o.Ignored != "" {
			continue
		}
		if s.Evaluated {
			if o.Judgement != "ok" || o.Blame != "" {
				t.Errorf("%s: allowed and connected, judged %s, blamed %q", o, o.Judgement, o.Blame)
			}
			continue
		}
		denied++
		if o.Judgement != "wrong" || o.Blame != "not-enforced" {
			t.Errorf("%s: the policies deny it and it connected: judged %s, blamed %q; want wrong, the network (not-enforced)", o, o.Judgement, o.Blame)
		}
	}
	if denied == 0 {
		t.Fatal("three-tier's solution denies no probed row: the test proves nothing")
	}
	if rep.Verdict != "FAIL" {
		t.Errorf("verdict %s (%s), want FAIL: the packets disagree with the goal", rep.Verdict, rep.Score)
	}
	r := netpol(t, c, "lab", "check", "three-tier", "--retries", "0", "--probe-timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stdout, "the network plugin (CNI) is not enforcing NetworkPolicy") ||
		!strings.Contains(r.stdout, "your policies are right") {
		t.Errorf("lab check three-tier on flannel: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := netpol(t, c, "lab", "down", "three-tier"); r.code != 0 {
		t.Errorf("lab down: exit %d\n%s", r.code, r.stderr)
	}
}

// The shape of k3s and canal: flannel connects the pods, kube-router enforces. doctor says the
// policies are enforced, by kube-router, and names flannel beside it; the three-tier solution
// passes on real packets.
func TestFlannelWithKubeRouter(t *testing.T) {
	c := nodeWith(t, localcluster.CNIFlannelKubeRouter)

	f := cniFinding(t, c)
	if f.ID != "NP1003" || f.Resource != "DaemonSet/kube-system/kube-router" || !strings.Contains(f.Message, "kube-flannel-ds") {
		t.Errorf("doctor's CNI finding with flannel and kube-router: %s %s: %s", f.ID, f.Resource, f.Message)
	}
	if r := netpol(t, c, "lab", "up", "three-tier", "--solution"); r.code != 0 {
		t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
	}
	rep := settledCheck(t, c, "three-tier", nil)
	if rep.Verdict != "PASS" {
		t.Errorf("three-tier's solution where kube-router enforces beside flannel: %s (%s)", rep.Verdict, rep.Score)
	}
	packetsAreThePolicies(t, c, "flannel+kube-router", rep, nil)
	if r := netpol(t, c, "lab", "down", "three-tier"); r.code != 0 {
		t.Errorf("lab down: exit %d\n%s", r.code, r.stderr)
	}
}
