package labs

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// The soak test: 50 lab up/down cycles across five labs, and 10 lab ups interrupted at random
// points, each followed by lab down; a learner's own Secret, ConfigMap and policy in a lab
// namespace survive every down (and keep that namespace); at the end nothing of ours is left:
// no namespace, no labelled object, no probe container.
func TestSoakUpDown(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped under -short")
	}
	c := clientsFor(t, localcluster.ForTest(t).RESTConfig)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(12, 34)) // fixed: a failure replays
	soakLabs := []string{"three-tier", "dns-egress", "and-vs-or", "default-deny", "ipblock"}

	// The learner's objects, in three-tier's namespace web, made after its first lab up.
	learner := func() {
		kube := c.Kube
		if _, err := kube.CoreV1().Secrets("web").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "learner-secret"}, StringData: map[string]string{"token": "x"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := kube.CoreV1().ConfigMaps("web").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "learner-config"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "learner-policy"}, Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}
		if _, err := kube.NetworkingV1().NetworkPolicies("web").Create(ctx, np, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	learnerThere := func(when string) {
		t.Helper()
		if _, err := c.Kube.CoreV1().Secrets("web").Get(ctx, "learner-secret", metav1.GetOptions{}); err != nil {
			t.Fatalf("%s: the learner's Secret: %v", when, err)
		}
		if _, err := c.Kube.CoreV1().ConfigMaps("web").Get(ctx, "learner-config", metav1.GetOptions{}); err != nil {
			t.Fatalf("%s: the learner's ConfigMap: %v", when, err)
		}
		if _, err := c.Kube.NetworkingV1().NetworkPolicies("web").Get(ctx, "learner-policy", metav1.GetOptions{}); err != nil {
			t.Fatalf("%s: the learner's policy: %v", when, err)
		}
	}

	start := time.Now()
	learnerMade := false
	for i := range 50 {
		lab := soakLabs[i%len(soakLabs)]
		r := render(t, lab, Options{})
		if _, err := Up(ctx, c, r, UpOptions{Solution: rng.IntN(2) == 0, Timeout: 2 * time.Minute}); err != nil {
			t.Fatalf("cycle %d: lab up %s: %v", i, lab, err)
		}
		if lab == "three-tier" && !learnerMade {
			learner()
			learnerMade = true
		}
		res, err := Down(ctx, c, lab, nil)
		if err != nil {
			t.Fatalf("cycle %d: lab down %s: %v", i, lab, err)
		}
		if lab == "three-tier" {
			if len(res.Kept) != 1 || res.Kept[0].Name != "web" {
				t.Fatalf("cycle %d: kept %+v, want web kept for the learner's objects", i, res.Kept)
			}
			learnerThere("cycle " + lab)
		}
		if left := labelled(t, c, lab); len(left) > 0 && !(lab == "three-tier" && len(left) == 1 && left[0] == "namespace/web") {
			t.Fatalf("cycle %d: after lab down %s, left: %v", i, lab, left)
		}
	}
	cycles := time.Since(start)

	interruptedAt := []time.Duration{}
	for i := range 10 {
		lab := soakLabs[(i+1)%len(soakLabs)]
		r := render(t, lab, Options{})
		after := time.Duration(rng.IntN(1500)) * time.Millisecond
		interruptedAt = append(interruptedAt, after)
		upCtx, cancel := context.WithTimeout(ctx, after)
		_, _ = Up(upCtx, c, r, UpOptions{Solution: true, Timeout: 2 * time.Minute}) // interrupted, or done in time
		cancel()
		if _, err := Down(ctx, c, lab, nil); err != nil {
			t.Fatalf("interrupt %d (%s after %s): lab down: %v", i, lab, after, err)
		}
		if left := labelled(t, c, lab); len(left) > 0 && !(lab == "three-tier" && len(left) == 1 && left[0] == "namespace/web") {
			t.Fatalf("interrupt %d (%s after %s): left: %v", i, lab, after, left)
		}
	}
	learnerThere("the end")

	// The learner clears their objects; the last down leaves nothing of ours anywhere.
	_ = c.Kube.CoreV1().Secrets("web").Delete(ctx, "learner-secret", metav1.DeleteOptions{})
	_ = c.Kube.CoreV1().ConfigMaps("web").Delete(ctx, "learner-config", metav1.DeleteOptions{})
	_ = c.Kube.NetworkingV1().NetworkPolicies("web").Delete(ctx, "learner-policy", metav1.DeleteOptions{})
	if _, err := Down(ctx, c, "three-tier", nil); err != nil {
		t.Fatal(err)
	}
	left := 0
	for _, lab := range soakLabs {
		left += len(labelled(t, c, lab))
	}
	ours, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedByValue})
	if err != nil {
		t.Fatal(err)
	}
	left += len(ours.Items)
	pods, err := c.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		for _, e := range p.Spec.EphemeralContainers {
			if strings.HasPrefix(e.Name, "netpol-probe") {
				left++
			}
		}
	}
	t.Logf("soak: 50 up/down cycles over %v in %.0fs; 10 interrupted ups (at %v) each followed by down; objects of ours left: %d; the learner's Secret, ConfigMap and policy survived every down",
		soakLabs, cycles.Seconds(), interruptedAt, left)
	if left != 0 {
		t.Errorf("%d objects of ours left after the soak", left)
	}
}
