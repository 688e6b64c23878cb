package checks

import (
	"context"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// Gather reads what the checks need through the one cluster reader (source.ReadCluster: paged
// Lists, one RBAC behaviour): namespaces; pods of every namespace, or of the scope's when RBAC
// allows only that; networkpolicies in the scope; kube-system's Services, EndpointSlices and DNS
// pods; daemonsets, deployments, nodes and two ConfigMaps for CNI detection. What RBAC forbids
// is recorded in Input.Forbidden, not returned as an error: doctor then says which check it
// skipped.
func Gather(ctx context.Context, client kubernetes.Interface, namespace string) (*Input, error) {
	want := source.Want{PodsEverywhere: true, DNS: true, CNI: true}
	if namespace != "" {
		want.Namespaces = []string{namespace}
	}
	objs, err := source.ReadCluster(ctx, client, want)
	if err != nil {
		return nil, err
	}
	return FromObjects(objs, namespace, true)
}

// FromObjects is the Input of objects read from a cluster (live) or from files.
func FromObjects(objs *source.Objects, namespace string, live bool) (*Input, error) {
	snap, _, err := objs.Snapshot()
	if err != nil {
		return nil, err
	}
	in := &Input{Live: live, Snapshot: snap, Namespace: namespace, PartialPods: objs.PartialPods,
		DaemonSets: objs.DaemonSets, Deployments: objs.Deployments, Nodes: objs.Nodes, ConfigMaps: objs.ConfigMaps,
		Forbidden: map[string]error{}}
	for k, v := range objs.Forbidden {
		in.Forbidden[k] = v
	}
	for _, f := range objs.Foreign {
		in.Foreign = append(in.Foreign, Foreign(f))
	}
	for key, r := range objs.Refused {
		if in.Refused == nil {
			in.Refused = map[string][]string{}
		}
		in.Refused[key] = r.Fields
	}
	return in, nil
}
