package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// On the local control plane: an admin reads everything of the scope; a user who may list pods
// and policies in one namespace only gets them, with namespaces and every-namespace pods
// recorded as forbidden (not an error), and Require names what a command cannot do without.
func TestReadClusterRBAC(t *testing.T) {
	c := localcluster.ForTest(t)
	ctx := context.Background()
	admin, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "source-rbac"
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"team": "a"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer admin.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	pod := func(name string, hostNet bool) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": name}},
			Spec: corev1.PodSpec{HostNetwork: hostNet, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	}
	for _, p := range []*corev1.Pod{pod("web", false), pod("agent", true)} {
		// The namespace's ServiceAccount comes a moment after the namespace.
		if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := admin.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
			return err == nil, nil
		}); err != nil {
			t.Fatalf("creating pod %s: %v", p.Name, err)
		}
	}
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: ns}}
	if _, err := admin.NetworkingV1().NetworkPolicies(ns).Create(ctx, np, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	o, err := ReadCluster(ctx, admin, Want{Namespaces: []string{ns}, PodsEverywhere: true, DNS: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Forbidden) != 0 || o.PartialPods || len(o.Policies) != 1 {
		t.Fatalf("admin: forbidden %v, partial %t, policies %d", o.Forbidden, o.PartialPods, len(o.Policies))
	}
	s, left, err := o.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].Pod != ns+"/agent" || left[0].Reason != "host network" {
		t.Errorf("left out %+v, want the host-network pod, as from files", left)
	}
	found := false
	for _, p := range s.Pods {
		found = found || p.ID() == ns+"/web"
	}
	if !found {
		t.Errorf("pods %v lack %s/web", s.Pods, ns)
	}

	// A user bound to list pods and networkpolicies in ns only.
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{"", "networking.k8s.io"}, Resources: []string{"pods", "networkpolicies"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "reader"},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: "source-reader"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	path, err := c.AddUser("source-reader")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	user := kubernetes.NewForConfigOrDie(cfg)
	// RBAC bindings take a moment to reach the authorizer's cache.
	var ro *Objects
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		ro, err = ReadCluster(ctx, user, Want{Namespaces: []string{ns}, PodsEverywhere: true, DNS: true})
		return err == nil && ro.Require("pods", "networkpolicies") == nil, err
	}); err != nil {
		t.Fatalf("reader: %v (forbidden %v)", err, ro.Forbidden)
	}
	if !ro.PartialPods || ro.Forbidden["namespaces"] == nil || len(ro.Policies) != 1 {
		t.Errorf("reader: partial %t, forbidden %v, policies %d", ro.PartialPods, ro.Forbidden, len(ro.Policies))
	}
	warnings := strings.Join(ro.Warnings(), "\n")
	for _, want := range []string{"namespaceSelectors see only", "peers that select pods elsewhere", "cluster DNS"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	// Another namespace: pods are required, and the message says how to check.
	other, err := ReadCluster(ctx, user, Want{Namespaces: []string{"default"}})
	if err != nil {
		t.Fatal(err)
	}
	err = other.Require("pods", "networkpolicies")
	if err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "you may not list pods in namespace default") || !strings.Contains(err.Error(), "kubectl auth can-i list pods -n default") {
		t.Errorf("require: %v", err)
	}
}

// The reader reads a large cluster in pages: 20,000 pods in 40 requests of 500, through
// client-go's real HTTP client and decoding, against a server that pages like the API server.
func BenchmarkReadCluster20000Pods(b *testing.B) {
	const pods = 20000
	podItems := make([]string, pods)
	for i := range podItems {
		podItems[i] = fmt.Sprintf(`{"metadata":{"name":"pod-%d","namespace":"ns-%d","labels":{"app":"app-%d","tier":"web"}},"spec":{"containers":[{"name":"c","image":"x","ports":[{"name":"http","containerPort":8080}]}]},"status":{"phase":"Running","podIP":"10.%d.%d.%d"}}`,
			i, i/20, i%50, i/65536, i/256%256, i%256)
	}
	nsItems := make([]string, pods/20)
	for i := range nsItems {
		nsItems[i] = fmt.Sprintf(`{"metadata":{"name":"ns-%d","labels":{"team":"t%d"}}}`, i, i%7)
	}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/pods":
			writePage(w, r, "v1", "PodList", podItems)
		case "/api/v1/namespaces":
			writePage(w, r, "v1", "NamespaceList", nsItems)
		case "/apis/networking.k8s.io/v1/networkpolicies":
			writePage(w, r, "networking.k8s.io/v1", "NetworkPolicyList", nil)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	client := kubernetes.NewForConfigOrDie(&rest.Config{Host: srv.URL, QPS: -1})
	b.ResetTimer()
	for b.Loop() {
		requests.Store(0)
		o, err := ReadCluster(context.Background(), client, Want{})
		if err != nil {
			b.Fatal(err)
		}
		if len(o.Pods) != pods {
			b.Fatalf("%d pods", len(o.Pods))
		}
		if _, _, err := o.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(requests.Load()), "requests/op")
}
