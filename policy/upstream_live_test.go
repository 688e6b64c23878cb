package policy

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	live "github.com/kubectl-netpol/kubectl-netpol/probe"
)

// The upstream cases again, on real packets: the same policies on the real node (kube-router
// enforcing), the same nine pods (namespaces x, y, z; pods a, b, c) serving TCP 80 and 81, probed
// from inside each pod with BusyBox's nc through the apiserver. Every TCP and UDP cell is
// compared with the case's expectation, which TestUpstreamNetpol holds the evaluator to. Not
// compared: a pod to itself (upstream skips loopback on live clusters too) and SCTP (no client
// speaks it). UDP is answered by BusyBox's udpsvd, which replies with the pod's hostname. Model IPs in ipBlock rules (10.0.N.M) are replaced
// by the live pods' IPs; 0.0.0.0/4 holds the live pod range as it holds the model's.
func TestUpstreamNetpolLive(t *testing.T) {
	localcluster.RequireDataplane(t)
	ctx := context.Background()
	c, err := localcluster.Start(ctx, localcluster.Options{Dataplane: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	liveIP := startModel(t, cs)
	modelIP := map[string]string{} // 10.0.N.M -> the live IP of the same pod
	for _, p := range model().Pods {
		modelIP[p.IPs[0].String()] = liveIP[p.ID()]
	}
	// Only cells that disagree are retried, with a doubling delay: on a loaded 2-core machine (the
	// other packages' clusters start at the same time) an exec or a first packet can take
	// seconds, and a slow answer must not read as a blocked one.
	runner := &live.Runner{Exec: live.NewExecutor(c.RESTConfig, cs), Client: cs, Timeout: 2 * time.Second,
		Parallel: 16, Retries: 4, RetryDelay: time.Second, NoInject: true}

	agree, compared := map[corev1.Protocol]int{}, map[corev1.Protocol]int{}
	for _, tc := range upstreamCases() {
		t.Run(tc.name, func(t *testing.T) {
			defer resetModel(t, cs)
			for i, st := range tc.steps {
				applyStep(t, cs, st, modelIP)
				for _, p := range st.probes {
					if p.proto == sctp {
						continue
					}
					var jobs []live.Job
					for _, from := range modelPods {
						for _, to := range modelPods {
							if from == to {
								continue
							}
							ns, name, _ := strings.Cut(from, "/")
							jobs = append(jobs, live.Job{From: live.PodRef{Namespace: ns, Name: name, Container: "server"},
								To: live.Target{Name: to, Host: liveIP[to]}, Port: p.port, Protocol: p.proto, Expected: p.want[[2]string{from, to}]})
						}
					}
					for _, res := range runner.Run(ctx, jobs) {
						if res.Err != nil {
							t.Errorf("step %d %d/%s %s -> %s: not probed: %v", i+1, p.port, p.proto, res.Job.From, res.Job.To.Name, res.Err)
							continue
						}
						compared[p.proto]++
						if res.Agrees() {
							agree[p.proto]++
							continue
						}
						t.Errorf("step %d (%s) %d/%s %s -> %s: the packets say allowed=%v (%s: %s), the specification %v",
							i+1, st.desc, p.port, p.proto, res.Job.From, res.Job.To.Name, res.Allowed, res.Outcome, res.Detail, res.Job.Expected)
					}
				}
			}
		})
	}
	t.Logf("upstream cases on real packets: %d of %d TCP cells and %d of %d UDP cells agree with the specification (and so with the evaluator)",
		agree[tcp], compared[tcp], agree[udp], compared[udp])
	if compared[tcp] < 1000 || compared[udp] < 100 {
		t.Errorf("only %d TCP and %d UDP cells compared", compared[tcp], compared[udp])
	}
}

// startModel creates the model's namespaces and pods on the cluster and returns the pods' IPs.
func startModel(t *testing.T, cs kubernetes.Interface) map[string]string {
	t.Helper()
	ctx := context.Background()
	base := model()
	for _, ns := range base.Namespaces {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: map[string]string{"ns": ns.Name}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	one := int64(1)
	for _, p := range base.Pods {
		// The model's declared ports, names included (the named-port cases select by name).
		var ports []corev1.ContainerPort
		for _, port := range p.Ports {
			ports = append(ports, corev1.ContainerPort{Name: port.Name, ContainerPort: port.Port, Protocol: port.Protocol})
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: map[string]string{"pod": p.Name}},
			Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &one, Containers: []corev1.Container{{
				Name: "server", Image: localcluster.BusyBoxImage,
				Command: []string{"sh", "-c", "mkdir -p /tmp/www && { httpd -f -p 80 -h /tmp/www & httpd -f -p 81 -h /tmp/www & " +
					"udpsvd 0 80 hostname & udpsvd 0 81 hostname & wait; }"},
				Ports: ports,
			}}},
		}
		// The namespace's ServiceAccount comes from kube-controller-manager a moment later.
		var err error
		if pollErr := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err = cs.CoreV1().Pods(p.Namespace).Create(ctx, pod, metav1.CreateOptions{})
			return err == nil, nil
		}); pollErr != nil {
			t.Fatal(err)
		}
	}
	ips := map[string]string{}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		for _, ns := range base.Namespaces {
			pods, err := cs.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, nil
			}
			for i := range pods.Items {
				if p := &pods.Items[i]; p.Status.PodIP != "" && localcluster.PodReady(p) {
					ips[p.Namespace+"/"+p.Name] = p.Status.PodIP
				}
			}
		}
		return len(ips) == len(base.Pods), nil
	})
	if err != nil {
		t.Fatalf("model pods not ready within 90s: %v", ips)
	}
	return ips
}

var modelIPPattern = regexp.MustCompile(`\b10\.0\.[1-3]\.[1-3]\b`)

// applyStep replaces the model's policies with the step's (their model IPs made live) and makes
// its label changes.
func applyStep(t *testing.T, cs kubernetes.Interface, st upstreamStep, modelIP map[string]string) {
	t.Helper()
	ctx := context.Background()
	deletePolicies(t, cs)
	for _, doc := range st.policies {
		doc = modelIPPattern.ReplaceAllStringFunc(doc, func(ip string) string { return modelIP[ip] })
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict([]byte(doc), &np); err != nil {
			t.Fatalf("policy %s: %v", doc, err)
		}
		if _, err := cs.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, &np, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range st.labels {
		patch := []byte(fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, ch.key, ch.value))
		var err error
		if ns, name, isPod := strings.Cut(ch.target, "/"); isPod {
			_, err = cs.CoreV1().Pods(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
		} else {
			_, err = cs.CoreV1().Namespaces().Patch(ctx, ch.target, types.MergePatchType, patch, metav1.PatchOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func deletePolicies(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	for _, ns := range []string{"x", "y", "z"} {
		if err := cs.NetworkingV1().NetworkPolicies(ns).DeleteCollection(context.Background(), metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// resetModel removes a case's policies and puts the model's labels back.
func resetModel(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	deletePolicies(t, cs)
	for _, p := range model().Pods {
		patch := []byte(fmt.Sprintf(`[{"op":"replace","path":"/metadata/labels","value":{"pod":%q}}]`, p.Name))
		if _, err := cs.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"x", "y", "z"} {
		patch := []byte(fmt.Sprintf(`[{"op":"replace","path":"/metadata/labels","value":{"ns":%q,"kubernetes.io/metadata.name":%q}}]`, ns, ns))
		if _, err := cs.CoreV1().Namespaces().Patch(ctx, ns, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}
