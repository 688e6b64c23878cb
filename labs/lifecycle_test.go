package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

func TestMain(m *testing.M) { os.Exit(localcluster.RunTests(m)) }

func clientsFor(t *testing.T, cfg *rest.Config) Clients {
	t.Helper()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return Clients{Kube: kube, Dynamic: dyn, Metadata: metadata.NewForConfigOrDie(cfg)}
}

func render(t *testing.T, name string, opts Options) *Rendered {
	t.Helper()
	l, err := Get(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Render(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// labelled counts every object of the lab's kinds in the cluster carrying lab's labels.
func labelled(t *testing.T, c Clients, lab string) []string {
	t.Helper()
	found, err := labelledObjects(c, lab)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// labelledObjects is labelled for a goroutine of a test (which may not call t.Fatal).
func labelledObjects(c Clients, lab string) ([]string, error) {
	var found []string
	for kind, gvr := range resources {
		list, err := c.Dynamic.Resource(gvr).List(context.Background(), metav1.ListOptions{LabelSelector: labelSelector(lab)})
		if apierrors.IsNotFound(err) && gvr.Group != "" && gvr.Group != "networking.k8s.io" {
			continue // a kind the cluster does not serve (no CRD): none of it
		}
		if err != nil {
			return nil, err
		}
		for _, o := range list.Items {
			if kind == "Namespace" && o.Object["status"].(map[string]any)["phase"] == "Terminating" {
				found = append(found, "terminating namespace/"+o.GetName())
				continue
			}
			found = append(found, describe(&o))
		}
	}
	return found, nil
}

func TestUpStatusUpAgainDown(t *testing.T) {
	c := clientsFor(t, localcluster.ForTest(t).RESTConfig)
	ctx := context.Background()
	r := render(t, "three-tier", Options{})

	var progress [][2]int
	res, err := Up(ctx, c, r, UpOptions{Solution: true, Timeout: time.Minute, Progress: func(ready, total int) { progress = append(progress, [2]int{ready, total}) }})
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	if !res.Changed() {
		t.Error("first lab up reports no change")
	}
	if last := progress[len(progress)-1]; last != [2]int{6, 6} {
		t.Errorf("progress ended at %v, want 6/6 pods", last)
	}

	sts, err := Status(ctx, c, "three-tier")
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 {
		t.Fatalf("status: %+v, want one lab", sts)
	}
	st := sts[0]
	if strings.Join(st.Namespaces, ",") != "db,was,web" || st.ReadyPods() != 6 || len(st.Pods) != 6 || len(st.Services) != 3 {
		t.Errorf("status %+v: want namespaces db,was,web, 6/6 pods ready, 3 services", st)
	}
	if len(st.Policies) != len(r.Solution) || len(st.OtherPolicies) != 0 {
		t.Errorf("status policies %v (other %v), want the %d solution policies", st.Policies, st.OtherPolicies, len(r.Solution))
	}

	again, err := Up(ctx, c, r, UpOptions{Solution: true, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("second lab up: %v", err)
	}
	if again.Changed() {
		t.Errorf("second lab up changed objects: %+v", again.Objects)
	}

	// A learner's own policy in a lab namespace: not ours, so it survives, and keeps its namespace.
	kube := c.Kube
	mine := &networkingPolicy{Name: "learner-policy", Namespace: "web"}
	mine.create(t, kube)
	down, err := Down(ctx, c, "three-tier", nil)
	if err != nil {
		t.Fatalf("lab down: %v", err)
	}
	if len(down.Kept) != 1 || down.Kept[0].Name != "web" || !slices.Equal(down.Kept[0].Foreign, []string{"networkpolicy/learner-policy"}) || len(down.Kept[0].Unverified) != 0 {
		t.Errorf("kept %v, want namespace web kept for networkpolicy/learner-policy", down.Kept)
	}
	if _, err := kube.NetworkingV1().NetworkPolicies("web").Get(ctx, "learner-policy", metav1.GetOptions{}); err != nil {
		t.Errorf("the learner's policy was touched: %v", err)
	}
	if left := labelled(t, c, "three-tier"); len(left) != 1 || left[0] != "namespace/web" {
		t.Errorf("after lab down, labelled objects left: %v; want only namespace web (kept)", left)
	}
	for _, ns := range []string{"was", "db"} {
		if _, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s still there: %v", ns, err)
		}
	}

	// Once the learner's policy is gone, a second down removes the namespace; a third finds nothing.
	if err := kube.NetworkingV1().NetworkPolicies("web").Delete(ctx, "learner-policy", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Down(ctx, c, "three-tier", nil); err != nil {
		t.Fatal(err)
	}
	if left := labelled(t, c, "three-tier"); len(left) != 0 {
		t.Errorf("left after second down: %v", left)
	}
	nothing, err := Down(ctx, c, "three-tier", nil)
	if err != nil || len(nothing.Deleted) != 0 {
		t.Errorf("down with nothing up: %+v, %v; want success and nothing deleted", nothing, err)
	}
}

// An unlabelled namespace with a lab's name is not ours: lab up refuses before creating
// anything and leaves it as it was; the suffix option runs the lab beside it.
func TestUpRefusesForeignNamespaceAndSuffixWorks(t *testing.T) {
	c := clientsFor(t, localcluster.ForTest(t).RESTConfig)
	ctx := context.Background()
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"team": "web"}}}
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer c.Kube.CoreV1().Namespaces().Delete(ctx, "web", metav1.DeleteOptions{})
	rvBefore := mustRV(t, c, "web")

	_, err := Up(ctx, c, render(t, "three-tier", Options{}), UpOptions{Timeout: time.Minute})
	var conflict *ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "namespace/web") || !strings.Contains(err.Error(), "--namespace-suffix") {
		t.Fatalf("got %v, want a conflict naming namespace/web and offering --namespace-suffix", err)
	}
	if left := labelled(t, c, "three-tier"); len(left) != 0 {
		t.Errorf("refused lab up still created %v", left)
	}
	got, err := c.Kube.CoreV1().Namespaces().Get(ctx, "web", metav1.GetOptions{})
	if err != nil || got.Labels["team"] != "web" || got.Labels[ManagedByLabel] != "" || got.ResourceVersion != rvBefore {
		t.Errorf("foreign namespace changed: %+v, %v", got.Labels, err)
	}

	r := render(t, "three-tier", Options{NamespaceSuffix: "-2"})
	if _, err := Up(ctx, c, r, UpOptions{Solution: true, Timeout: time.Minute}); err != nil {
		t.Fatalf("lab up with a suffix: %v", err)
	}
	if _, err := c.Kube.CoreV1().Pods("web-2").Get(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Errorf("suffixed lab has no web-2/web: %v", err)
	}
	pol, err := c.Kube.NetworkingV1().NetworkPolicies("web-2").Get(ctx, "web-from-was", metav1.GetOptions{})
	if err != nil || pol.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "was-2" {
		t.Errorf("solution not rendered for the new names: %+v, %v", pol, err)
	}
	if !strings.Contains(r.Task, "web-2") || strings.Contains(r.Task, "(namespace web,") {
		t.Errorf("task not rendered for the new names: %q", r.Task)
	}
	if _, err := Down(ctx, c, "three-tier", nil); err != nil {
		t.Fatal(err)
	}
	got, err = c.Kube.CoreV1().Namespaces().Get(ctx, "web", metav1.GetOptions{})
	if err != nil || got.ResourceVersion != rvBefore {
		t.Errorf("lab down touched the foreign namespace: %v", err)
	}
}

func mustRV(t *testing.T, c Clients, ns string) string {
	t.Helper()
	got, err := c.Kube.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got.ResourceVersion
}

// A user who may only read gets one error naming the verb and resource, and nothing is created.
func TestUpReadOnlyUserIsForbidden(t *testing.T) {
	cluster := localcluster.ForTest(t)
	admin := clientsFor(t, cluster.RESTConfig)
	ctx := context.Background()
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "labs-test-viewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "viewer", APIGroup: "rbac.authorization.k8s.io"}},
	}
	if _, err := admin.Kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	path, err := cluster.AddUser("viewer")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Up(ctx, clientsFor(t, cfg), render(t, "cross-namespace", Options{}), UpOptions{Timeout: time.Minute})
	var forbidden *ForbiddenError
	if !errors.As(err, &forbidden) || !strings.Contains(err.Error(), "RBAC forbids create on namespaces") {
		t.Fatalf("got %v, want a ForbiddenError naming create on namespaces", err)
	}
	if left := labelled(t, admin, "cross-namespace"); len(left) != 0 {
		t.Errorf("forbidden lab up created %v", left)
	}
}

// Cancelling lab up half-way leaves only labelled objects, and lab down removes them all.
func TestCancelledUpThenDown(t *testing.T) {
	c := clientsFor(t, localcluster.ForTest(t).RESTConfig)
	ctx, cancel := context.WithCancel(context.Background())
	r := render(t, "egress-control", Options{})
	_, err := Up(ctx, c, r, UpOptions{Progress: func(ready, total int) {
		if ready == 0 {
			cancel() // objects are applied; pods are not all Ready yet
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled lab up returned %v, want context.Canceled", err)
	}
	if len(labelled(t, c, "egress-control")) == 0 {
		t.Fatal("nothing was created before the cancel; the test proves nothing")
	}
	if _, err := Down(context.Background(), c, "egress-control", nil); err != nil {
		t.Fatal(err)
	}
	if left := labelled(t, c, "egress-control"); len(left) != 0 {
		t.Errorf("left after down: %v", left)
	}
}

// Every lab's manifests pass the real API server's validation (server-side dry run), setup
// and solution, under their default names.
func TestEveryLabPassesServerSideDryRun(t *testing.T) {
	c := clientsFor(t, localcluster.ForTest(t).RESTConfig)
	ctx := context.Background()
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	c2 := localcluster.ForTest(t)
	c2.InstallClusterPolicyCRD(t) // the cluster-tier lab's ClusterNetworkPolicies
	for i, l := range all {
		// A suffix of its own: the namespaces of the lab before are still terminating.
		r, err := l.Render(Options{NamespaceSuffix: fmt.Sprintf("-dryrun-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		// Dry-run objects need their namespace to exist; create those for real, then remove them.
		for _, ns := range r.Namespaces {
			if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
		for _, o := range append(r.Setup[:len(r.Setup):len(r.Setup)], r.Solution...) {
			gvr, err := resourceOf(o)
			if err != nil {
				t.Errorf("%s: %v", l.Name, err)
				continue
			}
			_, err = c.Dynamic.Resource(gvr).Namespace(o.GetNamespace()).Apply(ctx, o.GetName(), o,
				metav1.ApplyOptions{FieldManager: FieldManager, Force: true, DryRun: []string{metav1.DryRunAll}})
			if err != nil && !isServiceAccountPending(err) {
				t.Errorf("%s: %s rejected by the API server: %v", l.Name, describe(o), err)
			}
		}
		for _, ns := range r.Namespaces {
			_ = c.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		}
	}
}

// Images that cannot be pulled: lab up stops at once and names the image and the fix. The
// local control plane's fake kubelet cannot pull from the reserved domain unreachable.invalid.
func TestUpFailsFastOnImagePullBackOff(t *testing.T) {
	c := clientsFor(t, localcluster.ForTest(t).RESTConfig)
	r := render(t, "dns-egress", Options{ImageRegistry: "unreachable.invalid"})
	start := time.Now()
	_, err := Up(context.Background(), c, r, UpOptions{Timeout: 2 * time.Minute})
	if err == nil || !strings.Contains(err.Error(), "cannot pull image unreachable.invalid/library/busybox:1.36.1") || !strings.Contains(err.Error(), "--image-registry") {
		t.Fatalf("got %v, want the image named and --image-registry offered", err)
	}
	if waited := time.Since(start); waited > time.Minute {
		t.Errorf("waited %s: an image that cannot be pulled should end lab up before its timeout", waited)
	}
	if _, err := Down(context.Background(), c, "dns-egress", nil); err != nil {
		t.Fatal(err)
	}
}

// lab up right after lab down: the lab's namespaces are still terminating, and up waits for
// them rather than failing (or blaming RBAC for the 403 a terminating namespace gives).
func TestUpRightAfterDown(t *testing.T) {
	c := clientsFor(t, localcluster.ForTest(t).RESTConfig)
	ctx := context.Background()
	r := render(t, "allow-only-port", Options{})
	if _, err := Up(ctx, c, r, UpOptions{Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	// Delete the namespaces without waiting, as an interrupted lab down would leave them.
	for _, ns := range r.Namespaces {
		if err := c.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Up(ctx, c, r, UpOptions{Timeout: time.Minute}); err != nil {
		t.Fatalf("lab up while the namespaces terminate: %v", err)
	}
	if _, err := Down(ctx, c, "allow-only-port", nil); err != nil {
		t.Fatal(err)
	}
}
