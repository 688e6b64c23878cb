package policy

import (
	"net/netip"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// No policy (NetworkPolicy or cluster-scoped) makes the evaluator panic: it compiles or
// refuses, and then answers; Matrix and Evaluate answer alike, and Warnings runs too.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte("kind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: http}]}]\n"), uint16(80))
	f.Add([]byte("kind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: {podSelector: {matchExpressions: [{key: a, operator: Exists}]}, policyTypes: [Egress]}\n"), uint16(53))
	f.Add([]byte("apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: c}\nspec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  egress: [{action: Pass, to: [{networks: [10.0.1.0/24]}], protocols: [{destinationNamedPort: serve-80-tcp}]}]\n---\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: {podSelector: {}, policyTypes: [Egress]}\n"), uint16(80))
	f.Fuzz(func(t *testing.T, data []byte, port uint16) {
		s := fuzzSnapshot(data)
		if s == nil {
			return
		}
		m := model()
		s.Namespaces, s.Pods = m.Namespaces, m.Pods
		ev, err := New(s)
		if err != nil {
			return
		}
		if _, err := Warnings(s); err != nil {
			t.Fatalf("Warnings refused what New took: %v", err)
		}
		for _, proto := range []string{"TCP", "UDP", "SCTP"} {
			m := ev.Matrix([]PortProtocol{{Port: int32(port), Protocol: corev1Protocol(proto)}})
			for from := range s.Pods {
				for to := range s.Pods {
					v := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: int32(port), Protocol: corev1Protocol(proto)})
					if m.Allowed(0, from, to) != v.Allowed {
						t.Fatalf("%s -> %s %d/%s: Matrix %t, Evaluate %t", s.Pods[from].ID(), s.Pods[to].ID(), port, proto, !v.Allowed, v.Allowed)
					}
				}
			}
			ev.Evaluate(Connection{From: Endpoint{IP: netip.MustParseAddr("10.1.2.3")}, To: Endpoint{Pod: &s.Pods[0]}, Port: int32(port), Protocol: corev1Protocol(proto)})
		}
	})
}

// fuzzSnapshot takes the NetworkPolicies of data's documents; nil when one cannot be decoded.
// (The file reader has its own fuzz target in package source.)
func fuzzSnapshot(data []byte) *Snapshot {
	s := &Snapshot{}
	err := EachDocument("fuzz.yaml", data, func(u *unstructured.Unstructured) error {
		if IsClusterPolicyKind(u.GroupVersionKind().GroupKind()) {
			p, err := DecodeClusterPolicy(u)
			if err != nil {
				return err
			}
			s.ClusterPolicies = append(s.ClusterPolicies, p)
			return nil
		}
		if u.GetKind() != "NetworkPolicy" {
			return nil
		}
		var np networkingv1.NetworkPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &np); err != nil {
			return err
		}
		s.Policies = append(s.Policies, np)
		return nil
	})
	if err != nil {
		return nil
	}
	return s
}
