package plugin

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
)

// When no probe could run (no exec on the node, say), the verdict says so once, with the
// reason, and is not a bare PASS; when some could not, it counts them.
func TestCheckVerdictWhenProbesFail(t *testing.T) {
	yes := true
	static := []labs.Graded{{Correct: true}, {Correct: true}, {Correct: true}}
	execErr := "exec into pod web/web: no exec found for container"
	cases := []struct {
		name      string
		live      []observation
		want      []string
		wantNot   []string
		liveError string
	}{{
		name: "none could run",
		live: []observation{
			{From: "web/web", To: "was/was", Port: 8080, Protocol: "TCP", Error: execErr},
			{From: "web/web", To: "db/db", Port: 3306, Protocol: "TCP", Error: execErr},
			{From: "192.0.2.1", To: "web/web", Port: 80, Protocol: "TCP", Ignored: "the source is outside the cluster"},
		},
		want:      []string{"No probe could run: " + execErr, "PASS (static only): 3/3 goal connections right; the live check could not run", "0 correct, 0 wrong, 2 failed, 1 ignored of 3"},
		wantNot:   []string{"web/web -> was/was 8080/TCP: not probed"},
		liveError: execErr,
	}, {
		name: "some could not run",
		live: []observation{
			{From: "web/web", To: "was/was", Port: 8080, Protocol: "TCP", Observed: &yes, Expected: true, Policies: true, Outcome: "connected"},
			{From: "web/web", To: "db/db", Port: 3306, Protocol: "TCP", Error: execErr},
			{From: "was/was", To: "db/db", Port: 3306, Protocol: "TCP", Observed: &yes, Expected: true, Policies: true, Outcome: "connected"},
		},
		want:    []string{"web/web -> db/db 3306/TCP: not probed: " + execErr, "PASS: 3/3 goal connections right; 1 of 3 live probes could not run or could not tell", "2 correct, 0 wrong, 1 failed, 0 ignored of 3"},
		wantNot: []string{"No probe could run"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			judgeAll(tc.live)
			sum := summarize(tc.live)
			rep := checkReport{Lab: "three-tier", Verdict: "PASS", Score: "3/3", Static: static, Live: tc.live, Summary: &sum, LiveError: failureReason(tc.live)}
			if rep.LiveError != tc.liveError {
				t.Errorf("liveError %q, want %q", rep.LiveError, tc.liveError)
			}
			var out bytes.Buffer
			printCheck(&out, rep, false)
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "\nPASS: 3/3 goal connections right\n") {
				t.Errorf("a bare PASS:\n%s", out.String())
			}
		})
	}
}
