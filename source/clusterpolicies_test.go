package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Files: every kind and version of the cluster-scoped tier is read into the one model; other
// kinds of the group, and other engines' policies, stay foreign.
func TestReadFilesClusterPolicies(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "cnp.yaml", `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: deny-metadata}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {}}
  egress: [{name: deny, action: Deny, to: [{networks: [169.254.169.254/32]}, {nodes: {}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: baseline}
spec:
  tier: Baseline
  priority: 1
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}
  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 3
  subject: {namespaces: {}}
  ingress: [{action: Allow, from: [{namespaces: {}}], ports: [{portNumber: {port: 53, protocol: UDP}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{namespaces: {}}]}]
`)
	writeFile(t, dir, "other.yaml", `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: FuturePolicy
metadata: {name: f}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: g}
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {role: worker}}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}, {type: Hostname, address: n1}]}
`)
	o, warn := read(t, "default", false, dir)
	var names []string
	for _, p := range o.ClusterPolicies {
		names = append(names, p.Kind+"/"+p.APIVersion+"/"+p.Name)
	}
	want := []string{"ClusterNetworkPolicy/policy.networking.k8s.io/v1beta1/deny-metadata", "ClusterNetworkPolicy/policy.networking.k8s.io/v1alpha2/baseline",
		"AdminNetworkPolicy/policy.networking.k8s.io/v1alpha1/anp", "BaselineAdminNetworkPolicy/policy.networking.k8s.io/v1alpha1/default"}
	if !slices.Equal(names, want) {
		t.Errorf("cluster policies %v, want %v", names, want)
	}
	if o.ClusterPolicies[2].Ingress[0].Action != policy.ActionAccept || o.ClusterPolicies[3].Tier != policy.TierBaseline {
		t.Errorf("AdminNetworkPolicy's Allow is Accept, BaselineAdminNetworkPolicy is Baseline: %+v", o.ClusterPolicies[2:])
	}
	var foreign []string
	for _, f := range o.Foreign {
		foreign = append(foreign, f.Kind)
	}
	if !slices.Equal(foreign, []string{"FuturePolicy", "GlobalNetworkPolicy"}) {
		t.Errorf("foreign %v", foreign)
	}
	if strings.Contains(warn, "ClusterNetworkPolicy") || strings.Contains(warn, "AdminNetworkPolicy") {
		t.Errorf("the cluster policies are said not evaluated:\n%s", warn)
	}
	s, _, err := o.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ClusterPolicies) != 4 || len(s.Nodes) != 1 || len(s.Nodes[0].IPs) != 1 || s.Nodes[0].IPs[0].String() != "192.168.0.1" || len(s.ClusterPoliciesUnread) != 0 {
		t.Errorf("snapshot: %d cluster policies, nodes %+v, unread %v", len(s.ClusterPolicies), s.Nodes, s.ClusterPoliciesUnread)
	}
	if _, err := policy.New(s); err != nil {
		t.Error(err)
	}
}

// A later file replaces a cluster policy of the same kind and name, whatever its version; a
// field the version does not have is said, and dropped (a peer left empty fails closed).
func TestReadFilesClusterPoliciesLaterWinsAndUnknownFields(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
`)
	b := writeFile(t, dir, "b.yaml", `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec:
  tier: Baseline
  priority: 2
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{futurePeer: {x: y}}]}]
`)
	o, warn := read(t, "default", false, a, b)
	if len(o.ClusterPolicies) != 1 || o.ClusterPolicies[0].Tier != policy.TierBaseline || len(o.ClusterPolicies[0].Egress[0].Peers) != 1 {
		t.Fatalf("cluster policies %+v", o.ClusterPolicies)
	}
	if !strings.Contains(warn, `unknown field "spec.egress[0].to[0].futurePeer"`) {
		t.Errorf("the unknown field is not said:\n%s", warn)
	}
}

// A cluster policy kind under a version it never had is an error that names the versions.
func TestReadFilesClusterPolicyVersion(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "p.yaml", `
apiVersion: policy.networking.k8s.io/v1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
`)
	_, err := ReadFiles(&resource.FilenameOptions{Filenames: []string{p}}, "default", os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "write apiVersion: policy.networking.k8s.io/v1beta1 or v1alpha2") || !strings.Contains(err.Error(), filepath.Base(p)) {
		t.Errorf("error %v", err)
	}
}

// clusterPolicyServer is an API server for ReadCluster with the policy.networking.k8s.io group
// (versions given, empty: none), paging its Lists like the API server, and what status each
// cluster policy List answers (200, 403).
type clusterPolicyServer struct {
	versions map[string][]string // version -> resources served
	items    map[string][]string // resource -> JSON items
	status   int
	nodes    atomic.Int64 // Node Lists
	requests atomic.Int64
}

func (cs *clusterPolicyServer) start(t *testing.T) kubernetes.Interface {
	const group = "/apis/policy.networking.k8s.io"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		path := r.URL.Path
		switch {
		case path == "/api/v1/namespaces":
			writePage(w, r, "v1", "NamespaceList", []string{`{"metadata":{"name":"x","labels":{"kubernetes.io/metadata.name":"x"}}}`})
		case path == "/api/v1/pods":
			writePage(w, r, "v1", "PodList", []string{`{"metadata":{"name":"a","namespace":"x"},"spec":{"containers":[{"name":"c","image":"i"}]},"status":{"phase":"Running","podIP":"10.0.0.1"}}`})
		case path == "/apis/networking.k8s.io/v1/networkpolicies":
			writePage(w, r, "networking.k8s.io/v1", "NetworkPolicyList", nil)
		case path == "/api/v1/nodes":
			cs.nodes.Add(1)
			writePage(w, r, "v1", "NodeList", []string{`{"metadata":{"name":"n1","labels":{"role":"w"}},"status":{"addresses":[{"type":"InternalIP","address":"192.168.0.1"}]}}`})
		case path == group && len(cs.versions) > 0:
			var vs []string
			for v := range cs.versions {
				vs = append(vs, fmt.Sprintf(`{"groupVersion":"policy.networking.k8s.io/%s","version":%q}`, v, v))
			}
			fmt.Fprintf(w, `{"kind":"APIGroup","apiVersion":"v1","name":"policy.networking.k8s.io","versions":[%s]}`, strings.Join(vs, ","))
		case strings.HasPrefix(path, group+"/"):
			rest := strings.Split(strings.TrimPrefix(path, group+"/"), "/")
			resources, ok := cs.versions[rest[0]]
			switch {
			case !ok:
				http.NotFound(w, r)
			case len(rest) == 1:
				var rs []string
				for _, res := range resources {
					rs = append(rs, fmt.Sprintf(`{"name":%q,"namespaced":false,"kind":"X","verbs":["get","list","watch"]},{"name":"%s/status","namespaced":false,"kind":"X","verbs":["get"]}`, res, res))
				}
				fmt.Fprintf(w, `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"policy.networking.k8s.io/%s","resources":[%s]}`, rest[0], strings.Join(rs, ","))
			case !slices.Contains(resources, rest[1]):
				http.NotFound(w, r)
			case cs.status == http.StatusForbidden:
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"forbidden: cannot list %s"}`, rest[1])
			default:
				writePage(w, r, "policy.networking.k8s.io/"+rest[0], "List", cs.items[rest[1]])
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return kubernetes.NewForConfigOrDie(&rest.Config{Host: srv.URL, QPS: -1})
}

func cnpItem(name, tier string, priority int) string {
	return fmt.Sprintf(`{"apiVersion":"policy.networking.k8s.io/v1beta1","kind":"ClusterNetworkPolicy","metadata":{"name":%q},"spec":{"tier":%q,"priority":%d,"subject":{"namespaces":{}},"egress":[{"action":"Deny","to":[{"nodes":{}}]}]}}`, name, tier, priority)
}

// From a cluster: the policies of every kind the server serves, paged; the newest version of
// each kind; Nodes listed when a nodes peer needs their addresses.
func TestReadClusterPolicies(t *testing.T) {
	var items []string
	for i := range PageSize + 20 {
		items = append(items, cnpItem(fmt.Sprintf("cnp-%04d", i), "Admin", i%1000))
	}
	cs := &clusterPolicyServer{
		versions: map[string][]string{"v1beta1": {"clusternetworkpolicies"}, "v1alpha2": {"clusternetworkpolicies"}, "v1alpha1": {"adminnetworkpolicies", "baselineadminnetworkpolicies"}},
		items: map[string][]string{"clusternetworkpolicies": items,
			"adminnetworkpolicies":         {`{"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"AdminNetworkPolicy","metadata":{"name":"anp"},"spec":{"priority":1,"subject":{"namespaces":{}},"ingress":[{"action":"Allow","from":[{"namespaces":{}}]}]}}`},
			"baselineadminnetworkpolicies": {`{"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"BaselineAdminNetworkPolicy","metadata":{"name":"default"},"spec":{"subject":{"namespaces":{}},"ingress":[{"action":"Deny","from":[{"namespaces":{}}]}]}}`}}}
	o, err := ReadCluster(context.Background(), cs.start(t), Want{})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.ClusterPolicies) != PageSize+22 || o.ClusterPolicies[0].APIVersion != "policy.networking.k8s.io/v1beta1" || o.ClusterPolicies[PageSize+20].Kind != policy.KindAdminNetworkPolicy ||
		o.ClusterPolicies[PageSize+21].Kind != policy.KindBaselineAdminNetworkPolicy {
		t.Errorf("%d cluster policies", len(o.ClusterPolicies))
	}
	if len(o.Forbidden) != 0 || cs.nodes.Load() != 1 || len(o.Nodes) != 1 {
		t.Errorf("forbidden %v, %d node Lists, nodes %d", o.Forbidden, cs.nodes.Load(), len(o.Nodes))
	}
	s, _, err := o.Snapshot()
	if err != nil || len(s.ClusterPolicies) != PageSize+22 || len(s.Nodes) != 1 {
		t.Fatalf("snapshot: %v", err)
	}
	if _, err := policy.New(s); err != nil {
		t.Error(err)
	}
}

// No CRDs: none, silently, for one request more than before.
func TestReadClusterNoClusterPolicies(t *testing.T) {
	cs := &clusterPolicyServer{}
	client := cs.start(t)
	o, err := ReadCluster(context.Background(), client, Want{})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.ClusterPolicies) != 0 || len(o.Forbidden) != 0 || len(o.Warnings()) != 0 || cs.nodes.Load() != 0 {
		t.Errorf("policies %d, forbidden %v, warnings %v, node Lists %d", len(o.ClusterPolicies), o.Forbidden, o.Warnings(), cs.nodes.Load())
	}
	if n := cs.requests.Load(); n != 4 { // namespaces, pods, networkpolicies, the group's discovery
		t.Errorf("%d requests", n)
	}
	// A fake clientset has no REST client: none.
	if o, err := ReadCluster(context.Background(), fake.NewClientset(), Want{}); err != nil || len(o.ClusterPolicies) != 0 {
		t.Errorf("fake clientset: %v, %+v", err, o)
	}
}

// A List RBAC forbids: said once, and the snapshot's verdicts say they may be incomplete.
func TestReadClusterPoliciesForbidden(t *testing.T) {
	cs := &clusterPolicyServer{versions: map[string][]string{"v1beta1": {"clusternetworkpolicies"}}, status: http.StatusForbidden}
	o, err := ReadCluster(context.Background(), cs.start(t), Want{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Forbidden["clusternetworkpolicies.policy.networking.k8s.io"] == nil {
		t.Fatalf("forbidden %v", o.Forbidden)
	}
	if w := o.Warnings(); len(w) != 1 || !strings.Contains(w[0], "you may not list clusternetworkpolicies.policy.networking.k8s.io") {
		t.Errorf("warnings %q", w)
	}
	if err := o.Require("pods", "networkpolicies"); err != nil {
		t.Errorf("require: %v", err)
	}
	s, _, err := o.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.ClusterPoliciesUnread, []string{"clusternetworkpolicies.policy.networking.k8s.io"}) {
		t.Fatalf("unread %v", s.ClusterPoliciesUnread)
	}
	ev, err := policy.New(s)
	if err != nil {
		t.Fatal(err)
	}
	v := ev.Evaluate(policy.Connection{From: policy.Endpoint{Pod: &s.Pods[0]}, To: policy.Endpoint{Pod: &s.Pods[0]}, Port: 80})
	m := ev.Matrix([]policy.PortProtocol{{Port: 80, Protocol: "TCP"}})
	if !v.Allowed || len(v.Egress.Notes()) != 1 || !m.Verdict(0, 0, 0).Undecided {
		t.Errorf("verdict %+v", v)
	}
}
