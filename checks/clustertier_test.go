package checks

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// tierIDs are the IDs of the cluster-tier check that mean a problem.
var tierIDs = []string{tierIDOverridden, tierIDShadowed, tierIDOverlap, tierIDPassNothing, tierIDEngine}

// readInput reads a file as doctor -f does.
func readInput(t *testing.T, path string) *Input {
	t.Helper()
	objs, err := source.ReadFiles(&resource.FilenameOptions{Filenames: []string{path}}, "default", io.Discard)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	in, err := FromObjects(objs, "", false)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return in
}

// readYAML is readInput of YAML written here.
func readYAML(t *testing.T, docs ...string) *Input {
	t.Helper()
	path := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(docs, "\n---\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return readInput(t, path)
}

// failing lists the failing findings as "ID severity".
func failingTier(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Status == StatusFail {
			out = append(out, f.ID+" "+string(f.Severity))
		}
	}
	return out
}

func findingOf(fs []Finding, id string, status Status) *Finding {
	for i := range fs {
		if fs[i].ID == id && fs[i].Status == status {
			return &fs[i]
		}
	}
	return nil
}

// Each fixture raises its finding and none of the others, with the real policy, rule and pods
// named and a fix to paste; in Korean and Japanese too.
func TestClusterTierFixtures(t *testing.T) {
	for _, tc := range []struct {
		file     string
		id       string
		severity Severity
		resource string
		msg      []string
		fix      []string
	}{
		{"cluster-admin-deny.yaml", tierIDOverridden, SeverityWarning, "NetworkPolicy/dr-cnp-shop/db-from-web",
			[]string{"spec.ingress[0] allows none of the 1 connection(s) it admits", "dr-cnp-shop/web to dr-cnp-shop/db on 5432/TCP",
				"denied by ClusterNetworkPolicy deny-web-to-db (Admin, priority 10) rule 0 (no-web)"},
			[]string{`kubectl patch clusternetworkpolicy deny-web-to-db --type json -p '[{"op":"add","path":"/spec/ingress/0","value":{"action":"Pass"`,
				`"podSelector":{"matchLabels":{"app":"web"}}`, `"protocols":[{"tcp":{"destinationPort":{"number":5432}}}]`}},
		{"cluster-baseline-shadowed.yaml", tierIDShadowed, SeverityInfo, "ClusterNetworkPolicy/baseline-deny-ingress",
			[]string{"the ingress rules of ClusterNetworkPolicy baseline-deny-ingress (Baseline, priority 50) never decide",
				"(2: dr-cnp-base/api, dr-cnp-base/worker)", "dr-cnp-base/api-from-worker"},
			[]string{"safety net", `kubectl patch clusternetworkpolicy baseline-deny-ingress --type merge -p '{"spec":{"tier":"Admin"}}'`}},
		{"cluster-same-priority.yaml", tierIDOverlap, SeverityWarning, "ClusterNetworkPolicy/allow-web-to-db",
			[]string{"ClusterNetworkPolicy allow-web-to-db (Admin, priority 20) rule 0 (web-to-db) and ClusterNetworkPolicy deny-web-to-db (Admin, priority 20) rule 0 (no-web)",
				"disagree on ingress: Accept against Deny", "dr-cnp-prio/web to dr-cnp-prio/db on 5432/TCP"},
			[]string{`kubectl patch clusternetworkpolicy deny-web-to-db --type merge -p '{"spec":{"priority":21}}'`}},
		{"cluster-pass-nothing.yaml", tierIDPassNothing, SeverityWarning, "ClusterNetworkPolicy/pass-to-namespaces",
			[]string{"ClusterNetworkPolicy pass-to-namespaces (Admin, priority 30) rule 0 (let-owners-decide) passes ingress of dr-cnp-pass/app, dr-cnp-pass/client"},
			[]string{"action: Accept", "\n  kind: ClusterNetworkPolicy\n", "\n    tier: Baseline\n", "\n    - name: let-owners-decide-baseline\n      action: Deny\n",
				"kubernetes.io/metadata.name: dr-cnp-pass"}},
		{"cluster-no-engine.yaml", tierIDEngine, SeverityWarning, "DaemonSet/kube-system/kube-router",
			[]string{"cluster-scoped policies are in the files (ClusterNetworkPolicy)", "kube-router (DaemonSet/kube-system/kube-router) does not implement them"},
			[]string{"kubectl describe clusternetworkpolicies", "kubectl netpol probe --from NAMESPACE/POD", "Kube-OVN"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			in := readInput(t, filepath.Join("..", "plugin", "testdata", "doctor", tc.file))
			got := clusterTierCheck.Run(in)
			checkTranslated(t, in, got)
			want := tc.id + " " + string(tc.severity)
			if fails := failingTier(got); !slices.Equal(fails, []string{want}) {
				t.Fatalf("failing findings %v, want [%s]\n%s", fails, want, describeFindings(got))
			}
			f := findingOf(got, tc.id, StatusFail)
			if f.Resource != tc.resource || f.Check != "cluster-tier" || f.Docs != DocsBase+"#"+strings.ToLower(tc.id) {
				t.Errorf("%s: resource %q check %q docs %q", tc.id, f.Resource, f.Check, f.Docs)
			}
			for _, s := range tc.msg {
				if !strings.Contains(f.Message, s) {
					t.Errorf("message lacks %q:\n%s", s, f.Message)
				}
			}
			for _, s := range tc.fix {
				if !strings.Contains(f.Remediation, s) {
					t.Errorf("fix lacks %q:\n%s", s, f.Remediation)
				}
			}
			// No fixture raises another fixture's finding.
			for _, id := range tierIDs {
				if id != tc.id && findingOf(got, id, StatusFail) != nil {
					t.Errorf("%s raised too", id)
				}
			}
			// Through Run, as doctor runs every check: the same finding.
			if all := Run(in, nil, nil); findingOf(all, tc.id, StatusFail) == nil {
				t.Errorf("Run: %s missing", tc.id)
			}
			// The same objects as a cluster: the same finding.
			live := *in
			live.Live, live.warned = true, false
			lgot := clusterTierCheck.Run(&live)
			checkTranslated(t, &live, lgot)
			if findingOf(lgot, tc.id, StatusFail) == nil {
				t.Errorf("live: %s missing\n%s", tc.id, describeFindings(lgot))
			}
		})
	}
}

// The fixture of explain's cluster tier: an allow-all egress NetworkPolicy under an Admin Deny
// of the metadata address is the tier's textbook use: NP7001 as info (some of what the rule
// admits is denied), not a warning, one per Admin rule naming the NetworkPolicy rules.
func TestClusterTierGuardrailIsInfo(t *testing.T) {
	in := readInput(t, filepath.Join("..", "plugin", "testdata", "cluster-tier.yaml"))
	got := clusterTierCheck.Run(in)
	checkTranslated(t, in, got)
	if fails := failingTier(got); !slices.Equal(fails, []string{"NP7001 info"}) {
		t.Fatalf("failing %v\n%s", fails, describeFindings(got))
	}
	f := findingOf(got, tierIDOverridden, StatusFail)
	if f.Resource != "ClusterNetworkPolicy/deny-metadata" {
		t.Errorf("resource %q", f.Resource)
	}
	for _, s := range []string{"ClusterNetworkPolicy deny-metadata (Admin, priority 10) rule 0 (no-metadata) denies, before any NetworkPolicy is read, some of the connections that 1 NetworkPolicy rule(s) admit",
		"shop/allow-all-egress spec.egress[0] (4 of the 12 connection(s) it admits, e.g. shop/api to 169.254.169.254 on 80/TCP)"} {
		if !strings.Contains(f.Message, s) {
			t.Errorf("message lacks %q:\n%s", s, f.Message)
		}
	}
	if !strings.Contains(f.Remediation, `"to":[{"networks":["169.254.169.254/32"]}]`) || !strings.Contains(f.Remediation, `"path":"/spec/egress/0"`) {
		t.Errorf("fix:\n%s", f.Remediation)
	}
}

// Without cluster-scoped policies the check is one pass line.
func TestClusterTierNone(t *testing.T) {
	for _, live := range []bool{false, true} {
		in := readInput(t, filepath.Join("..", "plugin", "testdata", "doctor", "healthy.yaml"))
		in.Live = live
		got := clusterTierCheck.Run(in)
		if len(got) != 1 || got[0].Status != StatusPass || got[0].ID != tierIDOverridden || !strings.Contains(got[0].Message, "no cluster-scoped policies") {
			t.Errorf("live %v: %s", live, describeFindings(got))
		}
		checkTranslated(t, in, got)
	}
}

// Policies RBAC kept doctor from reading: NP7006, skipped, with the command that tells and the
// grant; the plugin question is still asked (the CRDs are there).
func TestClusterTierUnread(t *testing.T) {
	const res = "clusternetworkpolicies.policy.networking.k8s.io"
	in := cluster(t)
	in.Snapshot.ClusterPoliciesUnread = []string{res}
	in.Forbidden[res] = errors.New(`clusternetworkpolicies.policy.networking.k8s.io is forbidden: User "dev" cannot list resource "clusternetworkpolicies" in API group "policy.networking.k8s.io" at the cluster scope`)
	in.DaemonSets = []appsv1.DaemonSet{calicoDS("calico-system")}
	got := clusterTierCheck.Run(in)
	checkTranslated(t, in, got)
	f := findingOf(got, tierIDUnread, StatusSkipped)
	if f == nil {
		t.Fatalf("no NP7006:\n%s", describeFindings(got))
	}
	for _, s := range []string{"cannot list " + res, "User \"dev\" cannot list"} {
		if !strings.Contains(f.Message, s) {
			t.Errorf("message lacks %q: %s", s, f.Message)
		}
	}
	for _, s := range []string{"kubectl auth can-i list " + res, "kubectl create clusterrole netpol-doctor-cluster-policies --verb=list"} {
		if !strings.Contains(f.Remediation, s) {
			t.Errorf("fix lacks %q: %s", s, f.Remediation)
		}
	}
	if findingOf(got, tierIDEngine, StatusPass) == nil || len(failingTier(got)) != 0 {
		t.Errorf("want NP7005 passing with Calico:\n%s", describeFindings(got))
	}
}

const tierNamespaces = `
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: team, labels: {app: api}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: cron, namespace: team, labels: {app: cron}}
spec: {containers: [{name: c, image: x}]}`

// The older kinds: an AdminNetworkPolicy's Deny over a NetworkPolicy rule (its patch says
// ports, not protocols), a BaselineAdminNetworkPolicy the NetworkPolicies shadow.
func TestClusterTierAlphaKinds(t *testing.T) {
	in := readYAML(t, tierNamespaces, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: team}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: cron}}}]`, `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-cron}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: team}}}
  ingress:
  - name: deny-cron
    action: Deny
    from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: cron}}}}]`, `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - name: deny-all
    action: Deny
    from: [{namespaces: {}}]`)
	got := clusterTierCheck.Run(in)
	checkTranslated(t, in, got)
	f := findingOf(got, tierIDOverridden, StatusFail)
	if f == nil || f.Severity != SeverityWarning || !strings.Contains(f.Message, "AdminNetworkPolicy no-cron (Admin, priority 5) rule 0 (deny-cron)") ||
		!strings.Contains(f.Remediation, "kubectl patch adminnetworkpolicy no-cron") || !strings.Contains(f.Remediation, `"ports":[{"portNumber":{"port":8080,"protocol":"TCP"}}]`) {
		t.Errorf("NP7001:\n%s", describeFindings(got))
	}
	f = findingOf(got, tierIDShadowed, StatusFail)
	if f == nil || f.Resource != "BaselineAdminNetworkPolicy/default" || !strings.Contains(f.Message, "BaselineAdminNetworkPolicy default (Baseline)") ||
		!strings.Contains(f.Remediation, "kubectl get baselineadminnetworkpolicy default -o yaml") {
		t.Errorf("NP7002:\n%s", describeFindings(got))
	}

	// In a namespace scope that does not hold the subject's pods, their NetworkPolicies were
	// not read: no claim that they shadow the Baseline rule, and no finding on their rules.
	scoped := *in
	scoped.Namespace, scoped.warned = "elsewhere", false
	if got := failingTier(clusterTierCheck.Run(&scoped)); len(got) != 0 {
		t.Errorf("out of scope: %v", got)
	}
	// Pods listed in the scope only: the subject may hold pods doctor does not know.
	partial := *in
	partial.PartialPods, partial.warned = true, false
	if f := findingOf(clusterTierCheck.Run(&partial), tierIDShadowed, StatusFail); f != nil {
		t.Errorf("partial pods: %s", f.Message)
	}
}

// Same priority, same action: nothing to report; a Pass with a Baseline rule below that
// decides: nothing either.
func TestClusterTierQuiet(t *testing.T) {
	in := readYAML(t, tierNamespaces, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: a-deny}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: cron}}}}]}]`, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: b-deny}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: pass-egress}
spec:
  tier: Admin
  priority: 8
  subject: {namespaces: {}}
  egress: [{action: Pass, to: [{namespaces: {}}]}]`, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: baseline-egress}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{namespaces: {}}]}]`)
	got := clusterTierCheck.Run(in)
	checkTranslated(t, in, got)
	if fails := failingTier(got); len(fails) != 0 {
		t.Errorf("failing %v\n%s", fails, describeFindings(got))
	}
	if findingOf(got, tierIDOverridden, StatusPass) == nil {
		t.Errorf("no pass line:\n%s", describeFindings(got))
	}
}

// Which plugins implement the cluster-scoped policies.
func TestClusterTierEngines(t *testing.T) {
	knp := func(image string, args ...string) appsv1.DaemonSet {
		return cniDS("kube-system", "kube-network-policies", map[string]string{"app": "kube-network-policies"}, cniCtr("kube-network-policies", image, args...))
	}
	kubeOVN := cniDS("kube-system", "kube-ovn-cni", map[string]string{"app": "kube-ovn-cni"}, cniCtr("cni-server", "docker.io/kubeovn/kube-ovn:v1.13.0"))
	for _, tc := range []struct {
		name   string
		ds     []appsv1.DaemonSet
		status Status
		msg    string
	}{
		{"calico", []appsv1.DaemonSet{calicoDS("calico-system")}, StatusPass, "Calico (DaemonSet/calico-system/calico-node)"},
		{"kube-ovn", []appsv1.DaemonSet{kubeOVN}, StatusPass, "Kube-OVN (DaemonSet/kube-system/kube-ovn-cni)"},
		{"kube-network-policies npa", []appsv1.DaemonSet{knp("registry.k8s.io/networking/kube-network-policies:v0.9.0-npa-v1alpha2")}, StatusPass, "kube-network-policies"},
		{"kube-network-policies standard", []appsv1.DaemonSet{knp("registry.k8s.io/networking/kube-network-policies:v0.9.0")}, StatusFail, "only in its npa-v1alpha1"},
		{"cilium", []appsv1.DaemonSet{ciliumDS()}, StatusFail, "only where its support for them is turned on"},
		{"kube-router", []appsv1.DaemonSet{kubeRouterDS()}, StatusFail, "does not implement them"},
		{"nothing", nil, StatusFail, "no network plugin was found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := cluster(t)
			in.Snapshot.ClusterPolicies = []policy.ClusterPolicy{{Name: "x", Kind: policy.KindClusterNetworkPolicy, Tier: policy.TierAdmin, Priority: 1,
				Subject: policy.ClusterSubject{Namespaces: nil, Pods: &policy.ClusterPods{}}}}
			in.DaemonSets = tc.ds
			f := tierEngineFinding(in)
			checkTranslated(t, in, []Finding{f})
			if f.ID != tierIDEngine || f.Status != tc.status || !strings.Contains(f.Message, tc.msg) {
				t.Errorf("got %s %s %q", f.ID, f.Status, f.Message)
			}
			if tc.status == StatusFail && f.Severity != SeverityWarning {
				t.Errorf("severity %s", f.Severity)
			}
		})
	}
	in := cluster(t)
	in.Forbidden["daemonsets"] = errors.New("daemonsets.apps is forbidden")
	if f := tierEngineFinding(in); f.Status != StatusSkipped || !strings.Contains(f.Remediation, "--resource=daemonsets.apps") {
		t.Errorf("forbidden: %s %q %q", f.Status, f.Message, f.Remediation)
	}
}

// A large snapshot: the work is bounded (classes, and a budget past which the check says it
// stopped), and the findings come in seconds at most.
func TestClusterTierScale(t *testing.T) {
	const namespaces, pods = 150, 8
	var docs []string
	for i := range namespaces {
		ns := fmt.Sprintf("ns-%03d", i)
		docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {team: t%d}}", ns, i%7))
		for k := range pods {
			docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: %s, labels: {app: a%d, tier: t%d}}\nspec: {containers: [{name: c, image: x, ports: [{containerPort: %d}]}]}",
				k, ns, k, k%3, 8000+k))
		}
		docs = append(docs, fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-team, namespace: %s}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: t%d}}}]}]
  egress: [{}]`, ns, i%7))
	}
	docs = append(docs, `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: guardrails}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{name: no-tier-2, action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {tier: t2}}}}]}]
  egress: [{name: no-metadata, action: Deny, to: [{networks: [169.254.169.254/32]}]}]`, `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: pass-all}
spec:
  tier: Admin
  priority: 2
  subject: {namespaces: {}}
  ingress: [{action: Pass, from: [{namespaces: {}}]}]`)
	in := readYAML(t, docs...)
	start := time.Now()
	got := clusterTierCheck.Run(in)
	took := time.Since(start)
	t.Logf("%d pods: findings in %v:\n%s", namespaces*pods, took, describeFindings(got))
	if took > 20*time.Second {
		t.Errorf("took %v", took)
	}
	if findingOf(got, tierIDOverridden, StatusFail) == nil {
		t.Errorf("no NP7001:\n%s", describeFindings(got))
	}
}

// A Pass of egress to addresses outside the cluster, with nothing below: asked of the full
// evaluator, one connection at a time.
func TestClusterTierPassToNetworks(t *testing.T) {
	in := readYAML(t, tierNamespaces, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: egress-to-office}
spec:
  tier: Admin
  priority: 3
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}}
  egress:
  - name: office
    action: Pass
    to: [{networks: [192.0.2.0/24]}]
    protocols: [{tcp: {destinationPort: {number: 443}}}]`)
	got := clusterTierCheck.Run(in)
	checkTranslated(t, in, got)
	f := findingOf(got, tierIDPassNothing, StatusFail)
	if f == nil {
		t.Fatalf("no NP7004:\n%s", describeFindings(got))
	}
	for _, s := range []string{"passes egress of team/api on", "team/api to 192.0.2.1 on 443/TCP"} {
		if !strings.Contains(f.Message, s) {
			t.Errorf("message lacks %q: %s", s, f.Message)
		}
	}
	for _, s := range []string{"  - name: office-baseline\n      action: Deny\n      to:\n      - networks:\n        - 192.0.2.0/24\n", "destinationPort:\n            number: 443"} {
		if !strings.Contains(f.Remediation, s) {
			t.Errorf("fix lacks %q:\n%s", s, f.Remediation)
		}
	}
}

// Every ID doctor can report has its section in docs/checks.md, where its docs link points.
func TestEveryIDDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "checks.md"))
	if err != nil {
		t.Fatal(err)
	}
	ids := slices.Clone(ActiveIDs)
	for _, c := range All {
		ids = append(ids, c.IDs...)
	}
	for _, id := range ids {
		if !strings.Contains(string(data), "\n### "+id+"\n") || !strings.Contains(string(data), "| ["+id+"](#"+strings.ToLower(id)+") |") {
			t.Errorf("%s: no section or row in docs/checks.md", id)
		}
	}
}
