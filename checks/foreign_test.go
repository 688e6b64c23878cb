package checks

import (
	"fmt"
	"strings"
	"testing"
)

func TestForeignPolicies(t *testing.T) {
	calico := Foreign{Source: "x.yaml", APIVersion: "projectcalico.org/v3", Kind: "NetworkPolicy", Namespace: "a", Name: "deny"}
	calicoGlobal := Foreign{Source: "calico/global.yaml", APIVersion: "crd.projectcalico.org/v1", Kind: "GlobalNetworkPolicy", Name: "default-deny"}
	cilium := Foreign{Source: "cilium.yaml", APIVersion: "cilium.io/v2", Kind: "CiliumNetworkPolicy", Namespace: "b", Name: "l7"}
	odd := Foreign{Source: "odd.yaml", APIVersion: "policy.example.com/v1", Kind: "TrafficPolicy", Namespace: "a", Name: "x"}

	tests := []struct {
		name     string
		in       Input
		status   Status // "" for no finding
		resource string
		msg      []string
		fix      []string
		notFix   []string
	}{
		{name: "cluster: nothing to read", in: Input{Live: true, Foreign: []Foreign{calico}}},
		{name: "files without foreign policies", in: Input{}, status: StatusPass, msg: []string{"no policy objects of other engines", "in the files"}},
		{name: "one Calico policy", in: Input{Foreign: []Foreign{calico}}, status: StatusFail, resource: "NetworkPolicy/a/deny",
			msg:    []string{"also act on this traffic and are not evaluated: projectcalico.org/v3 NetworkPolicy a/deny (file x.yaml)"},
			fix:    []string{"kubectl-netpol evaluates Kubernetes NetworkPolicy (networking.k8s.io/v1) and the cluster-scoped policies", "calicoctl get networkpolicy", "calicoctl get globalnetworkpolicy"},
			notFix: []string{"hubble", "antctl", "the other objects"}},
		{name: "several engines", in: Input{Foreign: []Foreign{cilium, calicoGlobal, calico, odd}}, status: StatusFail,
			msg: []string{"4 policy object(s)", "cilium.io/v2 CiliumNetworkPolicy b/l7 (file cilium.yaml)", "crd.projectcalico.org/v1 GlobalNetworkPolicy default-deny (file calico/global.yaml)",
				"policy.example.com/v1 TrafficPolicy a/x"},
			fix:    []string{"calicoctl", "cilium-dbg policy get", "hubble observe --verdict DROPPED", "the other objects", "ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy"},
			notFix: []string{"antctl", "fqdnnetworkpolicies", "kubectl get adminnetworkpolicies"}},
		{name: "antrea", in: Input{Foreign: []Foreign{{Source: "acnp.yaml", APIVersion: "crd.antrea.io/v1beta1", Kind: "ClusterNetworkPolicy", Name: "isolate"}}}, status: StatusFail,
			resource: "ClusterNetworkPolicy/isolate", msg: []string{"crd.antrea.io/v1beta1 ClusterNetworkPolicy isolate (file acnp.yaml)"}, fix: []string{"antctl get networkpolicy", "antctl traceflow"}},
		// Namespaced objects of other namespaces are out of scope; cluster-wide ones never are.
		{name: "scope", in: Input{Namespace: "a", Foreign: []Foreign{cilium, calicoGlobal}}, status: StatusFail, resource: "GlobalNetworkPolicy/default-deny",
			msg: []string{"1 policy object(s)", "default-deny"}, notFix: []string{"hubble"}},
		{name: "scope, none left", in: Input{Namespace: "a", Foreign: []Foreign{cilium}}, status: StatusPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := foreignCheck.Run(&tt.in)
			checkTranslated(t, &tt.in, got)
			if tt.status == "" {
				if len(got) != 0 {
					t.Fatalf("want no finding, got %s", describeFindings(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one finding, got %s", describeFindings(got))
			}
			f := got[0]
			if f.ID != "NP1005" || f.Check != "foreign-policies" || f.Status != tt.status || f.Severity != SeverityInfo || f.Docs != DocsBase+"#np1005" {
				t.Errorf("got %s %s %s %s %s", f.ID, f.Check, f.Status, f.Severity, f.Docs)
			}
			if f.Resource != tt.resource {
				t.Errorf("resource %q, want %q", f.Resource, tt.resource)
			}
			for _, s := range tt.msg {
				if !strings.Contains(f.Message, s) {
					t.Errorf("message lacks %q:\n%s", s, f.Message)
				}
			}
			for _, s := range tt.fix {
				if !strings.Contains(f.Remediation, s) {
					t.Errorf("remediation lacks %q:\n%s", s, f.Remediation)
				}
			}
			for _, s := range tt.notFix {
				if strings.Contains(f.Remediation, s) {
					t.Errorf("remediation names %q, an engine not in the files:\n%s", s, f.Remediation)
				}
			}
			if tt.status == StatusPass && f.Remediation != "" {
				t.Errorf("a pass with a remediation: %s", f.Remediation)
			}
		})
	}
}

func TestForeignPoliciesManyAndSelection(t *testing.T) {
	in := &Input{}
	for i := range 13 {
		in.Foreign = append(in.Foreign, Foreign{Source: "p.yaml", APIVersion: "cilium.io/v2", Kind: "CiliumNetworkPolicy", Namespace: "a", Name: fmt.Sprintf("p%02d", i)})
	}
	fs := foreignCheck.Run(in)
	checkTranslated(t, in, fs)
	f := fs[0]
	if !strings.Contains(f.Message, "13 policy object(s)") || !strings.Contains(f.Message, "p09") || strings.Contains(f.Message, "p10") || !strings.Contains(f.Message, "and 3 more") {
		t.Errorf("the first ten, then a count:\n%s", f.Message)
	}
	if f.Resource != "" {
		t.Errorf("several objects, one resource: %q", f.Resource)
	}

	// Selected by name and by ID, and skipped the same ways, like any other check.
	for _, sel := range []string{"foreign-policies", "NP1005", "np1005"} {
		if !Known(sel) {
			t.Errorf("Known(%q) = false", sel)
		}
		got := Run(in, []string{sel}, nil)
		if len(got) != 1 || got[0].ID != "NP1005" {
			t.Errorf("--check %s: %s", sel, describeFindings(got))
		}
	}
	for _, skip := range []string{"foreign-policies", "NP1005"} {
		got := Run(in, []string{"foreign-policies"}, []string{skip})
		if len(got) != 0 {
			t.Errorf("--skip %s: %s", skip, describeFindings(got))
		}
	}
	seen := map[string]string{}
	for _, c := range All {
		for _, id := range c.IDs {
			if other, ok := seen[id]; ok {
				t.Errorf("%s is raised by %s and %s", id, other, c.Name)
			}
			seen[id] = c.Name
		}
	}
}
