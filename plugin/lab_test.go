package plugin

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
)

func TestLabListAndShow(t *testing.T) {
	r := run(t, "lab", "list", "-o", "json")
	var list []labSummary
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != ExitOK {
		t.Fatalf("lab list -o json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if len(list) < 10 || list[0].Level != "beginner" {
		t.Errorf("lab list: %d labs, first %+v; want at least 10, easiest first", len(list), list[0])
	}

	r = run(t, "lab", "show", "cross-namespace", "--namespace-suffix=-x")
	for _, want := range []string{"Task", "Steps", "Goal", "ns-b-x", "ns-c-x/client", "allowed", "blocked"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lab show lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "Hints") {
		t.Error("hints shown without --hints")
	}
	if r = run(t, "lab", "show", "cross-namespace", "--hints"); !strings.Contains(r.stdout, "Hints") {
		t.Errorf("--hints shows no hints:\n%s", r.stdout)
	}

	// --solution prints only YAML that kubectl apply -f - takes: every document a policy.
	r = run(t, "lab", "show", "three-tier", "--solution")
	docs := strings.Split(r.stdout, "\n---\n")
	if len(docs) != 12 {
		t.Errorf("three-tier solution has %d documents, want its 12 policies", len(docs))
	}
	for _, d := range docs {
		if !strings.Contains(d, "kind: NetworkPolicy") || strings.Contains(d, "{{") {
			t.Errorf("solution document is not a rendered policy:\n%s", d)
		}
	}
}

func TestLabUnknownName(t *testing.T) {
	for _, verb := range []string{"show", "up", "down"} {
		r := run(t, "lab", verb, "tree-tier")
		if r.code != ExitUsage {
			t.Errorf("lab %s tree-tier: exit %d, want %d", verb, r.code, ExitUsage)
		}
		if line := oneErrorLine(t, r); !strings.Contains(line, "did you mean three-tier?") {
			t.Errorf("lab %s: %q should suggest three-tier", verb, line)
		}
	}
}

// The command layer over the local control plane: up, status, up again, down, status.
func TestLabUpStatusDown(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig

	r := run(t, "lab", "up", "default-deny", "--solution", kc)
	if r.code != ExitOK {
		t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"namespace/quiet created", "networkpolicy/default-deny-ingress -n quiet created", "Lab default-deny is up", "lab check default-deny"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lab up output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("lab up wrote to stderr without a terminal: %q", r.stderr)
	}

	r = run(t, "lab", "status", "-o", "json", kc)
	var sts []labs.LabStatus
	if err := json.Unmarshal([]byte(r.stdout), &sts); err != nil {
		t.Fatalf("lab status -o json: %v\n%s", err, r.stdout)
	}
	if len(sts) != 1 || sts[0].Lab != "default-deny" || sts[0].ReadyPods() != 4 || len(sts[0].Policies) != 1 {
		t.Errorf("status %+v: want default-deny with 4 ready pods and 1 policy", sts)
	}

	r = run(t, "lab", "up", "default-deny", "--solution", kc)
	if r.code != ExitOK || strings.Contains(r.stdout, " created\n") || strings.Contains(r.stdout, " configured\n") {
		t.Errorf("second lab up should change nothing: exit %d\n%s", r.code, r.stdout)
	}

	r = run(t, "lab", "down", "default-deny", kc)
	if r.code != ExitOK || !strings.Contains(r.stdout, "namespace/quiet deleted") || !strings.Contains(r.stdout, "namespace/noisy deleted") {
		t.Errorf("lab down: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "lab", "status", kc)
	if !strings.Contains(r.stdout, "No lab is up") {
		t.Errorf("status after down: %q", r.stdout)
	}
	r = run(t, "lab", "down", "default-deny", kc)
	if r.code != ExitOK || !strings.Contains(r.stdout, "nothing to delete") {
		t.Errorf("second lab down: exit %d, %q", r.code, r.stdout)
	}
	// In the learner's language too.
	if r = run(t, "lab", "down", "default-deny", "--lang", "ko", kc); r.code != ExitOK || !strings.Contains(r.stdout, "삭제할 것이 없습니다") {
		t.Errorf("lab down --lang ko: exit %d, %q", r.code, r.stdout)
	}
	if r = run(t, "lab", "status", "--lang", "ja", kc); !strings.Contains(r.stdout, "起動中のラボはありません") {
		t.Errorf("lab status --lang ja: %q", r.stdout)
	}
}

func TestLabUpForbiddenForReadOnlyUser(t *testing.T) {
	c := localcluster.ForTest(t)
	// Bound to nothing: can authenticate, cannot create namespaces.
	path, err := c.AddUser("plugin-nobody")
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, "lab", "up", "dns-egress", "--kubeconfig="+path)
	if r.code != ExitError {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, ExitError, r.stderr)
	}
	if line := oneErrorLine(t, r); !strings.Contains(line, "RBAC forbids") || !strings.Contains(line, "namespaces") {
		t.Errorf("message %q should name the verb and resource RBAC refused", line)
	}
}

// A lab that needs network-policy-api's CRDs, on a cluster without them: one error line that
// says what is missing and how a cluster admin installs it, exit 1, nothing created, and the
// lab's files can still be graded without a cluster.
func TestLabUpWithoutTheClusterPolicyCRD(t *testing.T) {
	c := localcluster.ForTest(t)
	r := run(t, "lab", "up", "cluster-tier", "--kubeconfig="+c.Kubeconfig)
	if r.code != ExitError {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, ExitError, r.stderr)
	}
	line := oneErrorLine(t, r)
	for _, want := range []string{"refusing to set up lab cluster-tier", "ClusterNetworkPolicy", "nothing was changed", "kubectl apply -f https://", "lab check cluster-tier -f FILE"} {
		if !strings.Contains(line, want) {
			t.Errorf("message %q lacks %q", line, want)
		}
	}
	if st := run(t, "lab", "status", "cluster-tier", "--kubeconfig="+c.Kubeconfig); strings.Contains(st.stdout, "cluster-tier") && !strings.Contains(st.stdout+st.stderr, "not up") {
		t.Errorf("refused, yet something of the lab is up:\n%s%s", st.stdout, st.stderr)
	}
	ok := run(t, "lab", "check", "cluster-tier", "-f", filepath.Join("..", "labs", "testdata", "attempts", "cluster-tier", "pass-expressions-and-named-port.yaml"))
	if ok.code != ExitOK {
		t.Errorf("lab check -f of the solution: exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
	}
}
