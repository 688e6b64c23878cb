package source

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"
)

// prefetchLists turns the prefetch on; tests turn it off to compare with the one-by-one read.
var prefetchLists = true

// maxPrefetch is how many Lists run at once; the client's rate limit (QPS, burst) applies too.
const maxPrefetch = 8

// prefetcher holds the Lists that ReadCluster started before it asked for them.
type prefetcher struct {
	cancel  context.CancelFunc
	fetched map[string]*fetched // by resource and namespace
}

// fetched is one List, paged: its objects or its error, once done is closed.
type fetched struct {
	done  chan struct{}
	items []runtime.Object
	err   error
}

// prefetch starts, all at once, the Lists that ReadCluster makes whatever the cluster answers:
// namespaces, the pods of every namespace of the pods' scope, the policies of the scope's, and
// what w.DNS and w.CNI ask for (kube-system's Services and EndpointSlices; DaemonSets,
// Deployments and Nodes), each paged as listWith pages. ReadCluster then goes on as it always
// did, one List after the other, and listWith takes each started List's result instead of
// asking again: what is read, what is recorded as forbidden and which error comes back are
// those of the one-by-one reading, in its order and words; only the waiting overlaps. The Lists
// that depend on an answer (pods in the scope when every namespace's are forbidden, the DNS pods
// the DNS Service selects) are not started here.
func (r *reader) prefetch(client kubernetes.Interface, w Want, scope []string) {
	if !prefetchLists {
		return
	}
	ctx, cancel := context.WithCancel(r.ctx)
	p := &prefetcher{cancel: cancel, fetched: map[string]*fetched{}}
	r.pre = p
	slots := make(chan struct{}, maxPrefetch)
	start := func(resource, namespace string, fn func(metav1.ListOptions) (runtime.Object, error)) {
		key := resource + "/" + namespace
		if p.fetched[key] != nil {
			return
		}
		f := &fetched{done: make(chan struct{})}
		p.fetched[key] = f
		go func() {
			defer close(f.done)
			slots <- struct{}{}
			defer func() { <-slots }()
			f.items, f.err = pages(ctx, metav1.ListOptions{}, fn)
		}()
	}

	start("namespaces", "", func(opts metav1.ListOptions) (runtime.Object, error) {
		return client.CoreV1().Namespaces().List(ctx, opts)
	})
	podScope := scope
	if w.PodsEverywhere {
		podScope = []string{metav1.NamespaceAll}
	}
	for _, ns := range podScope {
		start("pods", ns, func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.CoreV1().Pods(ns).List(ctx, opts)
		})
	}
	for _, ns := range scope {
		start("networkpolicies", ns, func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.NetworkingV1().NetworkPolicies(ns).List(ctx, opts)
		})
	}
	if w.DNS {
		start("services", "kube-system", func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.CoreV1().Services("kube-system").List(ctx, opts)
		})
		start("endpointslices", "kube-system", func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.DiscoveryV1().EndpointSlices("kube-system").List(ctx, opts)
		})
	}
	if w.CNI {
		start("daemonsets", "", func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.AppsV1().DaemonSets("").List(ctx, opts)
		})
		start("deployments", "", func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.AppsV1().Deployments("").List(ctx, opts)
		})
		start("nodes", "", func(opts metav1.ListOptions) (runtime.Object, error) {
			return client.CoreV1().Nodes().List(ctx, opts)
		})
	}
}

// stop cancels the started Lists that nobody asked for (ReadCluster returned early, on an error).
func (r *reader) stop() {
	if r.pre != nil {
		r.pre.cancel()
	}
}

// fetch is the objects of one List: the started one's, waited for, or read now with fn.
func (r *reader) fetch(resource, namespace string, opts metav1.ListOptions, fn func(metav1.ListOptions) (runtime.Object, error)) ([]runtime.Object, error) {
	if r.pre != nil && opts == (metav1.ListOptions{}) { // as prefetch sent it
		key := resource + "/" + namespace
		if f := r.pre.fetched[key]; f != nil {
			delete(r.pre.fetched, key) // a second List of the same is read anew, as before
			<-f.done
			return f.items, f.err
		}
	}
	return pages(r.ctx, opts, fn)
}

// pages reads one kind in pages of PageSize (client-go's ListPager), each page one request
// bounded by the client's timeout.
func pages(ctx context.Context, opts metav1.ListOptions, fn func(metav1.ListOptions) (runtime.Object, error)) ([]runtime.Object, error) {
	p := pager.New(pager.SimplePageFunc(fn))
	p.PageSize = PageSize
	var items []runtime.Object
	err := p.EachListItem(ctx, opts, func(obj runtime.Object) error {
		items = append(items, obj)
		return nil
	})
	return items, err
}
