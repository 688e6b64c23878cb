package labs

import (
	"fmt"
	"net/netip"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// GoalResult is one goal row and the evaluator's verdict on it.
type GoalResult struct {
	Connection
	Got     bool
	Reasons []string
	Verdict policy.Verdict `json:"-"` // both sides, with the rule walkthrough
	// Conn is the row's connection between the snapshot's endpoints: the one place where a
	// goal's names (a pod, an address, kube-dns) become endpoints, for grading and probing.
	Conn policy.Connection
}

// Met reports whether the evaluator's verdict is the goal's.
func (g GoalResult) Met() bool { return g.Got == g.Allowed }

// EvaluateGoal evaluates every goal row against the lab's objects (setup, plus the solution when
// withSolution) as the policy evaluator sees them.
func (r *Rendered) EvaluateGoal(withSolution bool) ([]GoalResult, error) {
	objs := append([]*unstructured.Unstructured{}, r.Setup...)
	if withSolution {
		objs = append(objs, r.Solution...)
	}
	read, err := source.FromUnstructured(objs, "lab "+r.Name, "default")
	if err != nil {
		return nil, err
	}
	snap, _, err := read.Snapshot()
	if err != nil {
		return nil, err
	}
	results, _, err := evaluateGoal(snap, r.Goal)
	return results, err
}

func evaluateGoal(snap *policy.Snapshot, goal []Connection) ([]GoalResult, *policy.Evaluator, error) {
	// Goal rows name the cluster DNS as the pods labelled k8s-app=kube-dns in kube-system.
	snap, dns := policy.WithClusterDNS(snap)
	ev, err := policy.New(snap)
	if err != nil {
		return nil, nil, err
	}
	pods := map[string]*policy.Pod{}
	for i := range snap.Pods {
		pods[snap.Pods[i].ID()] = &snap.Pods[i]
	}
	endpoint := func(s string) (policy.Endpoint, error) {
		if s == KubeDNS {
			return policy.Endpoint{Pod: dns[0]}, nil
		}
		if p, ok := pods[s]; ok {
			return policy.Endpoint{Pod: p}, nil
		}
		if ip, err := netip.ParseAddr(s); err == nil {
			return policy.Endpoint{IP: ip}, nil
		}
		return policy.Endpoint{}, fmt.Errorf("goal endpoint %q is neither a pod of the lab, an IP address, nor %s", s, KubeDNS)
	}
	var out []GoalResult
	for _, g := range goal {
		from, err := endpoint(g.From)
		if err != nil {
			return nil, nil, err
		}
		to, err := endpoint(g.To)
		if err != nil {
			return nil, nil, err
		}
		c := policy.Connection{From: from, To: to, Port: int32(g.Port), Protocol: g.Proto()}
		v := ev.Evaluate(c)
		out = append(out, GoalResult{Connection: g, Got: v.Allowed, Reasons: append(slices.Clone(v.Egress.Reasons), v.Ingress.Reasons...), Verdict: v, Conn: c})
	}
	return out, ev, nil
}
