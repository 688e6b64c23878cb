package labs

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// FieldManager is the server-side apply field manager of everything the labs write.
const FieldManager = "kubectl-netpol"

// The kinds lab manifests may hold, and their resources. A fixed table, not discovery: the
// catalog is ours, and a unit test keeps it in step with the manifests.
var resources = map[string]schema.GroupVersionResource{
	"Namespace":     {Version: "v1", Resource: "namespaces"},
	"Pod":           {Version: "v1", Resource: "pods"},
	"Service":       {Version: "v1", Resource: "services"},
	"ConfigMap":     {Version: "v1", Resource: "configmaps"},
	"NetworkPolicy": {Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
	// Cluster-scoped, and served only where network-policy-api's CRDs are installed: Up
	// refuses a lab that holds one on a cluster that does not serve it (checkServed).
	"ClusterNetworkPolicy": {Group: "policy.networking.k8s.io", Version: "v1beta1", Resource: "clusternetworkpolicies"},
}

func resourceOf(o *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	gvr, ok := resources[o.GetKind()]
	if !ok {
		return gvr, fmt.Errorf("labs cannot hold a %s (%s)", o.GetKind(), o.GetName())
	}
	return gvr, nil
}

// describe names an object the way kubectl does: networkpolicy/allow-dns -n web.
func describe(o *unstructured.Unstructured) string {
	s := strings.ToLower(o.GetKind()) + "/" + o.GetName()
	if ns := o.GetNamespace(); ns != "" {
		s += " -n " + ns
	}
	return s
}

// ForbiddenError says which verb on which resource RBAC refused, and what to do about it.
type ForbiddenError struct {
	Verb, Resource, Namespace string
	Err                       error
}

func (e *ForbiddenError) Error() string {
	where := "cluster-wide"
	if e.Namespace != "" {
		where = "in namespace " + e.Namespace
	}
	return fmt.Sprintf("RBAC forbids %s on %s %s; ask a cluster admin for that permission, or use a context that has it (--context)", e.Verb, e.Resource, where)
}

func (e *ForbiddenError) Unwrap() error { return e.Err }

// asForbidden turns an API Forbidden error into a ForbiddenError for verb on gvr.
func asForbidden(err error, verb string, gvr schema.GroupVersionResource, namespace string) error {
	// Writing into a namespace that is being deleted is also a 403, but RBAC has nothing to do
	// with it.
	if !apierrors.IsForbidden(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return err
	}
	var fe *ForbiddenError
	if errors.As(err, &fe) {
		return err
	}
	return &ForbiddenError{Verb: verb, Resource: gvr.GroupResource().String(), Namespace: namespace, Err: err}
}

// NeedsCRDs reports whether the lab creates objects of a kind that only CRDs bring (the
// cluster-scoped policies): such a lab runs only where a cluster admin has installed them.
func (l *Lab) NeedsCRDs() bool {
	r, err := l.Render(Options{})
	if err != nil {
		return false // the catalog's tests render every lab
	}
	for _, o := range append(append([]*unstructured.Unstructured{}, r.Setup...), r.Solution...) {
		if gvr, err := resourceOf(o); err == nil && fromCRD(gvr) {
			return true
		}
	}
	return false
}
