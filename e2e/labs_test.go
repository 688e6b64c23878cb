package e2e

import (
	"fmt"
	"testing"

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
				if o.Observed == nil {
					t.Errorf("setup: %s not observed: %s %s", o, o.Error, o.Detail)
					continue
				}
				if *o.Observed != setup.Static[i].Evaluated {
					t.Errorf("setup: %s: packets say allowed=%v (%s), the evaluator %v", o, *o.Observed, o.Outcome, setup.Static[i].Evaluated)
				}
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
