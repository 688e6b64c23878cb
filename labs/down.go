package labs

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// DownResult says what Down deleted and which namespaces it kept, with the objects (not ours)
// that kept them.
type DownResult struct {
	Deleted []string
	Kept    map[string][]string // namespace -> objects kubectl-netpol did not create
}

// Down deletes what `lab up` created for lab: objects carrying both ownership labels, and nothing
// else. A lab namespace is deleted whole only when it holds nothing but the lab's objects (and
// what Kubernetes adds by itself); otherwise the lab's objects in it are deleted one by one and
// the namespace stays. Down waits until everything it deleted is gone; progress hears what it
// waits for. Nothing to delete is success.
func Down(ctx context.Context, c Clients, lab string, progress func(string)) (*DownResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	nsGVR := resources["Namespace"]
	list, err := c.Dynamic.Resource(nsGVR).List(ctx, metav1.ListOptions{LabelSelector: labelSelector(lab)})
	if err != nil {
		return nil, asForbidden(err, "list", nsGVR, "")
	}
	namespaced, err := namespacedResources(c.Kube.Discovery())
	if err != nil {
		return nil, err
	}
	result := &DownResult{Kept: map[string][]string{}}
	var gone []func() (bool, error)
	for _, ns := range list.Items {
		ours, foreign, err := namespaceContents(ctx, c, namespaced, ns.GetName(), lab)
		if err != nil {
			return result, err
		}
		if len(foreign) == 0 {
			if err := deleteObject(ctx, c, &ns); err != nil {
				return result, err
			}
			result.Deleted = append(result.Deleted, describe(&ns))
			gone = append(gone, goneCheck(ctx, c, &ns))
			continue
		}
		result.Kept[ns.GetName()] = foreign
		for _, o := range ours {
			if err := deleteObject(ctx, c, o); err != nil {
				return result, err
			}
			result.Deleted = append(result.Deleted, describe(o))
			gone = append(gone, goneCheck(ctx, c, o))
		}
	}
	sort.Strings(result.Deleted)
	// Namespaces take seconds to terminate (their controller deletes what is inside first).
	err = waitGone(ctx, gone, func(remaining, total int) {
		progress(fmt.Sprintf("%d of %d deleted objects still terminating", remaining, total))
	})
	return result, err
}

// waitGone polls until every check reports its object gone, telling progress (when set) how
// many remain. Polling a few Gets is plain and cheap here: there is one per deleted object.
func waitGone(ctx context.Context, checks []func() (bool, error), progress func(remaining, total int)) error {
	for {
		remaining := 0
		for _, check := range checks {
			ok, err := check()
			if err != nil {
				return err
			}
			if !ok {
				remaining++
			}
		}
		if remaining == 0 {
			return nil
		}
		if progress != nil {
			progress(remaining, len(checks))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d objects to go away: %w", remaining, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Kinds Kubernetes fills namespaces with by itself; they never keep a namespace alive.
var automatic = map[string]bool{"events": true, "events.events.k8s.io": true, "endpoints": true}

func isAutomatic(gr string, o *unstructured.Unstructured) bool {
	switch {
	case automatic[gr]:
		return true
	case gr == "serviceaccounts" && o.GetName() == "default":
		return true
	case gr == "configmaps" && o.GetName() == "kube-root-ca.crt":
		return true
	case len(o.GetOwnerReferences()) > 0: // goes when its owner goes
		return true
	}
	return false
}

// namespaceContents splits what namespace ns holds into the lab's objects and the objects
// kubectl-netpol did not create.
func namespaceContents(ctx context.Context, c Clients, namespaced []schema.GroupVersionResource, ns, lab string) (ours []*unstructured.Unstructured, foreign []string, err error) {
	for _, gvr := range namespaced {
		gr := gvr.GroupResource().String()
		list, err := c.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
			continue
		}
		if err != nil {
			return nil, nil, asForbidden(err, "list", gvr, ns)
		}
		for i := range list.Items {
			o := &list.Items[i]
			switch {
			case ownedBy(o.GetLabels(), lab):
				if _, known := resources[o.GetKind()]; known {
					ours = append(ours, o)
				}
			case isAutomatic(gr, o):
			default:
				foreign = append(foreign, strings.ToLower(o.GetKind())+"/"+o.GetName())
			}
		}
	}
	sort.Strings(foreign)
	return ours, foreign, nil
}

// namespacedResources lists every namespaced resource that can be listed and deleted, as the
// namespace controller does, so that no kind of object escapes the check.
func namespacedResources(d discovery.DiscoveryInterface) ([]schema.GroupVersionResource, error) {
	lists, err := d.ServerPreferredNamespacedResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, fmt.Errorf("discovering resource types: %w", err)
	}
	var out []schema.GroupVersionResource
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
	return out, nil
}

func hasVerbs(verbs metav1.Verbs, want ...string) bool {
	for _, w := range want {
		found := false
		for _, v := range verbs {
			if v == w {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func deleteObject(ctx context.Context, c Clients, o *unstructured.Unstructured) error {
	gvr, err := resourceOf(o)
	if err != nil {
		return err
	}
	// The UID precondition makes sure we delete the object we inspected, not a namesake
	// someone created since.
	uid := o.GetUID()
	err = c.Dynamic.Resource(gvr).Namespace(o.GetNamespace()).Delete(ctx, o.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return asForbidden(err, "delete", gvr, o.GetNamespace())
}

// goneCheck reports whether o (this very object, by UID) no longer exists.
func goneCheck(ctx context.Context, c Clients, o *unstructured.Unstructured) func() (bool, error) {
	gvr, _ := resourceOf(o)
	return func() (bool, error) {
		got, err := c.Dynamic.Resource(gvr).Namespace(o.GetNamespace()).Get(ctx, o.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return got.GetUID() != o.GetUID(), nil
	}
}
