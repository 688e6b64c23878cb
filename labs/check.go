package labs

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Graded is one goal row of `lab check`'s static half: what the goal wants, what the learner's
// policies give under the evaluator, and, when they differ, a hint aimed at the cause.
type Graded struct {
	Connection
	Evaluated bool     `json:"evaluated"`
	Correct   bool     `json:"correct"`
	Reasons   []string `json:"reasons"`
	Hint      string   `json:"hint,omitempty"`
}

// NotUpError says the lab's namespaces are missing: there is nothing to grade.
type NotUpError struct{ Lab string }

func (e *NotUpError) Error() string {
	return fmt.Sprintf("lab %s is not up; start it with 'kubectl netpol lab up %s' (or grade files with 'lab check %s -f FILE')", e.Lab, e.Lab, e.Lab)
}

// GradeFiles grades policy files before they are applied: the lab's setup with the files'
// objects on top (a Namespace in the files replaces the lab's, labels and all).
func (r *Rendered) GradeFiles(paths []string) ([]Graded, error) {
	objs, err := policy.LoadObjects(paths)
	if err != nil {
		return nil, err
	}
	snap, err := policy.FromObjects(append(slices.Clone(r.Setup), objs...))
	if err != nil {
		return nil, err
	}
	return r.Grade(snap)
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
func (r *Rendered) Grade(snap *policy.Snapshot) ([]Graded, error) {
	results, err := evaluateGoal(snap, r.Goal)
	if err != nil {
		return nil, err
	}
	warnings, err := policy.Warnings(snap)
	if err != nil {
		return nil, err
	}
	out := make([]Graded, len(results))
	for i, g := range results {
		out[i] = Graded{Connection: g.Connection, Evaluated: g.Got, Correct: g.Met(), Reasons: g.Reasons}
		if !g.Met() {
			out[i].Hint = hint(g, warnings)
		}
	}
	return out, nil
}

// hint aims at the likely cause of one wrong row: first a semantic warning about a policy on
// the failing side (the namespace lacks a label, a selector with a typo, no DNS rule), then
// what the verdict itself shows.
func hint(g GoalResult, warnings []policy.Warning) string {
	v := g.Verdict
	port := fmt.Sprintf("%d/%s", g.Port, strings.ToUpper(g.Protocol))
	if g.Allowed { // wanted allowed, got blocked
		side, who, dir := v.Ingress, g.To, "ingress"
		if !v.Egress.Allowed {
			side, who, dir = v.Egress, g.From, "egress"
		}
		if dir == "egress" && g.To == KubeDNS {
			return fmt.Sprintf("%s's egress is isolated by %s and no rule allows DNS: add an egress rule to kube-system pods k8s-app=kube-dns on UDP and TCP 53", g.From, strings.Join(side.Selecting, ", "))
		}
		for _, w := range warnings {
			if slices.Contains(side.Selecting, w.Policy) && w.Kind != policy.WarnEgressWithoutDNS {
				return w.Policy + " " + w.Field + ": " + w.Message
			}
		}
		peer := g.From
		if dir == "egress" {
			peer = g.To
		}
		return fmt.Sprintf("%s's %s is isolated by %s and no rule admits %s on %s: add a rule for it (a podSelector and a namespaceSelector in ONE peer must both match; in two peers, either does)",
			who, dir, strings.Join(side.Selecting, ", "), peer, port)
	}
	// Wanted blocked, got allowed.
	if !v.Ingress.Isolated && !v.Egress.Isolated {
		for _, w := range warnings {
			if w.Kind == policy.WarnSelectsNoPod && strings.HasPrefix(w.Policy, namespaceOf(g.To)+"/") {
				return w.Policy + " " + w.Field + ": " + w.Message
			}
		}
		if _, err := netip.ParseAddr(g.To); err == nil {
			return fmt.Sprintf("no policy isolates %s for egress: select it with a policy whose policyTypes include Egress, and allow only what it needs (DNS too)", g.From)
		}
		return fmt.Sprintf("no policy isolates %s for ingress (nor %s for egress): select %s with a policy whose policyTypes include Ingress", g.To, g.From, g.To)
	}
	for _, side := range []policy.Side{v.Ingress, v.Egress} {
		for _, rc := range side.Rules {
			if rc.PeerMatch && rc.PortMatch {
				msg := fmt.Sprintf("%s rule %d admits it (%s; ports %s): narrow that rule", rc.Policy, rc.Index, rc.Peers, rc.Ports)
				if strings.Contains(rc.Peers, " OR ") {
					msg += "; its peers are separate list items, so EITHER admits: to require both, put podSelector and namespaceSelector in one item"
				}
				return msg
			}
		}
	}
	return fmt.Sprintf("nothing isolates the side that allows %s -> %s on %s", g.From, g.To, port)
}

func namespaceOf(id string) string {
	ns, _, _ := strings.Cut(id, "/")
	return ns
}
