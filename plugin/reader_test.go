package plugin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// explain -f on a folder as real repositories hold them: a typed List whose items carry no kind,
// a Calico policy next to the Kubernetes one, a JSON file of results, a ReplicationController and
// a host-network pod. It loads, says what it skipped and left out, and the matrix is right: the
// Calico deny is not read as an allow-all, the RC stands for its pods.
func TestExplainMixedFolder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pods.yaml", `
apiVersion: v1
kind: PodList
items:
- metadata: {name: web, namespace: shop, labels: {app: web}}
  spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
- metadata: {name: client, namespace: shop, labels: {app: client}}
  spec: {containers: [{name: c, image: x}]}
- metadata: {name: agent, namespace: shop, labels: {app: agent}}
  spec: {hostNetwork: true, containers: [{name: c, image: x}]}
`)
	write("rc.yaml", `
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: c, image: x}]}
`)
	write("policies.yaml", `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
- metadata: {name: web-from-client, namespace: shop}
  spec:
    podSelector: {matchLabels: {app: web}}
    ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  selector: all()
  types: [Ingress]
  ingress: [{action: Deny}]
`)
	write("README.json", `[{"test": "web", "result": "pass"}]`)

	r := run(t, "explain", "-f", dir, "--port", "80", "-o", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"README.json: not a Kubernetes object", "projectcalico.org/v3 NetworkPolicy shop/deny-all", "1 host network (shop/agent)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	for _, want := range []string{
		`"from":"shop/client","to":"shop/web","port":80,"protocol":"TCP","allowed":true`,
		`"from":"shop/replicationcontroller/legacy","to":"shop/web","port":80,"protocol":"TCP","allowed":false`,
		`"from":"shop/web","to":"shop/replicationcontroller/legacy","port":80,"protocol":"TCP","allowed":true`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("json lacks %s:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "shop/agent") {
		t.Errorf("the host-network pod is in the matrix:\n%s", r.stdout)
	}
	// Not recursive without -R, as kubectl: a subfolder's files are not read.
	if err := os.Mkdir(filepath.Join(dir, "more"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "more", "pod.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: deep, namespace: shop}\nspec: {containers: [{name: c, image: x}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "explain", "-f", dir, "--port", "80", "-o", "json"); strings.Contains(r.stdout, "shop/deep") {
		t.Errorf("without -R, the subfolder was read")
	}
	if r := run(t, "explain", "-f", dir, "-R", "--port", "80", "-o", "json"); !strings.Contains(r.stdout, "shop/deep") {
		t.Errorf("with -R, the subfolder was not read:\n%s", r.stderr)
	}
}

// What kubectl users have: policies dumped from a 1.24-1.27 cluster carry a status, which every
// command ignores with a warning (lab check grades the policy, not REFUSED; doctor does not
// report it), and a folder whose manifests are all in subfolders says to add -R.
func TestFilesAsKubectlUsersHaveThem(t *testing.T) {
	dir := t.TempDir()
	withStatus := filepath.Join(dir, "dump.yaml")
	if err := os.WriteFile(withStatus, []byte(run(t, "lab", "show", "and-vs-or", "--solution").stdout+"status: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const ignored = ": NetworkPolicy vault/allow-backup: ignored: status carries no rules\n"
	r := run(t, "lab", "check", "and-vs-or", "-f", withStatus)
	if r.code != ExitOK || !strings.Contains(r.stdout, "PASS: 3/3 goal connections right") || strings.Contains(r.stdout, "REFUSED") || !strings.Contains(r.stderr, withStatus+ignored) {
		t.Errorf("lab check, a policy with a status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, "doctor", "-f", withStatus, "-o", "json"); strings.Contains(r.stdout, "NP4006") || !strings.Contains(r.stderr, withStatus+ignored) {
		t.Errorf("doctor, a policy with a status:\n%s%s", r.stdout, r.stderr)
	}

	repo := filepath.Join(dir, "repo")
	if err := os.MkdirAll(filepath.Join(repo, "vault"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(withStatus, filepath.Join(repo, "vault", "policy.yaml")); err != nil {
		t.Fatal(err)
	}
	const hint = "Warning: 1 subfolder of %s not read: add -R (--recursive)\n"
	for _, args := range [][]string{{"explain", "-f", repo}, {"doctor", "-f", repo}, {"lab", "check", "and-vs-or", "-f", repo}, {"diff", "--before", repo, "--after", repo}} {
		if r := run(t, args...); !strings.Contains(r.stderr, fmt.Sprintf(hint, repo)) {
			t.Errorf("%v: exit %d, stderr lacks the -R hint:\n%s", args, r.code, r.stderr)
		}
	}
	if r := run(t, "lab", "check", "and-vs-or", "-f", repo, "-R"); r.code != ExitOK || strings.Contains(r.stderr, "-R") {
		t.Errorf("lab check -R: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// One RBAC behaviour for every command: a user who may list pods and policies in the lab's
// namespaces but not namespaces gets the same warning from explain and lab check, and a skipped
// finding from doctor; a user who may list nothing gets the same error from explain and lab check.
func TestReadersAgreeUnderRBAC(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	suffix := "--namespace-suffix=-rbac"
	if r := run(t, "lab", "up", "allow-from-namespace", "--solution", suffix, kc); r.code != ExitOK {
		t.Fatalf("lab up: %s", r.stderr)
	}
	defer run(t, "lab", "down", "allow-from-namespace", kc)

	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(c.RESTConfig)
	for _, ns := range []string{"reports-rbac", "scrapers-rbac", "guests-rbac"} {
		if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{"", "networking.k8s.io"}, Resources: []string{"pods", "networkpolicies"}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "reader"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "reader"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "lab-reader"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	path, err := c.AddUser("lab-reader")
	if err != nil {
		t.Fatal(err)
	}
	user := "--kubeconfig=" + path
	const warning = "you may not list namespaces, so namespaceSelectors see only the kubernetes.io/metadata.name label"
	// RBAC reaches the authorizer's cache within moments.
	var explain result
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		explain = run(t, "explain", "-n", "reports-rbac", "--port", "9090", user)
		return explain.code == ExitOK, nil
	}); err != nil {
		t.Fatalf("explain as the reader: exit %d\n%s", explain.code, explain.stderr)
	}
	if !strings.Contains(explain.stderr, warning) {
		t.Errorf("explain's stderr lacks the warning:\n%s", explain.stderr)
	}
	check := run(t, "lab", "check", "allow-from-namespace", suffix, "--static-only", user)
	if check.code != ExitOK || !strings.Contains(check.stderr, warning) || !strings.Contains(check.stdout, "PASS") {
		t.Errorf("lab check as the reader: exit %d\n%s%s", check.code, check.stdout, check.stderr)
	}
	doctor := run(t, "doctor", "-n", "reports-rbac", "--fail-on", "never", user)
	if doctor.code != ExitOK || !strings.Contains(doctor.stdout, "SKIP") || !strings.Contains(doctor.stdout, "cannot list namespaces") {
		t.Errorf("doctor as the reader: exit %d\n%s%s", doctor.code, doctor.stdout, doctor.stderr)
	}

	nobody, err := c.AddUser("lab-nobody")
	if err != nil {
		t.Fatal(err)
	}
	e := run(t, "explain", "-n", "reports-rbac", "--kubeconfig="+nobody)
	l := run(t, "lab", "check", "allow-from-namespace", suffix, "--static-only", "--kubeconfig="+nobody)
	// The same words from both (each names the first namespace it was refused).
	refused := func(ns string) string {
		return "you may not list pods in namespace " + ns + " (check with 'kubectl auth can-i list pods -n " + ns + "'); ask a cluster admin"
	}
	if e.code != ExitError || l.code != ExitError || !strings.Contains(e.stderr, refused("reports-rbac")) || !strings.Contains(l.stderr, refused("guests-rbac")) {
		t.Errorf("nobody: explain exit %d %q; lab check exit %d %q", e.code, e.stderr, l.code, l.stderr)
	}
}
