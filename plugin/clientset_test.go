package plugin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// The typed clientset asks for protobuf (JSON accepted too); its discovery client asks for JSON,
// since discovery documents are read raw and decoded as JSON, and the API server answers them
// in protobuf when protobuf comes first.
func TestClientsetProtobufDiscoveryJSON(t *testing.T) {
	var mu sync.Mutex
	accept := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		accept[r.URL.Path] = r.Header.Get("Accept")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/namespaces":
			fmt.Fprint(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"a"}}]}`)
		case "/version":
			fmt.Fprint(w, `{"major":"1","minor":"36","gitVersion":"v1.36.3"}`)
		default:
			fmt.Fprint(w, `{"kind":"APIGroup","apiVersion":"v1","name":"policy.networking.k8s.io","versions":[]}`)
		}
	}))
	defer srv.Close()
	client, err := newClientset(&rest.Config{Host: srv.URL, QPS: 50, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	list, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("a JSON answer to the protobuf client: %v, %v", list, err)
	}
	if _, err := client.Discovery().ServerVersion(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Discovery().RESTClient().Get().AbsPath("/apis/policy.networking.k8s.io").Do(ctx).Raw(); err != nil {
		t.Fatal(err)
	}
	if got := accept["/api/v1/namespaces"]; got != acceptProtobufJSON {
		t.Errorf("a List asks for %q, want %q", got, acceptProtobufJSON)
	}
	for _, path := range []string{"/version", "/apis/policy.networking.k8s.io"} {
		if got := accept[path]; strings.Contains(got, "protobuf") {
			t.Errorf("discovery %s asks for %q, want JSON", path, got)
		}
	}
}

// On the local control plane with the cluster-scoped policies' CRD installed (their group is
// then discovered and listed), the live commands read the cluster through the protobuf
// clientset.
func TestLiveCommandsWithClusterPolicyCRD(t *testing.T) {
	c := localcluster.ForTest(t)
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	const name = "clusternetworkpolicies.policy.networking.k8s.io"
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		// *.k8s.io groups are protected: the project's CRDs carry its approval, as this one does.
		"metadata": map[string]any{"name": name, "annotations": map[string]any{"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/network-policy-api/pull/30"}},
		"spec": map[string]any{
			"group": "policy.networking.k8s.io", "scope": "Cluster",
			"names": map[string]any{"plural": "clusternetworkpolicies", "singular": "clusternetworkpolicy", "kind": "ClusterNetworkPolicy", "listKind": "ClusterNetworkPolicyList"},
			"versions": []any{map[string]any{"name": "v1beta1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = crds.Delete(ctx, name, metav1.DeleteOptions{})
		_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := crds.Get(ctx, name, metav1.GetOptions{})
			return err != nil, nil
		})
	})
	// Served once discovery has it.
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1beta1", Resource: "clusternetworkpolicies"}).List(ctx, metav1.ListOptions{})
		return err == nil, nil
	}); err != nil {
		t.Fatalf("the CRD is not served: %v", err)
	}
	for _, args := range [][]string{{"explain", "-A", "--port", "80"}, {"doctor", "-A"}} {
		r := run(t, append(args, "--kubeconfig", c.Kubeconfig)...)
		findings := args[0] == "doctor" && r.code == 1 && strings.HasPrefix(r.stderr, "error: doctor: ") // no network plugin here
		if r.code != ExitOK && !findings || strings.Contains(r.stderr, "cannot") {
			t.Errorf("%s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}
