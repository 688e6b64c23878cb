// Package policy is the offline NetworkPolicy evaluator: given namespaces, pods and policies,
// it says whether a connection is allowed and why, following the Kubernetes specification
// (not any one CNI). It makes no API calls: the plugin loads a Snapshot from the cluster or
// from files and hands it over.
package policy

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Snapshot is everything the evaluator reads.
type Snapshot struct {
	Namespaces []Namespace
	Pods       []Pod
	Policies   []networkingv1.NetworkPolicy
	// Services and EndpointSlices of kube-system: where FindDNS finds the cluster DNS.
	Services       []corev1.Service
	EndpointSlices []discoveryv1.EndpointSlice
	// ClusterPolicies are the cluster-scoped tier: ClusterNetworkPolicy (v1beta1, v1alpha2) and
	// AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1), in one model (cluster.go).
	// The Admin tier decides before the NetworkPolicies, the Baseline tier after them.
	ClusterPolicies []ClusterPolicy
	// ClusterPoliciesUnread names the cluster-scoped kinds that could not be read (RBAC): the
	// verdicts then say that such a policy may decide first, and are marked Undecided.
	ClusterPoliciesUnread []string
	// Nodes are the nodes' labels and addresses, for the nodes peers of cluster policies.
	Nodes []Node
}

// Node is what a cluster policy's nodes peer looks at: a node's labels and addresses.
type Node struct {
	Name   string
	Labels map[string]string
	IPs    []netip.Addr
}

// Namespace is a namespace's name and labels (kubernetes.io/metadata.name included, as the
// API server sets it).
type Namespace struct {
	Name   string
	Labels map[string]string
}

// Pod is what policies look at in a pod.
type Pod struct {
	Namespace string
	Name      string
	Labels    map[string]string
	IPs       []netip.Addr
	Ports     []Port // declared container ports, for named ports
	// StandIn: the pod stands for the replicas of a workload read from files (a Deployment's
	// pod template), so its pair with itself is replica to replica, not a pod to itself.
	StandIn bool
	// HostNetwork: the pod uses its node's network. Cluster policies neither select it (as a
	// subject, or by a pods or namespaces peer) nor govern it; their networks and nodes peers
	// see its addresses. (The readers leave such pods out of snapshots; see source.)
	HostNetwork bool
}

// Port is a declared container port.
type Port struct {
	Name     string
	Port     int32
	Protocol corev1.Protocol
}

// ID is "namespace/name", the way pods are named in output.
func (p *Pod) ID() string { return p.Namespace + "/" + p.Name }

// Endpoint is one side of a connection: a pod of the snapshot, or an address outside it.
type Endpoint struct {
	Pod *Pod       // nil for an address outside the cluster
	IP  netip.Addr // the external address, when Pod is nil
}

func (e Endpoint) String() string {
	if e.Pod != nil {
		return e.Pod.ID()
	}
	return e.IP.String()
}

// addrs are the addresses ipBlock rules see for the endpoint.
func (e Endpoint) addrs() []netip.Addr {
	if e.Pod != nil {
		return e.Pod.IPs
	}
	return []netip.Addr{e.IP}
}

// Connection is the question: may From open a connection to To on Port/Protocol?
type Connection struct {
	From, To Endpoint
	Port     int32
	Protocol corev1.Protocol
}

func (c Connection) String() string {
	return fmt.Sprintf("%s -> %s %d/%s", c.From, c.To, c.Port, c.Protocol)
}
