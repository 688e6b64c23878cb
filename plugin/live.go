package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/probe"
)

// The live judgement of a connection, shared by `probe`, `lab check` and lab check's page. A
// probed connection is judged twice: against what it is expected to do (the lab's goal, or for
// `probe` the policies) and against what the policies in the cluster give. Observed = policies
// != goal: the policies are the cause. Observed allowed where the policies deny: the network
// does not enforce them. Observed blocked where the policies allow: something else drops it.
// A probe that cannot tell (a port nobody serves) is neither right nor wrong.

// observation is one connection of a live run: what it is judged against, what the probe saw
// or why it was not probed, and the judgement.
type observation struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	// Expected is what the connection is judged against: the lab's goal (lab check), or the
	// policies (probe).
	Expected bool `json:"expected"`
	// Policies is what the policies in the cluster give for it (the evaluator's verdict).
	Policies bool `json:"policies"`
	// Observed is nil when the connection was not probed (Ignored says why), the probe failed
	// (Error), or it could not tell (Judgement not-served).
	Observed *bool  `json:"observed"`
	Outcome  string `json:"outcome,omitempty"` // connected, refused, timeout, not-served, error
	Detail   string `json:"detail,omitempty"`
	// Listener is, for a refusal by a pod, what the pod found on its own port: listening,
	// none, unknown.
	Listener  string    `json:"listener,omitempty"`
	Judgement judgement `json:"judgement"`
	// Blame is what the evidence points at where observed differs from the expectation or from
	// the policies.
	Blame   blame  `json:"blame,omitempty"`
	Correct bool   `json:"correct"`
	Ignored string `json:"ignored,omitempty"`
	Error   string `json:"error,omitempty"`
	// Tier is the cluster tier the policies' verdict rests on (Admin, Baseline), if one does.
	Tier string `json:"tier,omitempty"`
	// tierUnenforced: no network plugin known to enforce the cluster policies runs, so a probe
	// that differs from a verdict resting on them shows nothing about the NetworkPolicies.
	tierUnenforced bool
}

// judgement is a live cell's verdict.
type judgement string

const (
	judgedOK        judgement = "ok"
	judgedWrong     judgement = "wrong"
	judgedNotServed judgement = "not-served" // nobody serves the port: cannot tell
	judgedFailed    judgement = "failed"     // the probe could not run
	judgedIgnored   judgement = "ignored"    // no probe can test it
	// judgedUnenforced: the cluster tier decides it and nothing here enforces that tier: what
	// was observed is shown, neither right nor wrong.
	judgedUnenforced judgement = "tier-not-enforced"
)

// blame names the cause the evidence shows.
type blame string

const (
	// blamePolicies: observed equals what the policies give, and that is not the goal.
	blamePolicies blame = "policies"
	// blameNotEnforced: observed allowed where the policies deny.
	blameNotEnforced blame = "not-enforced"
	// blameDropped: observed blocked where the policies allow (a network plugin, a firewall,
	// the node: something other than the policies).
	blameDropped blame = "dropped"
	// blameTierNotEnforced: observed differs from a verdict the cluster tier decides, on a
	// cluster where no network plugin known to enforce that tier runs.
	blameTierNotEnforced blame = "tier-not-enforced"
)

// judge sets Judgement, Correct and Blame from what was observed.
func (o *observation) judge() {
	o.Correct, o.Blame = false, ""
	switch {
	case o.Ignored != "":
		o.Judgement = judgedIgnored
		return
	case o.Outcome == string(probe.NotServed):
		o.Observed, o.Judgement = nil, judgedNotServed
		return
	case o.Observed == nil:
		o.Judgement = judgedFailed
		return
	}
	observed := *o.Observed
	if o.tierUnenforced && o.Tier != "" && observed != o.Policies {
		o.Judgement, o.Blame = judgedUnenforced, blameTierNotEnforced
		return
	}
	switch {
	case observed && !o.Policies:
		o.Blame = blameNotEnforced
	case !observed && o.Policies:
		o.Blame = blameDropped
	case observed != o.Expected:
		o.Blame = blamePolicies
	}
	o.Correct = observed == o.Expected
	o.Judgement = judgedWrong
	if o.Correct {
		o.Judgement = judgedOK
	}
}

func judgeAll(obs []observation) {
	for i := range obs {
		obs[i].judge()
	}
}

// mark is the cell's verdict as the lab check table and page print it.
func (o *observation) mark(l lang.Lang) string {
	switch o.Judgement {
	case judgedIgnored:
		return lang.T(l, "check.ignored", o.Ignored)
	case judgedFailed:
		return lang.T(l, "check.not-probed")
	case judgedNotServed:
		return lang.T(l, "check.not-served")
	case judgedUnenforced:
		return lang.T(l, "check.tier-not-enforced")
	case judgedWrong:
		return "WRONG"
	}
	return "ok"
}

// summary counts a run: correct and wrong among the probed, notServed the probes that met a
// port nobody serves (they cannot tell), failed the probes that could not run (an exec error,
// no client), ignored the connections no probe can test.
type summary struct {
	Correct   int `json:"correct"`
	Wrong     int `json:"wrong"`
	NotServed int `json:"notServed"`
	Failed    int `json:"failed"`
	Ignored   int `json:"ignored"`
	// Unenforced: probes that differ from a verdict of the cluster tier, which nothing here
	// enforces (neither right nor wrong).
	Unenforced int `json:"tierNotEnforced,omitempty"`
	Total      int `json:"total"`
}

func summarize(obs []observation) summary {
	s := summary{Total: len(obs)}
	for _, o := range obs {
		switch o.Judgement {
		case judgedIgnored:
			s.Ignored++
		case judgedNotServed:
			s.NotServed++
		case judgedFailed:
			s.Failed++
		case judgedUnenforced:
			s.Unenforced++
		case judgedOK:
			s.Correct++
		default:
			s.Wrong++
		}
	}
	return s
}

func (s summary) String() string { return s.in(lang.En) }

// in is the summary in l.
func (s summary) in(l lang.Lang) string {
	extra := ""
	if s.NotServed > 0 {
		extra += lang.T(l, "summary.not-served", s.NotServed)
	}
	if s.Failed > 0 {
		extra += lang.T(l, "summary.failed", s.Failed)
	}
	if s.Unenforced > 0 {
		extra += lang.T(l, "summary.tier-not-enforced", s.Unenforced)
	}
	return lang.T(l, "summary", s.Correct, s.Wrong, extra, s.Ignored, s.Total)
}

// failureReason is the one reason why every probe failed, or "" when some ran or they failed
// for different reasons.
func failureReason(obs []observation) string {
	reason := ""
	for _, o := range obs {
		switch {
		case o.Judgement == judgedIgnored:
		case o.Judgement != judgedFailed || reason != "" && o.Error != reason:
			return ""
		default:
			reason = o.Error
		}
	}
	return reason
}

// runProbes probes the jobs (the observations not ignored), fills in what was observed and
// judges every observation; what it says on errOut, it says in l.
func runProbes(ctx context.Context, r *probe.Runner, max int, obs []observation, jobs []probe.Job, index []int, errOut io.Writer, output string, l lang.Lang) error {
	defer judgeAll(obs)
	if len(jobs) == 0 {
		return nil
	}
	if max > 0 && len(jobs) > max {
		return usageErrorf("%s", lang.T(l, "probe.too-many", len(jobs), max))
	}
	// A large run says its size first, on stderr, terminal or not: it is about to exec that often.
	if len(jobs) >= largeProbeRun {
		fmt.Fprintln(errOut, lang.T(l, "probe.running", len(jobs), countSources(jobs), max))
	}
	p := newActivity(errOut, output)
	p.Update(lang.T(l, "probe.probing", len(jobs)))
	results := r.Run(ctx, jobs)
	p.Stop()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("probes interrupted: %w", err)
	}
	var podErrs []*probe.PodError
	for i, res := range results {
		o := &obs[index[i]]
		o.Outcome, o.Detail, o.Listener = string(res.Outcome), res.Detail, string(res.Listener)
		if res.Err != nil {
			o.Error = res.Err.Error()
			var pe *probe.PodError
			if errors.As(res.Err, &pe) {
				podErrs = append(podErrs, pe)
			}
			continue
		}
		observed := res.Allowed
		o.Observed = &observed
	}
	// When nothing at all could be probed for one reason (RBAC, say), that reason is the answer.
	if len(podErrs) == len(results) && allSameKind(podErrs) {
		return podErrs[0]
	}
	return nil
}

// largeProbeRun is the size from which a run announces itself before it starts.
const largeProbeRun = 200

func countSources(jobs []probe.Job) int {
	seen := map[probe.PodRef]bool{}
	for _, j := range jobs {
		seen[j.From] = true
	}
	return len(seen)
}

func allSameKind(errs []*probe.PodError) bool {
	for _, e := range errs {
		if e.Kind != errs[0].Kind {
			return false
		}
	}
	return true
}

// job turns one connection between snapshot endpoints into a probe job, or says why it cannot
// be probed. A destination pod is named in the job, so that a refusal there is followed by a
// look at whether anything listens.
// job is the probe of one connection, or, in l, why no probe can test it.
func job(from policy.Endpoint, to policy.Endpoint, toName string, port int32, proto corev1.Protocol, expected bool, l lang.Lang) (probe.Job, string) {
	switch {
	case from.Pod == nil:
		return probe.Job{}, lang.T(l, "ignored.outside")
	case to.Pod != nil && from.Pod.ID() == to.Pod.ID():
		return probe.Job{}, lang.T(l, "ignored.loopback")
	case proto == corev1.ProtocolSCTP:
		return probe.Job{}, lang.T(l, "ignored.sctp")
	case len(from.Pod.IPs) == 0:
		return probe.Job{}, lang.T(l, "ignored.no-source-ip")
	}
	target := probe.Target{Name: toName}
	switch {
	case to.Pod == nil:
		target.Host = to.IP.String()
	case len(to.Pod.IPs) > 0:
		target.Host = to.Pod.IPs[0].String()
		target.Pod = &probe.PodRef{Namespace: to.Pod.Namespace, Name: to.Pod.Name}
	default:
		return probe.Job{}, lang.T(l, "ignored.no-destination-ip")
	}
	return probe.Job{
		From: probe.PodRef{Namespace: from.Pod.Namespace, Name: from.Pod.Name},
		To:   target, Port: port, Protocol: proto, Expected: expected,
	}, ""
}

// printObservationNotes explains, in l, the cells that are not simply right, and what they mean
// together: which cause the evidence shows.
func printObservationNotes(out io.Writer, obs []observation, l lang.Lang) {
	var lines []string
	count := map[string]int{}
	once := failureReason(obs)
	if once != "" {
		fmt.Fprintf(out, "\n%s\n", lang.T(l, "notes.none-ran", once))
	}
	for _, o := range obs {
		conn := fmt.Sprintf("%s -> %s %d/%s", o.From, o.To, o.Port, o.Protocol)
		switch o.Judgement {
		case judgedFailed:
			if once == "" {
				lines = append(lines, lang.T(l, "notes.not-probed", conn, o.Error))
			}
		case judgedNotServed:
			lines = append(lines, lang.T(l, "notes.row.not-served", conn, o.Detail))
			count["notes.not-served"]++
		case judgedUnenforced:
			lines = append(lines, lang.T(l, "notes.row.tier-not-enforced", conn, o.Outcome, verdictIn(l, o.Policies), o.Tier))
		case judgedWrong:
			lines = append(lines, lang.T(l, "notes.differs", conn, verdictIn(l, o.Expected), o.Outcome, o.Detail)+blameSuffix(l, o.Blame))
		case judgedOK:
			if o.Blame != "" { // right by the goal, but not by the policies
				lines = append(lines, lang.T(l, "notes.row.against-policies", conn, o.Outcome, verdictIn(l, o.Policies))+blameSuffix(l, o.Blame))
			}
		}
		switch o.Blame {
		case blameNotEnforced:
			count["notes.leaked"]++
		case blameDropped:
			count["notes.dropped"]++
		}
		// A refusal counts as blocked; where nothing could check that the destination listens,
		// say that it proves no policy.
		if o.Outcome == string(probe.Refused) && o.Listener != string(probe.Listening) {
			count["notes.refused"]++
		}
	}
	if len(lines) > 0 {
		fmt.Fprintln(out, "\n"+lang.T(l, "notes.header"))
		fmt.Fprintln(out, strings.Join(lines, "\n"))
	}
	for _, key := range []string{"notes.leaked", "notes.dropped", "notes.not-served", "notes.refused"} {
		if n := count[key]; n > 0 {
			fmt.Fprintf(out, "\n%s\n", lang.T(l, key, n))
		}
	}
}

// blameText says what the evidence points at; blameSuffix says it after a row's difference.
func blameText(l lang.Lang, b blame) string { return lang.T(l, "blame."+string(b)) }

func blameSuffix(l lang.Lang, b blame) string {
	if b == "" {
		return ""
	}
	return "; " + blameText(l, b)
}

// obsCell is a probe table's cell: expected/observed.
func obsCell(o observation) string {
	switch o.Judgement {
	case judgedIgnored:
		return "-"
	case judgedNotServed:
		return render.Cell(o.Expected) + "/~"
	case judgedFailed:
		return render.Cell(o.Expected) + "/?"
	case judgedWrong:
		return render.Cell(o.Expected) + "/" + render.Cell(*o.Observed) + " *"
	}
	return render.Cell(o.Expected) + "/" + render.Cell(*o.Observed)
}
