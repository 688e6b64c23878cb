package source

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Objects is what was read, typed: from files (ReadFiles) or from a cluster (ReadCluster).
type Objects struct {
	Namespaces     []corev1.Namespace
	Pods           []corev1.Pod // from files, a workload is one stand-in pod (StandIns)
	Policies       []networkingv1.NetworkPolicy
	Services       []corev1.Service
	EndpointSlices []discoveryv1.EndpointSlice
	DaemonSets     []appsv1.DaemonSet
	Deployments    []appsv1.Deployment
	Nodes          []corev1.Node
	ConfigMaps     []corev1.ConfigMap
	// ClusterPolicies are the cluster-scoped tier, of any kind and version, in one model.
	ClusterPolicies []policy.ClusterPolicy

	// Files only.
	Foreign   []Foreign // other engines' policies: not evaluated
	Defaulted []string  // KIND/NAMESPACE/NAME of objects that got the default namespace
	Unknown   []string  // what was said of fields an object's type does not have
	// Refused are the policies, by namespace/name, that have fields a NetworkPolicy does not
	// have, with what is wrong: the API server refuses them (strict field validation), and
	// read without those fields they would not mean what they say. RefusedError says so.
	Refused  map[string]Refusal
	StandIns map[string]bool // namespace/name of the pods that stand for a workload's replicas

	// Clusters only: what could not be read, by resource ("pods", "namespaces", …), and
	// whether pods could be listed only in the scope's namespace.
	Forbidden   map[string]error
	PartialPods bool
}

// FromUnstructured takes objects already decoded (a lab's rendered manifests) as ReadFiles takes
// those of files: the same kinds kept, the same workloads expanded. source names them in errors.
func FromUnstructured(objs []*unstructured.Unstructured, source, defaultNamespace string) (*Objects, error) {
	o := &Objects{}
	for _, u := range objs {
		if _, err := o.add(u.DeepCopy(), source, defaultNamespace); err != nil {
			return nil, err
		}
	}
	if len(o.Unknown) > 0 { // these objects are written here, and mean what they say
		return nil, errors.New(strings.Join(o.Unknown, "\n"))
	}
	o.dedupe()
	return o, nil
}

// Merge puts other's objects on top of o's: an object of other replaces o's of the same kind,
// namespace and name, as applying other after o would.
func (o *Objects) Merge(other *Objects) *Objects {
	out := &Objects{
		Namespaces:      append(append([]corev1.Namespace{}, o.Namespaces...), other.Namespaces...),
		Pods:            append(append([]corev1.Pod{}, o.Pods...), other.Pods...),
		Policies:        append(append([]networkingv1.NetworkPolicy{}, o.Policies...), other.Policies...),
		Services:        append(append([]corev1.Service{}, o.Services...), other.Services...),
		EndpointSlices:  append(append([]discoveryv1.EndpointSlice{}, o.EndpointSlices...), other.EndpointSlices...),
		DaemonSets:      append(append([]appsv1.DaemonSet{}, o.DaemonSets...), other.DaemonSets...),
		Deployments:     append(append([]appsv1.Deployment{}, o.Deployments...), other.Deployments...),
		Nodes:           append(append([]corev1.Node{}, o.Nodes...), other.Nodes...),
		ConfigMaps:      append(append([]corev1.ConfigMap{}, o.ConfigMaps...), other.ConfigMaps...),
		ClusterPolicies: append(append([]policy.ClusterPolicy{}, o.ClusterPolicies...), other.ClusterPolicies...),
		Foreign:         append(append([]Foreign{}, o.Foreign...), other.Foreign...),
		Defaulted:       append(append([]string{}, o.Defaulted...), other.Defaulted...),
		StandIns:        map[string]bool{},
	}
	for _, m := range []map[string]bool{o.StandIns, other.StandIns} {
		for k := range m {
			out.StandIns[k] = true
		}
	}
	out.Refused = maps.Clone(o.Refused)
	out.refuseInOrder(other)
	out.dedupe()
	return out
}

// refuseInOrder puts part's policies on top of o's refusals: a policy part holds replaces the
// one before it, refused or not.
func (o *Objects) refuseInOrder(part *Objects) {
	for i := range part.Policies {
		key := part.Policies[i].Namespace + "/" + part.Policies[i].Name
		if why, refused := part.Refused[key]; refused {
			if o.Refused == nil {
				o.Refused = map[string]Refusal{}
			}
			o.Refused[key] = why
		} else {
			delete(o.Refused, key)
		}
	}
}

// RefusedError is an error naming the Refused policies and their fields, nil when there are
// none; for commands that cannot go on without them.
func (o *Objects) RefusedError() error {
	keys := slices.Sorted(maps.Keys(o.Refused))
	var errs []error
	for _, key := range keys {
		r := o.Refused[key]
		errs = append(errs, fmt.Errorf("%s: NetworkPolicy %s: %s. Fix them: the policy would not do what it says, and kubectl apply refuses it too", r.Source, key, strings.Join(r.Fields, "; ")))
	}
	return errors.Join(errs...)
}

// Refusal is what is wrong with a policy the API server would refuse, and the file it is in.
type Refusal struct {
	Source string
	Fields []string // `unknown field "spec.ingres" (did you mean "ingress"?)`
}

// LeftOut is a pod the evaluator does not look at, and why.
type LeftOut struct {
	Pod    string `json:"pod"`
	Reason string `json:"reason"`
}

// Snapshot is what the evaluator reads. Pods that NetworkPolicy does not govern are left out the
// same way from files and from a cluster: pods on the host network (their traffic is the node's)
// and pods that finished (Succeeded or Failed: they have no network any more).
func (o *Objects) Snapshot() (*policy.Snapshot, []LeftOut, error) {
	s := &policy.Snapshot{Policies: o.Policies, Services: o.Services, EndpointSlices: o.EndpointSlices,
		ClusterPolicies: o.ClusterPolicies, ClusterPoliciesUnread: o.clusterPoliciesUnread()}
	for i := range o.Namespaces {
		s.Namespaces = append(s.Namespaces, policy.NamespaceFrom(&o.Namespaces[i]))
	}
	for i := range o.Nodes {
		s.Nodes = append(s.Nodes, policy.NodeFrom(&o.Nodes[i]))
	}
	var left []LeftOut
	for i := range o.Pods {
		p := &o.Pods[i]
		id := p.Namespace + "/" + p.Name
		switch {
		case p.Spec.HostNetwork:
			left = append(left, LeftOut{Pod: id, Reason: "host network"})
			continue
		case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
			left = append(left, LeftOut{Pod: id, Reason: "finished (" + strings.ToLower(string(p.Status.Phase)) + ")"})
			continue
		}
		pod, err := policy.PodFrom(p)
		if err != nil {
			return nil, nil, err
		}
		pod.StandIn = o.StandIns[id]
		s.Pods = append(s.Pods, pod)
	}
	return s, left, nil
}

// DescribeLeftOut says in one line which pods were left out and why, for stderr.
func DescribeLeftOut(left []LeftOut) string {
	if len(left) == 0 {
		return ""
	}
	byReason := map[string][]string{}
	for _, l := range left {
		byReason[l.Reason] = append(byReason[l.Reason], l.Pod)
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	var parts []string
	for _, r := range reasons {
		pods := byReason[r]
		shown := pods
		if len(shown) > 3 {
			shown = append(shown[:3:3], fmt.Sprintf("%d more", len(pods)-3))
		}
		parts = append(parts, fmt.Sprintf("%d %s (%s)", len(pods), r, strings.Join(shown, ", ")))
	}
	return fmt.Sprintf("Note: %d pod(s) left out, which NetworkPolicy does not govern: %s", len(left), strings.Join(parts, "; "))
}
