package labs

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// The cluster-tier lab on a cluster without network-policy-api's CRDs: lab up refuses before
// writing anything, says what is missing and what to do, in the learner's language, and never
// installs the CRDs itself.
func TestClusterTierLabRefusedWithoutTheCRD(t *testing.T) {
	cl := localcluster.ForTest(t)
	c := clientsFor(t, cl.RESTConfig)
	for _, lg := range []lang.Lang{lang.En, "ko"} {
		r := render(t, "cluster-tier", Options{Lang: lg})
		_, err := Up(context.Background(), c, r, UpOptions{Timeout: time.Minute})
		var ns *NotServedError
		if !errors.As(err, &ns) || ns.Kind != "ClusterNetworkPolicy" {
			t.Fatalf("%s: got %v, want a NotServedError for ClusterNetworkPolicy", lg, err)
		}
		for _, want := range []string{"policy.networking.k8s.io/v1beta1", "kubectl apply -f https://", "lab check cluster-tier -f"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q lacks %q", lg, err, want)
			}
		}
		if lg == "ko" && !strings.Contains(err.Error(), "클러스터") {
			t.Errorf("ko: %q is not in Korean", err)
		}
		if left := labelled(t, c, "cluster-tier"); len(left) != 0 {
			t.Errorf("%s: refused, yet created %v", lg, left)
		}
	}
	crds, err := c.Dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range crds.Items {
		if strings.HasSuffix(crd.GetName(), ".policy.networking.k8s.io") {
			t.Errorf("lab up installed %s", crd.GetName())
		}
	}
}

// With the CRD installed (as a cluster admin would): lab up creates the lab's
// ClusterNetworkPolicies with its labels; the live grade of the setup names the Baseline rule
// that blocks the goal's first row; with the solution every row is right; lab down removes the
// cluster-scoped policies with the rest, and leaves a ClusterNetworkPolicy it did not create.
func TestClusterTierLabUpCheckDown(t *testing.T) {
	cl := localcluster.ForTest(t)
	cl.InstallClusterPolicyCRD(t)
	c := clientsFor(t, cl.RESTConfig)
	ctx := context.Background()

	// Someone else's ClusterNetworkPolicy, which lab down must leave alone.
	theirs := decodeOne(t, `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: not-the-labs}
spec:
  tier: Baseline
  priority: 90
  subject: {namespaces: {matchLabels: {team: nobody}}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]`)
	cnps := c.Dynamic.Resource(resources["ClusterNetworkPolicy"])
	if _, err := cnps.Create(ctx, theirs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	r := render(t, "cluster-tier", Options{})
	res, err := Up(ctx, c, r, UpOptions{Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"clusternetworkpolicy/deny-metadata", "clusternetworkpolicy/isolate-billing", "clusternetworkpolicy/isolate-store"} {
		if !slices.ContainsFunc(res.Objects, func(o ObjectChange) bool { return o.Object == want && o.Change == "created" }) {
			t.Errorf("lab up did not create %s: %v", want, res.Objects)
		}
	}

	sts, err := Status(ctx, c, "cluster-tier")
	if err != nil || len(sts) != 1 || !slices.Equal(sts[0].ClusterPolicies, []string{"clusternetworkpolicy/deny-metadata", "clusternetworkpolicy/isolate-billing", "clusternetworkpolicy/isolate-store"}) {
		t.Errorf("lab status: %v, %+v; want the lab's three ClusterNetworkPolicies (and not-the-labs left out)", err, sts)
	}

	snap, err := r.LiveSnapshot(ctx, c.Kube, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.ClusterPolicies) < 3 {
		t.Fatalf("the live snapshot holds %d cluster policies, want the lab's 3", len(snap.ClusterPolicies))
	}
	g, err := r.Grade(snap)
	if err != nil {
		t.Fatal(err)
	}
	if g.Pass() {
		t.Fatal("the setup alone passes")
	}
	first := g.Rows[0]
	if first.Correct || len(first.Causes) == 0 || first.Causes[0].Code != policy.CauseClusterTier || !strings.Contains(first.Hint, "isolate-billing") {
		t.Errorf("setup, %s -> %s: correct=%v, causes %+v; want the Baseline rule isolate-billing named", first.From, first.To, first.Correct, first.Causes)
	}

	if _, err := Up(ctx, c, r, UpOptions{Solution: true, Timeout: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if snap, err = r.LiveSnapshot(ctx, c.Kube, io.Discard); err != nil {
		t.Fatal(err)
	}
	if g, err = r.Grade(snap); err != nil {
		t.Fatal(err)
	}
	if !g.Pass() {
		t.Errorf("the solution fails: %s", describeGrading(g))
	}

	down, err := Down(ctx, c, "cluster-tier", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(down.Deleted, "clusternetworkpolicy/deny-metadata") {
		t.Errorf("lab down deleted %v, not the lab's ClusterNetworkPolicies", down.Deleted)
	}
	if left := labelled(t, c, "cluster-tier"); len(left) != 0 {
		t.Errorf("left after down: %v", left)
	}
	if _, err := cnps.Get(ctx, "not-the-labs", metav1.GetOptions{}); err != nil {
		t.Errorf("lab down touched a ClusterNetworkPolicy it did not create: %v", err)
	}
}

func decodeOne(t *testing.T, text string) *unstructured.Unstructured {
	t.Helper()
	objs, err := decodeObjects("test", text)
	if err != nil || len(objs) != 1 {
		t.Fatalf("decoding: %v (%d objects)", err, len(objs))
	}
	return objs[0]
}
