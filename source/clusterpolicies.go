package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// The cluster-scoped policies of policy.networking.k8s.io (ClusterNetworkPolicy, and its
// predecessors AdminNetworkPolicy and BaselineAdminNetworkPolicy) are custom resources: a
// cluster has them only when their CRDs are installed. They are read through the clientset's
// REST client as JSON (custom resources have no protobuf form) and decoded with the API's own
// Go types (policy.DecodeClusterPolicy), in pages like every other List.

// clusterPolicyResources are the resources read, in order: kind, plural, and the versions to
// try, newest first (one is enough: the API server serves the same objects in each).
var clusterPolicyResources = []struct {
	kind, resource string
}{
	{policy.KindClusterNetworkPolicy, "clusternetworkpolicies"},
	{policy.KindAdminNetworkPolicy, "adminnetworkpolicies"},
	{policy.KindBaselineAdminNetworkPolicy, "baselineadminnetworkpolicies"},
}

// clusterPolicyResource is the name a cluster policy resource is recorded under in Forbidden
// (and said with), qualified by its group: "clusternetworkpolicies.policy.networking.k8s.io".
func clusterPolicyResource(plural string) string { return plural + "." + policy.ClusterPolicyGroup }

// isClusterPolicyResource reports whether a Forbidden key is one of them.
func isClusterPolicyResource(key string) bool {
	return strings.HasSuffix(key, "."+policy.ClusterPolicyGroup)
}

// readClusterPolicies lists the cluster policies the server serves. A group or resource the
// server does not serve (no CRDs) is none, silently; a List RBAC forbids is recorded in
// Forbidden (Warnings says it once; the snapshot's verdicts then say they may be incomplete).
// With nodes peers among them and no Nodes read yet, the Nodes are listed too (their
// addresses are what those peers match); a forbidden Nodes List leaves the peers undecided.
func (r *reader) readClusterPolicies(client kubernetes.Interface, nodesRead bool) error {
	rc := client.Discovery().RESTClient()
	if rc == nil || reflect.ValueOf(rc).Kind() == reflect.Pointer && reflect.ValueOf(rc).IsNil() {
		return nil // a fake clientset: no REST client, no custom resources
	}
	served, err := servedClusterPolicyVersions(r.ctx, rc)
	if err != nil {
		return err
	}
	for _, res := range clusterPolicyResources {
		version := ""
		for _, v := range policy.ClusterPolicyVersions[res.kind] {
			if slices.Contains(served[v], res.resource) {
				version = v
				break
			}
		}
		if version == "" {
			continue
		}
		name := clusterPolicyResource(res.resource)
		path := "/apis/" + policy.ClusterPolicyGroup + "/" + version + "/" + res.resource
		var decodeErr error
		err := r.list(name, "", func(opts metav1.ListOptions) (runtime.Object, error) {
			return listRaw(r.ctx, rc, path, opts)
		}, func(obj runtime.Object) {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok || decodeErr != nil {
				return
			}
			if u.GetAPIVersion() == "" {
				u.SetAPIVersion(policy.ClusterPolicyGroup + "/" + version)
			}
			if u.GetKind() == "" {
				u.SetKind(res.kind)
			}
			p, err := policy.DecodeClusterPolicy(u)
			if err != nil {
				decodeErr = fmt.Errorf("cannot read %s %s: %w", res.kind, u.GetName(), err)
				return
			}
			r.o.ClusterPolicies = append(r.o.ClusterPolicies, p)
		})
		if err != nil {
			return err
		}
		if decodeErr != nil {
			return decodeErr
		}
		// Gone between discovery and the List (its CRD deleted): none.
		var ferr *ForbiddenError
		if errors.As(r.o.Forbidden[name], &ferr) && apierrors.IsNotFound(ferr.Err) {
			delete(r.o.Forbidden, name)
		}
	}
	if nodesRead || !slices.ContainsFunc(r.o.ClusterPolicies, hasNodesPeer) {
		return nil
	}
	return r.list("nodes", "", func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.CoreV1().Nodes().List(r.ctx, opts)
	}, func(obj runtime.Object) { r.o.Nodes = append(r.o.Nodes, *obj.(*corev1.Node)) })
}

func hasNodesPeer(p policy.ClusterPolicy) bool {
	for _, r := range p.Egress {
		for _, pr := range r.Peers {
			if pr.Nodes != nil {
				return true
			}
		}
	}
	return false
}

// servedClusterPolicyVersions asks discovery which versions of the group the server serves,
// and their resources: one request when the group is not there (no CRDs), which is most
// clusters. A discovery document RBAC forbids counts as not served: discovery is open to every
// authenticated user unless an admin closed it.
func servedClusterPolicyVersions(ctx context.Context, rc rest.Interface) (map[string][]string, error) {
	served := map[string][]string{}
	var group metav1.APIGroup
	raw, err := rc.Get().AbsPath("/apis/" + policy.ClusterPolicyGroup).Do(ctx).Raw()
	switch {
	case apierrors.IsNotFound(err) || apierrors.IsForbidden(err):
		return served, nil
	case err != nil:
		return nil, fmt.Errorf("cannot discover the API group %s: %w", policy.ClusterPolicyGroup, err)
	}
	if err := json.Unmarshal(raw, &group); err != nil {
		return nil, fmt.Errorf("cannot read the discovery document of %s: %w", policy.ClusterPolicyGroup, err)
	}
	for _, v := range group.Versions {
		var list metav1.APIResourceList
		raw, err := rc.Get().AbsPath("/apis/" + v.GroupVersion).Do(ctx).Raw()
		switch {
		case apierrors.IsNotFound(err) || apierrors.IsForbidden(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("cannot discover %s: %w", v.GroupVersion, err)
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("cannot read the discovery document of %s: %w", v.GroupVersion, err)
		}
		for _, res := range list.APIResources {
			if !strings.Contains(res.Name, "/") && slices.Contains(res.Verbs, "list") {
				served[v.Version] = append(served[v.Version], res.Name)
			}
		}
	}
	return served, nil
}

// listRaw is one page of a custom resource's List, as JSON, decoded as unstructured objects.
func listRaw(ctx context.Context, rc rest.Interface, path string, opts metav1.ListOptions) (runtime.Object, error) {
	req := rc.Get().AbsPath(path).SetHeader("Accept", "application/json")
	if opts.Limit > 0 {
		req = req.Param("limit", strconv.FormatInt(opts.Limit, 10))
	}
	if opts.Continue != "" {
		req = req.Param("continue", opts.Continue)
	}
	if opts.ResourceVersion != "" {
		req = req.Param("resourceVersion", opts.ResourceVersion)
	}
	if opts.ResourceVersionMatch != "" {
		req = req.Param("resourceVersionMatch", string(opts.ResourceVersionMatch))
	}
	raw, err := req.Do(ctx).Raw()
	if err != nil {
		return nil, err
	}
	list := &unstructured.UnstructuredList{}
	if err := list.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return list, nil
}

// clusterPoliciesUnread are the cluster policy resources that RBAC kept from being read, for
// the snapshot (its verdicts say they may be incomplete).
func (o *Objects) clusterPoliciesUnread() []string {
	var out []string
	for key := range o.Forbidden {
		if isClusterPolicyResource(key) {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// clusterPoliciesWarning is Warnings' line for them, "" when all were read.
func (o *Objects) clusterPoliciesWarning() string {
	unread := o.clusterPoliciesUnread()
	if len(unread) == 0 {
		return ""
	}
	return fmt.Sprintf("you may not list %s, so the cluster-scoped policies (Admin and Baseline tiers), which may decide before any NetworkPolicy, are left out: the verdicts say they may be incomplete", strings.Join(unread, ", "))
}
