package policy

import (
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// PodFrom takes what the evaluator needs from a pod: labels, IPs and declared ports.
func PodFrom(pod *corev1.Pod) (Pod, error) {
	p := Pod{Namespace: pod.Namespace, Name: pod.Name, Labels: pod.Labels, HostNetwork: pod.Spec.HostNetwork}
	ips := pod.Status.PodIPs
	if len(ips) == 0 && pod.Status.PodIP != "" {
		ips = []corev1.PodIP{{IP: pod.Status.PodIP}}
	}
	for _, ip := range ips {
		a, err := netip.ParseAddr(ip.IP)
		if err != nil {
			return p, fmt.Errorf("pod %s/%s: status IP %q: %w", pod.Namespace, pod.Name, ip.IP, err)
		}
		p.IPs = append(p.IPs, a)
	}
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			proto := cp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			p.Ports = append(p.Ports, Port{Name: cp.Name, Port: cp.ContainerPort, Protocol: proto})
		}
	}
	return p, nil
}

// NamespaceFrom takes a namespace's name and labels, with the label the API server always sets
// (objects from files may lack it).
func NamespaceFrom(ns *corev1.Namespace) Namespace {
	labels := map[string]string{"kubernetes.io/metadata.name": ns.Name}
	for k, v := range ns.Labels {
		labels[k] = v
	}
	return Namespace{Name: ns.Name, Labels: labels}
}

// NodeFrom takes a node's name, labels and addresses (those that are IPs: InternalIP,
// ExternalIP), for the nodes peers of cluster policies.
func NodeFrom(node *corev1.Node) Node {
	n := Node{Name: node.Name, Labels: node.Labels}
	for _, a := range node.Status.Addresses {
		if ip, err := netip.ParseAddr(a.Address); err == nil && !slices.Contains(n.IPs, ip) {
			n.IPs = append(n.IPs, ip)
		}
	}
	return n
}
