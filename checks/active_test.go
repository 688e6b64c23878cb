package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
