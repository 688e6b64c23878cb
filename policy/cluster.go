package policy

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/network-policy-api/apis/v1alpha1"
	"sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// The cluster-scoped tier (SIG Network's network-policy-api): ClusterNetworkPolicy
// (policy.networking.k8s.io/v1beta1, also served as v1alpha2) and its predecessors
// AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1). Every version is read into one
// model, ClusterPolicy, which the evaluator compiles (clustereval.go).
//
// Per direction of a pod: the Admin tier first (policies by priority, lower first; rules in
// order; the first rule that matches decides: Accept and Deny are final, Pass skips the rest of
// the tier); then the NetworkPolicies, final for every pod they isolate; then the Baseline
// tier; else allowed. Cluster policies do not isolate.

// ClusterPolicyGroup is the API group of the cluster-scoped kinds.
const ClusterPolicyGroup = "policy.networking.k8s.io"

// The kinds of the cluster-scoped tier, as their objects spell them.
const (
	KindClusterNetworkPolicy       = "ClusterNetworkPolicy"
	KindAdminNetworkPolicy         = "AdminNetworkPolicy"
	KindBaselineAdminNetworkPolicy = "BaselineAdminNetworkPolicy"
)

// Tier is where a decision was taken: the Admin tier, the NetworkPolicies, the Baseline tier.
type Tier string

const (
	TierAdmin         Tier = "Admin"
	TierNetworkPolicy Tier = "NetworkPolicy"
	TierBaseline      Tier = "Baseline"
)

// ClusterAction is what a cluster policy's rule does with the traffic it matches.
type ClusterAction string

const (
	ActionAccept ClusterAction = "Accept" // AdminNetworkPolicy's Allow
	ActionDeny   ClusterAction = "Deny"
	ActionPass   ClusterAction = "Pass"
)

// BaselineAdminPriority is the priority a BaselineAdminNetworkPolicy (which has none) is given
// in the Baseline tier: after every ClusterNetworkPolicy of that tier (whose priorities go up
// to 1000). Verdicts do not show it.
const BaselineAdminPriority = 1001

// ClusterPolicy is one cluster-scoped policy, whatever its kind and version.
type ClusterPolicy struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`       // ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy
	APIVersion string `json:"apiVersion"` // policy.networking.k8s.io/v1beta1, …
	Tier       Tier   `json:"tier"`       // Admin or Baseline
	// Priority orders the policies of a tier, lower first (0 to 1000).
	Priority int32          `json:"priority"`
	Subject  ClusterSubject `json:"subject"`
	Ingress  []ClusterRule  `json:"ingress,omitempty"`
	Egress   []ClusterRule  `json:"egress,omitempty"`
}

// HasPriority reports whether the policy's kind has a priority (a BaselineAdminNetworkPolicy
// has none).
func (p *ClusterPolicy) HasPriority() bool { return p.Kind != KindBaselineAdminNetworkPolicy }

// ClusterSubject is the pods a cluster policy applies to: exactly one of Namespaces (every pod
// of the namespaces it selects) and Pods. Host-network pods are never selected.
type ClusterSubject struct {
	Namespaces *metav1.LabelSelector `json:"namespaces,omitempty"`
	Pods       *ClusterPods          `json:"pods,omitempty"`
}

// ClusterPods selects pods by namespace AND pod labels; an empty selector selects all.
type ClusterPods struct {
	NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`
	PodSelector       metav1.LabelSelector `json:"podSelector"`
}

// ClusterRule is one ingress or egress rule: its action applies to the traffic from (to) any
// of its peers on any of its ports.
type ClusterRule struct {
	Name   string        `json:"name,omitempty"`
	Action ClusterAction `json:"action"`
	Peers  []ClusterPeer `json:"peers"`
	Ports  []ClusterPort `json:"ports,omitempty"` // empty: every port and protocol
}

// ClusterPeer is one peer; exactly one field is set. A peer with none set is of a kind this
// version does not know (read from a newer API): it fails closed, as the API asks: an Accept
// rule matches nothing by it, a Deny or Pass rule everything.
type ClusterPeer struct {
	Namespaces *metav1.LabelSelector `json:"namespaces,omitempty"` // every pod of these namespaces
	Pods       *ClusterPods          `json:"pods,omitempty"`
	// Nodes: the addresses of the nodes it selects (egress only; experimental).
	Nodes *metav1.LabelSelector `json:"nodes,omitempty"`
	// Networks: CIDRs, matched against addresses outside the cluster and pod addresses alike.
	Networks []string `json:"networks,omitempty"`
	// DomainNames: egress to these names (experimental, Accept only); what they resolve to
	// cannot be known offline.
	DomainNames []string `json:"domainNames,omitempty"`
}

// ClusterPort is one entry of a rule's ports (protocols): a port number (EndPort 0) or a range
// of one protocol; a protocol with no port (every port of it); or a destination named port
// (Name: a container port name of the destination pod, with its own number and protocol).
type ClusterPort struct {
	Protocol corev1.Protocol `json:"protocol,omitempty"`
	Port     int32           `json:"port,omitempty"`
	EndPort  int32           `json:"endPort,omitempty"`
	Name     string          `json:"name,omitempty"`
	// Unknown: an entry of a kind this version does not know; it fails closed like a peer.
	Unknown bool `json:"unknown,omitempty"`
}

// IsClusterPolicyKind reports whether gk is one of the cluster-scoped kinds read here.
func IsClusterPolicyKind(gk schema.GroupKind) bool {
	return gk.Group == ClusterPolicyGroup && (gk.Kind == KindClusterNetworkPolicy || gk.Kind == KindAdminNetworkPolicy || gk.Kind == KindBaselineAdminNetworkPolicy)
}

// ClusterPolicyVersions are the versions each kind is read from, newest first.
var ClusterPolicyVersions = map[string][]string{
	KindClusterNetworkPolicy:       {"v1beta1", "v1alpha2"},
	KindAdminNetworkPolicy:         {"v1alpha1"},
	KindBaselineAdminNetworkPolicy: {"v1alpha1"},
}

// ClusterPolicyType is a new, empty object of the typed API for gvk (the version's Go type),
// to decode into; nil when gvk is not a kind and version read here.
func ClusterPolicyType(gvk schema.GroupVersionKind) runtime.Object {
	if gvk.Group != ClusterPolicyGroup {
		return nil
	}
	switch gvk.Version + "/" + gvk.Kind {
	case "v1beta1/ClusterNetworkPolicy":
		return &v1beta1.ClusterNetworkPolicy{}
	case "v1alpha2/ClusterNetworkPolicy":
		return &v1alpha2.ClusterNetworkPolicy{}
	case "v1alpha1/AdminNetworkPolicy":
		return &v1alpha1.AdminNetworkPolicy{}
	case "v1alpha1/BaselineAdminNetworkPolicy":
		return &v1alpha1.BaselineAdminNetworkPolicy{}
	}
	return nil
}

// ClusterPolicyFrom converts an object of one of the typed APIs (ClusterPolicyType) into the
// model.
func ClusterPolicyFrom(obj runtime.Object) (ClusterPolicy, error) {
	switch o := obj.(type) {
	case *v1beta1.ClusterNetworkPolicy:
		return fromClusterNetworkPolicy(o), nil
	case *v1alpha2.ClusterNetworkPolicy:
		// The same schema under another version: read it as v1beta1.
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return ClusterPolicy{}, err
		}
		var b v1beta1.ClusterNetworkPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, &b); err != nil {
			return ClusterPolicy{}, err
		}
		p := fromClusterNetworkPolicy(&b)
		p.APIVersion = ClusterPolicyGroup + "/v1alpha2"
		return p, nil
	case *v1alpha1.AdminNetworkPolicy:
		return fromAdminNetworkPolicy(o), nil
	case *v1alpha1.BaselineAdminNetworkPolicy:
		return fromBaselineAdminNetworkPolicy(o), nil
	}
	return ClusterPolicy{}, fmt.Errorf("%T is not a cluster-scoped policy", obj)
}

// DecodeClusterPolicy reads a cluster-scoped policy from its unstructured form (a file's
// document, a dynamic client's List item): the version's typed API, then the model. Fields
// the version does not have are dropped.
func DecodeClusterPolicy(u *unstructured.Unstructured) (ClusterPolicy, error) {
	gvk := u.GroupVersionKind()
	obj := ClusterPolicyType(gvk)
	if obj == nil {
		return ClusterPolicy{}, fmt.Errorf("%s %s: not a cluster-scoped policy kind and version read here", gvk.GroupVersion(), gvk.Kind)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		return ClusterPolicy{}, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
	}
	return ClusterPolicyFrom(obj)
}

func fromClusterNetworkPolicy(o *v1beta1.ClusterNetworkPolicy) ClusterPolicy {
	p := ClusterPolicy{Name: o.Name, Kind: KindClusterNetworkPolicy, APIVersion: ClusterPolicyGroup + "/v1beta1",
		Tier: Tier(o.Spec.Tier), Priority: o.Spec.Priority,
		Subject: ClusterSubject{Namespaces: o.Spec.Subject.Namespaces, Pods: betaPods(o.Spec.Subject.Pods)}}
	for _, r := range o.Spec.Ingress {
		rule := ClusterRule{Name: r.Name, Action: ClusterAction(r.Action), Ports: betaPorts(r.Protocols)}
		for _, pr := range r.From {
			rule.Peers = append(rule.Peers, ClusterPeer{Namespaces: pr.Namespaces, Pods: betaPods(pr.Pods)})
		}
		p.Ingress = append(p.Ingress, rule)
	}
	for _, r := range o.Spec.Egress {
		rule := ClusterRule{Name: r.Name, Action: ClusterAction(r.Action), Ports: betaPorts(r.Protocols)}
		for _, pr := range r.To {
			rule.Peers = append(rule.Peers, ClusterPeer{Namespaces: pr.Namespaces, Pods: betaPods(pr.Pods), Nodes: pr.Nodes, Networks: asStrings(pr.Networks), DomainNames: asStrings(pr.DomainNames)})
		}
		p.Egress = append(p.Egress, rule)
	}
	return p
}

func betaPods(p *v1beta1.NamespacedPod) *ClusterPods {
	if p == nil {
		return nil
	}
	return &ClusterPods{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

func betaPorts(protocols []v1beta1.ClusterNetworkPolicyProtocol) []ClusterPort {
	var out []ClusterPort
	for _, pr := range protocols {
		var proto corev1.Protocol
		var dest *v1beta1.Port
		switch {
		case pr.TCP != nil:
			proto, dest = corev1.ProtocolTCP, pr.TCP.DestinationPort
		case pr.UDP != nil:
			proto, dest = corev1.ProtocolUDP, pr.UDP.DestinationPort
		case pr.SCTP != nil:
			proto, dest = corev1.ProtocolSCTP, pr.SCTP.DestinationPort
		case pr.DestinationNamedPort != "":
			out = append(out, ClusterPort{Name: pr.DestinationNamedPort})
			continue
		default:
			out = append(out, ClusterPort{Unknown: true})
			continue
		}
		port := ClusterPort{Protocol: proto}
		switch {
		case dest == nil:
		case dest.Range != nil:
			port.Port, port.EndPort = dest.Range.Start, dest.Range.End
		default:
			port.Port = dest.Number
		}
		out = append(out, port)
	}
	return out
}

func fromAdminNetworkPolicy(o *v1alpha1.AdminNetworkPolicy) ClusterPolicy {
	p := ClusterPolicy{Name: o.Name, Kind: KindAdminNetworkPolicy, APIVersion: ClusterPolicyGroup + "/v1alpha1",
		Tier: TierAdmin, Priority: o.Spec.Priority, Subject: alphaSubject(o.Spec.Subject)}
	for _, r := range o.Spec.Ingress {
		rule := ClusterRule{Name: r.Name, Action: alphaAction(string(r.Action)), Ports: alphaPorts(r.Ports)}
		for _, pr := range r.From {
			rule.Peers = append(rule.Peers, ClusterPeer{Namespaces: pr.Namespaces, Pods: alphaPods(pr.Pods)})
		}
		p.Ingress = append(p.Ingress, rule)
	}
	for _, r := range o.Spec.Egress {
		rule := ClusterRule{Name: r.Name, Action: alphaAction(string(r.Action)), Ports: alphaPorts(r.Ports)}
		for _, pr := range r.To {
			rule.Peers = append(rule.Peers, ClusterPeer{Namespaces: pr.Namespaces, Pods: alphaPods(pr.Pods), Nodes: pr.Nodes, Networks: asStrings(pr.Networks), DomainNames: asStrings(pr.DomainNames)})
		}
		p.Egress = append(p.Egress, rule)
	}
	return p
}

func fromBaselineAdminNetworkPolicy(o *v1alpha1.BaselineAdminNetworkPolicy) ClusterPolicy {
	p := ClusterPolicy{Name: o.Name, Kind: KindBaselineAdminNetworkPolicy, APIVersion: ClusterPolicyGroup + "/v1alpha1",
		Tier: TierBaseline, Priority: BaselineAdminPriority, Subject: alphaSubject(o.Spec.Subject)}
	for _, r := range o.Spec.Ingress {
		rule := ClusterRule{Name: r.Name, Action: alphaAction(string(r.Action)), Ports: alphaPorts(r.Ports)}
		for _, pr := range r.From {
			rule.Peers = append(rule.Peers, ClusterPeer{Namespaces: pr.Namespaces, Pods: alphaPods(pr.Pods)})
		}
		p.Ingress = append(p.Ingress, rule)
	}
	for _, r := range o.Spec.Egress {
		rule := ClusterRule{Name: r.Name, Action: alphaAction(string(r.Action)), Ports: alphaPorts(r.Ports)}
		for _, pr := range r.To {
			peer := ClusterPeer{Namespaces: pr.Namespaces, Pods: alphaPods(pr.Pods), Nodes: pr.Nodes}
			for _, n := range pr.Networks {
				peer.Networks = append(peer.Networks, string(n))
			}
			rule.Peers = append(rule.Peers, peer)
		}
		p.Egress = append(p.Egress, rule)
	}
	return p
}

// alphaAction is v1alpha1's action in the model: Allow is Accept.
func alphaAction(a string) ClusterAction {
	if a == "Allow" {
		return ActionAccept
	}
	return ClusterAction(a)
}

func alphaSubject(s v1alpha1.AdminNetworkPolicySubject) ClusterSubject {
	return ClusterSubject{Namespaces: s.Namespaces, Pods: alphaPods(s.Pods)}
}

func alphaPods(p *v1alpha1.NamespacedPod) *ClusterPods {
	if p == nil {
		return nil
	}
	return &ClusterPods{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

func alphaPorts(ports *[]v1alpha1.AdminNetworkPolicyPort) []ClusterPort {
	if ports == nil {
		return nil
	}
	var out []ClusterPort
	for _, p := range *ports {
		switch {
		case p.PortNumber != nil:
			out = append(out, ClusterPort{Protocol: protocolOrTCP(p.PortNumber.Protocol), Port: p.PortNumber.Port})
		case p.PortRange != nil:
			out = append(out, ClusterPort{Protocol: protocolOrTCP(p.PortRange.Protocol), Port: p.PortRange.Start, EndPort: p.PortRange.End})
		case p.NamedPort != nil:
			out = append(out, ClusterPort{Name: *p.NamedPort})
		default:
			out = append(out, ClusterPort{Unknown: true})
		}
	}
	return out
}

// asStrings is a list of string-typed API values (CIDRs, domain names) as strings; nil for none.
func asStrings[T ~string](in []T) []string {
	var out []string
	for _, v := range in {
		out = append(out, string(v))
	}
	return out
}
