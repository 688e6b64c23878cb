package source

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// PageSize is the most objects one List request asks for: a 50,000-pod cluster is read in pages,
// each within --request-timeout, instead of in one response that may never come in time.
const PageSize = 500

// Want says what to read from a cluster.
type Want struct {
	// Namespaces are the scope: pods and policies are read there. Empty: every namespace.
	Namespaces []string
	// PodsEverywhere: pods of every namespace when RBAC allows (peers select pods anywhere),
	// else the scope's (Objects.PartialPods says so).
	PodsEverywhere bool
	// DNS: kube-system's Services and EndpointSlices, and the cluster DNS pods.
	DNS bool
	// CNI: DaemonSets, Deployments, Nodes and the ConfigMaps that say how the network plugin is
	// configured, for doctor's CNI check.
	CNI bool
}

// cniConfigMaps are the ConfigMaps the CNI check reads, as namespace/name.
var cniConfigMaps = []string{"kube-system/cilium-config", "kube-system/amazon-vpc-cni"}

// ReadCluster reads what w asks for with one paged List per kind and namespace. Namespaces are
// listed cluster-wide: namespaceSelectors look at every namespace's labels. A List that RBAC
// forbids (or whose resource the server lacks) is recorded in Forbidden and the rest is read:
// what a command cannot do without is its to decide, with Require. Any other error stops.
func ReadCluster(ctx context.Context, client kubernetes.Interface, w Want) (*Objects, error) {
	o := &Objects{Forbidden: map[string]error{}}
	r := reader{ctx: ctx, o: o}
	scope := w.Namespaces
	if len(scope) == 0 {
		scope = []string{metav1.NamespaceAll}
	}
	// Every List below that does not depend on another's answer is sent now, all at once; each
	// is then taken in the order below, so that what is read, recorded and returned is the same.
	r.prefetch(client, w, scope)
	defer r.stop()

	if err := r.list("namespaces", "", func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.CoreV1().Namespaces().List(ctx, opts)
	}, func(obj runtime.Object) { o.Namespaces = append(o.Namespaces, *obj.(*corev1.Namespace)) }); err != nil {
		return nil, err
	}

	podScope := scope
	if w.PodsEverywhere {
		podScope = []string{metav1.NamespaceAll}
	}
	addPod := func(obj runtime.Object) { o.Pods = append(o.Pods, *obj.(*corev1.Pod)) }
	for _, ns := range podScope {
		if err := r.list("pods", ns, func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.CoreV1().Pods(ns).List(ctx, opts)
		}, addPod); err != nil {
			return nil, err
		}
	}
	if w.PodsEverywhere && o.Forbidden["pods"] != nil && len(w.Namespaces) > 0 {
		// Not every namespace's pods: then the scope's, and say that peers elsewhere are unknown.
		delete(o.Forbidden, "pods")
		o.PartialPods = true
		for _, ns := range w.Namespaces {
			if err := r.list("pods", ns, func(opts metav1.ListOptions) (runtime.Object, error) {
				return client.CoreV1().Pods(ns).List(ctx, opts)
			}, addPod); err != nil {
				return nil, err
			}
		}
	}
	for _, ns := range scope {
		if err := r.list("networkpolicies", ns, func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.NetworkingV1().NetworkPolicies(ns).List(ctx, opts)
		}, func(obj runtime.Object) { o.Policies = append(o.Policies, *obj.(*networkingv1.NetworkPolicy)) }); err != nil {
			return nil, err
		}
	}
	if w.DNS {
		if err := r.readDNS(client, podScope); err != nil {
			return nil, err
		}
	}
	if w.CNI {
		if err := r.readCNI(client); err != nil {
			return nil, err
		}
	}
	// The cluster-scoped policies (clusterpolicies.go): none without their CRDs.
	if err := r.readClusterPolicies(client, w.CNI); err != nil {
		return nil, err
	}
	return o, nil
}

// readDNS reads kube-system's Services and EndpointSlices, then the DNS pods the DNS Service
// selects (policy.FindDNS decides which Service that is), unless the pods read already hold them.
func (r *reader) readDNS(client kubernetes.Interface, podScope []string) error {
	o, ctx := r.o, r.ctx
	if err := r.list("services", "kube-system", func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.CoreV1().Services("kube-system").List(ctx, opts)
	}, func(obj runtime.Object) { o.Services = append(o.Services, *obj.(*corev1.Service)) }); err != nil {
		return err
	}
	if err := r.list("endpointslices", "kube-system", func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.DiscoveryV1().EndpointSlices("kube-system").List(ctx, opts)
	}, func(obj runtime.Object) {
		o.EndpointSlices = append(o.EndpointSlices, *obj.(*discoveryv1.EndpointSlice))
	}); err != nil {
		return err
	}
	for _, ns := range podScope {
		if (ns == metav1.NamespaceAll || ns == "kube-system") && o.Forbidden["pods"] == nil && !o.PartialPods {
			return nil
		}
	}
	selector := labels.SelectorFromSet(policy.FindDNS(&policy.Snapshot{Services: o.Services}).Selector()).String()
	var found []corev1.Pod
	err := r.listWith("dns-pods", "kube-system", metav1.ListOptions{LabelSelector: selector}, func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.CoreV1().Pods("kube-system").List(ctx, opts)
	}, func(obj runtime.Object) { found = append(found, *obj.(*corev1.Pod)) })
	if err != nil {
		return err
	}
	for _, p := range found {
		if !containsPod(o.Pods, p) {
			o.Pods = append(o.Pods, p)
		}
	}
	return nil
}

func containsPod(list []corev1.Pod, p corev1.Pod) bool {
	for i := range list {
		if list[i].Namespace == p.Namespace && list[i].Name == p.Name {
			return true
		}
	}
	return false
}

// readCNI reads what tells which network plugin runs: DaemonSets, Deployments, Nodes, and the
// ConfigMaps that hold its settings.
func (r *reader) readCNI(client kubernetes.Interface) error {
	o, ctx := r.o, r.ctx
	if err := r.list("daemonsets", "", func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.AppsV1().DaemonSets("").List(ctx, opts)
	}, func(obj runtime.Object) { o.DaemonSets = append(o.DaemonSets, *obj.(*appsv1.DaemonSet)) }); err != nil {
		return err
	}
	if err := r.list("deployments", "", func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.AppsV1().Deployments("").List(ctx, opts)
	}, func(obj runtime.Object) { o.Deployments = append(o.Deployments, *obj.(*appsv1.Deployment)) }); err != nil {
		return err
	}
	if err := r.list("nodes", "", func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.CoreV1().Nodes().List(ctx, opts)
	}, func(obj runtime.Object) { o.Nodes = append(o.Nodes, *obj.(*corev1.Node)) }); err != nil {
		return err
	}
	for _, key := range cniConfigMaps {
		ns, name, _ := strings.Cut(key, "/")
		cm, err := client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			o.ConfigMaps = append(o.ConfigMaps, *cm)
		case apierrors.IsNotFound(err):
		case apierrors.IsForbidden(err):
			o.Forbidden["configmaps"] = err
		default:
			return fmt.Errorf("cannot read configmap %s: %w", key, err)
		}
	}
	return nil
}

type reader struct {
	ctx context.Context
	o   *Objects
	pre *prefetcher // the Lists started at once (prefetch.go)
}

func (r *reader) list(resource, namespace string, fn func(metav1.ListOptions) (runtime.Object, error), add func(runtime.Object)) error {
	return r.listWith(resource, namespace, metav1.ListOptions{}, fn, add)
}

// listWith reads one kind in pages of PageSize (client-go's ListPager), each page one request
// bounded by the client's timeout. Forbidden, and NotFound for a resource the server does not
// serve, are recorded against the resource; the objects of a forbidden List are dropped whole.
func (r *reader) listWith(resource, namespace string, opts metav1.ListOptions, fn func(metav1.ListOptions) (runtime.Object, error), add func(runtime.Object)) error {
	items, err := r.fetch(resource, namespace, opts, fn) // the List started at once, or read now (prefetch.go)
	switch {
	case apierrors.IsForbidden(err) || apierrors.IsNotFound(err) && resource != "namespaces":
		r.o.Forbidden[resource] = &ForbiddenError{Verb: "list", Resource: resource, Namespace: namespace, Err: err}
		return nil
	case err != nil:
		where := "in namespace " + namespace
		if namespace == "" {
			where = "cluster-wide"
		}
		return fmt.Errorf("cannot list %s %s: %w", resource, where, err)
	}
	for _, obj := range items {
		add(obj)
	}
	return nil
}

// ForbiddenError is a List that RBAC refused: one message for every command.
type ForbiddenError struct {
	Verb, Resource, Namespace string
	Err                       error
}

func (e *ForbiddenError) Error() string {
	resource := strings.TrimPrefix(e.Resource, "dns-")
	where, flag := "in any namespace", "-A"
	if e.Namespace != "" {
		where, flag = "in namespace "+e.Namespace, "-n "+e.Namespace
	}
	if e.Resource == "dns-pods" {
		resource = "pods"
	}
	return fmt.Sprintf("you may not %s %s %s (check with 'kubectl auth can-i %s %s %s'); ask a cluster admin for that permission, or use a context that has it (--context)",
		e.Verb, resource, where, e.Verb, resource, flag)
}

func (e *ForbiddenError) Unwrap() error { return e.Err }

// Require returns the error of the first of the resources a command cannot do without that
// could not be read; nil when all were.
func (o *Objects) Require(resources ...string) error {
	for _, r := range resources {
		if err := o.Forbidden[r]; err != nil {
			return err
		}
	}
	return nil
}

// Warnings says, one line each, what could not be read and what that changes; every command
// prints them the same way (doctor turns them into skipped findings).
func (o *Objects) Warnings() []string {
	var out []string
	if o.Forbidden["namespaces"] != nil {
		out = append(out, "you may not list namespaces, so namespaceSelectors see only the kubernetes.io/metadata.name label of each namespace")
	}
	if o.PartialPods {
		out = append(out, "you may not list pods in every namespace, so peers that select pods elsewhere are taken to select none")
	}
	if o.Forbidden["dns-pods"] != nil || o.Forbidden["services"] != nil {
		out = append(out, "you may not read the cluster DNS in kube-system, so it is taken to be pods labelled k8s-app=kube-dns there")
	}
	if w := o.clusterPoliciesWarning(); w != "" {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}
