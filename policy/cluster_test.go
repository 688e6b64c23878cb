package policy

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// The cluster-scoped tier on the x/y/z model (namespaces labelled ns=NAME, pods pod=NAME,
// serving 80 and 81 over TCP and UDP on ports named serve-PORT-PROTO, IPs 10.0.<ns>.<pod>).
// Expectations come from the network-policy-api documentation (apis/v1beta1 and v1alpha1
// comments, npeps), never from the evaluator's output.

// clusterPolicies decodes cluster policies written in YAML (any kind and version read here).
func clusterPolicies(t testing.TB, docs ...string) []ClusterPolicy {
	t.Helper()
	var out []ClusterPolicy
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(d), &u.Object); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		p, err := DecodeClusterPolicy(u)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		out = append(out, p)
	}
	return out
}

// withCluster is the model with NetworkPolicies nps and cluster policies cnps.
func withCluster(t testing.TB, nps []string, cnps ...string) *Snapshot {
	t.Helper()
	s := withPolicies(t.(*testing.T), nps...)
	s.ClusterPolicies = clusterPolicies(t, cnps...)
	return s
}

// evaluate is Evaluate of from -> to ("x/a" or an address), after checking that the Matrix
// says the same of a pod pair.
func evaluate(t *testing.T, s *Snapshot, from, to string, port int32, proto corev1.Protocol) Verdict {
	t.Helper()
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	c := Connection{From: endpoint(s, from), To: endpoint(s, to), Port: port, Protocol: proto}
	v := ev.Evaluate(c)
	if c.From.Pod != nil && c.To.Pod != nil {
		m := ev.Matrix([]PortProtocol{{port, proto}})
		fi, ti := slices.IndexFunc(s.Pods, func(p Pod) bool { return p.ID() == from }), slices.IndexFunc(s.Pods, func(p Pod) bool { return p.ID() == to })
		got, want := m.PodVerdict(0, fi, ti), withoutWalkthrough(v)
		if !reflect.DeepEqual(got, want) || m.Allowed(0, fi, ti) != v.Allowed {
			t.Fatalf("%s -> %s %d/%s: Matrix %t %+v\nEvaluate %+v", from, to, port, proto, m.Allowed(0, fi, ti), got, want)
		}
	}
	return v
}

// withoutWalkthrough is v without the rule walkthroughs, which only Evaluate gives.
func withoutWalkthrough(v Verdict) Verdict {
	for _, s := range []*Side{&v.Egress, &v.Ingress} {
		s.Rules = nil
		if d := s.ClusterDetail; d != nil && d.Rules != nil {
			c := *d
			c.Rules = nil
			s.ClusterDetail = &c
			if c.Pass == nil && c.Notes == nil {
				s.ClusterDetail = nil
			}
		}
	}
	return v
}

type clusterCase struct {
	name       string
	nps, cnps  []string
	from, to   string
	port       int32
	proto      corev1.Protocol // TCP when empty
	allowed    bool
	egressTier Tier // "-" to leave unchecked
	ingTier    Tier
	reasons    []string // every reason, egress's then ingress's
	contains   []string // words that some reason holds
	undecided  bool
}

const (
	cnpDenyFromY = `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: deny-from-y}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - name: deny-y
    action: Deny
    from: [{namespaces: {matchLabels: {ns: "y"}}}]`

	npDenyIngressXAll = `
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}`

	npAllowFromY = `
metadata: {name: allow-y, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]}]`
)

func clusterCases() []clusterCase {
	return []clusterCase{{
		name: "Admin Deny is final, NetworkPolicy allows in vain", nps: []string{npAllowFromY}, cnps: []string{cnpDenyFromY},
		from: "y/a", to: "x/a", port: 80, allowed: false, egressTier: "", ingTier: TierAdmin,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress denied by ClusterNetworkPolicy deny-from-y (Admin, priority 10) rule 0 (deny-y)"},
	}, {
		name: "Admin Deny matches only its peers", cnps: []string{cnpDenyFromY},
		from: "z/a", to: "x/a", port: 80, allowed: true, ingTier: "",
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress allowed: no NetworkPolicy isolates it and no cluster policy rule decides it"},
	}, {
		name: "Admin Accept is final, NetworkPolicy denies in vain", nps: []string{npDenyIngressXAll}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: accept-z}
spec:
  tier: Admin
  priority: 3
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}}
  ingress:
  - action: Accept
    from: [{pods: {namespaceSelector: {matchLabels: {ns: z}}, podSelector: {matchLabels: {pod: b}}}}]`},
		from: "z/b", to: "x/a", port: 80, allowed: true, ingTier: TierAdmin,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress allowed by ClusterNetworkPolicy accept-z (Admin, priority 3) rule 0"},
	}, {
		name: "Admin Accept: pods peer is namespace AND pod", nps: []string{npDenyIngressXAll}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: accept-z}
spec:
  tier: Admin
  priority: 3
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}}
  ingress:
  - action: Accept
    from: [{pods: {namespaceSelector: {matchLabels: {ns: z}}, podSelector: {matchLabels: {pod: b}}}}]`},
		from: "y/b", to: "x/a", port: 80, allowed: false, ingTier: TierNetworkPolicy,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress denied: isolated by x/deny and no rule allows it"},
	}, {
		name: "priority: the lower number decides first", cnps: []string{cnpDenyFromY, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: accept-first}
spec:
  tier: Admin
  priority: 9
  subject: {namespaces: {}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]`},
		from: "y/a", to: "x/a", port: 80, allowed: true, ingTier: TierAdmin,
		contains: []string{"ingress allowed by ClusterNetworkPolicy accept-first (Admin, priority 9) rule 0"},
	}, {
		name: "priority: a higher number comes after", cnps: []string{cnpDenyFromY, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: accept-later}
spec:
  tier: Admin
  priority: 11
  subject: {namespaces: {}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]`},
		from: "y/a", to: "x/a", port: 80, allowed: false, ingTier: TierAdmin,
		contains: []string{"ingress denied by ClusterNetworkPolicy deny-from-y (Admin, priority 10) rule 0 (deny-y)"},
	}, {
		name: "rule order within a policy", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ordered}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {name: deny-80, action: Deny, to: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
  - {name: accept-all, action: Accept, to: [{namespaces: {}}]}`},
		from: "x/a", to: "y/b", port: 80, allowed: false, egressTier: TierAdmin, ingTier: "",
		contains: []string{"egress denied by ClusterNetworkPolicy ordered (Admin, priority 1) rule 0 (deny-80)"},
	}, {
		name: "rule order: the later rule decides what the first does not match", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ordered}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {name: deny-80, action: Deny, to: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
  - {name: accept-all, action: Accept, to: [{namespaces: {}}]}`},
		from: "x/a", to: "y/b", port: 81, allowed: true, egressTier: TierAdmin,
		contains: []string{"egress allowed by ClusterNetworkPolicy ordered (Admin, priority 1) rule 1 (accept-all)"},
	}, {
		name: "Pass to NetworkPolicy: it isolates and denies", nps: []string{npDenyIngressXAll}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: pass}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - {name: pass-y, action: Pass, from: [{namespaces: {matchLabels: {ns: "y"}}}]}
  - {action: Accept, from: [{namespaces: {}}]}`, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: baseline-accept}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]`},
		from: "y/a", to: "x/b", port: 80, allowed: false, ingTier: TierNetworkPolicy,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress: Pass by ClusterNetworkPolicy pass (Admin, priority 1) rule 0 (pass-y), on to the NetworkPolicies",
			"ingress denied: isolated by x/deny and no rule allows it"},
	}, {
		name: "Pass skips the rest of the Admin tier", nps: []string{npAllowFromY}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: pass}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress: [{name: pass-y, action: Pass, from: [{namespaces: {matchLabels: {ns: "y"}}}]}]`, cnpDenyFromY},
		from: "y/a", to: "x/b", port: 80, allowed: true, ingTier: TierNetworkPolicy,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress: Pass by ClusterNetworkPolicy pass (Admin, priority 1) rule 0 (pass-y), on to the NetworkPolicies",
			"ingress allowed by x/allow-y rule 0"},
	}, {
		name: "Pass to Baseline when no NetworkPolicy isolates", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: pass}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress: [{name: pass-y, action: Pass, from: [{namespaces: {matchLabels: {ns: "y"}}}]}]`, cnpDenyFromY, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: baseline-deny}
spec:
  tier: Baseline
  priority: 5
  subject: {namespaces: {}}
  ingress: [{name: default-deny, action: Deny, from: [{namespaces: {}}]}]`},
		from: "y/a", to: "x/b", port: 80, allowed: false, ingTier: TierBaseline,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress: Pass by ClusterNetworkPolicy pass (Admin, priority 1) rule 0 (pass-y), on to the NetworkPolicies",
			"ingress denied by ClusterNetworkPolicy baseline-deny (Baseline, priority 5) rule 0 (default-deny)"},
	}, {
		name: "Baseline does not decide where a NetworkPolicy isolates", nps: []string{npAllowFromY}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: baseline-deny}
spec:
  tier: Baseline
  priority: 5
  subject: {namespaces: {}}
  ingress: [{name: default-deny, action: Deny, from: [{namespaces: {}}]}]`},
		from: "y/a", to: "x/b", port: 80, allowed: true, ingTier: TierNetworkPolicy,
		reasons: []string{"egress not isolated: no policy selects the source for egress", "ingress allowed by x/allow-y rule 0"},
	}, {
		name: "Baseline decides where no NetworkPolicy isolates", nps: []string{npAllowFromY}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: baseline-deny}
spec:
  tier: Baseline
  priority: 5
  subject: {namespaces: {}}
  ingress: [{name: default-deny, action: Deny, from: [{namespaces: {}}]}]`},
		from: "x/a", to: "y/b", port: 80, allowed: false, ingTier: TierBaseline,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress denied by ClusterNetworkPolicy baseline-deny (Baseline, priority 5) rule 0 (default-deny)"},
	}, {
		name: "Baseline Pass: nothing comes after, allowed", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: baseline}
spec:
  tier: Baseline
  priority: 5
  subject: {namespaces: {}}
  ingress:
  - {name: pass-x, action: Pass, from: [{namespaces: {matchLabels: {ns: x}}}]}
  - {name: default-deny, action: Deny, from: [{namespaces: {}}]}`},
		from: "x/a", to: "y/b", port: 80, allowed: true, ingTier: TierBaseline,
		contains: []string{"ingress allowed: Pass by ClusterNetworkPolicy baseline (Baseline, priority 5) rule 0 (pass-x), and no tier comes after Baseline"},
	}, {
		name: "port range and protocol", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ranges}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {action: Deny, to: [{namespaces: {}}], protocols: [{udp: {destinationPort: {range: {start: 80, end: 81}}}}]}`},
		from: "x/a", to: "y/b", port: 81, proto: udp, allowed: false, egressTier: TierAdmin,
	}, {
		name: "port range: TCP is another protocol", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ranges}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {action: Deny, to: [{namespaces: {}}], protocols: [{udp: {destinationPort: {range: {start: 80, end: 81}}}}]}`},
		from: "x/a", to: "y/b", port: 81, allowed: true, egressTier: "",
	}, {
		name: "named port: the destination's container port", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: named}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {action: Deny, to: [{namespaces: {}}], protocols: [{destinationNamedPort: serve-81-udp}]}`},
		from: "x/a", to: "y/b", port: 81, proto: udp, allowed: false, egressTier: TierAdmin,
	}, {
		name: "named port: not the same number on another protocol", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: named}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {action: Deny, to: [{namespaces: {}}], protocols: [{destinationNamedPort: serve-81-udp}]}`},
		from: "x/a", to: "y/b", port: 81, allowed: true, egressTier: "",
	}, {
		name: "networks match pod addresses", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: nets}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress:
  - {action: Deny, to: [{networks: [10.0.2.0/24]}]}`},
		from: "x/a", to: "y/c", port: 80, allowed: false, egressTier: TierAdmin,
	}, {
		name: "networks match addresses outside the cluster", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: nets}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress:
  - {name: metadata, action: Deny, to: [{networks: [169.254.169.254/32]}]}
  - {action: Accept, to: [{networks: [0.0.0.0/0]}]}`},
		from: "x/a", to: "169.254.169.254", port: 80, allowed: false, egressTier: TierAdmin,
		reasons: []string{"egress denied by ClusterNetworkPolicy nets (Admin, priority 1) rule 0 (metadata)",
			"ingress: the destination is outside the cluster, no policy applies to it"},
	}, {
		name: "domain names cannot be decided: a note, taken not to match", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: fqdn}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress:
  - {name: allow-example, action: Accept, to: [{domainNames: [example.com, "*.example.org"]}]}
  - {name: deny-rest, action: Deny, to: [{networks: [0.0.0.0/0]}]}`},
		from: "x/a", to: "192.0.2.7", port: 443, allowed: false, egressTier: TierAdmin, undecided: true,
		reasons: []string{"egress denied by ClusterNetworkPolicy fqdn (Admin, priority 1) rule 1 (deny-rest)",
			"egress: ClusterNetworkPolicy fqdn (Admin, priority 1) rule 0 (allow-example) matches if the destination is one of the domain names [example.com, *.example.org], which cannot be resolved offline; it is taken not to match",
			"ingress: the destination is outside the cluster, no policy applies to it"},
	}, {
		name: "domain names outside cluster.local name no pod", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: fqdn}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress:
  - {name: allow-example, action: Accept, to: [{domainNames: [example.com]}]}
  - {name: deny-rest, action: Deny, to: [{networks: [0.0.0.0/0]}]}`},
		from: "x/a", to: "y/a", port: 80, allowed: false, egressTier: TierAdmin,
		reasons: []string{"egress denied by ClusterNetworkPolicy fqdn (Admin, priority 1) rule 1 (deny-rest)",
			"ingress not isolated: no policy selects the destination for ingress"},
	}, {
		name: "domain names under cluster.local may name a pod", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: fqdn}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress:
  - {name: allow-svc, action: Accept, to: [{domainNames: ["*.svc.cluster.local"]}]}
  - {name: deny-rest, action: Deny, to: [{networks: [0.0.0.0/0]}]}`},
		from: "x/a", to: "y/a", port: 80, allowed: false, egressTier: TierAdmin, undecided: true,
		contains: []string{"which cannot be resolved offline"},
	}, {
		name: "same priority, different actions: flagged, the first by name taken", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: b-accept}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]`, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: a-deny}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`},
		from: "x/a", to: "y/b", port: 80, allowed: false, ingTier: TierAdmin, undecided: true,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress denied by ClusterNetworkPolicy a-deny (Admin, priority 7) rule 0",
			"ingress: ClusterNetworkPolicy a-deny (Admin, priority 7) rule 0 and ClusterNetworkPolicy b-accept (Admin, priority 7) rule 0 have the same priority and disagree (Deny, Accept); the API leaves the choice to each implementation, and the first by name is taken here"},
	}, {
		name: "same priority, same action: nothing to flag", cnps: []string{`
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
metadata: {name: a-deny}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`},
		from: "x/a", to: "y/b", port: 80, allowed: false, ingTier: TierAdmin,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress denied by ClusterNetworkPolicy a-deny (Admin, priority 7) rule 0"},
	}, {
		name: "v1alpha1 AdminNetworkPolicy: Allow is Accept, ports", nps: []string{npDenyIngressXAll}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - name: allow-80
    action: Allow
    from: [{namespaces: {}}]
    ports: [{portNumber: {port: 80, protocol: TCP}}, {portRange: {start: 8000, end: 9000}}, {namedPort: serve-81-udp}]`},
		from: "z/c", to: "x/b", port: 80, allowed: true, ingTier: TierAdmin,
		reasons: []string{"egress not isolated: no policy selects the source for egress",
			"ingress allowed by AdminNetworkPolicy anp (Admin, priority 20) rule 0 (allow-80)"},
	}, {
		name: "v1alpha1 AdminNetworkPolicy: a named port", nps: []string{npDenyIngressXAll}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - name: allow-80
    action: Allow
    from: [{namespaces: {}}]
    ports: [{portNumber: {port: 80, protocol: TCP}}, {portRange: {start: 8000, end: 9000}}, {namedPort: serve-81-udp}]`},
		from: "z/c", to: "x/b", port: 81, proto: udp, allowed: true, ingTier: TierAdmin,
	}, {
		name: "v1alpha1 BaselineAdminNetworkPolicy: no priority", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  egress: [{name: deny-all, action: Deny, to: [{namespaces: {}}]}]`},
		from: "x/a", to: "y/b", port: 80, allowed: false, egressTier: TierBaseline,
		reasons: []string{"egress denied by BaselineAdminNetworkPolicy default (Baseline) rule 0 (deny-all)",
			"ingress not isolated: no policy selects the destination for ingress"},
	}, {
		name: "v1alpha2 ClusterNetworkPolicy reads as v1beta1", cnps: []string{strings.Replace(cnpDenyFromY, "v1beta1", "v1alpha2", 1)},
		from: "y/a", to: "x/a", port: 80, allowed: false, ingTier: TierAdmin,
	}, {
		name: "an empty peer fails closed: a Deny matches everything", cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: future}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{someFutureField: {}}]}]`},
		from: "x/a", to: "y/b", port: 80, allowed: false, egressTier: TierAdmin,
	}, {
		name: "an empty peer fails closed: an Accept matches nothing", nps: []string{npDenyIngressXAll}, cnps: []string{`
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: future}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Accept, from: [{someFutureField: {}}]}]`},
		from: "y/a", to: "x/b", port: 80, allowed: false, ingTier: TierNetworkPolicy,
	}}
}

func TestClusterTier(t *testing.T) {
	for _, tc := range clusterCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := withCluster(t, tc.nps, tc.cnps...)
			proto := tc.proto
			if proto == "" {
				proto = tcp
			}
			v := evaluate(t, s, tc.from, tc.to, tc.port, proto)
			reasons := slices.Concat(v.Egress.Reasons, v.Ingress.Reasons)
			if v.Allowed != tc.allowed {
				t.Errorf("allowed %t, want %t; reasons:\n%s", v.Allowed, tc.allowed, strings.Join(reasons, "\n"))
			}
			if tc.egressTier != "-" && v.Egress.Tier != tc.egressTier {
				t.Errorf("egress tier %q, want %q", v.Egress.Tier, tc.egressTier)
			}
			if tc.ingTier != "-" && v.Ingress.Tier != tc.ingTier {
				t.Errorf("ingress tier %q, want %q", v.Ingress.Tier, tc.ingTier)
			}
			if tc.reasons != nil && !slices.Equal(reasons, tc.reasons) {
				t.Errorf("reasons:\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(tc.reasons, "\n"))
			}
			for _, w := range tc.contains {
				if !slices.ContainsFunc(reasons, func(r string) bool { return strings.Contains(r, w) }) {
					t.Errorf("no reason holds %q:\n%s", w, strings.Join(reasons, "\n"))
				}
			}
			if v.Undecided != tc.undecided {
				t.Errorf("undecided %t, want %t", v.Undecided, tc.undecided)
			}
			for _, side := range []Side{v.Egress, v.Ingress} {
				if d := side.ClusterDetail; len(side.Why) != len(side.Reasons) || d != nil && len(d.NotesSay) != len(d.Notes) {
					t.Fatalf("messages and texts differ in number: %+v", side)
				}
				for i, m := range side.Why {
					if m.String() != side.Reasons[i] {
						t.Errorf("reason %q, message %q", side.Reasons[i], m.String())
					}
				}
				if (side.Tier == TierAdmin || side.Tier == TierBaseline) != (side.Cluster != nil) {
					t.Errorf("tier %s with decision %+v", side.Tier, side.Cluster)
				}
				if notes := side.Notes(); len(notes) > 0 && !slices.Equal(side.Reasons[len(side.Reasons)-len(notes):], notes) {
					t.Errorf("the notes do not end the reasons: %q, %q", side.Reasons, notes)
				}
			}
		})
	}
}

// The decision names the rule: policy, kind, tier, priority, index, name and action.
func TestClusterDecision(t *testing.T) {
	s := withCluster(t, nil, cnpDenyFromY)
	v := evaluate(t, s, "y/b", "x/c", 80, tcp)
	prio := int32(10)
	want := &ClusterRuleRef{Policy: "deny-from-y", Kind: KindClusterNetworkPolicy, APIVersion: "policy.networking.k8s.io/v1beta1",
		Tier: TierAdmin, Priority: &prio, Rule: 0, Name: "deny-y", Action: ActionDeny}
	if !reflect.DeepEqual(v.Ingress.Cluster, want) {
		t.Errorf("decision %+v, want %+v", v.Ingress.Cluster, want)
	}
	if v.Egress.Cluster != nil || v.Egress.Tier != "" {
		t.Errorf("egress: %+v", v.Egress)
	}
	if d := v.Ingress.ClusterDetail; d == nil || len(d.Rules) != 1 || !d.Rules[0].PeerMatch || !d.Rules[0].PortMatch ||
		d.Rules[0].Peers != "every pod in namespaces [ns=y]" || d.Rules[0].Ports != "any port" || d.Pass != nil || d.Notes != nil || d.Rules[0].Walk != "decided" {
		t.Errorf("walkthrough %+v", d)
	}
	// The walkthrough says where the walk got: a Pass, the rest of the Admin tier not reached,
	// the Baseline tier not reached where a NetworkPolicy isolates.
	s = withCluster(t, []string{npDenyIngressXAll}, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: pass}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - {action: Accept, from: [{namespaces: {matchLabels: {ns: z}}}]}
  - {action: Pass, from: [{namespaces: {matchLabels: {ns: "y"}}}]}
  - {action: Accept, from: [{namespaces: {}}]}`, cnpDenyFromY, `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Allow, from: [{namespaces: {}}]}]`)
	v = evaluate(t, s, "y/a", "x/b", 80, tcp)
	var walk []string
	for _, rc := range v.Ingress.ClusterDetail.Rules {
		walk = append(walk, fmt.Sprintf("%s/%d:%s", rc.Policy, rc.Rule, rc.Walk))
	}
	if want := []string{"pass/0:", "pass/1:decided", "pass/2:not reached", "deny-from-y/0:not reached", "default/0:not reached"}; !slices.Equal(walk, want) {
		t.Errorf("walk %q, want %q", walk, want)
	}
	if v.Allowed || v.Ingress.Tier != TierNetworkPolicy || v.Ingress.Pass() == nil || v.Ingress.Pass().Rule != 1 {
		t.Errorf("%+v", v.Ingress)
	}
	// BaselineAdminNetworkPolicy: no priority in the decision.
	s = withCluster(t, nil, `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}}
  ingress: [{action: Allow, from: [{namespaces: {}}]}, {action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {}}}]}]`)
	v = evaluate(t, s, "y/b", "x/a", 80, tcp)
	if c := v.Ingress.Cluster; c == nil || c.Priority != nil || c.Action != ActionAccept || c.Kind != KindBaselineAdminNetworkPolicy || c.Tier != TierBaseline {
		t.Errorf("decision %+v", c)
	}
}

// Host-network pods are outside the cluster tier: never a subject, never matched by a pods
// or namespaces peer; networks and nodes peers see their addresses.
func TestClusterHostNetwork(t *testing.T) {
	s := withCluster(t, nil, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: deny-all}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{name: pods, action: Deny, from: [{namespaces: {}}]}]
  egress:
  - {name: nodes, action: Deny, to: [{nodes: {matchLabels: {role: worker}}}]}
  - {name: nets, action: Accept, to: [{networks: [10.0.0.0/8]}]}`)
	s.Pods = append(s.Pods, Pod{Namespace: "z", Name: "host", Labels: map[string]string{"pod": "host"}, HostNetwork: true,
		IPs: []netip.Addr{netip.MustParseAddr("192.168.0.5")}})
	s.Nodes = []Node{{Name: "n1", Labels: map[string]string{"role": "worker"}, IPs: []netip.Addr{netip.MustParseAddr("192.168.0.5")}}}
	// The host-network pod as a source: no namespaces peer matches it; as a subject, its
	// egress is not governed.
	if v := evaluate(t, s, "z/host", "x/a", 80, tcp); !v.Allowed || v.Egress.Tier != "" || v.Ingress.Tier != "" {
		t.Errorf("host -> x/a: %+v", v)
	}
	// As a destination: the nodes peer matches its address.
	if v := evaluate(t, s, "x/a", "z/host", 80, tcp); v.Allowed || v.Egress.Cluster == nil || v.Egress.Cluster.Name != "nodes" || v.Ingress.Tier != "" {
		t.Errorf("x/a -> host: %+v", v)
	}
	// The node's address outside the snapshot's pods too.
	if v := evaluate(t, s, "x/a", "192.168.0.5", 80, tcp); v.Allowed || v.Egress.Cluster == nil || v.Egress.Cluster.Name != "nodes" {
		t.Errorf("x/a -> node: %+v", v)
	}
	// An address no node has.
	if v := evaluate(t, s, "x/a", "192.168.0.6", 80, tcp); !v.Allowed || v.Egress.Tier != "" || v.Undecided {
		t.Errorf("x/a -> 192.168.0.6: %+v", v)
	}
	// Without node addresses, a nodes peer cannot be decided for an address outside the pods.
	s.Nodes = nil
	v := evaluate(t, s, "x/a", "192.168.0.5", 80, tcp)
	if !v.Allowed || !v.Undecided || len(v.Egress.Notes()) != 1 || !strings.Contains(v.Egress.Notes()[0], "no node addresses were read") {
		t.Errorf("x/a -> node without node addresses: %+v", v)
	}
	// …but a pod's address is never a node's.
	if v := evaluate(t, s, "x/a", "y/b", 80, tcp); !v.Egress.Allowed || v.Egress.Undecided || v.Egress.Cluster == nil || v.Egress.Cluster.Name != "nets" {
		t.Errorf("x/a -> y/b: %+v", v)
	}
}

// Cluster policies that could not be read: every pod's side says so and is undecided.
func TestClusterUnread(t *testing.T) {
	s := withPolicies(t)
	s.ClusterPoliciesUnread = []string{"clusternetworkpolicies.policy.networking.k8s.io"}
	v := evaluate(t, s, "x/a", "y/b", 80, tcp)
	if !v.Allowed || !v.Undecided || len(v.Egress.Notes()) != 1 || len(v.Ingress.Notes()) != 1 ||
		v.Ingress.Reasons[0] != "ingress not isolated: no policy selects the destination for ingress" ||
		!strings.Contains(v.Ingress.Reasons[1], "could not be read (clusternetworkpolicies.policy.networking.k8s.io)") {
		t.Errorf("%+v", v)
	}
	// A side that denies for sure makes the verdict certain.
	s = withPolicies(t, npDenyIngressXAll)
	s.ClusterPoliciesUnread = []string{"clusternetworkpolicies.policy.networking.k8s.io"}
	if v := evaluate(t, s, "y/a", "x/b", 80, tcp); v.Allowed || !v.Undecided {
		t.Errorf("unread and denied by a NetworkPolicy: still undecided (an Admin Accept may come first): %+v", v)
	}
}

// Malformed cluster policies are refused, as the API server would refuse them.
func TestClusterMalformed(t *testing.T) {
	for name, doc := range map[string]string{
		"no subject": `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Admin, priority: 1, subject: {}}`,
		"bad tier": `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Top, priority: 1, subject: {namespaces: {}}}`,
		"bad action": `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Allow, from: [{namespaces: {}}]}]}`,
		"bad cidr": `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.0/33]}]}]}`,
		"two peer kinds": `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.0/8], namespaces: {}}]}]}`,
	} {
		s := withCluster(t, nil, doc)
		if _, err := New(s); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), "ClusterNetworkPolicy p") {
			t.Errorf("%s: %v does not name the policy", name, err)
		}
	}
}

// Every version is read into the same model: ClusterNetworkPolicy v1alpha2 as v1beta1, and
// AdminNetworkPolicy / BaselineAdminNetworkPolicy v1alpha1 with Allow as Accept.
func TestClusterPolicyVersions(t *testing.T) {
	got := clusterPolicies(t, `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 20
  subject: {pods: {namespaceSelector: {matchLabels: {a: b}}, podSelector: {}}}
  ingress: [{name: i, action: Pass, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {c: d}}}}]}]
  egress:
  - name: e
    action: Allow
    to: [{networks: [10.0.0.0/8]}, {nodes: {}}, {domainNames: [example.com]}]
    ports: [{portNumber: {port: 53, protocol: UDP}}, {portRange: {start: 1, end: 2}}, {namedPort: web}]`, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: anp}
spec:
  tier: Admin
  priority: 20
  subject: {pods: {namespaceSelector: {matchLabels: {a: b}}, podSelector: {}}}
  ingress: [{name: i, action: Pass, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {c: d}}}}]}]
  egress:
  - name: e
    action: Accept
    to: [{networks: [10.0.0.0/8]}, {nodes: {}}, {domainNames: [example.com]}]
    protocols: [{udp: {destinationPort: {number: 53}}}, {tcp: {destinationPort: {range: {start: 1, end: 2}}}}, {destinationNamedPort: web}]`, `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: anp}
spec:
  tier: Admin
  priority: 20
  subject: {pods: {namespaceSelector: {matchLabels: {a: b}}, podSelector: {}}}
  ingress: [{name: i, action: Pass, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {c: d}}}}]}]
  egress:
  - name: e
    action: Accept
    to: [{networks: [10.0.0.0/8]}, {nodes: {}}, {domainNames: [example.com]}]
    protocols: [{udp: {destinationPort: {number: 53}}}, {tcp: {destinationPort: {range: {start: 1, end: 2}}}}, {destinationNamedPort: web}]`, `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  egress: [{action: Allow, to: [{networks: [10.0.0.0/8]}], ports: [{portNumber: {port: 80}}]}]`)
	anp, beta, alpha2, banp := got[0], got[1], got[2], got[3]
	if anp.Kind != KindAdminNetworkPolicy || anp.APIVersion != "policy.networking.k8s.io/v1alpha1" || anp.Tier != TierAdmin {
		t.Errorf("anp: %+v", anp)
	}
	if alpha2.APIVersion != "policy.networking.k8s.io/v1alpha2" || beta.APIVersion != "policy.networking.k8s.io/v1beta1" {
		t.Errorf("versions %s, %s", alpha2.APIVersion, beta.APIVersion)
	}
	anp.Kind, anp.APIVersion = beta.Kind, beta.APIVersion
	alpha2.APIVersion = beta.APIVersion
	if !reflect.DeepEqual(anp, beta) || !reflect.DeepEqual(alpha2, beta) {
		t.Errorf("not the same model:\nanp    %+v\nbeta   %+v\nalpha2 %+v", anp, beta, alpha2)
	}
	wantBanp := ClusterPolicy{Name: "default", Kind: KindBaselineAdminNetworkPolicy, APIVersion: "policy.networking.k8s.io/v1alpha1",
		Tier: TierBaseline, Priority: BaselineAdminPriority, Subject: banp.Subject,
		Egress: []ClusterRule{{Action: ActionAccept, Peers: []ClusterPeer{{Networks: []string{"10.0.0.0/8"}}}, Ports: []ClusterPort{{Protocol: tcp, Port: 80}}}}}
	if !reflect.DeepEqual(banp, wantBanp) || banp.Subject.Namespaces == nil {
		t.Errorf("banp %+v\nwant %+v", banp, wantBanp)
	}
}

// A cluster policy rule admits a connection on what its ports say.
func TestClusterPortsMatch(t *testing.T) {
	dest := &Pod{Ports: []Port{{Name: "web", Port: 8080, Protocol: "TCP"}, {Name: "dns", Port: 53, Protocol: "UDP"}}}
	cases := []struct {
		ports []ClusterPort
		port  int32
		proto corev1.Protocol
		dest  *Pod
		want  bool
	}{
		{nil, 1, "SCTP", nil, true},
		{[]ClusterPort{{Protocol: "TCP", Port: 80}}, 80, "TCP", nil, true},
		{[]ClusterPort{{Protocol: "TCP", Port: 80}}, 80, "UDP", nil, false},
		{[]ClusterPort{{Protocol: "SCTP", Port: 9000, EndPort: 9005}}, 9005, "SCTP", nil, true},
		{[]ClusterPort{{Protocol: "SCTP", Port: 9000, EndPort: 9005}}, 9006, "SCTP", nil, false},
		{[]ClusterPort{{Protocol: "UDP"}}, 5, "UDP", nil, true},
		{[]ClusterPort{{Name: "web"}}, 8080, "TCP", dest, true},
		{[]ClusterPort{{Name: "web"}}, 8080, "TCP", nil, false},
		{[]ClusterPort{{Name: "dns"}}, 53, "TCP", dest, false},
		{[]ClusterPort{{Name: "dns"}}, 53, "UDP", dest, true},
	}
	for _, c := range cases {
		if got := clusterPortsMatch(c.ports, ActionAccept, c.port, c.proto, c.dest); got != c.want {
			t.Errorf("%+v %d/%s: %t, want %t", c.ports, c.port, c.proto, got, c.want)
		}
	}
	if !clusterPortsMatch([]ClusterPort{{Unknown: true}}, ActionDeny, 1, "TCP", nil) || clusterPortsMatch([]ClusterPort{{Unknown: true}}, ActionAccept, 1, "TCP", nil) {
		t.Error("an unknown port entry does not fail closed")
	}
}

func TestInClusterDomain(t *testing.T) {
	for name, want := range map[string]bool{
		"example.com": false, "*.example.com": false, "my.svc.cluster.local": true, "my.svc.cluster.local.": true,
		"*.cluster.local": true, "*.local": true, "*.svc.cluster.local": true, "cluster.local.example.com": false,
	} {
		if got := inClusterDomain(name); got != want {
			t.Errorf("%s: %t, want %t", name, got, want)
		}
	}
}

// Why a verdict is not the one wanted: the cluster tier decided.
func TestDiagnoseClusterTier(t *testing.T) {
	s := withCluster(t, []string{npAllowFromY}, cnpDenyFromY)
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	causes := ev.Diagnose(Connection{From: endpoint(s, "y/a"), To: endpoint(s, "x/a"), Port: 80}, Intent{Want: true})
	if len(causes) != 1 || causes[0].Code != CauseClusterTier || causes[0].Side != "ingress" || causes[0].Policy != "ClusterNetworkPolicy/deny-from-y" ||
		!strings.Contains(causes[0].Message, "before any NetworkPolicy is looked at") || !strings.Contains(causes[0].Fix, "kubectl get clusternetworkpolicy deny-from-y -o yaml") {
		t.Errorf("%+v", causes)
	}
	// Baseline: a NetworkPolicy would override it.
	s = withCluster(t, nil, `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: baseline-allow}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]`)
	ev, _ = New(s)
	causes = ev.Diagnose(Connection{From: endpoint(s, "y/a"), To: endpoint(s, "x/a"), Port: 80}, Intent{Want: false})
	if len(causes) == 0 || causes[0].Code != CauseClusterTier || !strings.Contains(causes[0].Fix, "overrides the Baseline tier") {
		t.Errorf("%+v", causes)
	}
}
