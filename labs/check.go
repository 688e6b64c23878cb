package labs

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// Graded is one goal row of `lab check`'s static half: what the goal wants, what the learner's
// policies give under the evaluator, and, when they differ, the causes, most likely first. Every
// text is in the lab's language: the reasons, the causes' messages and fixes, Hint (the first
// cause's message) and HintSummary (what that cause is, in one line).
type Graded struct {
	Connection
	Evaluated   bool           `json:"evaluated"`
	Correct     bool           `json:"correct"`
	Reasons     []string       `json:"reasons"`
	Hint        string         `json:"hint,omitempty"`
	HintSummary string         `json:"hintSummary,omitempty"`
	Causes      []policy.Cause `json:"causes,omitempty"`
	// Tier is the cluster tier the evaluated verdict rests on (policy.Verdict.DecidingTier):
	// a live probe of the row says what the network enforces of the cluster policies.
	Tier policy.Tier `json:"tier,omitempty"`
	// Conn is the row between the graded snapshot's endpoints (the cluster DNS as FindDNS finds
	// it); the live check probes it.
	Conn policy.Connection `json:"-"`
}

// Grading is `lab check`'s static answer: the goal rows, and the problems of the files
// themselves (a policy the API server would refuse, one that lands outside the lab).
type Grading struct {
	Rows []Graded
	// Problems are about whole policies, not rows. A Refused one fails the check whatever the
	// rows say: kubectl apply would refuse the file, so nothing of it would be enforced.
	Problems []Problem
	// Snapshot is what was graded: `lab check --diff` compares it with the setup alone.
	Snapshot *policy.Snapshot
}

// Problem is one policy of the learner's files that does not apply as written.
type Problem struct {
	Code    string   `json:"code"` // invalid-policy, policy-in-other-namespace
	Policy  string   `json:"policy"`
	Refused bool     `json:"refused"` // the API server would refuse it
	Message string   `json:"message"`
	Errors  []string `json:"errors,omitempty"` // the API server's own words
	Fix     string   `json:"fix,omitempty"`
}

// CauseInvalidPolicy is a policy the API server would refuse.
const CauseInvalidPolicy = "invalid-policy"

// Pass reports whether every row is right and no policy would be refused.
func (g *Grading) Pass() bool {
	for _, p := range g.Problems {
		if p.Refused {
			return false
		}
	}
	for _, r := range g.Rows {
		if !r.Correct {
			return false
		}
	}
	return true
}

// NotUpError says the lab's namespaces are missing: there is nothing to grade.
type NotUpError struct{ Lab string }

func (e *NotUpError) Error() string {
	return fmt.Sprintf("lab %s is not up; start it with 'kubectl netpol lab up %s' (or grade files with 'lab check %s -f FILE')", e.Lab, e.Lab, e.Lab)
}

// GradeFiles grades policy files before they are applied: the lab's setup with the files'
// objects on top (a Namespace in the files replaces the lab's, labels and all). The files are
// read as kubectl reads -f (source.ReadFiles; what is skipped is said on warn); an object without
// metadata.namespace goes where kubectl apply would put it: currentNamespace. A policy the API
// server would refuse is left out (nothing of it would be enforced) and fails the check.
func (r *Rendered) GradeFiles(fo *resource.FilenameOptions, currentNamespace string, warn io.Writer) (*Grading, error) {
	if currentNamespace == "" {
		currentNamespace = metav1.NamespaceDefault
	}
	files, err := source.ReadFiles(fo, currentNamespace, warn)
	if err != nil {
		return nil, err
	}
	var problems []Problem
	defaulted := map[string]bool{}
	for _, d := range files.Defaulted {
		kind, name, _ := strings.Cut(d, "/")
		if kind != "NetworkPolicy" {
			continue
		}
		defaulted[name] = true
		if !slices.Contains(r.Namespaces, currentNamespace) {
			_, short, _ := strings.Cut(name, "/")
			problems = append(problems, Problem{Code: policy.CausePolicyElsewhere, Policy: name,
				Message: lang.T(r.Options.Lang, "problem.elsewhere", short, currentNamespace, strings.Join(r.Namespaces, ", ")),
				Fix:     lang.T(r.Options.Lang, "problem.elsewhere.fix", strings.Join(r.Namespaces, ", "))})
		}
	}
	kept := files.Policies[:0:0]
	for i := range files.Policies {
		np := &files.Policies[i]
		errs := slices.Clone(files.Refused[np.Namespace+"/"+np.Name].Fields) // fields it does not have
		for _, e := range policy.Validate(np) {
			errs = append(errs, e.Error())
		}
		if len(errs) == 0 {
			kept = append(kept, *np)
			continue
		}
		name := np.Namespace + "/" + np.Name
		problems = append(problems, Problem{Code: CauseInvalidPolicy, Policy: name, Refused: true, Errors: errs,
			Message: lang.T(r.Options.Lang, "problem.invalid", name, strings.Join(errs, "; ")),
			Fix:     lang.T(r.Options.Lang, "problem.invalid.fix")})
	}
	files.Policies = kept
	setup, err := source.FromUnstructured(r.Setup, "lab "+r.Name, metav1.NamespaceDefault)
	if err != nil {
		return nil, err
	}
	snap, _, err := setup.Merge(files).Snapshot()
	if err != nil {
		return nil, err
	}
	g, err := r.grade(snap, defaulted)
	if err != nil {
		return nil, err
	}
	g.Problems = problems
	return g, nil
}

// LiveSnapshot reads the lab as it is in the cluster, through the one cluster reader: every
// namespace's labels (a namespaceSelector may look anywhere), the pods and policies of the lab's
// namespaces, whoever created them, and the cluster DNS. What RBAC forbids beyond pods and
// policies is said on warn.
func (r *Rendered) LiveSnapshot(ctx context.Context, kube kubernetes.Interface, warn io.Writer) (*policy.Snapshot, error) {
	objs, err := source.ReadCluster(ctx, kube, source.Want{Namespaces: r.Namespaces, DNS: true})
	if err != nil {
		return nil, err
	}
	if err := objs.Require("pods", "networkpolicies"); err != nil {
		return nil, err
	}
	for _, w := range objs.Warnings() {
		fmt.Fprintln(warn, "Warning: "+w)
	}
	if objs.Forbidden["namespaces"] == nil {
		for _, ns := range r.Namespaces {
			if !slices.ContainsFunc(objs.Namespaces, func(n corev1.Namespace) bool { return n.Name == ns }) {
				return nil, &NotUpError{Lab: r.Name}
			}
		}
	}
	snap, _, err := objs.Snapshot()
	return snap, err
}

// Grade evaluates the goal against a snapshot and explains every wrong row.
func (r *Rendered) Grade(snap *policy.Snapshot) (*Grading, error) {
	return r.grade(snap, nil)
}

func (r *Rendered) grade(snap *policy.Snapshot, defaulted map[string]bool) (*Grading, error) {
	results, ev, err := evaluateGoal(snap, r.Goal)
	if err != nil {
		return nil, err
	}
	ingressOnly, err := r.ingressOnly()
	if err != nil {
		return nil, err
	}
	g := &Grading{Rows: make([]Graded, len(results))}
	g.Snapshot = snap
	l := r.Options.Lang.Or()
	for i, res := range results {
		row := Graded{Connection: res.Connection, Evaluated: res.Got, Correct: res.Met(), Reasons: res.Reasons, Conn: res.Conn, Tier: res.Verdict.DecidingTier()}
		if l != lang.En {
			row.Reasons = append(res.Verdict.Egress.In(l).Reasons, res.Verdict.Ingress.In(l).Reasons...)
		}
		if !res.Met() {
			row.Causes = ev.Diagnose(res.Conn, policy.Intent{Want: res.Allowed, IngressOnly: ingressOnly, Defaulted: defaulted})
			for i := range row.Causes {
				row.Causes[i] = row.Causes[i].In(l)
			}
			if len(row.Causes) > 0 {
				row.Hint = row.Causes[0].Message
				row.HintSummary = CauseSummary(r.Options.Lang, row.Causes[0].Code)
			}
		}
		g.Rows[i] = row
	}
	return g, nil
}

// ingressOnly reports whether the lab asks for ingress control only: its solution isolates no
// pod's egress. A learner's policy that does is then itself the mistake.
func (r *Rendered) ingressOnly() (bool, error) {
	sol, err := source.FromUnstructured(r.Solution, "lab "+r.Name+" solution", metav1.NamespaceDefault)
	if err != nil {
		return false, err
	}
	snap, _, err := sol.Snapshot()
	if err != nil {
		return false, err
	}
	for _, p := range snap.Policies {
		if slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || len(p.Spec.PolicyTypes) == 0 && len(p.Spec.Egress) > 0 {
			return false, nil
		}
	}
	return true, nil
}
