package plugin

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netpol/kubectl-netpol/checks"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/probe"
)

// The live DNS lookup (NP3005), with a fake executor standing in for the pods' nslookup: a
// failure in a namespace whose policies block DNS blames them; a failure where the policies
// allow DNS blames the DNS service or the network; a namespace without egress isolation is not
// probed at all.
func TestLiveDNS(t *testing.T) {
	const timedOut = ";; connection timed out; no servers could be reached"
	pod := func(ns string) policy.Pod {
		return policy.Pod{Namespace: ns, Name: "app", Labels: map[string]string{"app": "app"}, IPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}
	}
	deny := func(ns string) networkingv1.NetworkPolicy {
		return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: ns},
			Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Egress"}}}
	}
	allowAll := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "allow-all-egress", Namespace: "open"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Egress"}, Egress: []networkingv1.NetworkPolicyEgressRule{{}}}}
	in := &checks.Input{Live: true, Forbidden: map[string]error{}, Snapshot: &policy.Snapshot{
		Pods:     []policy.Pod{pod("blocked"), pod("open"), pod("broken"), pod("free"), pod("leaky")},
		Policies: []networkingv1.NetworkPolicy{deny("blocked"), allowAll, deny("broken"), {ObjectMeta: metav1.ObjectMeta{Name: "allow-all-egress", Namespace: "broken"}, Spec: allowAll.Spec}, deny("leaky")},
	}}
	var mu sync.Mutex
	var asked []string
	exec := probe.ExecutorFunc(func(_ context.Context, req probe.ExecRequest) ([]byte, []byte, error) {
		if req.Command[0] == "sh" { // the client detection
			return []byte("@@ nslookup\n"), nil, nil
		}
		mu.Lock()
		asked = append(asked, req.Namespace+": "+strings.Join(req.Command, " "))
		mu.Unlock()
		if req.Namespace == "open" || req.Namespace == "leaky" {
			return []byte("Server:\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n"), nil, nil
		}
		return []byte(timedOut + "\n"), nil, errors.New("command terminated with exit code 1")
	})
	findings := liveDNS(context.Background(), &probe.Runner{Exec: exec, Retries: 0}, in)
	byResource := map[string]checks.Finding{}
	for _, f := range findings {
		byResource[f.Resource] = f
	}
	if f := byResource["Pod/blocked/app"]; f.ID != checks.LiveDNSID || f.Status != checks.StatusFail || !strings.Contains(f.Message, "as its policies say") || !strings.Contains(f.Message, "blocked/deny") {
		t.Errorf("blocked: %+v", f)
	}
	if f := byResource["Pod/broken/app"]; f.Status != checks.StatusFail || !strings.Contains(f.Message, "though its policies allow DNS") {
		t.Errorf("broken: %+v", f)
	}
	// DNS denied by the policies, yet it works: the policies are not enforced.
	if f := byResource["Pod/leaky/app"]; f.Status != checks.StatusFail || f.Severity != checks.SeverityWarning || !strings.Contains(f.Message, "not enforcing") {
		t.Errorf("leaky: %+v", f)
	}
	if f := byResource[""]; f.Status != checks.StatusPass || !strings.Contains(f.Message, "1 of 4") {
		t.Errorf("pass: %+v", f)
	}
	if len(asked) != 4 || strings.Contains(strings.Join(asked, "\n"), "free:") || !strings.Contains(asked[0], "nslookup kubernetes.default") {
		t.Errorf("lookups %q: want one per egress-isolated namespace, none in free", asked)
	}

	// In Korean and Japanese, all but the names and what nslookup printed.
	names := map[string]bool{}
	for _, w := range strings.Fields(timedOut + " blocked open broken free leaky deny allow-all-egress app") {
		names[strings.Trim(w, ";")] = true
	}
	for _, f := range findings {
		for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
			g := f.In(l)
			for _, s := range []string{g.Message, g.Remediation} {
				if s != "" && (!lang.WrittenIn(l, s) || len(lang.Untranslated(s, names)) > 0) {
					t.Errorf("%s %s in %s: %q (English left: %q)", f.ID, f.Resource, l, s, lang.Untranslated(s, names))
				}
			}
		}
	}
}
