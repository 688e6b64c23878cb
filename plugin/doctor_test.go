package plugin

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/checks"
	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// doctorJSON runs doctor with -o json and returns the report and the exit code.
func doctorJSON(t *testing.T, args ...string) (doctorReport, int) {
	t.Helper()
	r := run(t, append([]string{"doctor", "-o", "json"}, args...)...)
	var rep doctorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor %v: exit %d, %v\n%s%s", args, r.code, err, r.stdout, r.stderr)
	}
	return rep, r.code
}

// failing lists the IDs of the findings that are problems.
func failing(rep doctorReport) []string {
	var ids []string
	for _, f := range rep.Findings {
		if f.Status == checks.StatusFail {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

func kubectl(t *testing.T, c *localcluster.Cluster, args ...string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(c.BinDir, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
}

// Each real-world mistake, applied to the local control plane, raises its finding; the static
// ones do so through -f as well; the healthy cluster raises none.
func TestDoctorFixtures(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	for _, tc := range []struct {
		file      string
		namespace string
		live      []string // IDs the live run must raise
		static    []string // IDs the -f run must raise (nil: no -f run)
		absent    []string // IDs the live run must not raise
	}{
		{"flannel.yaml", "kube-flannel", []string{"NP1001"}, nil, nil},
		{"three-tier-labels.yaml", "dr-was", []string{"NP2001"}, []string{"NP2001"}, nil},
		{"dns-name-kube-system.yaml", "dr-dns", []string{"NP2001", "NP3001"}, []string{"NP2001", "NP3001"}, nil},
		{"udp-only-dns.yaml", "dr-udp", []string{"NP3002"}, []string{"NP3002"}, nil},
		// The peer in dr-ops selects a pod outside the -n scope: not "selects nothing".
		{"and-or-split.yaml", "dr-vault", []string{"NP4003"}, []string{"NP4003"}, []string{"NP4002"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join("testdata", "doctor", tc.file)
			kubectl(t, c, "apply", "-f", file)
			defer kubectl(t, c, "delete", "-f", file, "--wait")
			rep, code := doctorJSON(t, "-n", tc.namespace, kc)
			got := failing(rep)
			for _, id := range tc.live {
				if !slices.Contains(got, id) {
					t.Errorf("live: %s not raised; findings %v\n%+v", id, got, rep.Findings)
				}
			}
			for _, id := range tc.absent {
				if slices.Contains(got, id) {
					t.Errorf("live: %s raised; findings %+v", id, rep.Findings)
				}
			}
			// --fail-on error (the default): exit 1 exactly when an error-level finding is raised.
			want := ExitOK
			if slices.ContainsFunc(rep.Findings, func(f checks.Finding) bool {
				return f.Severity == checks.SeverityError && f.Status == checks.StatusFail
			}) {
				want = ExitError
			}
			if code != want {
				t.Errorf("live: exit %d with findings %v, want %d", code, got, want)
			}
			if tc.static == nil {
				return
			}
			rep, _ = doctorJSON(t, "-f", file)
			got = failing(rep)
			for _, id := range tc.static {
				if !slices.Contains(got, id) {
					t.Errorf("-f: %s not raised; findings %v", id, got)
				}
			}
			if !strings.Contains(rep.Scope, "static checks only") {
				t.Errorf("-f scope %q should say the live checks did not run", rep.Scope)
			}
		})
	}

	t.Run("healthy", func(t *testing.T) {
		file := filepath.Join("testdata", "doctor", "healthy.yaml")
		kubectl(t, c, "apply", "-f", file)
		defer kubectl(t, c, "delete", "-f", file, "--wait")
		// CoreDNS becomes a ready endpoint of kube-dns once kwok runs it and the EndpointSlice
		// controller catches up.
		var rep doctorReport
		var code int
		deadline := time.Now().Add(30 * time.Second)
		for {
			rep, code = doctorJSON(t, "-n", "dr-healthy", kc)
			if len(failing(rep)) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if got := failing(rep); len(got) != 0 || code != ExitOK {
			t.Errorf("healthy cluster: exit %d, findings %v\n%+v", code, got, rep.Findings)
		}
		if rep.Summary.Passed < 5 {
			t.Errorf("the passing checks are listed too: %+v", rep.Summary)
		}
		if rep, _ := doctorJSON(t, "-f", file); len(failing(rep)) != 0 {
			t.Errorf("healthy files: %v", failing(rep))
		}
		// The table reads as a report: check titles, PASS marks, the summary line.
		r := run(t, "doctor", "-n", "dr-healthy", kc)
		for _, want := range []string{"Network plugin (CNI)", "PASS  NP1003", "calico", "0 error(s), 0 warning(s)"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("doctor table lacks %q:\n%s", want, r.stdout)
			}
		}
	})
}

// A user who may read nothing gets skipped checks, not a crash; --check narrows the run and
// --fail-on decides the exit code.
func TestDoctorFlagsAndRBAC(t *testing.T) {
	c := localcluster.ForTest(t)
	path, err := c.AddUser("doctor-nobody")
	if err != nil {
		t.Fatal(err)
	}
	rep, code := doctorJSON(t, "-A", "--kubeconfig="+path)
	if code != ExitOK || len(failing(rep)) != 0 || rep.Summary.Skipped < 4 {
		t.Errorf("read-nothing user: exit %d, failing %v, summary %+v", code, failing(rep), rep.Summary)
	}

	file := filepath.Join("testdata", "doctor", "udp-only-dns.yaml")
	rep, code = doctorJSON(t, "-f", file, "--check", "dns")
	for _, f := range rep.Findings {
		if f.Check != "dns" {
			t.Errorf("--check dns ran %s", f.ID)
		}
	}
	if code != ExitOK {
		t.Errorf("a warning with --fail-on error: exit %d", code)
	}
	if _, code = doctorJSON(t, "-f", file, "--check", "dns", "--fail-on", "warning"); code != ExitError {
		t.Errorf("a warning with --fail-on warning: exit %d", code)
	}
	if rep, _ = doctorJSON(t, "-f", file, "--skip", "NP3002,coverage"); slices.Contains(failing(rep), "NP3002") {
		t.Errorf("--skip NP3002 still raised it")
	}
	rep, _ = doctorJSON(t, "-f", file, "--check", "NP3002")
	if len(rep.Findings) != 1 || rep.Findings[0].ID != "NP3002" {
		t.Errorf("--check NP3002 reported %+v", rep.Findings)
	}
	for _, args := range [][]string{{"--check", "NP9999"}, {"--fail-on", "sometimes"}, {"--active", "-f", file}, {"--check", "NP6001"}} {
		r := run(t, append([]string{"doctor"}, args...)...)
		if r.code != ExitUsage {
			t.Errorf("doctor %v: exit %d, want %d", args, r.code, ExitUsage)
		}
	}
}

// --active on the local control plane: nothing listens on the scratch server's address (kwok
// runs no containers), so the baseline fails and the verdict is inconclusive; the scratch
// namespace is gone afterwards.
func TestDoctorActive(t *testing.T) {
	c := localcluster.ForTest(t)
	rep, _ := doctorJSON(t, "--active", "--check", "cni", "--probe-timeout", "1s", "--kubeconfig="+c.Kubeconfig)
	var active *checks.Finding
	for i := range rep.Findings {
		if rep.Findings[i].Check == "active" {
			active = &rep.Findings[i]
		}
	}
	if active == nil || active.ID != "NP6003" || !strings.Contains(active.Message, "inconclusive") {
		t.Fatalf("active finding %+v", active)
	}
	client, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	nss, err := client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{LabelSelector: checks.ActiveLabel})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss.Items {
		if ns.DeletionTimestamp == nil {
			t.Errorf("scratch namespace %s left behind", ns.Name)
		}
	}
}

// fixtureNames are the names a YAML fixture holds (every scalar value, and the keys of its
// label maps), which a translated text keeps as they are.
func fixtureNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var walk func(v any, labels bool)
	walk = func(v any, labels bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if labels {
					names[k] = true
				}
				walk(x, k == "labels" || k == "matchLabels" || k == "selector" || k == "nodeSelector")
			}
		case []any:
			for _, x := range v {
				walk(x, false)
			}
		case string:
			for _, w := range strings.Fields(v) {
				names[w] = true
			}
		}
	}
	for _, doc := range strings.Split(string(data), "\n---") {
		var v any
		if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		walk(v, false)
	}
	return names
}

// findingIDs lists the IDs of a doctor table, in order.
func findingIDs(table string) []string {
	var ids []string
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) > 2 && slices.Contains([]string{"PASS", "SKIP", "FAIL", "WARN", "INFO"}, f[0]) {
			ids = append(ids, f[1])
		}
	}
	return ids
}

// `doctor --lang ja -f FILE` explains in Japanese: the findings' messages and fixes, the check
// titles, the summary; the IDs, the marks, names, commands and YAML stay as they are, the same
// findings as in English. -o json keeps its English keys and values for scripts (severity,
// status), with the messages in Japanese.
func TestDoctorJapanese(t *testing.T) {
	file := filepath.Join("testdata", "doctor", "dns-name-kube-system.yaml")
	names := fixtureNames(t, file)
	english := run(t, "doctor", "--lang", "en", "-f", file)
	r := run(t, "doctor", "--lang", "ja", "-f", file)
	if r.code != english.code || r.code != ExitError {
		t.Fatalf("exit %d (English %d), want %d: %s", r.code, english.code, ExitError, r.stderr)
	}
	if got, want := findingIDs(r.stdout), findingIDs(english.stdout); len(want) < 5 || !slices.Equal(got, want) {
		t.Errorf("findings %v, in English %v", got, want)
	}
	for _, want := range []string{"診断: ", "\nnamespaceSelector が前提とする Namespace のラベル\n", "  FAIL  NP2001  NetworkPolicy/dr-dns/allow-dns: ", "  FAIL  NP3001  ",
		"        修正: ", "        参照: https://", "kubectl label namespace", "エラー 2 件、"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor --lang ja lacks %q:\n%s", want, r.stdout)
		}
	}
	if runs := lang.Untranslated(r.stdout, names); len(runs) > 0 {
		t.Errorf("English left in doctor --lang ja: %q\n%s", runs, r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 2 && slices.Contains(findingIDs(line), f[1]) && !lang.WrittenIn(lang.Ja, line) {
			t.Errorf("a finding not in Japanese: %s", line)
		}
	}
	if !strings.Contains(r.stderr, "件") {
		t.Errorf("the failure line is not in Japanese: %q", r.stderr)
	}

	r = run(t, "doctor", "--lang", "ja", "-o", "json", "-f", file)
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	for _, key := range []string{"scope", "findings", "summary"} {
		if _, ok := rep[key]; !ok {
			t.Errorf("-o json lacks key %q: %s", key, r.stdout)
		}
	}
	findings := rep["findings"].([]any)
	for _, x := range findings {
		f := x.(map[string]any)
		for _, key := range []string{"id", "check", "severity", "status", "message", "docs"} {
			if _, ok := f[key]; !ok {
				t.Errorf("finding lacks key %q: %v", key, f)
			}
		}
		if !slices.Contains([]string{"error", "warning", "info"}, f["severity"].(string)) || !slices.Contains([]string{"fail", "pass", "skipped"}, f["status"].(string)) {
			t.Errorf("severity and status stay English: %v", f)
		}
		for _, key := range []string{"message", "remediation"} {
			if s, ok := f[key].(string); ok && (!lang.WrittenIn(lang.Ja, s) || len(lang.Untranslated(s, names)) > 0) {
				t.Errorf("%s %s not in Japanese: %q (%q)", f["id"], key, s, lang.Untranslated(s, names))
			}
		}
	}
	if len(findings) != len(findingIDs(english.stdout)) {
		t.Errorf("%d findings in -o json, %d in the table", len(findings), len(findingIDs(english.stdout)))
	}
	if !lang.WrittenIn(lang.Ja, rep["scope"].(string)) {
		t.Errorf("scope %q", rep["scope"])
	}
}

// Without --lang, doctor speaks the environment's language, as the lab commands do; an
// unknown --lang is bad usage.
func TestDoctorLanguageFromEnvironment(t *testing.T) {
	for _, k := range lang.LocaleVariables {
		t.Setenv(k, "")
	}
	t.Setenv("LANGUAGE", "ko")
	file := filepath.Join("testdata", "doctor", "udp-only-dns.yaml")
	names := fixtureNames(t, file)
	r := run(t, "doctor", "-f", file)
	if r.code != ExitOK || !strings.Contains(r.stdout, "  WARN  NP3002  NetworkPolicy/dr-udp/egress-dns-udp: ") || !strings.Contains(r.stdout, "클러스터 DNS") {
		t.Errorf("LANGUAGE=ko: exit %d\n%s", r.code, r.stdout)
	}
	if runs := lang.Untranslated(r.stdout, names); len(runs) > 0 {
		t.Errorf("English left in doctor with LANGUAGE=ko: %q\n%s", runs, r.stdout)
	}
	// --lang wins over the environment.
	if r := run(t, "doctor", "--lang", "en", "-f", file); !strings.Contains(r.stdout, "may reach the cluster DNS over UDP only") {
		t.Errorf("--lang en with LANGUAGE=ko:\n%s", r.stdout)
	}
	if r := run(t, "doctor", "--lang", "xx", "-f", file); r.code != ExitUsage {
		t.Errorf("--lang xx: exit %d, want %d", r.code, ExitUsage)
	}
}

// doctor -f on each cluster-scoped tier fixture raises its finding (and none of the others'),
// with the fix to paste; once in Japanese, where the IDs, names and commands stay as they are.
func TestDoctorClusterTier(t *testing.T) {
	tierIDs := []string{"NP7001", "NP7002", "NP7003", "NP7004", "NP7005"}
	for _, tc := range []struct {
		file string
		id   string
		fix  string
	}{
		{"cluster-admin-deny.yaml", "NP7001", `kubectl patch clusternetworkpolicy deny-web-to-db --type json -p '[{"op":"add","path":"/spec/ingress/0"`},
		{"cluster-baseline-shadowed.yaml", "NP7002", `kubectl patch clusternetworkpolicy baseline-deny-ingress --type merge`},
		{"cluster-same-priority.yaml", "NP7003", `kubectl patch clusternetworkpolicy deny-web-to-db --type merge -p '{"spec":{"priority":21}}'`},
		{"cluster-pass-nothing.yaml", "NP7004", "  - name: let-owners-decide-baseline\n      action: Deny"},
		{"cluster-no-engine.yaml", "NP7005", "kubectl describe clusternetworkpolicies"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join("testdata", "doctor", tc.file)
			rep, code := doctorJSON(t, "-f", file, "--fail-on", "never")
			if code != ExitOK {
				t.Fatalf("exit %d", code)
			}
			var found *checks.Finding
			for i, f := range rep.Findings {
				if f.Status != checks.StatusFail || !slices.Contains(tierIDs, f.ID) {
					continue
				}
				if f.ID != tc.id {
					t.Errorf("%s raised too: %s", f.ID, f.Message)
					continue
				}
				found = &rep.Findings[i]
			}
			if found == nil {
				t.Fatalf("%s not raised; findings %v", tc.id, failing(rep))
			}
			if found.Check != "cluster-tier" || !strings.Contains(found.Remediation, tc.fix) || !strings.HasSuffix(found.Docs, "#"+strings.ToLower(tc.id)) {
				t.Errorf("%s: check %q docs %q, fix lacks %q:\n%s", tc.id, found.Check, found.Docs, tc.fix, found.Remediation)
			}
			// --check by ID narrows to it, as for every other check.
			if rep, _ := doctorJSON(t, "-f", file, "--check", tc.id, "--fail-on", "never"); len(rep.Findings) != 1 || rep.Findings[0].ID != tc.id {
				t.Errorf("--check %s: %+v", tc.id, rep.Findings)
			}
		})
	}

	file := filepath.Join("testdata", "doctor", "cluster-admin-deny.yaml")
	names := fixtureNames(t, file)
	r := run(t, "doctor", "--lang", "ja", "-f", file, "--check", "cluster-tier")
	if r.code != ExitOK { // a warning, under the default --fail-on error
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"クラスター スコープの階層", "  WARN  NP7001  NetworkPolicy/dr-cnp-shop/db-from-web: spec.ingress[0] が許可する 1 件の接続は、すべて Admin のルールが先に拒否します",
		"ClusterNetworkPolicy deny-web-to-db（Admin、優先度 10）のルール 0（no-web）", "        修正: ", `kubectl patch clusternetworkpolicy deny-web-to-db --type json -p '[{"op":"add"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor --lang ja lacks %q:\n%s", want, r.stdout)
		}
	}
	if runs := lang.Untranslated(r.stdout, names); len(runs) > 0 {
		t.Errorf("English left in doctor --lang ja: %q\n%s", runs, r.stdout)
	}
	// The findings' texts themselves (the table indents every line, which Untranslated skips).
	rep, _ := doctorJSON(t, "--lang", "ja", "-f", file, "--check", "cluster-tier")
	for _, f := range rep.Findings {
		for _, s := range []string{f.Message, f.Remediation} {
			if runs := lang.Untranslated(s, names); len(runs) > 0 || s != "" && !lang.WrittenIn(lang.Ja, s) {
				t.Errorf("%s not in Japanese: %q (%q)", f.ID, s, runs)
			}
		}
	}
}
