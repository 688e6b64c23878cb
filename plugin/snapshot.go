package plugin

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// scope is which pods a command looks at: one namespace, or all of them.
type scope struct {
	namespace string // ignored when all
	all       bool
}

func (s scope) listNamespace() string {
	if s.all {
		return metav1.NamespaceAll
	}
	return s.namespace
}

func (s scope) String() string {
	if s.all {
		return "all namespaces"
	}
	return "namespace " + s.namespace
}

// resolveScope reads -n / -A the way kubectl does: -A wins, then -n, then the kubeconfig
// context's namespace.
func (a *clusterAccess) resolveScope(all bool) (scope, error) {
	if all {
		return scope{all: true}, nil
	}
	ns, _, err := a.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return scope{}, &clusterError{msg: fmt.Sprintf("cannot read the namespace from the kubeconfig %s: %v", a.describeTarget(), err)}
	}
	return scope{namespace: ns}, nil
}

// liveSnapshot reads what the evaluator needs from the cluster: one List per kind. Namespaces
// are listed cluster-wide, since namespaceSelectors look at every namespace's labels; without
// permission to list them, only the label the API server always sets is known, and warn says so.
// Pods that are finished, or on the host network (which NetworkPolicy does not govern), are left out.
func liveSnapshot(ctx context.Context, client kubernetes.Interface, sc scope, warn io.Writer) (*policy.Snapshot, error) {
	s := &policy.Snapshot{}
	pods, err := client.CoreV1().Pods(sc.listNamespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, listError("pods", sc, err)
	}
	if s.Pods, err = policy.PodsFrom(pods.Items); err != nil {
		return nil, err
	}
	nps, err := client.NetworkingV1().NetworkPolicies(sc.listNamespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, listError("networkpolicies", sc, err)
	}
	s.Policies = nps.Items
	nsList, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsForbidden(err):
		fmt.Fprintf(warn, "Warning: you may not list namespaces, so namespaceSelectors see only the kubernetes.io/metadata.name label of each namespace\n")
	case err != nil:
		return nil, listError("namespaces", sc, err)
	default:
		found := sc.all
		for i := range nsList.Items {
			s.Namespaces = append(s.Namespaces, policy.NamespaceFrom(&nsList.Items[i]))
			found = found || nsList.Items[i].Name == sc.namespace
		}
		if !found {
			return nil, fmt.Errorf("namespace %q not found; 'kubectl get namespaces' lists them, or use -A for all", sc.namespace)
		}
	}
	return s, nil
}

func listError(resource string, sc scope, err error) error {
	if apierrors.IsForbidden(err) {
		where := "-n " + sc.namespace
		if sc.all {
			where = "-A"
		}
		return fmt.Errorf("you may not list %s in %s; this needs 'list' on pods and networkpolicies (and namespaces): check with 'kubectl auth can-i list %s %s'", resource, sc, resource, where)
	}
	return fmt.Errorf("cannot list %s in %s: %w", resource, sc, err)
}
