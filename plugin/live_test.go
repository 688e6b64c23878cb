package plugin

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// A live cell is judged against its goal and against the policies in the cluster; the notes
// name only the cause the evidence shows. The network plugin is blamed only where a connection
// the policies deny got through.
func TestLiveJudgement(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name              string
		o                 observation
		judgement         judgement
		blame             blame
		correct           bool
		want, wantNot     []string
		notServed, failed int
		unenforced        int
	}{{
		name:      "no policies yet: the goal blocks, the policies allow, the packet got through",
		o:         observation{Expected: false, Policies: true, Observed: &yes, Outcome: "connected"},
		judgement: judgedWrong, blame: blamePolicies,
		want:    []string{"expected blocked, observed connected", "the policies give the same: the cause is in them"},
		wantNot: []string{"CNI", "not enforcing", "network does not enforce"},
	}, {
		name:      "the policies deny, the packet got through",
		o:         observation{Expected: false, Policies: false, Observed: &yes, Outcome: "connected"},
		judgement: judgedWrong, blame: blameNotEnforced,
		want: []string{"the policies deny it: the network does not enforce them", "1 connection(s) that the policies deny got through: the network plugin (CNI) is not enforcing NetworkPolicy here"},
	}, {
		name:      "the policies allow, the packet was blocked",
		o:         observation{Expected: true, Policies: true, Observed: &no, Outcome: "timeout"},
		judgement: judgedWrong, blame: blameDropped,
		want:    []string{"the policies allow it: something else blocks it", "1 connection(s) that the policies allow were blocked"},
		wantNot: []string{"CNI) is not enforcing"},
	}, {
		name:      "right by the goal, blocked although the policies allow it",
		o:         observation{Expected: false, Policies: true, Observed: &no, Outcome: "timeout"},
		judgement: judgedOK, blame: blameDropped, correct: true,
		want: []string{"observed timeout, but the policies give allowed", "1 connection(s) that the policies allow were blocked"},
	}, {
		name:      "right by the goal and the policies",
		o:         observation{Expected: false, Policies: false, Observed: &no, Outcome: "refused", Listener: "listening"},
		judgement: judgedOK, correct: true,
		wantNot: []string{"Differences", "refused", "CNI"},
	}, {
		name:      "a refusal nobody could check",
		o:         observation{Expected: false, Policies: false, Observed: &no, Outcome: "refused", Listener: "unknown"},
		judgement: judgedOK, correct: true,
		want:    []string{"a refusal does not prove that a policy blocked the traffic"},
		wantNot: []string{"does not prove the policies allowed"},
	}, {
		name:      "a port nobody serves",
		o:         observation{Expected: false, Policies: true, Observed: &no, Outcome: "not-served", Detail: "nothing listens on 3306/TCP in was/was: Connection refused", Listener: "none"},
		judgement: judgedNotServed, notServed: 1,
		want:    []string{"not served: cannot tell (nothing listens on 3306/TCP in was/was", "1 probe(s) met a port nobody serves", "1 not served (cannot tell)"},
		wantNot: []string{"CNI", "policies give the same"},
	}, {
		name:      "the Admin tier denies, nothing here enforces it, the packet got through",
		o:         observation{Expected: false, Policies: false, Observed: &yes, Outcome: "connected", Tier: "Admin", tierUnenforced: true},
		judgement: judgedUnenforced, blame: blameTierNotEnforced, unenforced: 1,
		want:    []string{"connected, though the policies give blocked: the Admin tier decides it, and no network plugin here enforces ClusterNetworkPolicy", "1 decided by an unenforced cluster tier"},
		wantNot: []string{"CNI) is not enforcing", "policies give the same"},
	}, {
		name:      "the Baseline tier denies, nothing here enforces it, yet the packet was blocked",
		o:         observation{Expected: false, Policies: false, Observed: &no, Outcome: "timeout", Tier: "Baseline", tierUnenforced: true},
		judgement: judgedOK, correct: true,
		wantNot: []string{"ClusterNetworkPolicy"},
	}, {
		name:      "the Admin tier denies, a plugin enforces it, the packet got through",
		o:         observation{Expected: false, Policies: false, Observed: &yes, Outcome: "connected", Tier: "Admin"},
		judgement: judgedWrong, blame: blameNotEnforced,
		want: []string{"the policies deny it: the network does not enforce them"},
	}, {
		name:      "a probe that could not run",
		o:         observation{Expected: true, Policies: true, Outcome: "error", Error: "no nc"},
		judgement: judgedFailed, failed: 1,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.From, o.To, o.Port, o.Protocol = "web/web", "was/was", 3306, "TCP"
			obs := []observation{o}
			judgeAll(obs)
			got := obs[0]
			if got.Judgement != tc.judgement || got.Blame != tc.blame || got.Correct != tc.correct {
				t.Errorf("judged %s, blame %q, correct %v; want %s, %q, %v", got.Judgement, got.Blame, got.Correct, tc.judgement, tc.blame, tc.correct)
			}
			if tc.judgement == judgedNotServed && got.Observed != nil {
				t.Errorf("not served but observed %v", *got.Observed)
			}
			sum := summarize(obs)
			if sum.NotServed != tc.notServed || sum.Failed != tc.failed || sum.Unenforced != tc.unenforced || sum.Correct+sum.Wrong+sum.NotServed+sum.Failed+sum.Unenforced != 1 {
				t.Errorf("summary %+v", sum)
			}
			var out bytes.Buffer
			printObservationNotes(&out, obs, lang.En)
			out.WriteString(sum.String())
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("notes lack %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(out.String(), w) {
					t.Errorf("notes have %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// The lab check table and page mark a cell that cannot tell as such, never "ok".
func TestNotServedIsNeverOK(t *testing.T) {
	obs := []observation{{Expected: false, Policies: false, Outcome: "not-served"}}
	judgeAll(obs)
	for _, l := range []lang.Lang{lang.En, lang.Ko, lang.Ja} {
		if m := obs[0].mark(l); m == "ok" || m == "WRONG" || m == "" {
			t.Errorf("%s: not served marked %q", l, m)
		}
	}
	if obs[0].Correct || obsCell(obs[0]) != "X/~" {
		t.Errorf("correct %v, cell %q", obs[0].Correct, obsCell(obs[0]))
	}
}
