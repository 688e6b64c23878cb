package checks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/probe"
)

// Interrupted half-way (Ctrl-C once its pods are being created), the active check still deletes
// its scratch namespace.
func TestActiveCleansUpWhenInterrupted(t *testing.T) {
	c := localcluster.ForTest(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var created string
	a := &Active{
		Client:  client,
		Prober:  &probe.Runner{Exec: probe.NewExecutor(c.RESTConfig, client), Client: client, Timeout: time.Second},
		Image:   probe.DefaultImage,
		Timeout: 30 * time.Second,
		Progress: func(s string) {
			if ns, ok := strings.CutPrefix(s, "creating namespace "); ok {
				created = ns
			}
			if strings.HasPrefix(s, "starting") {
				cancel()
			}
		},
	}
	if _, err := a.Run(ctx); err == nil {
		t.Fatal("an interrupted active check should return an error")
	}
	if created == "" {
		t.Fatal("the check never said which namespace it created")
	}
	ns, err := client.CoreV1().Namespaces().Get(context.Background(), created, metav1.GetOptions{})
	if err == nil && ns.DeletionTimestamp == nil {
		t.Errorf("namespace %s left behind after the interruption", created)
	}
}

// In a namespace whose PodSecurity level is restricted (the API server's PodSecurity admission
// is on by default), the active check's pods are admitted and the check ends in a finding, not
// in an admission error or a timeout.
func TestActiveUnderRestrictedPodSecurity(t *testing.T) {
	c := localcluster.ForTest(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	a := &Active{
		Client:          client,
		Prober:          &probe.Runner{Exec: probe.NewExecutor(c.RESTConfig, client), Client: client, Timeout: time.Second},
		Image:           probe.DefaultImage,
		Timeout:         30 * time.Second,
		NamespaceLabels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"},
	}
	f, err := a.Run(context.Background())
	if err != nil {
		t.Fatalf("under PodSecurity restricted: %v", err)
	}
	if !slices.Contains(ActiveIDs, f.ID) {
		t.Errorf("finding %+v, want one of %v", f, ActiveIDs)
	}
}

// Only the missing ServiceAccount of a namespace just created is waited out; PodSecurity and
// RBAC refusals are the answer, in their own words.
func TestServiceAccountPending(t *testing.T) {
	gr := schema.GroupResource{Resource: "pods"}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{apierrors.NewForbidden(gr, "server", errors.New(`error looking up service account netpol-doctor-x/default: serviceaccount "default" not found`)), true},
		{apierrors.NewForbidden(gr, "server", errors.New(`violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false`)), false},
		{apierrors.NewForbidden(gr, "server", errors.New(`User "u" cannot create resource "pods" in API group "" in the namespace "x"`)), false},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := serviceAccountPending(tc.err); got != tc.want {
			t.Errorf("%v: %t, want %t", tc.err, got, tc.want)
		}
	}
	err := activeError("create pods", apierrors.NewForbidden(gr, "server", errors.New(`violates PodSecurity "restricted:latest": runAsNonRoot != true`)))
	if !strings.Contains(err.Error(), "admission") || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("admission refusal reads %q", err)
	}
}
