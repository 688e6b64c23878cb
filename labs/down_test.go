package labs

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// A user who may delete the lab's kinds but may not list Secrets: lab down does not abort; it
// deletes the lab's objects one by one and keeps every namespace, "could not verify it is
// empty", and the Secret a learner put there survives.
func TestDownKeepsWhatItCannotSee(t *testing.T) {
	cl := localcluster.ForTest(t)
	admin := clientsFor(t, cl.RESTConfig)
	ctx := context.Background()
	r := render(t, "default-deny", Options{NamespaceSuffix: "-rbac"})
	if _, err := Up(ctx, admin, r, UpOptions{Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	defer Down(ctx, admin, "default-deny", nil)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "learner-secret", Namespace: "quiet-rbac"}, StringData: map[string]string{"k": "v"}}
	if _, err := admin.Kube.CoreV1().Secrets("quiet-rbac").Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Everything lab down needs, except listing Secrets.
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "lab-downer"}, Rules: []rbacv1.PolicyRule{
		{Verbs: []string{"get", "list", "delete"}, APIGroups: []string{"", "networking.k8s.io"}, Resources: []string{"namespaces", "pods", "services", "configmaps", "networkpolicies"}},
	}}
	if _, err := admin.Kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer admin.Kube.RbacV1().ClusterRoles().Delete(ctx, role.Name, metav1.DeleteOptions{})
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "lab-downer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "lab-downer"},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: "lab-downer"}}}
	if _, err := admin.Kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer admin.Kube.RbacV1().ClusterRoleBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})
	path, err := cl.AddUser("lab-downer")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	user := clientsFor(t, cfg)
	// RBAC reaches the authorizer within moments.
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := user.Kube.CoreV1().Pods("quiet-rbac").List(ctx, metav1.ListOptions{})
		return err == nil, nil
	}); err != nil {
		t.Fatalf("the user's RBAC never took: %v", err)
	}
	start := time.Now()
	res, err := Down(ctx, user, "default-deny", nil)
	if err != nil {
		t.Fatalf("lab down as a user who may not list secrets (after %s): %v", time.Since(start), err)
	}
	if len(res.Kept) != 2 {
		t.Fatalf("kept %+v, want both namespaces; deleted %v", res.Kept, res.Deleted)
	}
	for _, k := range res.Kept {
		if !slices.ContainsFunc(k.Unverified, func(s string) bool {
			return strings.HasPrefix(s, "you may not list ") && strings.Contains(s, "more kinds")
		}) {
			t.Errorf("namespace %s kept for %v, want 'you may not list …'", k.Name, k.Unverified)
		}
	}
	if slices.ContainsFunc(res.Deleted, func(d string) bool { return strings.HasPrefix(d, "namespace/") }) || !slices.Contains(res.Deleted, "pod/api -n quiet-rbac") {
		t.Errorf("deleted %v, want the lab's pods and services, no namespace", res.Deleted)
	}
	if _, err := admin.Kube.CoreV1().Secrets("quiet-rbac").Get(ctx, "learner-secret", metav1.GetOptions{}); err != nil {
		t.Errorf("the learner's Secret: %v", err)
	}
	for _, ns := range []string{"quiet-rbac", "noisy-rbac"} {
		if _, err := admin.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}
	// The admin sees the Secret: the namespace it lives in stays, the other one goes.
	res, err = Down(ctx, admin, "default-deny", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 1 || res.Kept[0].Name != "quiet-rbac" || !slices.Equal(res.Kept[0].Foreign, []string{"secret/learner-secret"}) {
		t.Errorf("admin down: kept %+v", res.Kept)
	}
	if err := admin.Kube.CoreV1().Namespaces().Delete(ctx, "quiet-rbac", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// An API group that discovery cannot read (an aggregated API whose service is down, as a
// broken metrics-server is): its objects cannot be seen, so no lab namespace is deleted whole.
func TestDownWithPartialDiscovery(t *testing.T) {
	cl := localcluster.ForTest(t)
	c := clientsFor(t, cl.RESTConfig)
	ctx := context.Background()
	r := render(t, "dns-egress", Options{NamespaceSuffix: "-disc"})
	if _, err := Up(ctx, c, r, UpOptions{Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	apiServices := c.Dynamic.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"})
	svc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1beta1.broken.example.com"},
		"spec": map[string]any{"group": "broken.example.com", "version": "v1beta1", "insecureSkipTLSVerify": true,
			"groupPriorityMinimum": int64(100), "versionPriority": int64(100),
			"service": map[string]any{"namespace": "kube-system", "name": "no-such-service", "port": int64(443)}},
	}}
	if _, err := apiServices.Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	removed := false
	remove := func() {
		if !removed {
			removed = true
			_ = apiServices.Delete(ctx, svc.GetName(), metav1.DeleteOptions{})
		}
	}
	defer remove()
	res, err := Down(ctx, c, "dns-egress", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 1 || !slices.ContainsFunc(res.Kept[0].Unverified, func(s string) bool { return strings.Contains(s, "broken.example.com/v1beta1") }) {
		t.Errorf("kept %+v, want shop-disc kept: discovery missed broken.example.com/v1beta1", res.Kept)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Get(ctx, "shop-disc", metav1.GetOptions{}); err != nil {
		t.Errorf("namespace shop-disc: %v", err)
	}
	// With discovery whole again, down deletes the (now empty) namespace.
	remove()
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		res, err = Down(ctx, c, "dns-egress", nil)
		return err == nil && len(res.Kept) == 0, err
	}); err != nil {
		t.Fatalf("down after discovery recovered: %v %+v", err, res)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Get(ctx, "shop-disc", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace shop-disc still there: %v", err)
	}
}

// An object someone creates while lab down runs (after its first look into the namespace) keeps
// the namespace: it is listed again right before it is deleted.
func TestDownKeepsWhatArrivesWhileItRuns(t *testing.T) {
	cl := localcluster.ForTest(t)
	c := clientsFor(t, cl.RESTConfig)
	ctx := context.Background()
	r := render(t, "default-deny", Options{NamespaceSuffix: "-race"})
	if _, err := Up(ctx, c, r, UpOptions{Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	beforeRecheck = func(ns string) {
		if ns != "quiet-race" {
			return
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "arrived", Namespace: ns}}
		if _, err := c.Kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Error(err)
		}
	}
	defer func() { beforeRecheck = func(string) {} }()
	res, err := Down(ctx, c, "default-deny", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 1 || res.Kept[0].Name != "quiet-race" || !slices.Equal(res.Kept[0].Foreign, []string{"configmap/arrived"}) {
		t.Errorf("kept %+v, want quiet-race kept for configmap/arrived; deleted %v", res.Kept, res.Deleted)
	}
	if _, err := c.Kube.CoreV1().ConfigMaps("quiet-race").Get(ctx, "arrived", metav1.GetOptions{}); err != nil {
		t.Errorf("the newcomer: %v", err)
	}
	if !slices.IsSorted(res.Deleted) || !slices.Contains(res.Deleted, "namespace/noisy-race") {
		t.Errorf("deleted %v, want noisy-race among them, in order", res.Deleted)
	}
	if err := c.Kube.CoreV1().Namespaces().Delete(ctx, "quiet-race", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Lab down deletes a namespace while the lab's pods in it still terminate: a pod it deleted
// (this UID) is no newcomer. Here a finalizer holds the lab's pod in Terminating; the namespace
// is deleted all the same, and lab down returns once the pod and the namespace are gone.
// (Waiting for the pods first, namespace by namespace, cost seconds per namespace.)
func TestDownDeletesTheNamespaceWhileTheLabsPodsTerminate(t *testing.T) {
	cl := localcluster.ForTest(t)
	c := clientsFor(t, cl.RESTConfig)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := render(t, "default-deny", Options{NamespaceSuffix: "-held"})
	if _, err := Up(ctx, c, r, UpOptions{Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	const hold = "kubectl-netpol.test/hold"
	pods := c.Kube.CoreV1().Pods("quiet-held")
	patch := []byte(`{"metadata":{"finalizers":["` + hold + `"]}}`)
	if _, err := pods.Patch(ctx, "api", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	type downed struct {
		res *DownResult
		err error
	}
	done := make(chan downed, 1)
	go func() {
		res, err := Down(ctx, c, "default-deny", nil)
		done <- downed{res, err}
	}()
	// The namespace goes into Terminating while the held pod is still there.
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		ns, err := c.Kube.CoreV1().Namespaces().Get(ctx, "quiet-held", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return ns.DeletionTimestamp != nil, nil
	})
	if err != nil {
		t.Fatalf("namespace quiet-held not deleted while the lab's pod terminates: %v", err)
	}
	pod, err := pods.Get(ctx, "api", metav1.GetOptions{})
	if err != nil || pod.DeletionTimestamp == nil {
		t.Fatalf("the held pod: %v (deletion %v), want it there and terminating", err, pod.GetDeletionTimestamp())
	}
	if _, err := pods.Patch(ctx, "api", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	d := <-done
	if d.err != nil {
		t.Fatal(d.err)
	}
	// (Another test's default-deny namespaces may be there too, terminating: only these count.)
	kept := slices.ContainsFunc(d.res.Kept, func(k KeptNamespace) bool { return strings.HasSuffix(k.Name, "-held") })
	if kept || !slices.Contains(d.res.Deleted, "namespace/quiet-held") || !slices.Contains(d.res.Deleted, "pod/api -n quiet-held") {
		t.Errorf("deleted %v, kept %+v; want namespace/quiet-held and its pod deleted, neither -held namespace kept", d.res.Deleted, d.res.Kept)
	}
	for _, ns := range []string{"quiet-held", "noisy-held"} {
		if _, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s after lab down: %v, want it gone", ns, err)
		}
	}
}
