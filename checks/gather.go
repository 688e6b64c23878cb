package checks

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// configMapsRead are the ConfigMaps the CNI check looks at, as namespace/name.
var configMapsRead = []string{"kube-system/cilium-config", "kube-system/amazon-vpc-cni"}

// Gather reads what the checks need in a few requests: one List per kind (namespaces; pods of
// every namespace, or of the scope's when RBAC allows only that; networkpolicies in the scope; daemonsets, deployments and nodes cluster-wide for CNI
// detection; Services and EndpointSlices of kube-system, where the cluster DNS is), and two
// ConfigMaps: ten requests. What
// RBAC forbids is recorded in Input.Forbidden, not returned as an error: doctor then says which
// check it skipped.
func Gather(ctx context.Context, client kubernetes.Interface, namespace string) (*Input, error) {
	in := &Input{Live: true, Snapshot: &policy.Snapshot{}, Forbidden: map[string]error{}}
	forbidden := func(what string, err error) (bool, error) {
		if err == nil {
			return false, nil
		}
		if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) && what != "namespaces" {
			in.Forbidden[what] = err
			return true, nil
		}
		return true, fmt.Errorf("cannot list %s: %w", what, err)
	}
	list := metav1.ListOptions{}

	nsList, err := client.CoreV1().Namespaces().List(ctx, list)
	if skip, err := forbidden("namespaces", err); err != nil {
		return nil, err
	} else if !skip {
		for i := range nsList.Items {
			in.Snapshot.Namespaces = append(in.Snapshot.Namespaces, policy.NamespaceFrom(&nsList.Items[i]))
		}
	}
	// Pods of every namespace when we may: peers select pods anywhere. Otherwise the scope's.
	in.Namespace = namespace
	pods, err := client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, list)
	if apierrors.IsForbidden(err) && namespace != "" {
		in.PartialPods = true
		pods, err = client.CoreV1().Pods(namespace).List(ctx, list)
	}
	if skip, err := forbidden("pods", err); err != nil {
		return nil, err
	} else if !skip {
		if in.Snapshot.Pods, err = policy.PodsFrom(pods.Items); err != nil {
			return nil, err
		}
	}
	nps, err := client.NetworkingV1().NetworkPolicies(namespace).List(ctx, list)
	if skip, err := forbidden("networkpolicies", err); err != nil {
		return nil, err
	} else if !skip {
		in.Snapshot.Policies = nps.Items
	}

	ds, err := client.AppsV1().DaemonSets(metav1.NamespaceAll).List(ctx, list)
	if skip, err := forbidden("daemonsets", err); err != nil {
		return nil, err
	} else if !skip {
		in.DaemonSets = ds.Items
	}
	deploys, err := client.AppsV1().Deployments(metav1.NamespaceAll).List(ctx, list)
	if skip, err := forbidden("deployments", err); err != nil {
		return nil, err
	} else if !skip {
		in.Deployments = deploys.Items
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, list)
	if skip, err := forbidden("nodes", err); err != nil {
		return nil, err
	} else if !skip {
		in.Nodes = nodes.Items
	}
	for _, key := range configMapsRead {
		ns, name := splitKey(key)
		cm, err := client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			in.ConfigMaps = append(in.ConfigMaps, *cm)
		case apierrors.IsNotFound(err):
		case apierrors.IsForbidden(err):
			in.Forbidden["configmaps"] = err
		default:
			return nil, fmt.Errorf("cannot read configmap %s: %w", key, err)
		}
	}
	svcs, err := client.CoreV1().Services("kube-system").List(ctx, list)
	if skip, err := forbidden("services", err); err != nil {
		return nil, err
	} else if !skip {
		in.Services = svcs.Items
	}
	slices, err := client.DiscoveryV1().EndpointSlices("kube-system").List(ctx, list)
	if skip, err := forbidden("endpointslices", err); err != nil {
		return nil, err
	} else if !skip {
		in.EndpointSlices = slices.Items
	}
	return in, nil
}

func splitKey(key string) (string, string) {
	for i := range key {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}
