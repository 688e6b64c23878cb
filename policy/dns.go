package policy

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// DNS is the cluster DNS as found: its Service, ready endpoints, and the pods (or stand-ins)
// that serve it with the ports they listen on.
type DNS struct {
	Service *corev1.Service
	Ready   int
	Pods    []Pod
	Ports   []PortProtocol // target ports: 53, or 5353 and the like
}

// FindDNS locates the cluster DNS in a snapshot, the one way every command finds it: the
// Service kube-dns of kube-system (or the one labelled k8s-app=kube-dns), the kube-system pods
// its selector selects, and its EndpointSlices for the ports the pods really listen on and for
// pods the snapshot lacks. Without that Service, pods labelled k8s-app=kube-dns in kube-system;
// without any, ClusterDNS stands in.
func FindDNS(s *Snapshot) DNS {
	var d DNS
	for i := range s.Services {
		svc := &s.Services[i]
		if svc.Namespace == "kube-system" && (svc.Name == "kube-dns" || svc.Labels["k8s-app"] == "kube-dns") {
			d.Service = svc
			break
		}
	}
	selector := labels.SelectorFromSet(map[string]string{"k8s-app": "kube-dns"})
	if d.Service != nil && len(d.Service.Spec.Selector) > 0 {
		selector = labels.SelectorFromSet(d.Service.Spec.Selector)
	}
	for _, p := range s.Pods {
		if p.Namespace == "kube-system" && selector.Matches(labels.Set(p.Labels)) {
			d.Pods = append(d.Pods, p)
		}
	}
	for _, es := range s.EndpointSlices {
		if d.Service == nil || es.Labels[discoveryv1.LabelServiceName] != d.Service.Name {
			continue
		}
		for _, port := range es.Ports {
			if port.Port == nil {
				continue
			}
			proto := corev1.ProtocolTCP // the API's default
			if port.Protocol != nil {
				proto = *port.Protocol
			}
			if pp := (PortProtocol{Port: *port.Port, Protocol: proto}); !slices.Contains(d.Ports, pp) {
				d.Ports = append(d.Ports, pp)
			}
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				d.Ready++
			}
			// Pods the scope did not list (doctor -n): stand-ins with the Service's selector as
			// labels, which the real pods carry by definition, and the endpoint's addresses.
			if len(d.Pods) == 0 || ep.TargetRef != nil && !slices.ContainsFunc(d.Pods, func(p Pod) bool { return p.Name == ep.TargetRef.Name }) {
				name := "kube-dns-endpoint"
				if ep.TargetRef != nil {
					name = ep.TargetRef.Name
				}
				stand := Pod{Namespace: "kube-system", Name: name, Labels: selectorLabels(d.Service)}
				for _, a := range ep.Addresses {
					if ip, err := netip.ParseAddr(a); err == nil {
						stand.IPs = append(stand.IPs, ip)
					}
				}
				d.Pods = append(d.Pods, stand)
			}
		}
	}
	if len(d.Ports) == 0 {
		d.Ports = []PortProtocol{{Port: 53, Protocol: corev1.ProtocolUDP}, {Port: 53, Protocol: corev1.ProtocolTCP}}
	}
	if len(d.Pods) == 0 {
		d.Pods = []Pod{ClusterDNS}
	}
	// Named ports in policies ("dns", "dns-tcp") resolve against the DNS pods' declared ports.
	for i := range d.Pods {
		if len(d.Pods[i].Ports) == 0 {
			for _, pp := range d.Ports {
				name := "dns"
				if pp.Protocol == corev1.ProtocolTCP {
					name = "dns-tcp"
				}
				d.Pods[i].Ports = append(d.Pods[i].Ports, Port{Name: name, Port: pp.Port, Protocol: pp.Protocol})
			}
		}
	}
	return d
}

func selectorLabels(s *corev1.Service) map[string]string {
	if s == nil || len(s.Spec.Selector) == 0 {
		return map[string]string{"k8s-app": "kube-dns"}
	}
	return s.Spec.Selector
}

// Port returns the port the DNS pods receive a protocol on (53 unless the endpoints say
// otherwise, e.g. 5353): the port egress rules must allow.
func (d DNS) Port(proto corev1.Protocol) int32 {
	for _, pp := range d.Ports {
		if pp.Protocol == proto {
			return pp.Port
		}
	}
	return 53
}

// Selector is the labels the DNS pods carry by definition: the Service's selector.
func (d DNS) Selector() map[string]string { return selectorLabels(d.Service) }
