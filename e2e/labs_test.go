package e2e

import (
	"context"
	"fmt"
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
		Evaluated bool   `json:"evaluated"`
		Correct   bool   `json:"correct"`
	} `json:"static"`
	Live []observation `json:"live"`
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
}

func (o observation) String() string {
	return fmt.Sprintf("%s -> %s %d/%s", o.From, o.To, o.Port, o.Protocol)
}

// Every lab on real packets: its setup fails the check, and what the packets do equals what the
// evaluator says of the setup, cell by cell; with the solution applied the check passes, every
// goal row that can be probed from inside the cluster probed (the kube-dns rows as a real name
// lookup through CoreDNS).
func TestLabsOnRealPackets(t *testing.T) {
	c := localcluster.ForDataplane(t)
	catalog, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lab := range catalog {
		t.Run(lab.Name, func(t *testing.T) {
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
			waitSettled(t, c, lab.Namespaces)
			var setup checkReport
			r := netpolJSON(t, c, &setup, "lab", "check", lab.Name)
			if r.code != 1 || setup.Verdict != "FAIL" {
				t.Errorf("setup alone: exit %d, verdict %s (%s), want FAIL", r.code, setup.Verdict, setup.Score)
			}
			if len(setup.Live) != len(setup.Static) {
				t.Fatalf("%d live rows for %d goal rows", len(setup.Live), len(setup.Static))
			}
			for i, o := range setup.Live {
				if o.Ignored != "" {
					continue
				}
				if !listens(t, c, o.To, o.Port) {
					// The goal row names a port the pod does not serve: a refusal there proves
					// nothing about policies (kube-router rejects with the same ICMP error).
					continue
				}
				if o.Observed == nil {
					t.Errorf("setup: %s not observed: %s %s", o, o.Error, o.Detail)
					continue
				}
				if *o.Observed != setup.Static[i].Evaluated {
					t.Errorf("setup: %s: packets say allowed=%v (%s), the evaluator %v", o, *o.Observed, o.Outcome, setup.Static[i].Evaluated)
				}
			}

			if lab.Name == "three-tier" {
				observedOnPage(t, c, lab.Name, setup)
			}

			if r := netpol(t, c, "lab", "up", lab.Name, "--solution"); r.code != 0 {
				t.Fatalf("lab up --solution: exit %d\n%s", r.code, r.stderr)
			}
			var solved checkReport
			r = netpolJSON(t, c, &solved, "lab", "check", lab.Name)
			if r.code != 0 || solved.Verdict != "PASS" {
				t.Errorf("solution: exit %d, verdict %s (%s), want PASS", r.code, solved.Verdict, solved.Score)
			}
			probed := 0
			for _, o := range solved.Live {
				switch {
				case o.Ignored != "":
					if o.To == labs.KubeDNS {
						t.Errorf("solution: %s ignored: %s", o, o.Ignored)
					}
				case o.Observed == nil:
					t.Errorf("solution: %s not observed: %s %s", o, o.Error, o.Detail)
				case !o.Correct:
					t.Errorf("solution: %s: want allowed=%v, packets say %v (%s %s)", o, o.Expected, *o.Observed, o.Outcome, o.Detail)
				default:
					probed++
				}
			}
			if probed == 0 {
				t.Errorf("solution: no goal row was probed")
			}
		})
	}
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
	ns, name, isPod := strings.Cut(to, "/")
	if !isPod {
		return true // kube-dns or an address of the internet namespace
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	pod, err := cs.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
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
