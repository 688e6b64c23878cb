package policy

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// ValidateObject validates a NetworkPolicy read from a file, as the API server would on apply:
// the API server's own messages, one a problem; none when it would accept the policy. An object
// that is not even a NetworkPolicy's shape is an error.
func ValidateObject(o *unstructured.Unstructured) ([]string, error) {
	var np networkingv1.NetworkPolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &np); err != nil {
		return nil, fmt.Errorf("networkpolicy %s/%s: %w", o.GetNamespace(), o.GetName(), err)
	}
	var out []string
	for _, e := range Validate(&np) {
		out = append(out, e.Error())
	}
	return out, nil
}
