package plugin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/checks"
	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// The read-only roles shipped in docs/rbac-readonly.yaml, applied as they are: explain and
// doctor work with them, and doctor, by default, execs into no pod (a read-only user could
// not, so a lookup it tried would show as a forbidden exec).
func TestReadOnlyRolesFromDocs(t *testing.T) {
	c := localcluster.ForTest(t)
	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(c.RESTConfig)
	kubectl(t, c, "create", "namespace", "my-team")
	defer kubectl(t, c, "delete", "namespace", "my-team", "--wait=false")
	docs := filepath.Join("..", "docs", "rbac-readonly.yaml")
	kubectl(t, c, "apply", "-f", docs)
	defer kubectl(t, c, "delete", "-f", docs)

	// An egress-isolated, Running pod: what doctor's live DNS lookup would exec into.
	workload := filepath.Join(t.TempDir(), "workload.yaml")
	if err := os.WriteFile(workload, []byte(`apiVersion: v1
kind: Pod
metadata: {name: api, namespace: my-team, labels: {app: api}}
spec: {containers: [{name: c, image: busybox:1.36.1, command: [sleep, "3600"]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: my-team}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-monitoring, namespace: my-team}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: monitoring}}}]}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl(t, c, "apply", "-f", workload)
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := admin.CoreV1().Pods("my-team").Get(ctx, "api", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, nil
	}); err != nil {
		t.Fatalf("pod my-team/api never ran: %v", err)
	}

	clusterReader, err := c.AddUser("ro-cluster", "kubectl-netpol-readers")
	if err != nil {
		t.Fatal(err)
	}
	teamReader, err := c.AddUser("ro-team", "my-team-netpol-readers")
	if err != nil {
		t.Fatal(err)
	}

	// RBAC reaches the authorizer within moments.
	var explain result
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		explain = run(t, "explain", "-A", "--port", "80", "--kubeconfig="+clusterReader)
		return explain.code == ExitOK && !strings.Contains(explain.stderr, "may not"), nil
	}); err != nil {
		t.Fatalf("explain -A with the ClusterRole: exit %d\n%s%s", explain.code, explain.stdout, explain.stderr)
	}
	if !strings.Contains(explain.stdout, "my-team/api") {
		t.Errorf("explain -A does not show my-team/api:\n%s", explain.stdout)
	}

	rep, code := doctorJSON(t, "-A", "--fail-on", "never", "--kubeconfig="+clusterReader)
	if code != ExitOK {
		t.Errorf("doctor -A with the ClusterRole: exit %d", code)
	}
	sawLiveDNS := false
	for _, f := range rep.Findings {
		if f.ID == checks.LiveDNSID {
			sawLiveDNS = true
			if f.Status != checks.StatusSkipped || !strings.Contains(f.Message, "--live-dns") {
				t.Errorf("NP3005 without --live-dns: %+v, want skipped, naming --live-dns", f)
			}
			continue
		}
		if f.Status == checks.StatusSkipped {
			t.Errorf("doctor -A with the ClusterRole skipped %s: %s", f.ID, f.Message)
		}
		if strings.Contains(f.Message, "forbidden") || strings.Contains(f.Message, "may not") {
			t.Errorf("doctor -A with the ClusterRole: %s %s", f.ID, f.Message)
		}
	}
	if !sawLiveDNS {
		t.Errorf("doctor does not say that its live DNS lookup did not run: %+v", rep.Findings)
	}

	// One namespace only: the commands work and say in one line what they could not read.
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		explain = run(t, "explain", "-n", "my-team", "--port", "80", "--kubeconfig="+teamReader)
		return explain.code == ExitOK, nil
	}); err != nil {
		t.Fatalf("explain -n my-team with the Role: exit %d\n%s", explain.code, explain.stderr)
	}
	if !strings.Contains(explain.stderr, "you may not list namespaces") || !strings.Contains(explain.stdout, "my-team/api") {
		t.Errorf("explain -n my-team with the Role:\n%s%s", explain.stdout, explain.stderr)
	}
	rep, code = doctorJSON(t, "-n", "my-team", "--fail-on", "never", "--kubeconfig="+teamReader)
	if code != ExitOK || len(rep.Findings) == 0 {
		t.Errorf("doctor -n my-team with the Role: exit %d, findings %+v", code, rep.Findings)
	}
}
