package plugin

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// labDiff is `lab check --diff`: what the learner's work changes against the lab's setup alone.
// graded is the snapshot that was graded (the lab's namespaces in the cluster, or the setup
// with the files on top); the setup alone is the same pods with the setup's policies, and the
// setup's labels on the lab's namespaces. A learner who sees a connection they meant to open
// listed as closed, or one opened that they never meant to touch, has found the mistake.
func labDiff(r *labs.Rendered, graded *policy.Snapshot, fromFiles bool) (*diffReport, error) {
	after, dns := policy.WithClusterDNS(graded) // DNS is half of the egress labs
	objs, err := source.FromUnstructured(r.Setup, "lab "+r.Name, metav1.NamespaceDefault)
	if err != nil {
		return nil, err
	}
	setup, _, err := objs.Snapshot()
	if err != nil {
		return nil, err
	}
	before := &policy.Snapshot{Namespaces: slices.Clone(after.Namespaces), Pods: after.Pods, Policies: setup.Policies,
		Services: after.Services, EndpointSlices: after.EndpointSlices, Nodes: after.Nodes,
		ClusterPolicies: setup.ClusterPolicies, ClusterPoliciesUnread: after.ClusterPoliciesUnread}
	for i, ns := range before.Namespaces {
		if j := slices.IndexFunc(setup.Namespaces, func(s policy.Namespace) bool { return s.Name == ns.Name }); j >= 0 {
			before.Namespaces[i] = setup.Namespaces[j]
		}
	}
	// From the lab's pods, to them and to the cluster DNS: the DNS pods call no one.
	inLab := func(p *policy.Pod) bool { return slices.Contains(r.Namespaces, p.Namespace) }
	to := func(p *policy.Pod) bool { return inLab(p) || p.Namespace == "kube-system" }
	d, err := policy.NewDiff(before, after, policy.DiffOptions{Ports: portsOfBoth(before, after, to), From: inLab, To: to})
	if err != nil {
		return nil, err
	}
	lg := r.Options.Lang
	afterName := lang.T(lg, "check.diff.cluster")
	if fromFiles {
		afterName = lang.T(lg, "check.diff.files")
	}
	rep := newDiffReport(d, before, after, lang.T(lg, "check.diff.setup"), afterName, lg)
	markAgainstGoal(&rep, r.Goal, dns)
	return &rep, nil
}

// markAgainstGoal marks the changes that go against a row of the goal: the mistake, among
// what else the policies change.
func markAgainstGoal(rep *diffReport, goal []labs.Connection, dns []*policy.Pod) {
	pods := map[string][]string{}
	for _, g := range rep.Groups {
		pods[g.Name] = g.Pods
	}
	holds := func(group, endpoint string) bool {
		for _, p := range pods[group] {
			if p == endpoint || endpoint == labs.KubeDNS && slices.ContainsFunc(dns, func(d *policy.Pod) bool { return d.ID() == p }) {
				return true
			}
		}
		return false
	}
	for i := range rep.Changes {
		c := &rep.Changes[i]
		for _, g := range goal {
			if int32(g.Port) == c.Port && string(g.Proto()) == c.Protocol && g.Allowed != (c.Change == "opened") && holds(c.From, g.From) && holds(c.To, g.To) {
				c.AgainstGoal = true
			}
		}
	}
}
