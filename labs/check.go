package labs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Graded is one goal row of `lab check`'s static half: what the goal wants, what the learner's
// policies give under the evaluator, and, when they differ, the causes, most likely first. Hint
// is the first cause's message.
type Graded struct {
	Connection
	Evaluated bool           `json:"evaluated"`
	Correct   bool           `json:"correct"`
	Reasons   []string       `json:"reasons"`
	Hint      string         `json:"hint,omitempty"`
	Causes    []policy.Cause `json:"causes,omitempty"`
}

// Grading is `lab check`'s static answer: the goal rows, and the problems of the files
// themselves (a policy the API server would refuse, one that lands outside the lab).
type Grading struct {
	Rows []Graded
	// Problems are about whole policies, not rows. A Refused one fails the check whatever the
	// rows say: kubectl apply would refuse the file, so nothing of it would be enforced.
	Problems []Problem
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
// objects on top (a Namespace in the files replaces the lab's, labels and all). An object without
// metadata.namespace goes where kubectl apply would put it: currentNamespace. A policy the API
// server would refuse is left out (nothing of it would be enforced) and fails the check.
func (r *Rendered) GradeFiles(paths []string, currentNamespace string) (*Grading, error) {
	objs, err := policy.LoadObjects(paths)
	if err != nil {
		return nil, err
	}
	if currentNamespace == "" {
		currentNamespace = "default"
	}
	var problems []Problem
	defaulted := map[string]bool{}
	kept := objs[:0:0]
	for _, o := range objs {
		if o.GetKind() != "Namespace" && o.GetNamespace() == "" {
			o.SetNamespace(currentNamespace)
			if o.GetKind() == "NetworkPolicy" {
				defaulted[currentNamespace+"/"+o.GetName()] = true
				if !slices.Contains(r.Namespaces, currentNamespace) {
					problems = append(problems, Problem{Code: policy.CausePolicyElsewhere, Policy: currentNamespace + "/" + o.GetName(),
						Message: fmt.Sprintf("%s has no metadata.namespace, so it is graded in namespace %s, where kubectl apply would put it (the current namespace); that is not a namespace of this lab (%s), so it isolates nothing here",
							o.GetName(), currentNamespace, strings.Join(r.Namespaces, ", ")),
						Fix: fmt.Sprintf("Set metadata.namespace to the lab namespace it is meant for (one of %s), or apply it with -n", strings.Join(r.Namespaces, ", "))})
				}
			}
		}
		if o.GetKind() == "NetworkPolicy" {
			if errs, err := policy.ValidateObject(o); err != nil {
				return nil, err
			} else if len(errs) > 0 {
				name := o.GetNamespace() + "/" + o.GetName()
				problems = append(problems, Problem{Code: CauseInvalidPolicy, Policy: name, Refused: true, Errors: errs,
					Message: fmt.Sprintf("the API server would refuse %s (kubectl apply fails), so none of it would be enforced: %s", name, strings.Join(errs, "; ")),
					Fix:     "Fix the fields named; kubectl apply --dry-run=server -f FILE shows the API server's verdict"})
				continue
			}
		}
		kept = append(kept, o)
	}
	snap, err := policy.FromObjects(append(slices.Clone(r.Setup), kept...))
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

// LiveSnapshot reads the lab as it is in the cluster: every namespace's labels (a
// namespaceSelector may look anywhere), and the pods and policies of the lab's namespaces,
// whoever created them. The cluster DNS pods come from kube-system when we may list them.
func (r *Rendered) LiveSnapshot(ctx context.Context, kube kubernetes.Interface) (*policy.Snapshot, error) {
	nsList, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", asForbidden(err, "list", schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, ""))
	}
	snap := &policy.Snapshot{}
	for i := range nsList.Items {
		snap.Namespaces = append(snap.Namespaces, policy.NamespaceFrom(&nsList.Items[i]))
	}
	for _, ns := range r.Namespaces {
		if !slices.ContainsFunc(snap.Namespaces, func(n policy.Namespace) bool { return n.Name == ns }) {
			return nil, &NotUpError{Lab: r.Name}
		}
		pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, asForbidden(err, "list", schema.GroupVersionResource{Version: "v1", Resource: "pods"}, ns)
		}
		found, err := policy.PodsFrom(pods.Items)
		if err != nil {
			return nil, err
		}
		snap.Pods = append(snap.Pods, found...)
		nps, err := kube.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, asForbidden(err, "list", schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}, ns)
		}
		snap.Policies = append(snap.Policies, nps.Items...)
	}
	dns, err := kube.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
	if err != nil && !apierrors.IsForbidden(err) {
		return nil, err
	}
	if err == nil {
		for i := range dns.Items {
			if p, err := policy.PodFrom(&dns.Items[i]); err == nil {
				snap.Pods = append(snap.Pods, p)
			}
		}
	}
	return snap, nil
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
	for i, res := range results {
		row := Graded{Connection: res.Connection, Evaluated: res.Got, Correct: res.Met(), Reasons: res.Reasons}
		if !res.Met() {
			row.Causes = ev.Diagnose(res.conn, policy.Intent{Want: res.Allowed, IngressOnly: ingressOnly, Defaulted: defaulted})
			if len(row.Causes) > 0 {
				row.Hint = row.Causes[0].Message
			}
		}
		g.Rows[i] = row
	}
	return g, nil
}

// ingressOnly reports whether the lab asks for ingress control only: its solution isolates no
// pod's egress. A learner's policy that does is then itself the mistake.
func (r *Rendered) ingressOnly() (bool, error) {
	snap, err := policy.FromObjects(r.Solution)
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
