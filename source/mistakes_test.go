package source

import (
	"reflect"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"spec", "spec", 0}, {"", "abc", 3}, {"sepc", "spec", 1}, {"ingres", "ingress", 1},
		{"polcyTypes", "policyTypes", 1}, {"from", "to", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want || editDistance(tc.b, tc.a) != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d both ways", tc.a, tc.b, got, tc.want)
		}
	}
}

// A guess is made only when it is close: a short name may be one edit off, a longer one two.
func TestNearestField(t *testing.T) {
	spec := jsonFields(reflect.TypeOf(networkingv1.NetworkPolicySpec{}))
	for name, want := range map[string]string{
		"ingres": "ingress", "Egress": "egress", "podselector": "podSelector", "policyType": "policyTypes",
		"polcyTypes": "policyTypes", "egres": "egress", "ingressRules": "", "to": "", "from": "", "spec": "",
	} {
		if got := nearest(name, spec); got != want {
			t.Errorf("nearest(%q) = %q, want %q", name, got, want)
		}
	}
}
