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
