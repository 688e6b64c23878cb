package localcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// ClusterNetworkPolicyCRD is where the CRD that InstallClusterPolicyCRD installs lives in the
// module that go.mod pins (sigs.k8s.io/network-policy-api): the project's tests install the
// network-policy-api release it reads, as a cluster admin would, never a copy of it.
const ClusterNetworkPolicyCRD = "config/crd/standard/policy.networking.k8s.io_clusternetworkpolicies.yaml"

// startHome is HOME as the test binary started, before any test set its own.
var startHome = os.Getenv("HOME")

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallClusterPolicyCRD installs network-policy-api's ClusterNetworkPolicy CRD for the
// duration of a test, waits until the API server serves it, and removes it (and so every
// ClusterNetworkPolicy) when the test ends. A test that installs it must not run beside tests
// that expect the cluster without it.
func (c *Cluster) InstallClusterPolicyCRD(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	list := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/network-policy-api")
	// With the HOME the test binary started with: tests give commands a HOME of their own, and
	// the module cache is found through it.
	list.Env = append(os.Environ(), "HOME="+startHome)
	out, err := list.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("locating sigs.k8s.io/network-policy-api in the module cache (go list -m; 'go mod download' fetches it): %q, %v", dir, err)
	}
	path := filepath.Join(dir, ClusterNetworkPolicyCRD)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &crd.Object); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	crds := dyn.Resource(crdGVR)
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil && !errors.IsAlreadyExists(err) {
		t.Fatalf("installing %s: %v", crd.GetName(), err)
	}
	t.Cleanup(func() {
		if err := crds.Delete(ctx, crd.GetName(), metav1.DeleteOptions{}); err != nil && !errors.IsNotFound(err) {
			t.Errorf("removing %s: %v", crd.GetName(), err)
			return
		}
		if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			_, err := crds.Get(ctx, crd.GetName(), metav1.GetOptions{})
			return errors.IsNotFound(err), nil
		}); err != nil {
			t.Errorf("%s still there a minute after its deletion: %v", crd.GetName(), err)
		}
	})
	served := schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1beta1", Resource: "clusternetworkpolicies"}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(served).List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil, nil
	}); err != nil {
		t.Fatal(fmt.Errorf("the ClusterNetworkPolicy CRD is not served a minute after its creation: %w", err))
	}
	// Discovery (what lab up asks) lags the first List a little.
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := dyn.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(list.Object, "status", "conditions")
		for _, cond := range conds {
			if m, ok := cond.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		t.Fatalf("the ClusterNetworkPolicy CRD is not Established: %v", err)
	}
}
