package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// The conformance suite of sigs.k8s.io/network-policy-api v0.3.0 (ClusterNetworkPolicy, Admin
// and Baseline tiers), ported as data (testdata/cnp-conformance, loaded by loadCNPConformance),
// run against the evaluator: every poke of every step, with the objects in effect at that step
// (applies and deletes cumulative), must get the verdict upstream expects, from Evaluate and,
// for pod-to-pod pokes, from the Matrix. Host-network pods (the node-peer tests' servers) are
// in the snapshot with HostNetwork set; pokes to them go to their address, as upstream's do.
func TestCNPConformance(t *testing.T) {
	d := loadCNPConformance(t)
	var agree, disagree, undecided int
	for _, c := range d.Cases {
		t.Run(c.Test, func(t *testing.T) {
			for i, st := range c.Steps {
				objs, err := d.objectsAt(c, i)
				if err != nil {
					t.Fatal(err)
				}
				s := cnpSnapshot(t, objs)
				ev, err := New(s)
				if err != nil {
					t.Fatalf("step %q: %v", st.Name, err)
				}
				var ports []PortProtocol
				for _, p := range st.Pokes {
					pp := PortProtocol{p.Port, corev1.Protocol(p.Protocol)}
					if !slices.Contains(ports, pp) {
						ports = append(ports, pp)
					}
				}
				m := ev.Matrix(ports)
				index := func(id string) int { return slices.IndexFunc(s.Pods, func(p Pod) bool { return p.ID() == id }) }
				for _, p := range st.Pokes {
					where := fmt.Sprintf("step %q part %d: %s -> %s %d/%s", st.Name, st.Part, p.From, p.To, p.Port, p.Protocol)
					if p.Skip != "" {
						t.Logf("%s: skipped: %s", where, p.Skip)
						continue
					}
					from := index(p.From)
					if from < 0 {
						t.Fatalf("%s: no pod %s", where, p.From)
					}
					to := endpoint(s, p.To)
					v := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[from]}, To: to, Port: p.Port, Protocol: corev1.Protocol(p.Protocol)})
					ok := v.Allowed == p.Allowed
					if to.Pod != nil {
						pi := slices.Index(ports, PortProtocol{p.Port, corev1.Protocol(p.Protocol)})
						if got := m.Allowed(pi, from, index(p.To)); got != v.Allowed {
							t.Errorf("%s: Matrix %t, Evaluate %t", where, got, v.Allowed)
							ok = false
						}
					}
					if v.Undecided {
						undecided++
						t.Errorf("%s: undecided: %s", where, strings.Join(slices.Concat(v.Egress.Notes(), v.Ingress.Notes()), "; "))
					}
					if ok {
						agree++
						continue
					}
					disagree++
					t.Errorf("%s: allowed %t, upstream expects %t\n  %s", where, v.Allowed, p.Allowed,
						strings.Join(slices.Concat(v.Egress.Reasons, v.Ingress.Reasons), "\n  "))
				}
			}
		})
	}
	t.Logf("%d pokes agree, %d disagree, %d undecided", agree, disagree, undecided)
	if agree+disagree != cnpConformancePokes-cnpConformanceSkipped {
		t.Errorf("%d pokes run, want %d", agree+disagree, cnpConformancePokes-cnpConformanceSkipped)
	}
}

// cnpSnapshot reads the conformance objects into a snapshot: Nodes, Namespaces, Pods,
// NetworkPolicies and the cluster-scoped policies.
func cnpSnapshot(t *testing.T, objs []*unstructured.Unstructured) *Snapshot {
	t.Helper()
	s := &Snapshot{}
	into := func(o *unstructured.Unstructured, v any) {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, v); err != nil {
			t.Fatalf("%s: %v", cnpKey(o), err)
		}
	}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		switch {
		case gvk.Group == "" && gvk.Kind == "Node":
			var n corev1.Node
			into(o, &n)
			s.Nodes = append(s.Nodes, NodeFrom(&n))
		case gvk.Group == "" && gvk.Kind == "Namespace":
			var ns corev1.Namespace
			into(o, &ns)
			s.Namespaces = append(s.Namespaces, NamespaceFrom(&ns))
		case gvk.Group == "" && gvk.Kind == "Pod":
			var p corev1.Pod
			into(o, &p)
			pod, err := PodFrom(&p)
			if err != nil {
				t.Fatal(err)
			}
			s.Pods = append(s.Pods, pod)
		case gvk.Group == "networking.k8s.io" && gvk.Kind == "NetworkPolicy":
			var np networkingv1.NetworkPolicy
			into(o, &np)
			s.Policies = append(s.Policies, np)
		case IsClusterPolicyKind(gvk.GroupKind()):
			cp, err := DecodeClusterPolicy(o)
			if err != nil {
				t.Fatal(err)
			}
			s.ClusterPolicies = append(s.ClusterPolicies, cp)
		default:
			t.Fatalf("unexpected %s", cnpKey(o))
		}
	}
	return s
}
