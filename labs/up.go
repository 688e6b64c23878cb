package labs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Clients are what the lab lifecycle talks to the cluster with.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// Metadata reads objects' metadata only: lab down lists every kind in a namespace, and must
	// not read whole objects (Secrets among them) to tell ours from the rest.
	Metadata metadata.Interface
	// Watch, when set, serves the long-running watches; it should have no client-side request
	// timeout (a per-request timeout would cut every watch short). Kube serves them otherwise.
	Watch kubernetes.Interface
}

func (c Clients) metadata() (metadata.Interface, error) {
	if c.Metadata == nil {
		return nil, errors.New("labs: no metadata client")
	}
	return c.Metadata, nil
}

func (c Clients) watchClient() kubernetes.Interface {
	if c.Watch != nil {
		return c.Watch
	}
	return c.Kube
}

// UpOptions tune Up.
type UpOptions struct {
	Solution bool          // apply the solution policies too
	Timeout  time.Duration // for the whole of Up, pods becoming Ready included
	// Progress, when set, hears how many of the lab's pods are Ready.
	Progress func(ready, total int)
}

// UpResult says what Up did to each object ("created", "configured" or "unchanged").
type UpResult struct {
	Objects []ObjectChange
}

// ObjectChange is one object and what applying it changed.
type ObjectChange struct {
	Object string // kubectl's naming: pod/web -n web
	Change string
}

// Changed reports whether any object was created or modified.
func (r *UpResult) Changed() bool {
	for _, o := range r.Objects {
		if o.Change != "unchanged" {
			return true
		}
	}
	return false
}

// ConflictError lists objects Up would write that exist without the lab's labels.
type ConflictError struct {
	Lab     string
	Objects []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("refusing to set up lab %s: %s already exist(s) and kubectl-netpol did not create it; nothing was changed. "+
		"Run the lab in renamed namespaces instead, e.g. 'kubectl netpol lab up %s --namespace-suffix=-2' "+
		"('kubectl netpol lab show %s --namespace-suffix=-2' prints the task for those names)",
		e.Lab, strings.Join(e.Objects, ", "), e.Lab, e.Lab)
}

// Up applies the lab (server-side, field manager kubectl-netpol) and waits until its pods are
// Ready. Before writing anything it checks RBAC and that no object it would write exists without
// the lab's labels. Everything it creates carries those labels, so an interrupted Up leaves only
// objects that Down removes.
func Up(ctx context.Context, c Clients, r *Rendered, opts UpOptions) (*UpResult, error) {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	objs := append([]*unstructured.Unstructured{}, r.Setup...)
	if opts.Solution {
		objs = append(objs, r.Solution...)
	}
	if err := checkServed(c.Kube.Discovery(), r, objs); err != nil {
		return nil, err
	}
	if err := checkAccess(ctx, c.Kube, objs); err != nil {
		return nil, err
	}
	if err := waitTerminatingNamespaces(ctx, c, r); err != nil {
		return nil, err
	}
	before, err := preflight(ctx, c, r.Name, objs)
	if err != nil {
		return nil, err
	}

	result := &UpResult{}
	var mu sync.Mutex
	record := func(o *unstructured.Unstructured, change string) {
		mu.Lock()
		defer mu.Unlock()
		result.Objects = append(result.Objects, ObjectChange{Object: describe(o), Change: change})
	}
	apply := func(o *unstructured.Unstructured) error {
		change, err := applyOne(ctx, c.Dynamic, o, before[describe(o)])
		if err != nil {
			return err
		}
		record(o, change)
		return nil
	}
	// Namespaces first, then the rest in parallel; solution policies apply after the setup, as
	// some replace a setup policy of the same name.
	var namespaces, rest, solution []*unstructured.Unstructured
	for _, o := range r.Setup {
		if o.GetKind() == "Namespace" {
			namespaces = append(namespaces, o)
		} else {
			rest = append(rest, o)
		}
	}
	if opts.Solution {
		solution = r.Solution
	}
	for _, batch := range [][]*unstructured.Unstructured{namespaces, rest, solution} {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(8)
		for _, o := range batch {
			g.Go(func() error {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				return apply(o)
			})
		}
		if err := g.Wait(); err != nil {
			return result, err
		}
	}
	sort.Slice(result.Objects, func(i, j int) bool { return result.Objects[i].Object < result.Objects[j].Object })

	var pods []*unstructured.Unstructured
	for _, o := range r.Setup {
		if o.GetKind() == "Pod" {
			pods = append(pods, o)
		}
	}
	return result, waitPodsReady(ctx, c.watchClient(), r, pods, opts.Progress)
}

// NotServedError says that the cluster does not serve a kind the lab needs (its CRDs are not
// installed); Up wrote nothing, and never installs CRDs unasked.
type NotServedError struct {
	Lab      string
	Kind     string
	Resource schema.GroupVersionResource
	Lang     lang.Lang
}

func (e *NotServedError) Error() string {
	return lang.T(e.Lang, "up.not-served", e.Lab, e.Kind, e.Resource.GroupVersion().String(), e.Resource.Resource, networkPolicyAPICRD)
}

// networkPolicyAPICRD is where network-policy-api publishes the ClusterNetworkPolicy CRD of the
// version this build reads (sigs.k8s.io/network-policy-api v0.3.0, as go.mod pins it).
const networkPolicyAPICRD = "https://raw.githubusercontent.com/kubernetes-sigs/network-policy-api/refs/tags/v0.3.0/config/crd/standard/policy.networking.k8s.io_clusternetworkpolicies.yaml"

// checkServed asks discovery whether the cluster serves every kind of the lab that only CRDs
// bring (the cluster-scoped policies): a lab that needs them is refused with what to do,
// before anything is written. The built-in kinds are always served.
func checkServed(d discovery.DiscoveryInterface, r *Rendered, objs []*unstructured.Unstructured) error {
	asked := map[schema.GroupVersion]*metav1.APIResourceList{}
	for _, o := range objs {
		gvr, err := resourceOf(o)
		if err != nil {
			return err
		}
		if !fromCRD(gvr) {
			continue
		}
		list, seen := asked[gvr.GroupVersion()]
		if !seen {
			list, err = d.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("asking the cluster whether it serves %s: %w", gvr.GroupVersion(), err)
			}
			asked[gvr.GroupVersion()] = list
		}
		if list == nil || !slices.ContainsFunc(list.APIResources, func(res metav1.APIResource) bool { return res.Name == gvr.Resource }) {
			return &NotServedError{Lab: r.Name, Kind: o.GetKind(), Resource: gvr, Lang: r.Options.Lang}
		}
	}
	return nil
}

// fromCRD reports whether a lab resource comes from CRDs rather than Kubernetes itself.
func fromCRD(gvr schema.GroupVersionResource) bool {
	return gvr.Group == resources["ClusterNetworkPolicy"].Group
}

// checkAccess asks the API server (SelfSubjectAccessReview) whether we may create and patch
// every kind of object in every namespace the lab writes, so that a user without the rights
// gets one clear error before anything is created.
func checkAccess(ctx context.Context, kube kubernetes.Interface, objs []*unstructured.Unstructured) error {
	type access struct {
		gvr schema.GroupVersionResource
		ns  string
	}
	seen := map[access]bool{}
	var checks []access
	for _, o := range objs {
		gvr, err := resourceOf(o)
		if err != nil {
			return err
		}
		a := access{gvr, o.GetNamespace()}
		if !seen[a] {
			seen[a] = true
			checks = append(checks, a)
		}
	}
	// Cluster-scoped first (namespaces): Up creates them first, and a user who may not create
	// namespaces learns that before anything else.
	sort.SliceStable(checks, func(i, j int) bool { return checks[i].ns == "" && checks[j].ns != "" })
	type check struct {
		access
		verb string
	}
	var all []check
	for _, a := range checks {
		// get for the ownership check, create and patch for server-side apply.
		for _, verb := range []string{"get", "create", "patch"} {
			all = append(all, check{a, verb})
		}
	}
	denied := make([]bool, len(all))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, c := range all {
		g.Go(func() error {
			review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: c.ns, Verb: c.verb, Group: c.gvr.Group, Version: c.gvr.Version, Resource: c.gvr.Resource,
				},
			}}
			res, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(gctx, review, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("checking RBAC for %s %s: %w", c.verb, c.gvr.Resource, err)
			}
			denied[i] = !res.Status.Allowed
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// Report the first refusal in the order Up would meet it: namespaces come first.
	for i, c := range all {
		if denied[i] {
			return &ForbiddenError{Verb: c.verb, Resource: c.gvr.GroupResource().String(), Namespace: c.ns}
		}
	}
	return nil
}

// waitTerminatingNamespaces waits for the lab's own namespaces that a recent `lab down` is
// still deleting: nothing can be created in them until they are gone.
func waitTerminatingNamespaces(ctx context.Context, c Clients, r *Rendered) error {
	nsGVR := resources["Namespace"]
	var gone []func() (bool, error)
	for _, o := range r.Setup {
		if o.GetKind() != "Namespace" {
			continue
		}
		meta, err := c.metadata()
		if err != nil {
			return err
		}
		got, err := meta.Resource(nsGVR).Get(ctx, o.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return asForbidden(err, "get", nsGVR, "")
		}
		if got.DeletionTimestamp == nil || !ownedBy(got.Labels, r.Name) {
			continue // a live namespace; preflight decides whether it is ours
		}
		got.Kind = "Namespace"
		gone = append(gone, goneCheck(ctx, meta, got))
	}
	if err := waitGone(ctx, gone, nil); err != nil {
		return fmt.Errorf("the lab's namespaces are still terminating from an earlier 'lab down': %w", err)
	}
	return nil
}

// preflight reads every object Up would write: those that exist must be the lab's own. It
// returns their resourceVersions, to tell "unchanged" from "configured" after applying.
func preflight(ctx context.Context, c Clients, lab string, objs []*unstructured.Unstructured) (map[string]string, error) {
	versions := map[string]string{}
	var conflicts []string
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, o := range objs {
		g.Go(func() error {
			gvr, _ := resourceOf(o) // checkAccess has vetted the kinds
			got, err := c.Dynamic.Resource(gvr).Namespace(o.GetNamespace()).Get(gctx, o.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return asForbidden(err, "get", gvr, o.GetNamespace())
			}
			mu.Lock()
			defer mu.Unlock()
			if !ownedBy(got.GetLabels(), lab) {
				conflicts = append(conflicts, describe(o))
			}
			versions[describe(o)] = got.GetResourceVersion()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return nil, &ConflictError{Lab: lab, Objects: conflicts}
	}
	return versions, nil
}

// applyOne server-side applies o. A namespace's default ServiceAccount appears a moment after
// the namespace; until then the API server refuses pods, so those are retried.
func applyOne(ctx context.Context, dyn dynamic.Interface, o *unstructured.Unstructured, versionBefore string) (string, error) {
	gvr, err := resourceOf(o)
	if err != nil {
		return "", err
	}
	backoff := 50 * time.Millisecond
	for {
		got, err := dyn.Resource(gvr).Namespace(o.GetNamespace()).Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		switch {
		case err == nil && versionBefore == "":
			return "created", nil
		case err == nil && got.GetResourceVersion() == versionBefore:
			return "unchanged", nil
		case err == nil:
			return "configured", nil
		case isServiceAccountPending(err):
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("applying %s: %w (last error: %v)", describe(o), ctx.Err(), err)
			case <-time.After(backoff):
				backoff = min(2*backoff, time.Second)
			}
		default:
			if apierrors.IsForbidden(err) {
				return "", asForbidden(err, "patch", gvr, o.GetNamespace())
			}
			return "", fmt.Errorf("applying %s: %w", describe(o), err)
		}
	}
}

func isServiceAccountPending(err error) bool {
	msg := err.Error()
	return apierrors.IsForbidden(err) && strings.Contains(msg, "serviceaccount") && strings.Contains(msg, "not found")
}

// waitPodsReady watches the lab's pods (as `kubectl wait` does: list, then watch) until all are
// Ready, telling progress each time the count changes. On timeout it says why pods are not ready.
func waitPodsReady(ctx context.Context, kube kubernetes.Interface, r *Rendered, pods []*unstructured.Unstructured, progress func(int, int)) error {
	want := map[string]bool{}
	byNamespace := map[string]int{}
	for _, p := range pods {
		want[p.GetNamespace()+"/"+p.GetName()] = true
		byNamespace[p.GetNamespace()]++
	}
	var mu sync.Mutex
	latest := map[string]*corev1.Pod{}
	readyCount := func() int {
		n := 0
		for _, p := range latest {
			if podReady(p) {
				n++
			}
		}
		return n
	}
	if progress != nil {
		progress(0, len(want))
	}
	g, gctx := errgroup.WithContext(ctx)
	for ns, count := range byNamespace {
		g.Go(func() error {
			lw := &cache.ListWatch{
				ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
					o.LabelSelector = labelSelector(r.Name)
					return kube.CoreV1().Pods(ns).List(ctx, o)
				},
				WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
					o.LabelSelector = labelSelector(r.Name)
					return kube.CoreV1().Pods(ns).Watch(ctx, o)
				},
			}
			_, err := watchtools.UntilWithSync(gctx, cache.ToListWatcherWithWatchListSemantics(lw, kube), &corev1.Pod{}, nil,
				func(ev watch.Event) (bool, error) {
					pod, ok := ev.Object.(*corev1.Pod)
					if !ok || !want[pod.Namespace+"/"+pod.Name] {
						return false, nil
					}
					// An image that cannot be pulled will not become pullable by waiting: say so now.
					if why := whyNotReady(pod); strings.Contains(why, "cannot pull image") && pulledInVain(pod) {
						return false, fmt.Errorf("pod %s/%s %s", pod.Namespace, pod.Name, why)
					}
					mu.Lock()
					defer mu.Unlock()
					before := readyCount()
					if ev.Type == watch.Deleted {
						delete(latest, pod.Namespace+"/"+pod.Name)
					} else {
						latest[pod.Namespace+"/"+pod.Name] = pod
					}
					if now := readyCount(); now != before && progress != nil {
						progress(now, len(want))
					}
					ready := 0
					for key, p := range latest {
						if p.Namespace == ns && want[key] && podReady(p) {
							ready++
						}
					}
					return ready == count, nil
				})
			return err
		})
	}
	err := g.Wait()
	if err == nil {
		return nil
	}
	if strings.Contains(err.Error(), "cannot pull image") {
		return err
	}
	if errors.Is(err, context.Canceled) || ctx.Err() == context.Canceled {
		return ctx.Err()
	}
	if apierrors.IsForbidden(err) {
		return asForbidden(err, "watch", schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "")
	}
	mu.Lock()
	defer mu.Unlock()
	var reasons []string
	for key := range want {
		if p := latest[key]; p == nil || !podReady(p) {
			reasons = append(reasons, key+": "+whyNotReady(p))
		}
	}
	sort.Strings(reasons)
	return fmt.Errorf("pods not Ready in time (%v): %s", err, strings.Join(reasons, "; "))
}

func podReady(p *corev1.Pod) bool {
	if p == nil || p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// whyNotReady explains a pod that is not Ready in terms a learner can act on.
func whyNotReady(p *corev1.Pod) string {
	if p == nil {
		return "not created yet"
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return fmt.Sprintf("cannot be scheduled (%s: %s)", c.Reason, c.Message)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "ImagePullBackOff", "ErrImagePull", "InvalidImageName":
				return fmt.Sprintf("cannot pull image %s (%s); if the cluster cannot reach that registry, point the lab at a mirror with --image-registry or --image %s=IMAGE", cs.Image, w.Reason, imageRoleOf(cs.Name))
			case "":
			default:
				return fmt.Sprintf("container %s is waiting: %s %s", cs.Name, w.Reason, w.Message)
			}
		}
	}
	return fmt.Sprintf("phase %s, not Ready yet", p.Status.Phase)
}

// pulledInVain reports an image error that retrying will not fix: the kubelet has already
// backed off (ImagePullBackOff), or the name is invalid.
func pulledInVain(p *corev1.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && (w.Reason == "ImagePullBackOff" || w.Reason == "InvalidImageName") {
			return true
		}
	}
	return false
}

// imageRoleOf maps a lab container name to its image role (containers are named after it).
func imageRoleOf(container string) string {
	if _, ok := DefaultImages[container]; ok {
		return container
	}
	return "client"
}
