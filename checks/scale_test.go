package checks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// The scale of issue 6: doctor (static) on 500 namespaces, 5,000 pods and 1,000 policies reads
// every kind in pages of at most source.PageSize objects (issue 12), within a budget of requests
// that follows from the page size, and we report how long it takes.
const (
	scaleNamespaces   = 500
	scalePodsPerNS    = 10
	scaleNSPrefix     = "scale-"
	scaleWorkers      = 32
	scaleDNSPodsCount = 2
)

// scaleCounter counts the requests of every transport it wraps, and remembers them.
type scaleCounter struct {
	n     atomic.Int64
	mu    sync.Mutex
	paths []string
}

func (c *scaleCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return &scaleRoundTripper{next: rt, c: c}
}

type scaleRoundTripper struct {
	next http.RoundTripper
	c    *scaleCounter
}

func (rt *scaleRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	c := rt.c
	c.n.Add(1)
	c.mu.Lock()
	p := req.Method + " " + req.URL.Path
	if req.URL.RawQuery != "" {
		p += "?" + req.URL.RawQuery
	}
	c.paths = append(c.paths, p)
	c.mu.Unlock()
	return rt.next.RoundTrip(req)
}

// pages is how many List requests n objects take.
func pages(n int) int { return (n + source.PageSize - 1) / source.PageSize }

// The server version; the pages of namespaces (ours and the cluster's four), of pods (ours and
// the DNS pods) and of policies; one request each for daemonsets, deployments, nodes, two
// ConfigMaps, kube-system's Services and EndpointSlices; one discovery of the cluster-scoped
// policies' group (absent here, so nothing is listed): 24 at a page size of 500.
var scaleMaxRequests = 1 + pages(scaleNamespaces+4) + pages(scaleNamespaces*scalePodsPerNS+scaleDNSPodsCount) + pages(2*scaleNamespaces) + 7 + 1

func TestDoctorScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test skipped under -short: it starts its own control plane and fills it with 5,000 pods")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// A control plane of its own: 500 namespaces would slow the package's other tests, and
	// their DaemonSets and nodes would change what doctor finds here.
	startedAt := time.Now()
	c, err := localcluster.Start(ctx, localcluster.Options{Log: io.Discard})
	if err != nil {
		t.Fatalf("starting a control plane for the scale test: %v", err)
	}
	defer c.Stop()
	startTime := time.Since(startedAt)

	setupCfg := rest.CopyConfig(c.RESTConfig)
	setupCfg.QPS, setupCfg.Burst = 500, 1000
	setup, err := kubernetes.NewForConfig(setupCfg)
	if err != nil {
		t.Fatal(err)
	}

	setupStart := time.Now()
	scaleCreateDNS(ctx, t, setup)
	nsTime := scaleEach(ctx, t, scaleNamespaces, func(ctx context.Context, i int) error {
		_, err := setup.CoreV1().Namespaces().Create(ctx, scaleNamespace(i), metav1.CreateOptions{})
		return err
	})
	npTime := scaleEach(ctx, t, scaleNamespaces*2, func(ctx context.Context, j int) error {
		np := scalePolicies(j / 2)[j%2]
		_, err := setup.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{})
		return err
	})
	var saRetries atomic.Int64
	podTime := scaleEach(ctx, t, scaleNamespaces*scalePodsPerNS, func(ctx context.Context, j int) error {
		pod := scalePod(j/scalePodsPerNS, j%scalePodsPerNS)
		// The namespace's default ServiceAccount comes from kube-controller-manager shortly after
		// the namespace; the ServiceAccount admission plugin refuses pods until it exists.
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := setup.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
			if err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "serviceaccount") || time.Now().After(deadline) {
				return err
			}
			saRetries.Add(1)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	createTime := time.Since(setupStart)
	// Doctor reads objects only, but a cluster at rest is what it usually meets: let kwok make
	// the pods Running (and the DNS endpoints ready) before measuring, within a bound.
	running, dnsReady := scaleSettle(ctx, t, setup, 90*time.Second)
	setupTime := time.Since(setupStart)
	t.Logf("setup: control plane %.1fs; created %d namespaces in %.1fs, %d policies in %.1fs, %d pods in %.1fs (%d ServiceAccount retries); total creation %.1fs; %d/%d pods Running and %d DNS endpoint(s) ready after %.1fs",
		startTime.Seconds(), scaleNamespaces, nsTime.Seconds(), scaleNamespaces*2, npTime.Seconds(),
		scaleNamespaces*scalePodsPerNS, podTime.Seconds(), saRetries.Load(), createTime.Seconds(),
		running, scaleNamespaces*scalePodsPerNS, dnsReady, setupTime.Seconds())

	// Doctor (static): the plugin's connection check (server version), Gather, Run, through a
	// client that counts its requests.
	counter := &scaleCounter{}
	cfg := rest.CopyConfig(c.RESTConfig)
	cfg.WrapTransport = counter.wrap
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	doctorStart := time.Now()
	if _, err := client.Discovery().ServerVersion(); err != nil {
		t.Fatalf("server version: %v", err)
	}
	versionTime := time.Since(doctorStart)
	in, err := Gather(ctx, client, "")
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	gatherTime := time.Since(doctorStart) - versionTime
	var findings []Finding
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("the checks panicked at scale: %v", r)
			}
		}()
		findings = Run(in, nil, nil)
	}()
	doctorTime := time.Since(doctorStart)
	runTime := doctorTime - versionTime - gatherTime
	requests := counter.n.Load()

	t.Logf("doctor (static): %.2fs wall (server version %.0fms, Gather %.2fs, checks %.2fs), %d API requests:",
		doctorTime.Seconds(), float64(versionTime.Milliseconds()), gatherTime.Seconds(), runTime.Seconds(), requests)
	for _, p := range counter.paths {
		t.Logf("  %s", p)
	}
	if requests > int64(scaleMaxRequests) {
		t.Errorf("doctor made %d API requests, want at most %d", requests, scaleMaxRequests)
	}
	for _, p := range counter.paths {
		// Every List asks for one page: limit=500 in its query (Gets of one object and the
		// discovery of a group aside).
		if strings.HasPrefix(p, "GET ") && !strings.Contains(p, "/configmaps/") && !strings.HasSuffix(p, "/version") && p != "GET /apis/"+policy.ClusterPolicyGroup &&
			!strings.Contains(p, fmt.Sprintf("limit=%d", source.PageSize)) {
			t.Errorf("a List without a page limit: %s", p)
		}
	}

	// Gather saw everything.
	if len(in.Forbidden) > 0 {
		t.Errorf("an admin was refused reads: %v", in.Forbidden)
	}
	var nsSeen, podsSeen, npsSeen int
	for _, ns := range in.Snapshot.Namespaces {
		if strings.HasPrefix(ns.Name, scaleNSPrefix) {
			nsSeen++
		}
	}
	for _, p := range in.Snapshot.Pods {
		if strings.HasPrefix(p.Namespace, scaleNSPrefix) {
			podsSeen++
		}
	}
	for _, np := range in.Snapshot.Policies {
		if strings.HasPrefix(np.Namespace, scaleNSPrefix) {
			npsSeen++
		}
	}
	if nsSeen != scaleNamespaces || podsSeen != scaleNamespaces*scalePodsPerNS || npsSeen != scaleNamespaces*2 {
		t.Errorf("gather saw %d namespaces, %d pods and %d policies of the test's, want %d, %d and %d",
			nsSeen, podsSeen, npsSeen, scaleNamespaces, scaleNamespaces*scalePodsPerNS, scaleNamespaces*2)
	}

	// The findings: every namespace's allow policy selects all its pods and lets them reach the
	// cluster DNS over UDP and TCP 53; its namespaceSelectors match (same team), its peers and
	// named ports exist, and the default deny covers every pod. So nothing should fail about
	// the test's namespaces (the CNI check may well: this control plane runs none).
	byID := map[string]int{}
	var summary []string
	for _, f := range findings {
		byID[f.ID+" "+string(f.Status)]++
		if f.Status == StatusFail && strings.Contains(f.Resource+" "+f.Message, scaleNSPrefix) {
			t.Errorf("unexpected finding about the test's namespaces: %s %s %s: %s", f.ID, f.Severity, f.Resource, f.Message)
		}
	}
	for k, n := range byID {
		summary = append(summary, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(summary)
	t.Logf("%d findings by ID and status: %s", len(findings), strings.Join(summary, ", "))
	for _, f := range findings {
		if f.Status != StatusPass {
			t.Logf("  %s %s %s %s: %s", f.ID, f.Status, f.Severity, f.Resource, firstLine(f.Message))
		}
	}
	// Where the checks' time goes (each run again on its own, outside the measured doctor).
	var perCheck []string
	for _, chk := range All {
		start := time.Now()
		chk.Run(in)
		perCheck = append(perCheck, fmt.Sprintf("%s %.2fs", chk.Name, time.Since(start).Seconds()))
	}
	t.Logf("checks one by one: %s", strings.Join(perCheck, ", "))

	var dnsPass *Finding
	for i := range findings {
		if findings[i].ID == "NP3001" && findings[i].Status == StatusPass {
			dnsPass = &findings[i]
		}
	}
	wantIsolated := fmt.Sprintf("all %d egress-isolated pod(s)", scaleNamespaces*scalePodsPerNS)
	if dnsPass == nil || !strings.Contains(dnsPass.Message, wantIsolated) {
		t.Errorf("the DNS egress check should pass for every pod (%q), got %+v", wantIsolated, dnsPass)
	}
	if byID["NP3003 pass"] != 1 {
		t.Errorf("the cluster DNS Service should be found with ready endpoints (NP3003 pass)")
	}
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// scaleEach runs create(i) for i in [0, n) on scaleWorkers workers, failing the test on the
// first error, and returns how long it took.
func scaleEach(ctx context.Context, t *testing.T, n int, create func(ctx context.Context, i int) error) time.Duration {
	t.Helper()
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(scaleWorkers)
	for i := 0; i < n; i++ {
		g.Go(func() error { return create(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("creating the scale fixtures: %v", err)
	}
	return time.Since(start)
}

// scaleNamespace is namespace i: 20 teams, three environments.
func scaleNamespace(i int) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   scaleNSName(i),
		Labels: map[string]string{"team": scaleTeam(i), "env": []string{"prod", "staging", "dev"}[i%3]},
	}}
}

func scaleNSName(i int) string { return fmt.Sprintf("%s%03d", scaleNSPrefix, i) }
func scaleTeam(i int) string   { return fmt.Sprintf("team-%d", i%20) }

// scaleApp is the app of pod k of namespace i: even namespaces run frontend, backend and db
// (4, 3, 3 pods), odd ones frontend and backend (5, 5).
func scaleApp(i, k int) (app, tier string) {
	switch {
	case i%2 == 0 && k < 4, i%2 == 1 && k < 5:
		return "frontend", "web"
	case i%2 == 1 || k < 7:
		return "backend", "api"
	}
	return "db", "data"
}

func scalePod(i, k int) *corev1.Pod {
	app, tier := scaleApp(i, k)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: scaleNSName(i), Name: fmt.Sprintf("%s-%d", app, k),
			Labels: map[string]string{"app": app, "tier": tier},
		},
		Spec: corev1.PodSpec{
			NodeName: localcluster.NodeName, // kwok's node: no need for the scheduler
			Containers: []corev1.Container{{
				Name: app, Image: "busybox:1.36.1", Command: []string{"sleep", "infinity"},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			}},
		},
	}
}

// scalePolicies are namespace i's two policies: a default deny, and an allow for all its pods
// (every pod has an app label): ingress on http from the frontends of its team's namespaces,
// egress to the cluster DNS on UDP and TCP 53 and to its team's backends on http.
func scalePolicies(i int) [2]*networkingv1.NetworkPolicy {
	ns := scaleNSName(i)
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns, httpPort := intstr.FromInt32(53), intstr.FromString("http")
	team := &metav1.LabelSelector{MatchLabels: map[string]string{"team": scaleTeam(i)}}
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	deny := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default-deny"},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: both},
	}
	allow := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "allow-team-and-dns"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}},
			PolicyTypes: both,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: team,
					PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": "frontend"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &httpPort}},
			}},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{
					To: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
						PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}},
				},
				{
					To: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: team,
						PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": "backend"}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &httpPort}},
				},
			},
		},
	}
	return [2]*networkingv1.NetworkPolicy{deny, allow}
}

// scaleCreateDNS gives the control plane a cluster DNS as kubeadm lays it out: the kube-dns
// Service in kube-system and CoreDNS pods labelled k8s-app=kube-dns serving 53 over UDP and
// TCP (kwok runs them; the EndpointSlice controller lists them).
func scaleCreateDNS(ctx context.Context, t *testing.T, client kubernetes.Interface) {
	t.Helper()
	sel := map[string]string{"k8s-app": "kube-dns"}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns", Labels: sel},
		Spec: corev1.ServiceSpec{
			Selector:  sel,
			ClusterIP: "10.96.0.10",
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
			},
		},
	}
	if _, err := client.CoreV1().Services("kube-system").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the kube-dns Service: %v", err)
	}
	for k := range scaleDNSPodsCount {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: fmt.Sprintf("coredns-%d", k), Labels: sel},
			Spec: corev1.PodSpec{
				NodeName: localcluster.NodeName,
				Containers: []corev1.Container{{
					Name: "coredns", Image: "registry.k8s.io/coredns/coredns:v1.11.3",
					Ports: []corev1.ContainerPort{
						{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
						{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
					},
				}},
			},
		}
		if _, err := client.CoreV1().Pods("kube-system").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating a CoreDNS pod: %v", err)
		}
	}
}

// scaleSettle waits, up to limit, for kwok to make the test's pods Running and for the kube-dns
// EndpointSlice to list the CoreDNS pods as ready. It returns what it saw last; the DNS
// endpoints must be ready, the pods need not all run (doctor reads objects only).
func scaleSettle(ctx context.Context, t *testing.T, client kubernetes.Interface, limit time.Duration) (running, dnsReady int) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		running, dnsReady = 0, 0
		pods, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{ResourceVersion: "0", FieldSelector: "status.phase=Running"})
		if err != nil {
			t.Fatalf("listing pods: %v", err)
		}
		for _, p := range pods.Items {
			if strings.HasPrefix(p.Namespace, scaleNSPrefix) {
				running++
			}
		}
		eps, err := client.DiscoveryV1().EndpointSlices("kube-system").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=kube-dns"})
		if err != nil {
			t.Fatalf("listing the kube-dns EndpointSlices: %v", err)
		}
		for _, s := range eps.Items {
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
					dnsReady++
				}
			}
		}
		if dnsReady >= scaleDNSPodsCount && running == scaleNamespaces*scalePodsPerNS {
			return running, dnsReady
		}
		if time.Now().After(deadline) {
			if dnsReady < scaleDNSPodsCount {
				t.Fatalf("the kube-dns EndpointSlice lists %d ready endpoint(s) after %s, want %d", dnsReady, limit, scaleDNSPodsCount)
			}
			return running, dnsReady
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
}
