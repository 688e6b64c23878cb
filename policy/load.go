package policy

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// FromObjects builds a snapshot from API objects (Namespaces, Pods, NetworkPolicies; other
// kinds are skipped). A later object with the same kind, namespace and name replaces an earlier
// one, as applying it would.
func FromObjects(objs []*unstructured.Unstructured) (*Snapshot, error) {
	s := &Snapshot{}
	nsIndex, podIndex, polIndex := map[string]int{}, map[string]int{}, map[string]int{}
	for _, o := range objs {
		key := o.GetNamespace() + "/" + o.GetName()
		switch o.GetKind() {
		case "Namespace":
			ns := Namespace{Name: o.GetName(), Labels: map[string]string{"kubernetes.io/metadata.name": o.GetName()}}
			for k, v := range o.GetLabels() {
				ns.Labels[k] = v
			}
			upsert(&s.Namespaces, nsIndex, key, ns)
		case "Pod":
			var pod corev1.Pod
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &pod); err != nil {
				return nil, fmt.Errorf("pod %s: %w", key, err)
			}
			p, err := PodFrom(&pod)
			if err != nil {
				return nil, err
			}
			upsert(&s.Pods, podIndex, key, p)
		case "NetworkPolicy":
			var np networkingv1.NetworkPolicy
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &np); err != nil {
				return nil, fmt.Errorf("networkpolicy %s: %w", key, err)
			}
			upsert(&s.Policies, polIndex, key, np)
		}
	}
	return s, nil
}

func upsert[T any](list *[]T, index map[string]int, key string, v T) {
	if i, ok := index[key]; ok {
		(*list)[i] = v
		return
	}
	index[key] = len(*list)
	*list = append(*list, v)
}

// PodFrom takes what the evaluator needs from a pod: labels, IPs and declared ports.
func PodFrom(pod *corev1.Pod) (Pod, error) {
	p := Pod{Namespace: pod.Namespace, Name: pod.Name, Labels: pod.Labels}
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

// PodsFrom takes the pods policies govern from a list: finished pods and pods on the host
// network (which NetworkPolicy does not cover) are left out.
func PodsFrom(list []corev1.Pod) ([]Pod, error) {
	var out []Pod
	for i := range list {
		p := &list[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || p.Spec.HostNetwork {
			continue
		}
		pod, err := PodFrom(p)
		if err != nil {
			return nil, err
		}
		out = append(out, pod)
	}
	return out, nil
}
