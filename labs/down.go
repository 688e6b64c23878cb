package labs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
)

// DownResult says what Down deleted and which namespaces it kept, and why.
type DownResult struct {
	Deleted []string
	Kept    []KeptNamespace // by name
}

// KeptNamespace is a lab namespace Down did not delete: it holds objects kubectl-netpol did not
// create, or its contents could not all be listed, so it could not be shown to be empty.
type KeptNamespace struct {
	Name       string
	Foreign    []string // objects kubectl-netpol did not create, kind/name
	Unverified []string // why the rest could not be seen: forbidden lists, API groups discovery missed
}

// Down deletes what `lab up` created for lab: objects carrying both ownership labels, and nothing
// else. It reads metadata only (never whole objects: a namespace may hold Secrets). A lab
// namespace is deleted whole only when every kind of object in it could be listed and it holds
// nothing but the lab's objects (and what Kubernetes adds by itself); otherwise the lab's
// objects in it are deleted one by one, each with its UID as precondition, and the namespace
// stays. To keep the window in which someone else's new object would go with the namespace as
// short as it can be, the lab's objects are deleted first, the namespace is listed once more,
// and only then deleted, with its UID and resourceVersion as preconditions. Down waits until
// everything it deleted is gone; progress hears what it waits for. Nothing to delete is success.
func Down(ctx context.Context, c Clients, lab string, progress func(string)) (*DownResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	meta, err := c.metadata()
	if err != nil {
		return nil, err
	}
	nsGVR := resources["Namespace"]
	list, err := meta.Resource(nsGVR).List(ctx, metav1.ListOptions{LabelSelector: labelSelector(lab)})
	if err != nil {
		return nil, asForbidden(err, "list", nsGVR, "")
	}
	namespaced, missed, err := namespacedResources(c.Kube.Discovery())
	if err != nil {
		return nil, err
	}
	result := &DownResult{}
	// The lab's own objects go first, in every namespace, and then each namespace is looked
	// into again right before it is deleted. Down does not wait for the deleted objects to be
	// gone before that second look: an object it deleted (this UID) that is still terminating,
	// a pod in its grace period, is not a newcomer, and the namespace's deletion finishes it.
	// Waiting, namespace by namespace, added seconds per namespace.
	type labNamespace struct {
		ns       *metav1.PartialObjectMetadata
		contents contents
		mine     []func() (bool, error) // the lab's objects deleted in it, each gone when true
	}
	var namespaces []labNamespace
	var gone []func() (bool, error)
	deleted := map[types.UID]bool{}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	for i := range list.Items {
		ns := &list.Items[i]
		ns.Kind = "Namespace"
		contents, err := namespaceContents(ctx, meta, namespaced, ns.Name, lab)
		if err != nil {
			return result, err
		}
		contents.unverified = append(slices.Clone(missed), contents.unverified...)
		n := labNamespace{ns: ns, contents: contents}
		for _, o := range contents.ours {
			if err := deleteObject(ctx, meta, o); err != nil {
				return result, err
			}
			result.Deleted = append(result.Deleted, describeMeta(o))
			n.mine = append(n.mine, goneCheck(ctx, meta, o))
			deleted[o.UID] = true
		}
		namespaces = append(namespaces, n)
	}
	// The lab's cluster-scoped objects (its ClusterNetworkPolicies), by the same labels.
	clusterScoped, err := labClusterScoped(ctx, meta, lab, clusterScopedResources(lab))
	if err != nil {
		return result, err
	}
	for _, o := range clusterScoped {
		if err := deleteObject(ctx, meta, o); err != nil {
			return result, err
		}
		result.Deleted = append(result.Deleted, describeMeta(o))
		gone = append(gone, goneCheck(ctx, meta, o))
	}
	for _, n := range namespaces {
		contents := n.contents
		if len(contents.foreign) == 0 && len(contents.unverified) == 0 {
			// Listed again right before the delete: anything new since the first look keeps it.
			beforeRecheck(n.ns.Name)
			again, err := namespaceContents(ctx, meta, namespaced, n.ns.Name, lab)
			if err != nil {
				return result, err
			}
			fresh, err := meta.Resource(nsGVR).Get(ctx, n.ns.Name, metav1.GetOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return result, asForbidden(err, "get", nsGVR, "")
			}
			if err == nil {
				fresh.Kind = "Namespace"
			}
			again.ours = slices.DeleteFunc(again.ours, func(o *metav1.PartialObjectMetadata) bool {
				return deleted[o.UID] && o.DeletionTimestamp != nil
			})
			if err == nil && fresh.UID == n.ns.UID && len(again.foreign) == 0 && len(again.unverified) == 0 && len(again.ours) == 0 {
				if err := deleteNamespace(ctx, meta, fresh); err != nil {
					return result, err
				}
				result.Deleted = append(result.Deleted, describeMeta(fresh))
				gone = append(gone, goneCheck(ctx, meta, fresh))
				continue
			}
			contents = again
		}
		gone = append(gone, n.mine...)
		result.Kept = append(result.Kept, KeptNamespace{Name: n.ns.Name, Foreign: contents.foreign, Unverified: contents.unverified})
	}
	sort.Strings(result.Deleted)
	// Namespaces take seconds to terminate (their controller deletes what is inside first).
	err = waitGone(ctx, gone, func(remaining, total int) {
		progress(fmt.Sprintf("%d of %d deleted objects still terminating", remaining, total))
	})
	return result, err
}

// labClusterScoped lists the metadata of lab's cluster-scoped objects of gvrs (as
// clusterScopedResources gives them) by the ownership labels, each with its Kind set; none of a
// resource the cluster does not serve.
func labClusterScoped(ctx context.Context, meta metadata.Interface, lab string, gvrs []schema.GroupVersionResource) ([]*metav1.PartialObjectMetadata, error) {
	var out []*metav1.PartialObjectMetadata
	for _, gvr := range gvrs {
		list, err := meta.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: labelSelector(lab)})
		if apierrors.IsNotFound(err) {
			continue // no CRD: none of them
		}
		if err != nil {
			return nil, asForbidden(err, "list", gvr, "")
		}
		for i := range list.Items {
			o := &list.Items[i]
			o.Kind = kindOf(gvr)
			out = append(out, o)
		}
	}
	return out, nil
}

// clusterScopedResources are the resources of the cluster-scoped objects, namespaces aside,
// that lab (as the catalog has it) creates; none for a lab that is not in the catalog, or
// creates none, so that Down never asks for kinds the lab does not use (a user may not list
// them, a cluster may not serve them).
func clusterScopedResources(lab string) []schema.GroupVersionResource {
	l, err := Get(lab)
	if err != nil {
		return nil
	}
	r, err := l.Render(Options{})
	if err != nil {
		return nil
	}
	var out []schema.GroupVersionResource
	for _, o := range append(slices.Clone(r.Setup), r.Solution...) {
		if o.GetNamespace() != "" || o.GetKind() == "Namespace" {
			continue
		}
		if gvr, err := resourceOf(o); err == nil && !slices.Contains(out, gvr) {
			out = append(out, gvr)
		}
	}
	return out
}

// beforeRecheck runs between the first look into a namespace and the second: a test puts a
// newcomer there.
var beforeRecheck = func(namespace string) {}

// waitGone polls until every check reports its object gone, telling progress (when set) how
// many remain. Polling a few Gets is plain and cheap here: there is one per deleted object.
func waitGone(ctx context.Context, checks []func() (bool, error), progress func(remaining, total int)) error {
	remaining := 0
	err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(context.Context) (bool, error) {
		remaining = 0
		for _, check := range checks {
			ok, err := check()
			if err != nil {
				return false, err
			}
			if !ok {
				remaining++
			}
		}
		if remaining > 0 && progress != nil {
			progress(remaining, len(checks))
		}
		return remaining == 0, nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("waiting for %d objects to go away: %w", remaining, ctx.Err())
	}
	return err
}

// Kinds Kubernetes fills namespaces with by itself; they never keep a namespace alive.
var automatic = map[string]bool{"events": true, "events.events.k8s.io": true, "endpoints": true}

func isAutomatic(gr string, o *metav1.PartialObjectMetadata) bool {
	switch {
	case automatic[gr]:
		return true
	case gr == "serviceaccounts" && o.Name == "default":
		return true
	case gr == "configmaps" && o.Name == "kube-root-ca.crt":
		return true
	case len(o.OwnerReferences) > 0: // goes when its owner goes
		return true
	}
	return false
}

// contents is what a namespace holds, as far as it could be listed.
type contents struct {
	ours       []*metav1.PartialObjectMetadata // the lab's, of the kinds labs create
	foreign    []string                        // kind/name of objects kubectl-netpol did not create
	unverified []string                        // the kinds that could not be listed, and why
}

// namespaceContents lists the metadata of every kind of object in namespace ns and splits them
// into the lab's objects and the others. A kind that cannot be listed (RBAC) does not stop it: it
// goes into unverified, which keeps the namespace.
func namespaceContents(ctx context.Context, meta metadata.Interface, namespaced []schema.GroupVersionResource, ns, lab string) (contents, error) {
	var c contents
	var forbidden []string
	for _, gvr := range namespaced {
		gr := gvr.GroupResource().String()
		list, err := meta.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		switch {
		case apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err):
			continue
		case apierrors.IsForbidden(err):
			forbidden = append(forbidden, gr)
			continue
		case err != nil:
			return c, fmt.Errorf("listing %s in namespace %s: %w", gr, ns, err)
		}
		for i := range list.Items {
			o := &list.Items[i]
			o.Kind, o.Namespace = kindOf(gvr), ns // a metadata List names neither
			switch {
			case ownedBy(o.Labels, lab) && kindOf(gvr) != "":
				c.ours = append(c.ours, o)
			case isAutomatic(gr, o):
			default:
				c.foreign = append(c.foreign, strings.ToLower(singular(gvr))+"/"+o.Name)
			}
		}
	}
	sort.Strings(c.foreign)
	if len(forbidden) > 0 {
		c.unverified = append(c.unverified, "you may not list "+someOf(forbidden, 4))
	}
	return c, nil
}

// someOf lists the first n of names, and how many more there are.
func someOf(names []string, n int) string {
	sort.Strings(names)
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more kinds", strings.Join(names[:n], ", "), len(names)-n)
}

// kindOf is the kind of a resource labs create ("" for any other).
func kindOf(gvr schema.GroupVersionResource) string {
	for kind, r := range resources {
		if r == gvr {
			return kind
		}
	}
	return ""
}

// singular names a resource as kubectl's kind/name does: networkpolicies -> networkpolicy.
func singular(gvr schema.GroupVersionResource) string {
	if k := kindOf(gvr); k != "" {
		return k
	}
	r := gvr.Resource
	switch {
	case strings.HasSuffix(r, "ies"):
		return strings.TrimSuffix(r, "ies") + "y"
	case strings.HasSuffix(r, "sses"), strings.HasSuffix(r, "ches"):
		return strings.TrimSuffix(r, "es")
	}
	return strings.TrimSuffix(r, "s")
}

// namespacedResources lists every namespaced resource that can be listed and deleted, as the
// namespace controller does, so that no kind of object escapes the check; missed says which API
// groups discovery could not read (their objects cannot be seen, so a namespace is not shown
// empty while any is missed).
func namespacedResources(d discovery.DiscoveryInterface) (out []schema.GroupVersionResource, missed []string, err error) {
	lists, err := d.ServerPreferredNamespacedResources()
	var failed *discovery.ErrGroupDiscoveryFailed
	switch {
	case errors.As(err, &failed):
		for gv := range failed.Groups {
			missed = append(missed, "discovery could not read the API group "+gv.String())
		}
		sort.Strings(missed)
	case err != nil:
		return nil, nil, fmt.Errorf("discovering resource types: %w", err)
	}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerbs(r.Verbs, "list", "delete") {
				continue
			}
			if gvr := gv.WithResource(r.Name); automatic[gvr.GroupResource().String()] {
				continue // never counted; listing v1 Endpoints would only print a deprecation warning
			}
			out = append(out, gv.WithResource(r.Name))
		}
	}
	return out, missed, nil
}

func hasVerbs(verbs metav1.Verbs, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(verbs, w) {
			return false
		}
	}
	return true
}

// deleteObject deletes one of the lab's objects, with its UID as precondition: the object we
// inspected, not a namesake someone created since.
func deleteObject(ctx context.Context, meta metadata.Interface, o *metav1.PartialObjectMetadata) error {
	gvr := resources[o.Kind]
	uid := o.UID
	err := meta.Resource(gvr).Namespace(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return asForbidden(err, "delete", gvr, o.Namespace)
}

// deleteNamespace deletes a namespace as it was last seen: same UID, same resourceVersion.
func deleteNamespace(ctx context.Context, meta metadata.Interface, ns *metav1.PartialObjectMetadata) error {
	gvr := resources["Namespace"]
	uid, rv := ns.UID, ns.ResourceVersion
	err := meta.Resource(gvr).Delete(ctx, ns.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return asForbidden(err, "delete", gvr, "")
}

// goneCheck reports whether o (this very object, by UID) no longer exists.
func goneCheck(ctx context.Context, meta metadata.Interface, o *metav1.PartialObjectMetadata) func() (bool, error) {
	gvr := resources[o.Kind]
	return func() (bool, error) {
		got, err := meta.Resource(gvr).Namespace(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return got.UID != o.UID, nil
	}
}

// describeMeta names an object the way kubectl does: networkpolicy/allow-dns -n web.
func describeMeta(o *metav1.PartialObjectMetadata) string {
	s := strings.ToLower(o.Kind) + "/" + o.Name
	if o.Namespace != "" {
		s += " -n " + o.Namespace
	}
	return s
}
