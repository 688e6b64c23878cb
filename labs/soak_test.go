package labs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
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
// no namespace, no labelled object, no probe container. The five labs soak at the same time,
// as several labs of a study session may be up at once: each has namespaces of its own, and
// most of a cycle is waiting for the cluster (a deleted namespace goes after 5 s at least).
func TestSoakUpDown(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped under -short")
	}
	cluster := localcluster.ForTest(t)
	c := clientsFor(t, cluster.RESTConfig)
	ctx := context.Background()
	soakLabs := []string{"three-tier", "dns-egress", "and-vs-or", "default-deny", "ipblock"}

	// The learner's objects, in three-tier's namespace web, made after its first lab up.
	learner := func() error {
		kube := c.Kube
		if _, err := kube.CoreV1().Secrets("web").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "learner-secret"}, StringData: map[string]string{"token": "x"}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		if _, err := kube.CoreV1().ConfigMaps("web").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "learner-config"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "learner-policy"}, Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}
		_, err := kube.NetworkingV1().NetworkPolicies("web").Create(ctx, np, metav1.CreateOptions{})
		return err
	}
	learnerThere := func(when string) error {
		if _, err := c.Kube.CoreV1().Secrets("web").Get(ctx, "learner-secret", metav1.GetOptions{}); err != nil {
			return fmt.Errorf("%s: the learner's Secret: %w", when, err)
		}
		if _, err := c.Kube.CoreV1().ConfigMaps("web").Get(ctx, "learner-config", metav1.GetOptions{}); err != nil {
			return fmt.Errorf("%s: the learner's ConfigMap: %w", when, err)
		}
		if _, err := c.Kube.NetworkingV1().NetworkPolicies("web").Get(ctx, "learner-policy", metav1.GetOptions{}); err != nil {
			return fmt.Errorf("%s: the learner's policy: %w", when, err)
		}
		return nil
	}
	// leftOver is what a lab down of lab left that it should not have: three-tier's web stays
	// for the learner's objects. c is the lab's own clients, as in soak.
	leftOver := func(c Clients, lab string) error {
		left, err := labelledObjects(c, lab)
		if err != nil {
			return err
		}
		if len(left) > 0 && !(lab == "three-tier" && len(left) == 1 && left[0] == "namespace/web") {
			return fmt.Errorf("left: %v", left)
		}
		return nil
	}

	// Each lab: 10 cycles, then 2 interrupted ups, each with lab down after it.
	// c is the lab's own clients (as each learner's kubectl netpol has its own, with its own
	// rate limit).
	soak := func(li int, lab string, r *Rendered, c Clients) (interruptedAt []time.Duration, err error) {
		rng := rand.New(rand.NewPCG(12, uint64(34+li))) // fixed: a failure replays
		for i := range 10 {
			if _, err := Up(ctx, c, r, UpOptions{Solution: rng.IntN(2) == 0, Timeout: 2 * time.Minute}); err != nil {
				return nil, fmt.Errorf("cycle %d: lab up %s: %w", i, lab, err)
			}
			if lab == "three-tier" && i == 0 {
				if err := learner(); err != nil {
					return nil, err
				}
			}
			res, err := Down(ctx, c, lab, nil)
			if err != nil {
				return nil, fmt.Errorf("cycle %d: lab down %s: %w", i, lab, err)
			}
			if lab == "three-tier" {
				if len(res.Kept) != 1 || res.Kept[0].Name != "web" {
					return nil, fmt.Errorf("cycle %d: kept %+v, want web kept for the learner's objects", i, res.Kept)
				}
				if err := learnerThere(fmt.Sprintf("cycle %d %s", i, lab)); err != nil {
					return nil, err
				}
			}
			if err := leftOver(c, lab); err != nil {
				return nil, fmt.Errorf("cycle %d: after lab down %s: %w", i, lab, err)
			}
		}
		for i := range 2 {
			after := time.Duration(rng.IntN(1500)) * time.Millisecond
			interruptedAt = append(interruptedAt, after)
			upCtx, cancel := context.WithTimeout(ctx, after)
			_, _ = Up(upCtx, c, r, UpOptions{Solution: true, Timeout: 2 * time.Minute}) // interrupted, or done in time
			cancel()
			if _, err := Down(ctx, c, lab, nil); err != nil {
				return nil, fmt.Errorf("interrupt %d (%s after %s): lab down: %w", i, lab, after, err)
			}
			if err := leftOver(c, lab); err != nil {
				return nil, fmt.Errorf("interrupt %d (%s after %s): %w", i, lab, after, err)
			}
		}
		return interruptedAt, nil
	}

	start := time.Now()
	interruptedAt := make([][]time.Duration, len(soakLabs))
	var wg sync.WaitGroup
	for li, lab := range soakLabs {
		r, own := render(t, lab, Options{}), clientsFor(t, cluster.RESTConfig)
		wg.Go(func() {
			var err error
			if interruptedAt[li], err = soak(li, lab, r, own); err != nil {
				t.Errorf("%s: %v", lab, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	cycles := time.Since(start)
	if err := learnerThere("the end"); err != nil {
		t.Fatal(err)
	}

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
	t.Logf("soak: 50 up/down cycles over %v and 10 interrupted ups (at %v), each followed by down, in %.0fs; objects of ours left: %d; the learner's Secret, ConfigMap and policy survived every down",
		soakLabs, interruptedAt, cycles.Seconds(), left)
	if left != 0 {
		t.Errorf("%d objects of ours left after the soak", left)
	}
}
