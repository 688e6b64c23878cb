package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// fakeServer answers Lists of every kind ReadCluster reads, paged like the API server, with the
// answers refused says: a status code by path ("/api/v1/pods": 403). It counts the Lists in
// flight at once.
type fakeServer struct {
	refused map[string]int
	// wait holds the first requests until this many are in flight (or a second has passed), so
	// that Lists sent together are seen together.
	wait int

	mu          sync.Mutex
	arrived     int
	released    bool
	inFlight    int
	maxInFlight int
	cond        *sync.Cond
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inFlight++
	s.arrived++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.cond.Broadcast()
	if s.arrived <= s.wait {
		deadline := time.Now().Add(time.Second)
		go func() { time.Sleep(time.Second); s.cond.Broadcast() }()
		s.released = s.released || s.inFlight >= s.wait
		for !s.released && time.Now().Before(deadline) {
			s.cond.Wait()
		}
	}
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.inFlight--; s.mu.Unlock() }()
	if code := s.refused[r.URL.Path]; code != 0 {
		reason := map[int]string{403: "Forbidden", 404: "NotFound", 500: "InternalError"}[code]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"%s is refused","reason":%q,"code":%d}`, r.URL.Path, reason, code)
		return
	}

	path := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	resource := path[len(path)-1]
	namespace := ""
	for i := range path {
		if path[i] == "namespaces" && i+2 < len(path) {
			namespace = path[i+1]
		}
	}
	if resource == "kube-dns" || strings.HasPrefix(resource, "cilium-config") || resource == "amazon-vpc-cni" { // ConfigMap Gets
		w.WriteHeader(404)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		return
	}
	var items []string
	kind, apiVersion := "", "v1"
	switch resource {
	case "namespaces":
		kind = "NamespaceList"
		for i := range 30 {
			items = append(items, fmt.Sprintf(`{"metadata":{"name":"ns-%d","labels":{"team":"t%d"}}}`, i, i%3))
		}
		items = append(items, `{"metadata":{"name":"kube-system"}}`)
	case "pods":
		kind = "PodList"
		for i := range 1200 {
			ns := fmt.Sprintf("ns-%d", i%30)
			if i%100 == 7 {
				ns = "kube-system"
			}
			if namespace != "" && ns != namespace {
				continue
			}
			items = append(items, fmt.Sprintf(`{"metadata":{"name":"p%d","namespace":%q,"labels":{"app":"a%d","k8s-app":"kube-dns"}},"spec":{"containers":[{"name":"c","ports":[{"containerPort":%d}]}]},"status":{"phase":"Running","podIP":"10.0.%d.%d"}}`,
				i, ns, i%4, 8000+i%3, i/250, i%250))
		}
	case "networkpolicies":
		kind, apiVersion = "NetworkPolicyList", "networking.k8s.io/v1"
		for i := range 60 {
			ns := fmt.Sprintf("ns-%d", i%30)
			if namespace != "" && ns != namespace {
				continue
			}
			items = append(items, fmt.Sprintf(`{"metadata":{"name":"np-%d","namespace":%q},"spec":{"podSelector":{}}}`, i, ns))
		}
	case "services":
		kind = "ServiceList"
		items = []string{`{"metadata":{"name":"kube-dns","namespace":"kube-system"},"spec":{"selector":{"k8s-app":"kube-dns"},"ports":[{"port":53,"protocol":"UDP"}]}}`}
	case "endpointslices":
		kind, apiVersion = "EndpointSliceList", "discovery.k8s.io/v1"
	case "daemonsets":
		kind, apiVersion = "DaemonSetList", "apps/v1"
		items = []string{`{"metadata":{"name":"kube-router","namespace":"kube-system"}}`}
	case "deployments":
		kind, apiVersion = "DeploymentList", "apps/v1"
	case "nodes":
		kind = "NodeList"
		items = []string{`{"metadata":{"name":"n1"}}`}
	default:
		http.NotFound(w, r)
		return
	}
	writePage(w, r, apiVersion, kind, items)
}

func newFakeServer(t *testing.T, wait int, refused map[string]int) (*fakeServer, kubernetes.Interface) {
	t.Helper()
	s := &fakeServer{refused: refused, wait: wait}
	s.cond = sync.NewCond(&s.mu)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, kubernetes.NewForConfigOrDie(&rest.Config{Host: srv.URL, QPS: -1})
}

// ReadCluster sends its Lists at once, and gives what reading them one after the other gives:
// the same objects in the same order, the same Lists recorded as forbidden, the same error when
// some fail, whatever RBAC refuses.
func TestReadClusterPrefetchSameAsOneByOne(t *testing.T) {
	doctor := Want{PodsEverywhere: true, DNS: true, CNI: true}
	for _, tc := range []struct {
		name    string
		want    Want
		refused map[string]int
	}{
		{"explain -A", Want{}, nil},
		{"explain -n", Want{Namespaces: []string{"ns-3"}}, nil},
		{"doctor -A", doctor, nil},
		{"doctor -n", Want{Namespaces: []string{"ns-4"}, PodsEverywhere: true, DNS: true, CNI: true}, nil},
		{"lab check", Want{Namespaces: []string{"ns-1", "ns-2"}, DNS: true}, nil},
		{"pods in one namespace only", Want{Namespaces: []string{"ns-4"}, PodsEverywhere: true, DNS: true, CNI: true},
			map[string]int{"/api/v1/pods": 403, "/api/v1/namespaces": 403, "/api/v1/namespaces/kube-system/pods": 403}},
		{"no namespaces, services or nodes", doctor,
			map[string]int{"/api/v1/namespaces": 403, "/api/v1/namespaces/kube-system/services": 403, "/api/v1/nodes": 403, "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices": 404}},
		{"pods forbidden", Want{}, map[string]int{"/api/v1/pods": 403}},
		{"policies fail, and daemonsets", doctor, map[string]int{"/apis/networking.k8s.io/v1/networkpolicies": 500, "/apis/apps/v1/daemonsets": 500}},
		{"daemonsets fail", doctor, map[string]int{"/apis/apps/v1/daemonsets": 500, "/apis/apps/v1/deployments": 403}},
		{"namespaces fail, pods forbidden", doctor, map[string]int{"/api/v1/namespaces": 500, "/api/v1/pods": 403}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := func(prefetch bool) (*Objects, error, *fakeServer) {
				old := prefetchLists
				prefetchLists = prefetch
				defer func() { prefetchLists = old }()
				wait := 0
				if prefetch {
					wait = 3
				}
				s, client := newFakeServer(t, wait, tc.refused)
				o, err := ReadCluster(context.Background(), client, tc.want)
				return o, err, s
			}
			seq, seqErr, seqServer := read(false)
			got, err, s := read(true)
			if (err == nil) != (seqErr == nil) || err != nil && err.Error() != seqErr.Error() {
				t.Fatalf("error %v, want (one by one) %v", err, seqErr)
			}
			if err == nil && !reflect.DeepEqual(got, seq) {
				t.Errorf("objects differ from one by one:\n%s", diffObjects(got, seq))
			}
			if err == nil && len(got.Pods) == 0 && got.Forbidden["pods"] == nil {
				t.Errorf("no pods read")
			}
			if seqServer.maxInFlight != 1 {
				t.Errorf("one by one: %d Lists in flight at once", seqServer.maxInFlight)
			}
			if s.maxInFlight < 3 {
				t.Errorf("%d Lists in flight at once, want 3 or more", s.maxInFlight)
			}
		})
	}
}
