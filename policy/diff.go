package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/labels"
)

// Diff is what changes between two snapshots, before and after, on some ports: the connections
// that open and close between pods present in both, and the pods present in one only (their
// connections are not compared: there is nothing on the other side to compare them with).
//
// Pods are matched by namespace/name. Comparing pod pairs would cost pods² per port; instead
// every pod in both is keyed by its class before and its class after (a DiffGroup): pods of one
// key behave alike on each side, so each pair of keys is compared once, two bit tests, and the
// cost grows with keys², about classes², as a Matrix's does.
type Diff struct {
	Ports         []PortProtocol
	Before, After *Matrix
	Groups        []DiffGroup
	Changes       []Change       // by port, then groups in order
	Added         []int          // pods in after only (indices into its pods), in scope
	Removed       []int          // pods in before only (indices into its pods), in scope
	Objects       []ObjectChange // what differs in the inputs themselves
}

// DiffGroup is pods in both snapshots with the same class in each, and the same part in the
// diff (source, destination or both).
type DiffGroup struct {
	Before, After int   // classes in Diff.Before and Diff.After
	Pods          []int // indices into the after snapshot's pods, in its order
	From, To      bool  // the pods are compared as sources, as destinations
	loopbacks     int   // pods that are their own pair on both sides (not stand-ins)
}

// Change is a pair of groups whose verdict differs on one port: every pod pair it stands for
// opened, or closed.
type Change struct {
	Port     int // index into Diff.Ports
	From, To int // indices into Diff.Groups
	Opened   bool
	// Pairs is how many pod pairs (connections on this port) changed. A pod to itself is left
	// out: loopback is allowed on both sides, so it never changes.
	Pairs int
}

// ObjectChange is one difference between the inputs: a policy (a NetworkPolicy or a
// cluster-scoped one), a namespace or a pod added, removed or changed. It says what changed, not
// what that does (Changes say that).
type ObjectChange struct {
	// Kind is Namespace, ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy,
	// NetworkPolicy or Pod.
	Kind   string `json:"kind"`
	Name   string `json:"name"`   // namespace/name; a cluster-scoped object's name
	Change string `json:"change"` // added, removed or changed
	// Detail says what changed: "labels: +tier=web -team=a", "spec", "ports", "IPs"; for a
	// cluster-scoped policy "tier: -Admin +Baseline", "priority: -10 +20", "subject",
	// "ingress", "egress".
	Detail string `json:"detail,omitempty"`
}

// DiffOptions choose what a Diff compares.
type DiffOptions struct {
	Ports []PortProtocol
	// From and To select the sources and destinations (nil: every pod). A pod that either
	// snapshot's version of selects is selected.
	From, To func(*Pod) bool
	// Namespace limits the NetworkPolicies and pods listed in Objects (nil: every namespace);
	// namespaces and cluster-scoped policies are listed whatever it says.
	Namespace func(string) bool
}

// NewDiff compares before with after on opts.Ports.
func NewDiff(before, after *Snapshot, opts DiffOptions) (*Diff, error) {
	evBefore, err := New(before)
	if err != nil {
		return nil, fmt.Errorf("before: %w", err)
	}
	evAfter, err := New(after)
	if err != nil {
		return nil, fmt.Errorf("after: %w", err)
	}
	d := &Diff{Ports: opts.Ports, Before: evBefore.Matrix(opts.Ports), After: evAfter.Matrix(opts.Ports)}
	selected := func(f func(*Pod) bool, pods ...*Pod) bool {
		if f == nil {
			return true
		}
		for _, p := range pods {
			if f(p) {
				return true
			}
		}
		return false
	}

	beforeIndex := make(map[string]int, len(before.Pods))
	for i := range before.Pods {
		beforeIndex[before.Pods[i].ID()] = i
	}
	inAfter := make(map[string]bool, len(after.Pods))
	type key struct {
		before, after int
		from, to      bool
	}
	groupOf := map[key]int{}
	var common [][2]int // in scope, in both: after's index, before's
	for i := range after.Pods {
		a := &after.Pods[i]
		inAfter[a.ID()] = true
		j, ok := beforeIndex[a.ID()]
		if !ok {
			if selected(opts.From, a) || selected(opts.To, a) {
				d.Added = append(d.Added, i)
			}
			continue
		}
		b := &before.Pods[j]
		k := key{d.Before.Class(j), d.After.Class(i), selected(opts.From, a, b), selected(opts.To, a, b)}
		if !k.from && !k.to {
			continue
		}
		common = append(common, [2]int{i, j})
		g, ok := groupOf[k]
		if !ok {
			g = len(d.Groups)
			groupOf[k] = g
			d.Groups = append(d.Groups, DiffGroup{Before: k.before, After: k.after, From: k.from, To: k.to})
		}
		d.Groups[g].Pods = append(d.Groups[g].Pods, i)
		if k.from && k.to && d.After.Loopback(i, i) && d.Before.Loopback(j, j) {
			d.Groups[g].loopbacks++
		}
	}
	for j := range before.Pods {
		b := &before.Pods[j]
		if !inAfter[b.ID()] && (selected(opts.From, b) || selected(opts.To, b)) {
			d.Removed = append(d.Removed, j)
		}
	}

	for port := range opts.Ports {
		for fi := range d.Groups {
			from := &d.Groups[fi]
			if !from.From {
				continue
			}
			for ti := range d.Groups {
				to := &d.Groups[ti]
				if !to.To {
					continue
				}
				was := d.Before.ClassAllowed(port, from.Before, to.Before)
				now := d.After.ClassAllowed(port, from.After, to.After)
				if was == now {
					continue
				}
				pairs := len(from.Pods) * len(to.Pods)
				if fi == ti {
					pairs -= from.loopbacks
				}
				if pairs > 0 {
					d.Changes = append(d.Changes, Change{Port: port, From: fi, To: ti, Opened: now, Pairs: pairs})
				}
			}
		}
	}
	d.Objects = objectChanges(before, after, d, common, opts.Namespace)
	return d, nil
}

// Verdicts are the reasons on each side for a change: what decided it before, and after.
func (d *Diff) Verdicts(c Change) (before, after Verdict) {
	from, to := &d.Groups[c.From], &d.Groups[c.To]
	return d.Before.Verdict(c.Port, from.Before, to.Before), d.After.Verdict(c.Port, from.After, to.After)
}

// Counts are the connections (pod pairs times ports) opened and closed.
func (d *Diff) Counts() (opened, closed int) {
	for _, c := range d.Changes {
		if c.Opened {
			opened += c.Pairs
		} else {
			closed += c.Pairs
		}
	}
	return opened, closed
}

// objectChanges lists what differs in the inputs: namespaces (their labels are what
// namespaceSelectors see), cluster-scoped policies (every one: they are of no namespace),
// NetworkPolicies (compared as the API server would store them, defaults filled in), and the
// pods in scope (added, removed, or with other labels, ports or IPs).
func objectChanges(before, after *Snapshot, d *Diff, common [][2]int, inScope func(string) bool) []ObjectChange {
	if inScope == nil {
		inScope = func(string) bool { return true }
	}
	var out []ObjectChange
	add := func(kind, name, change, detail string) {
		out = append(out, ObjectChange{Kind: kind, Name: name, Change: change, Detail: detail})
	}

	beforeNS := map[string]Namespace{}
	for _, ns := range before.Namespaces {
		beforeNS[ns.Name] = ns
	}
	for _, ns := range after.Namespaces {
		was, ok := beforeNS[ns.Name]
		delete(beforeNS, ns.Name)
		switch {
		case !ok:
			add("Namespace", ns.Name, "added", "")
		case !labels.Equals(was.Labels, ns.Labels):
			add("Namespace", ns.Name, "changed", "labels: "+labelChanges(was.Labels, ns.Labels))
		}
	}
	for name := range beforeNS {
		add("Namespace", name, "removed", "")
	}

	// Nodes matter where a cluster policy's nodes peer selects them: their labels and addresses.
	beforeNodes := map[string]Node{}
	for _, n := range before.Nodes {
		beforeNodes[n.Name] = n
	}
	for _, n := range after.Nodes {
		was, ok := beforeNodes[n.Name]
		delete(beforeNodes, n.Name)
		var what []string
		if ok && !labels.Equals(was.Labels, n.Labels) {
			what = append(what, "labels: "+labelChanges(was.Labels, n.Labels))
		}
		if ok && !slices.Equal(was.IPs, n.IPs) {
			what = append(what, "IPs")
		}
		switch {
		case !ok:
			add("Node", n.Name, "added", "")
		case len(what) > 0:
			add("Node", n.Name, "changed", strings.Join(what, "; "))
		}
	}
	for name := range beforeNodes {
		add("Node", name, "removed", "")
	}

	beforeCluster := map[[2]string]*ClusterPolicy{}
	for i := range before.ClusterPolicies {
		p := &before.ClusterPolicies[i]
		beforeCluster[[2]string{p.Kind, p.Name}] = p
	}
	for i := range after.ClusterPolicies {
		p := &after.ClusterPolicies[i]
		key := [2]string{p.Kind, p.Name}
		was, ok := beforeCluster[key]
		delete(beforeCluster, key)
		if !ok {
			add(p.Kind, p.Name, "added", "")
		} else if what := clusterPolicyChanges(was, p); what != "" {
			add(p.Kind, p.Name, "changed", what)
		}
	}
	for key := range beforeCluster {
		add(key[0], key[1], "removed", "")
	}

	beforePolicies := map[string]*networkingv1.NetworkPolicy{}
	for i := range before.Policies {
		if p := &before.Policies[i]; inScope(p.Namespace) {
			beforePolicies[p.Namespace+"/"+p.Name] = p
		}
	}
	for i := range after.Policies {
		p := &after.Policies[i]
		if !inScope(p.Namespace) {
			continue
		}
		name := p.Namespace + "/" + p.Name
		was, ok := beforePolicies[name]
		delete(beforePolicies, name)
		switch {
		case !ok:
			add("NetworkPolicy", name, "added", "")
		case !equality.Semantic.DeepEqual(stored(was.Spec), stored(p.Spec)):
			add("NetworkPolicy", name, "changed", "spec")
		}
	}
	for name := range beforePolicies {
		add("NetworkPolicy", name, "removed", "")
	}

	for _, i := range d.Added {
		add("Pod", after.Pods[i].ID(), "added", "")
	}
	for _, j := range d.Removed {
		add("Pod", before.Pods[j].ID(), "removed", "")
	}
	for _, c := range common {
		now, was := &after.Pods[c[0]], &before.Pods[c[1]]
		var what []string
		if !labels.Equals(was.Labels, now.Labels) {
			what = append(what, "labels: "+labelChanges(was.Labels, now.Labels))
		}
		if !slices.Equal(was.Ports, now.Ports) {
			what = append(what, "ports")
		}
		if !slices.Equal(was.IPs, now.IPs) {
			what = append(what, "IPs")
		}
		if len(what) > 0 {
			add("Pod", now.ID(), "changed", strings.Join(what, "; "))
		}
	}

	// The cluster-scoped objects first (namespaces, nodes, then the cluster policies: ClusterNetworkPolicy,
	// then the older AdminNetworkPolicy and BaselineAdminNetworkPolicy), then the namespaced.
	kindOrder := map[string]int{"Namespace": 0, "Node": 1, KindClusterNetworkPolicy: 2, KindAdminNetworkPolicy: 3, KindBaselineAdminNetworkPolicy: 4,
		"NetworkPolicy": 5, "Pod": 6}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Kind != out[b].Kind {
			return kindOrder[out[a].Kind] < kindOrder[out[b].Kind]
		}
		return out[a].Name < out[b].Name
	})
	return out
}

// clusterPolicyChanges says what differs between two versions of a cluster-scoped policy (the
// same kind and name), "" for nothing: its tier and priority with their values, as labels are
// said ("tier: -Admin +Baseline"), and which of subject, ingress and egress changed. The model
// is compared, not the object: the API version it was read from (v1alpha2 or v1beta1, the same
// object on the server) and the spellings that mean the same (Allow for Accept, a protocol left
// out for TCP) are not changes.
func clusterPolicyChanges(was, now *ClusterPolicy) string {
	var what []string
	if was.Tier != now.Tier {
		what = append(what, fmt.Sprintf("tier: -%s +%s", was.Tier, now.Tier))
	}
	if was.Priority != now.Priority && was.HasPriority() && now.HasPriority() {
		what = append(what, fmt.Sprintf("priority: -%d +%d", was.Priority, now.Priority))
	}
	if !equality.Semantic.DeepEqual(was.Subject, now.Subject) {
		what = append(what, "subject")
	}
	if !equality.Semantic.DeepEqual(was.Ingress, now.Ingress) {
		what = append(what, "ingress")
	}
	if !equality.Semantic.DeepEqual(was.Egress, now.Egress) {
		what = append(what, "egress")
	}
	return strings.Join(what, "; ")
}

// stored is a policy's spec as the API server stores it: policyTypes and port protocols
// defaulted. A file that leaves them out is then not "changed" from the live policy that
// the server defaulted.
func stored(spec networkingv1.NetworkPolicySpec) networkingv1.NetworkPolicySpec {
	spec = *spec.DeepCopy()
	if len(spec.PolicyTypes) == 0 {
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) > 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	defaultProtocols := func(ports []networkingv1.NetworkPolicyPort) {
		for i := range ports {
			if ports[i].Protocol == nil {
				tcp := corev1.ProtocolTCP
				ports[i].Protocol = &tcp
			}
		}
	}
	for i := range spec.Ingress {
		defaultProtocols(spec.Ingress[i].Ports)
	}
	for i := range spec.Egress {
		defaultProtocols(spec.Egress[i].Ports)
	}
	return spec
}

// labelChanges says how labels changed: "+key=value" added or changed to, "-key=value" removed
// or changed from, in key order.
func labelChanges(was, now map[string]string) string {
	var parts []string
	keys := make([]string, 0, len(was)+len(now))
	for k := range was {
		keys = append(keys, k)
	}
	for k := range now {
		if _, ok := was[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		old, hadOld := was[k]
		cur, hasNow := now[k]
		if hadOld && hasNow && old == cur {
			continue
		}
		if hadOld {
			parts = append(parts, "-"+k+"="+old)
		}
		if hasNow {
			parts = append(parts, "+"+k+"="+cur)
		}
	}
	return strings.Join(parts, " ")
}
