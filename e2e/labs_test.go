package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
)

// The lab check report, as `lab check -o json` prints it (the fields these tests read).
type checkReport struct {
	Verdict string `json:"verdict"`
	Score   string `json:"score"`
	Static  []struct {
		From      string `json:"from"`
		To        string `json:"to"`
		Port      int    `json:"port"`
		Allowed   bool   `json:"allowed"`
		Evaluated bool   `json:"evaluated"`
		Correct   bool   `json:"correct"`
	} `json:"static"`
	Live []observation `json:"live"`
	// Whether the network enforces the cluster policies (labs that have them).
	ClusterTier *struct {
		Enforced bool     `json:"enforced"`
		Found    []string `json:"found"`
	} `json:"clusterTier"`
}

type observation struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	Expected bool   `json:"expected"`
	Observed *bool  `json:"observed"`
	Outcome  string `json:"outcome"`
	Detail   string `json:"detail"`
	Correct  bool   `json:"correct"`
	Ignored  string `json:"ignored"`
	Error    string `json:"error"`
	// The live judgement: ok, wrong, not-served, failed, ignored; what the evidence blames.
	Policies  bool   `json:"policies"`
	Listener  string `json:"listener"`
	Judgement string `json:"judgement"`
	Blame     string `json:"blame"`
	Tier      string `json:"tier"`
}

func (o observation) String() string {
	return fmt.Sprintf("%s -> %s %d/%s", o.From, o.To, o.Port, o.Protocol)
}

// Every lab on real packets: its setup fails the check, and what the packets do equals what the
// evaluator says of the setup, in every goal row (each lab's pods serve every port its goal
// probes, so no row is left to a refusal from an empty port); with the solution applied the
// check passes, every goal row probed and right (the kube-dns rows as a real name lookup through
// CoreDNS). The rows whose source is an address outside the cluster, which lab check leaves
// out, are tried from the internet namespace, which owns those addresses.
func TestLabsOnRealPackets(t *testing.T) {
	c := localcluster.ForDataplane(t)
	catalog, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lab := range catalog {
		t.Run(lab.Name, func(t *testing.T) {
			if lab.NeedsCRDs() {
				c.InstallClusterPolicyCRD(t) // as a cluster admin would; removed after the lab
			}
			if r := netpol(t, c, "lab", "up", lab.Name); r.code != 0 {
				t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
			}
			defer func() {
				if r := netpol(t, c, "lab", "down", lab.Name); r.code != 0 {
					t.Errorf("lab down: exit %d\n%s", r.code, r.stderr)
				}
			}()

			// The lab's own policies (a default deny, say) come with its pods: let the enforcer
			// catch up with both before the packets are compared with the evaluator.
			setup := settledCheck(t, c, lab.Name, nil)
			if setup.Verdict != "FAIL" {
				t.Errorf("setup alone: verdict %s (%s), want FAIL", setup.Verdict, setup.Score)
			}
			packetsAreThePolicies(t, c, "setup", setup, nil)
			if lab.NeedsCRDs() {
				tierNotEnforced(t, c, "setup", setup)
			}
			if lab.Name == "three-tier" {
				threeTierWithoutPolicies(t, c, setup)
				observedOnPage(t, c, lab.Name, setup)
			}

			if r := netpol(t, c, "lab", "up", lab.Name, "--solution"); r.code != 0 {
				t.Fatalf("lab up --solution: exit %d\n%s", r.code, r.stderr)
			}
			solved := settledCheck(t, c, lab.Name, nil)
			if solved.Verdict != "PASS" {
				t.Errorf("solution: verdict %s (%s), want PASS", solved.Verdict, solved.Score)
			}
			probed := 0
			for i, o := range solved.Live {
				switch {
				case o.Ignored != "":
					if o.To == labs.KubeDNS {
						t.Errorf("solution: %s ignored: %s", o, o.Ignored)
					}
				case o.Observed == nil:
					t.Errorf("solution: %s not observed (%s): %s %s", o, o.Judgement, o.Error, o.Detail)
				case o.Judgement == "tier-not-enforced" && o.Tier != "":
					probed++ // shown, not graded: tierNotEnforced checks these rows
				case o.Judgement != "ok":
					t.Errorf("solution: %s: want allowed=%v, packets say %v (%s %s)", o, o.Expected, *o.Observed, o.Outcome, o.Detail)
				default:
					probed++
				}
				if o.Outcome == "refused" && strings.Contains(o.To, "/") && o.Listener != "listening" {
					t.Errorf("solution: %s refused, but the destination's own look says %q", o, o.Listener)
				}
				if o.Ignored != "" && fromOutside(o) {
					if got := fromInternet(t, c, o, solved.Static[i].Allowed); got != solved.Static[i].Allowed {
						t.Errorf("solution: %s from the internet namespace: connected=%v, the goal says %v", o, got, solved.Static[i].Allowed)
					}
				}
			}
			if probed == 0 {
				t.Errorf("solution: no goal row was probed")
			}
			if lab.NeedsCRDs() {
				tierNotEnforced(t, c, "solution", solved)
			}
			if lab.Name == "three-tier" {
				// The row to was on 3306 is blocked by the policy: refused by kube-router while was
				// itself serves the port, not refused by an empty port.
				row := liveRow(t, solved, "web/web", "was/was", 3306)
				if row.Judgement != "ok" || row.Observed == nil || *row.Observed || row.Listener != "listening" && row.Outcome != "timeout" {
					t.Errorf("solution: %s: %s %s, listener %q, judged %s", row, row.Outcome, row.Detail, row.Listener, row.Judgement)
				}
			}
		})
	}
}

// settledCheck runs lab check until every probed goal row shows what the evaluator says of the
// policies in the cluster (the enforcer has caught up with what was just created), and returns
// that report. It fails the test when that does not happen within 90 seconds. Rows in known are
// the enforcer's own deviations from the spec: there the packets may get through what the
// policies deny.
func settledCheck(t *testing.T, c *localcluster.Cluster, lab string, known map[string]bool) checkReport {
	t.Helper()
	rep, off := checkUntil(t, c, lab, 90*time.Second, func(rep checkReport) []string { return disagreements(rep, known) })
	if len(off) > 0 {
		t.Fatalf("lab %s: the packets did not settle on what the policies say within 90s:\n%s\nkube-router's log ends:\n%s", lab, strings.Join(off, "\n"), c.LogTail("kube-router", 30))
	}
	return rep
}

// checkUntil runs lab check (one round of probes each time) until off finds nothing wrong with
// its report, or the timeout passes; it returns the last report and what was still wrong.
func checkUntil(t *testing.T, c *localcluster.Cluster, lab string, timeout time.Duration, off func(checkReport) []string) (checkReport, []string) {
	t.Helper()
	var rep checkReport
	var wrong []string
	_ = wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		rep = checkReport{}
		netpolJSON(t, c, &rep, "lab", "check", lab, "--retries", "0", "--probe-timeout", "2s")
		wrong = off(rep)
		return len(wrong) == 0, nil
	})
	return rep, wrong
}

// disagreements are the probed rows whose packets differ from the policies, or that observed
// nothing; a known deviation (a row of known that got through what the policies deny) is not one.
func disagreements(rep checkReport, known map[string]bool) []string {
	var off []string
	if len(rep.Live) != len(rep.Static) {
		return []string{fmt.Sprintf("%d live rows for %d goal rows", len(rep.Live), len(rep.Static))}
	}
	for i, o := range rep.Live {
		switch {
		case o.Ignored != "":
		case o.Observed == nil:
			off = append(off, fmt.Sprintf("%s: %s: %s %s", o, o.Judgement, o.Error, o.Detail))
		case known[o.String()] && *o.Observed && !rep.Static[i].Evaluated:
		case o.Judgement == "tier-not-enforced" && rep.ClusterTier != nil && !rep.ClusterTier.Enforced:
		case *o.Observed != rep.Static[i].Evaluated:
			off = append(off, fmt.Sprintf("%s: packets say allowed=%v (%s %s), the policies %v", o, *o.Observed, o.Outcome, o.Detail, rep.Static[i].Evaluated))
		}
	}
	return off
}

// packetsAreThePolicies checks a settled report: every goal row observed (none left to a port
// nobody serves), the packets equal to the policies' verdict, the network never blamed, and the
// rows from outside the cluster equal to the policies when tried from the internet namespace. A
// known deviation of the enforcer is blamed on the network, and only there.
func packetsAreThePolicies(t *testing.T, c *localcluster.Cluster, what string, rep checkReport, known map[string]bool) {
	t.Helper()
	for _, line := range disagreements(rep, known) {
		t.Errorf("%s: %s", what, line)
	}
	for i, o := range rep.Live {
		if known[o.String()] {
			if o.Blame != "not-enforced" {
				t.Errorf("%s: %s: kube-router lets it through what the policies deny; the plugin blames %q, want the network (not-enforced)", what, o, o.Blame)
			}
			t.Logf("%s: kube-router's known deviation, blamed on the network: %s %s", what, o, o.Detail)
			continue
		}
		if o.Blame == "not-enforced" || o.Blame == "dropped" {
			t.Errorf("%s: %s blames the network (%s) while kube-router enforces", what, o, o.Blame)
		}
		if o.Judgement == "not-served" {
			t.Errorf("%s: %s: not served: %s", what, o, o.Detail)
		}
		if o.Judgement == "wrong" && o.Blame != "policies" {
			t.Errorf("%s: %s is wrong, blamed on %q, want the policies", what, o, o.Blame)
		}
		if o.Ignored != "" && fromOutside(o) {
			if got := fromInternet(t, c, o, rep.Static[i].Evaluated); got != rep.Static[i].Evaluated {
				t.Errorf("%s: %s from the internet namespace: connected=%v, the policies say %v", what, o, got, rep.Static[i].Evaluated)
			}
		}
	}
}

// threeTierWithoutPolicies is the case: the setup has no policy at all, so every goal
// row connects, the rows the goal blocks are WRONG because of the (missing) policies, and
// nothing says the network plugin does not enforce.
func threeTierWithoutPolicies(t *testing.T, c *localcluster.Cluster, setup checkReport) {
	t.Helper()
	row := liveRow(t, setup, "web/web", "was/was", 3306)
	if row.Outcome != "connected" || row.Judgement != "wrong" || row.Blame != "policies" {
		t.Errorf("setup: %s: %s (%s), judged %s, blame %q; want connected, wrong, the policies", row, row.Outcome, row.Detail, row.Judgement, row.Blame)
	}
	r := netpol(t, c, "lab", "check", "three-tier", "--probe-timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stdout, "\nFAIL: ") || strings.Contains(r.stdout, "not enforcing") || strings.Contains(r.stdout, "CNI") {
		t.Errorf("lab check three-tier without policies: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "FAIL") {
		t.Errorf("FAIL said again on stderr: %s", r.stderr)
	}
}

// tierNotEnforced checks a lab with cluster policies on the real node, whose kube-router
// enforces NetworkPolicies and nothing of the cluster tier: the report says the check ran
// without an enforcer and names kube-router; every row the cluster tier denies got through and
// is shown as not enforced here, never as wrong nor blamed on the NetworkPolicies; the table
// says so in the learner's language.
func tierNotEnforced(t *testing.T, c *localcluster.Cluster, what string, rep checkReport) {
	t.Helper()
	if rep.ClusterTier == nil || rep.ClusterTier.Enforced || !strings.Contains(strings.Join(rep.ClusterTier.Found, " "), "kube-router") {
		t.Errorf("%s: clusterTier %+v, want not enforced, kube-router named", what, rep.ClusterTier)
	}
	unenforced := 0
	for i, o := range rep.Live {
		if o.Tier == "" || rep.Static[i].Evaluated {
			continue
		}
		if o.Observed == nil || !*o.Observed || o.Judgement != "tier-not-enforced" || o.Blame != "tier-not-enforced" {
			t.Errorf("%s: %s (the %s tier denies it): observed %v, %s, blame %q; want connected, tier-not-enforced", what, o, o.Tier, o.Observed, o.Judgement, o.Blame)
		}
		unenforced++
	}
	if unenforced == 0 {
		t.Errorf("%s: no row rests on the cluster tier's denial", what)
	}
	// probe, on the same cluster: the Baseline deny that got through is the cluster tier's, and
	// kube-router, which enforces the NetworkPolicies, is not said to fail them.
	var probed struct {
		Results []observation `json:"results"`
	}
	r := netpol(t, c, "probe", "-A", "--from", "toolbox/debug", "--to", "store/web", "--port", "80", "--probe-timeout", "2s", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &probed); err != nil || r.code != 1 || len(probed.Results) != 1 {
		t.Fatalf("%s: probe: exit %d, %v\n%s%s", what, r.code, err, r.stdout, r.stderr)
	}
	if p := probed.Results[0]; p.Tier != "Baseline" || p.Judgement != "tier-not-enforced" || p.Blame != "tier-not-enforced" {
		t.Errorf("%s: probe %s: tier %q, %s, blame %q; want Baseline, tier-not-enforced", what, p, p.Tier, p.Judgement, p.Blame)
	}
	r = netpol(t, c, "probe", "-A", "--from", "toolbox/debug", "--to", "store/web", "--port", "80", "--probe-timeout", "2s")
	if !strings.Contains(r.stdout, "No network plugin known to enforce ClusterNetworkPolicy runs") || strings.Contains(r.stdout, "not enforcing NetworkPolicy") {
		t.Errorf("%s: probe's table:\n%s", what, r.stdout)
	}
	for _, lg := range []string{"en", "ja"} {
		r := netpol(t, c, "lab", "check", "cluster-tier", "--probe-timeout", "2s", "--lang", lg)
		want := map[string]string{"en": "Ran without a ClusterNetworkPolicy enforcer", "ja": "ClusterNetworkPolicy を適用するネットワーク プラグインなしで実行しました"}[lg]
		if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "kube-router") {
			t.Errorf("%s, --lang %s: the table does not say the check ran without an enforcer:\n%s", what, lg, r.stdout)
		}
	}
}

func liveRow(t *testing.T, rep checkReport, from, to string, port int32) observation {
	t.Helper()
	for _, o := range rep.Live {
		if o.From == from && o.To == to && o.Port == port {
			return o
		}
	}
	t.Fatalf("no live row %s -> %s %d", from, to, port)
	return observation{}
}

// fromOutside reports whether a row's source is an address outside the cluster.
func fromOutside(o observation) bool {
	_, err := netip.ParseAddr(o.From)
	return err == nil
}

// fromInternet tries a row whose source is an address outside the cluster from the internet
// namespace, which owns it, to the destination pod's address, until the packets give want or
// 20 seconds pass, and returns the last answer. Two things settle after the in-cluster rows
// do: kube-router's rules for ipBlock peers, and the node's neighbour entry for a pod address
// that an earlier, deleted pod had (the node forwards to the old MAC address until the entry
// fails, several seconds; in-cluster probes never pass through the node's cache).
func fromInternet(t *testing.T, c *localcluster.Cluster, o observation, want bool) bool {
	t.Helper()
	pod := getPod(t, c, o.To)
	var connected bool
	var detail string
	_ = wait.PollUntilContextTimeout(context.Background(), time.Second, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		connected, detail, err = c.ConnectFromInternet(ctx, o.From, pod.Status.PodIP, int(o.Port), 2*time.Second)
		if err != nil {
			t.Fatalf("%s from the internet namespace: %v", o, err)
		}
		t.Logf("%s from the internet namespace: %s", o, detail)
		return connected == want, nil
	})
	return connected
}

// waitSettled waits until a probe matrix over the namespaces' pods agrees with the evaluator in
// every cell: the enforcer has programmed the pods and policies just created.
func waitSettled(t *testing.T, c *localcluster.Cluster, namespaces []string) {
	t.Helper()
	args := []string{"probe", "-A", "--retries", "0", "--probe-timeout", "1s"}
	for _, ns := range namespaces {
		args = append(args, "--from", ns, "--to", ns)
	}
	var rep probeReport
	var wrong []observation
	err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 90*time.Second, true, func(context.Context) (bool, error) {
		rep = probeReport{}
		netpolJSON(t, c, &rep, args...)
		wrong = wrongCells(t, c, rep)
		return len(wrong) == 0 && rep.Summary.Failed == 0, nil
	})
	if err != nil {
		var cells []string
		for _, o := range wrong {
			cells = append(cells, fmt.Sprintf("%s: want allowed=%v, %s (%s)", o, o.Expected, o.Outcome, o.Detail))
		}
		t.Fatalf("the enforcer did not settle within 90s: %+v, wrong:\n%s\nkube-router's log ends:\n%s", rep.Summary, strings.Join(cells, "\n"), c.LogTail("kube-router", 30))
	}
}

// wrongCells are the probed cells where the packets disagree with the evaluator, leaving out
// those to a port the destination does not serve: `probe` tries every destination on the ports
// any destination declares, and a refusal from a closed port says nothing about policies.
func wrongCells(t *testing.T, c *localcluster.Cluster, rep probeReport) []observation {
	t.Helper()
	var wrong []observation
	for _, o := range rep.Results {
		if o.Ignored == "" && o.Observed != nil && !o.Correct && listens(t, c, o.To, o.Port) {
			wrong = append(wrong, o)
		}
	}
	return wrong
}

// listens says whether something serves the destination's port: a pod's declared container
// port, CoreDNS on 53, or any TCP port of the internet namespace.
func listens(t *testing.T, c *localcluster.Cluster, to string, port int32) bool {
	t.Helper()
	if !strings.Contains(to, "/") {
		return true // kube-dns or an address of the internet namespace
	}
	pod := getPod(t, c, to)
	for _, ctr := range pod.Spec.Containers {
		if slices.ContainsFunc(ctr.Ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == port }) {
			return true
		}
	}
	return false
}

// observedOnPage checks lab check -o html against real packets: the goal table's OBSERVED
// column says "connected" exactly where the evaluator allows (which the packets were just
// shown to agree with), and every wrong row is marked.
func observedOnPage(t *testing.T, c *localcluster.Cluster, lab string, setup checkReport) {
	t.Helper()
	r := netpol(t, c, "lab", "check", lab, "-o", "html")
	if r.code != 1 {
		t.Fatalf("lab check -o html: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "<th>OBSERVED</th>") {
		t.Fatalf("no OBSERVED column on the page")
	}
	rows := regexp.MustCompile(`(?s)<tr class="row ([a-z]+)"[^>]*>(.*?)</tr>`).FindAllStringSubmatch(r.stdout, -1)
	if len(rows) != len(setup.Static) {
		t.Fatalf("%d goal rows on the page, %d in the JSON", len(rows), len(setup.Static))
	}
	cell := regexp.MustCompile(`<td>(.*?)</td>`)
	for i, row := range rows {
		cells := cell.FindAllStringSubmatch(row[2], -1)
		if len(cells) != 7 {
			t.Fatalf("row %d: %d cells", i, len(cells))
		}
		o, g := setup.Live[i], setup.Static[i]
		if o.Ignored != "" || !listens(t, c, o.To, o.Port) {
			continue
		}
		if connected := cells[5][1] == "connected"; connected != g.Evaluated {
			t.Errorf("%s: the page observed %q, the evaluator says allowed=%v", o, cells[5][1], g.Evaluated)
		}
		if !g.Correct && row[1] != "wrong" {
			t.Errorf("%s: the evaluator gets it wrong, the page marks it %s", o, row[1])
		}
	}
}

// getPod reads the pod named namespace/name.
func getPod(t *testing.T, c *localcluster.Cluster, id string) *corev1.Pod {
	t.Helper()
	ns, name, _ := strings.Cut(id, "/")
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	pod, err := cs.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}

// A variant on real packets: three-tier as variant 7 (other namespaces, pods and ports, served
// by its pods), with its solution, passes lab check on the enforcing node without being told
// which variant is up; without the solution it fails.
func TestVariantOnRealPackets(t *testing.T) {
	c := localcluster.ForDataplane(t)
	for _, solution := range []bool{true, false} {
		args := []string{"lab", "up", "three-tier", "--variant", "7"}
		if solution {
			args = append(args, "--solution")
		}
		if r := netpol(t, c, args...); r.code != 0 {
			t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
		}
		rep := settledCheck(t, c, "three-tier", nil)
		want := "FAIL"
		if solution {
			want = "PASS"
		}
		if rep.Verdict != want || strings.HasPrefix(rep.Live[0].From, "web/") {
			t.Errorf("variant 7 (solution %v): %s (%s), first row %s; want %s under the variant's names", solution, rep.Verdict, rep.Score, rep.Live[0], want)
		}
		packetsAreThePolicies(t, c, "variant 7", rep, nil)
		if r := netpol(t, c, "lab", "down", "three-tier"); r.code != 0 {
			t.Fatalf("lab down: exit %d\n%s", r.code, r.stderr)
		}
	}
}
