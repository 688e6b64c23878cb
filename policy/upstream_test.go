package policy

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Ports of the upstream e2e suite "Netpol" (kubernetes/kubernetes,
// test/e2e/network/netpol/network_policy.go), run against the offline evaluator on the same
// model: namespaces x, y, z with pods a, b, c each (see model() in evaluate_test.go).
//
// Expectations are written the way upstream writes them: start from "everything allowed"
// and overwrite groups of cells (upstream's ExpectPeer / ExpectAllIngress / ExpectAllEgress /
// Expect). They come from the upstream test's own expectations and the Kubernetes
// NetworkPolicy specification, never from the evaluator's output. Loopback cells (a pod to
// itself) are checked too, and expected allowed whatever the policies: upstream's
// Reachability.AllowLoopback ("loopback logic follows no policy"), which probe() applies to
// every expectation after its other cells are set. Upstream does not count them on live
// clusters (CNIs disagree), and neither does the live run here.
//
// Policies are written in YAML with the policyTypes upstream's SetSpecIngressRules /
// SetSpecEgressRules set explicitly (an egress-only upstream policy has policyTypes [Egress]).
// Upstream tests that update labels or policies, or delete policies, are modelled as steps,
// each with its own snapshot.

// expect is a declarative 9x9 expectation: from -> to -> allowed.
type expect map[[2]string]bool

// allowAll is upstream's NewReachability(pods, true).
func allowAll() expect {
	e := expect{}
	for _, from := range modelPods {
		for _, to := range modelPods {
			e[[2]string{from, to}] = true
		}
	}
	return e
}

// matchesPeer reports whether pod ("ns/name") is in peer: "" is every pod, "x" every pod of
// namespace x, "x/a" that one pod (upstream's Peer{}, Peer{Namespace}, Peer{Namespace, Pod}).
func matchesPeer(peer, pod string) bool {
	if peer == "" || peer == pod {
		return true
	}
	ns, _, _ := strings.Cut(pod, "/")
	return !strings.Contains(peer, "/") && peer == ns
}

// set is upstream's ExpectPeer(from, to, allowed); Expect(from, to) when both are pods.
func (e expect) set(from, to string, allowed bool) expect {
	for k := range e {
		if matchesPeer(from, k[0]) && matchesPeer(to, k[1]) {
			e[k] = allowed
		}
	}
	return e
}

// ingress is upstream's ExpectAllIngress(to, allowed).
func (e expect) ingress(to string, allowed bool) expect { return e.set("", to, allowed) }

// egress is upstream's ExpectAllEgress(from, allowed).
func (e expect) egress(from string, allowed bool) expect { return e.set(from, "", allowed) }

// allowLoopback is upstream's AllowLoopback: every pod may reach itself, whatever the
// policies. Like upstream, it is applied after the other cells are set.
func (e expect) allowLoopback() expect {
	for _, pod := range modelPods {
		e[[2]string{pod, pod}] = true
	}
	return e
}

// table renders the expectation in the layout of truth().
func (e expect) table() string {
	var b strings.Builder
	b.WriteString("-\t" + strings.Join(modelPods, "\t") + "\n")
	for _, from := range modelPods {
		b.WriteString(from)
		for _, to := range modelPods {
			if e[[2]string{from, to}] {
				b.WriteString("\t.")
			} else {
				b.WriteString("\tX")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// tableDiff marks the cells where two truth() tables differ with '!' (equal cells: '=').
func tableDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := range w {
		if i >= len(g) {
			break
		}
		gf, wf := strings.Split(g[i], "\t"), strings.Split(w[i], "\t")
		for j := range wf {
			if j > 0 {
				b.WriteString("\t")
			}
			if i == 0 || j == 0 || j >= len(gf) || gf[j] == wf[j] {
				if i == 0 || j == 0 {
					b.WriteString(wf[j])
				} else {
					b.WriteString("=")
				}
			} else {
				b.WriteString("!")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// withSCTP adds SCTP ports 80 and 81 (serve-80-sctp, serve-81-sctp) to every pod, as the
// upstream model has them and ours does not.
func withSCTP(s *Snapshot) {
	for i := range s.Pods {
		for _, port := range []int32{80, 81} {
			s.Pods[i].Ports = append(s.Pods[i].Ports, Port{Name: fmt.Sprintf("serve-%d-sctp", port), Port: port, Protocol: corev1.ProtocolSCTP})
		}
	}
}

// labelChange adds one label to a pod ("x/b") or a namespace ("y"), for the upstream tests
// that update labels between two probes. It is data, so that the live run can make the same
// change on a cluster.
type labelChange struct{ target, key, value string }

func setPodLabel(id, key, value string) labelChange       { return labelChange{id, key, value} }
func setNamespaceLabel(ns, key, value string) labelChange { return labelChange{ns, key, value} }

func (c labelChange) apply(s *Snapshot) {
	for i := range s.Pods {
		if s.Pods[i].ID() == c.target {
			s.Pods[i].Labels[c.key] = c.value
			return
		}
	}
	for i := range s.Namespaces {
		if s.Namespaces[i].Name == c.target {
			s.Namespaces[i].Labels[c.key] = c.value
			return
		}
	}
	panic("no pod or namespace " + c.target)
}

type upstreamProbe struct {
	port  int32
	proto corev1.Protocol
	want  expect
}

// probe is one probe of a step; its expectation allows loopback, as upstream's does.
func probe(port int32, proto corev1.Protocol, want expect) upstreamProbe {
	return upstreamProbe{port: port, proto: proto, want: want.allowLoopback()}
}

// upstreamStep is one state of the cluster: the policies present, optional changes to the
// model (labels; SCTP ports on every pod), and what each probe must see.
type upstreamStep struct {
	desc     string
	policies []string
	labels   []labelChange
	sctp     bool
	probes   []upstreamProbe
}

type upstreamCase struct {
	name  string // the upstream test name (with "UDP: " / "SCTP: " for the protocol suites)
	steps []upstreamStep
}

const (
	tcp  = corev1.ProtocolTCP
	udp  = corev1.ProtocolUDP
	sctp = corev1.ProtocolSCTP
)

// Policies used by more than one case.
const (
	npDenyIngressX = `
metadata: {name: deny-ingress, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}`

	npDenyAllX = `
metadata: {name: deny-all, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`

	// x/a admits y/a only: namespaceSelector AND podSelector in one peer.
	npXAFromYA = `
metadata: {name: allow-ns-y-pod-a-via-namespace-pod-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}
      podSelector: {matchLabels: {pod: a}}`

	// x/a egress: a /4 around the pod network, except x/b.
	npXAEgressCIDRExceptXB = `
metadata: {name: allow-client-a-via-cidr-egress-rule, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/4, except: [10.0.1.2/32]}}]}]`
)

// npXAFromYOnPort is upstream's allow-ingress-on-port-81: x/a admits namespace y on one port.
func npXAFromYOnPort(name, port, proto string) string {
	return fmt.Sprintf(`
metadata: {name: %s, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}}]
    ports: [{port: %s, protocol: %s}]`, name, port, proto)
}

func upstreamCases() []upstreamCase {
	return []upstreamCase{
		// Netpol [LinuxOnly] (UDP) "should support a 'default-deny-ingress' policy". The TCP
		// original is "default deny ingress in x" in evaluate_test.go.
		{name: "UDP: should support a 'default-deny-ingress' policy", steps: []upstreamStep{{
			policies: []string{npDenyIngressX},
			probes: []upstreamProbe{
				probe(80, udp, allowAll().ingress("x", false)),
			},
		}}},
		// Netpol (SCTP) "should support a 'default-deny-ingress' policy".
		{name: "SCTP: should support a 'default-deny-ingress' policy", steps: []upstreamStep{{
			policies: []string{npDenyIngressX},
			sctp:     true,
			probes: []upstreamProbe{
				probe(80, sctp, allowAll().ingress("x", false)),
			},
		}}},
		// "should support a 'default-deny-all' policy": nothing in or out of x.
		{name: "should support a 'default-deny-all' policy", steps: []upstreamStep{{
			policies: []string{npDenyAllX},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().ingress("x", false).egress("x", false)),
			},
		}}},
		// "should enforce policy to allow ingress traffic for a target": deny-all ingress in x,
		// then a second policy opens x/a to every pod of every namespace.
		{name: "should enforce policy to allow ingress traffic for a target", steps: []upstreamStep{{
			policies: []string{npDenyIngressX, `
metadata: {name: allow-all-to-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {}, namespaceSelector: {}}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().ingress("x/a", true).ingress("x/b", false).ingress("x/c", false)),
			},
		}}},
		// "should enforce policy to allow ingress traffic from pods in all namespaces".
		{name: "should enforce policy to allow ingress traffic from pods in all namespaces", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-from-another-ns, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {}}}]}]`},
			probes: []upstreamProbe{probe(80, tcp, allowAll())},
		}}},
		// "should enforce policy to allow traffic only from a different namespace, based on
		// NamespaceSelector", with the model's own ns=<name> label (the label upstream used
		// before kubernetes.io/metadata.name existed; that one is ported further down).
		{name: "should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-client-a-via-ns-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
			},
		}}},
		// "should enforce policy based on PodSelector with MatchExpressions".
		{name: "should enforce policy based on PodSelector with MatchExpressions", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: x-a-allows-x-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: In, values: [b]}]}}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().ingress("x/a", false).set("x/b", "x/a", true)),
			},
		}}},
		// "should enforce policy based on NamespaceSelector with MatchExpressions".
		{name: "should enforce policy based on NamespaceSelector with MatchExpressions", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-ns-y-match-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: ["y"]}]}`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
			},
		}}},
		// "should enforce policy based on PodSelector or NamespaceSelector": two peers (OR),
		// namespaces other than x, or pod b of x.
		{name: "should enforce policy based on PodSelector or NamespaceSelector", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-ns-y-match-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: ["x"]}]}
    - podSelector: {matchLabels: {pod: b}}`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x/a", "x/a", false).set("x/c", "x/a", false)),
			},
		}}},
		// "should enforce policy based on PodSelector and NamespaceSelector": one peer (AND),
		// pods b of namespaces other than x.
		{name: "should enforce policy based on PodSelector and NamespaceSelector", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-ns-y-podselector-and-nsselector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: ["x"]}]}
      podSelector: {matchLabels: {pod: b}}`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().ingress("x/a", false).set("y/b", "x/a", true).set("z/b", "x/a", true)),
			},
		}}},
		// "should enforce policy based on Multiple PodSelectors and NamespaceSelectors".
		{name: "should enforce policy based on Multiple PodSelectors and NamespaceSelectors", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-ns-y-z-pod-b-c, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: ["x"]}]}
      podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x", "x/a", false).set("y/a", "x/a", false).set("z/a", "x/a", false)),
			},
		}}},
		// "should enforce policy based on any PodSelectors".
		{name: "should enforce policy based on any PodSelectors", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-ns-x-pod-b-c, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}, {podSelector: {matchLabels: {pod: c}}}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().ingress("x/a", false).set("x/b", "x/a", true).set("x/c", "x/a", true)),
			},
		}}},
		// "should enforce policy to allow traffic only from a pod in a different namespace based
		// on PodSelector and NamespaceSelector", in its TCP, UDP and SCTP suites.
		{name: "should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", steps: []upstreamStep{{
			policies: []string{npXAFromYA},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().ingress("x/a", false).set("y/a", "x/a", true)),
			},
		}}},
		{name: "UDP: should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", steps: []upstreamStep{{
			policies: []string{npXAFromYA},
			probes: []upstreamProbe{
				probe(80, udp, allowAll().ingress("x/a", false).set("y/a", "x/a", true)),
			},
		}}},
		{name: "SCTP: should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", steps: []upstreamStep{{
			policies: []string{npXAFromYA},
			sctp:     true,
			probes: []upstreamProbe{
				probe(80, sctp, allowAll().ingress("x/a", false).set("y/a", "x/a", true)),
			},
		}}},
		// "should enforce policy based on Ports": namespace y may reach x/a on 81/TCP only.
		// Port 80 is not probed upstream in this test (it is in the stacked one below).
		{name: "should enforce policy based on Ports", steps: []upstreamStep{{
			policies: []string{npXAFromYOnPort("allow-client-a-via-ns-selector", "81", "TCP")},
			probes: []upstreamProbe{
				probe(81, tcp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
				probe(80, tcp, allowAll().ingress("x/a", false)),
			},
		}}},
		{name: "UDP: should enforce policy based on Ports", steps: []upstreamStep{{
			policies: []string{npXAFromYOnPort("allow-ingress-on-port-81-ns-x", "81", "UDP")},
			probes: []upstreamProbe{
				probe(81, udp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
				probe(81, tcp, allowAll().ingress("x/a", false)),
			},
		}}},
		{name: "SCTP: should enforce policy based on Ports", steps: []upstreamStep{{
			policies: []string{npXAFromYOnPort("allow-ingress-on-port-81-ns-x", "81", "SCTP")},
			sctp:     true,
			probes: []upstreamProbe{
				probe(81, sctp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
				probe(81, tcp, allowAll().ingress("x/a", false)),
			},
		}}},
		// Port-range variant of "should enforce policy based on Ports" (upstream has no endPort
		// case in this suite any more): 80-81/TCP from namespace y.
		{name: "should enforce policy based on Ports (variant: endPort range 80-81)", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-ns-y-ports-80-81, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}}]
    ports: [{port: 80, endPort: 81, protocol: TCP}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
				probe(81, tcp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
				probe(80, udp, allowAll().ingress("x/a", false)),
			},
		}}},
		// "should enforce multiple, stacked policies with overlapping podSelectors": 81 open to
		// y, 80 closed; a second policy for the same pod then opens 80 to y too.
		{name: "should enforce multiple, stacked policies with overlapping podSelectors", steps: []upstreamStep{
			{
				desc:     "port 81 policy only",
				policies: []string{npXAFromYOnPort("allow-client-a-via-ns-selector", "81", "TCP")},
				probes: []upstreamProbe{
					probe(81, tcp, allowAll().set("x", "x/a", false).set("y", "x/a", true).set("z", "x/a", false)),
					probe(80, tcp, allowAll().ingress("x/a", false)),
				},
			},
			{
				desc: "port 80 policy added",
				policies: []string{
					npXAFromYOnPort("allow-client-a-via-ns-selector", "81", "TCP"),
					npXAFromYOnPort("allow-client-a-via-ns-selector-80", "80", "TCP"),
				},
				probes: []upstreamProbe{
					probe(81, tcp, allowAll().set("x", "x/a", false).set("y", "x/a", true).set("z", "x/a", false)),
					probe(80, tcp, allowAll().set("x", "x/a", false).set("y", "x/a", true).set("z", "x/a", false)),
				},
			},
		}},
		// "should support allow-all policy".
		{name: "should support allow-all policy", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-all, namespace: x}
spec: {podSelector: {matchLabels: {}}, policyTypes: [Ingress], ingress: [{}]}`},
			probes: []upstreamProbe{probe(80, tcp, allowAll()), probe(81, tcp, allowAll())},
		}}},
		// "should allow ingress access on one named port": every pod of x admits serve-81-tcp
		// only. The UDP probe (not upstream) checks that the name carries its TCP protocol.
		{name: "should allow ingress access on one named port", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-all, namespace: x}
spec:
  podSelector: {matchLabels: {}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: serve-81-tcp}]}]`},
			probes: []upstreamProbe{
				probe(81, tcp, allowAll()),
				probe(80, tcp, allowAll().ingress("x", false)),
				probe(81, udp, allowAll().ingress("x", false)),
			},
		}}},
		// "should allow ingress access from namespace on one named port".
		{name: "should allow ingress access from namespace on one named port", steps: []upstreamStep{{
			policies: []string{npXAFromYOnPort("allow-client-a-via-ns-selector-80", "serve-80-tcp", "TCP")},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
				probe(81, tcp, allowAll().ingress("x/a", false)),
			},
		}}},
		// "should allow egress access on one named port": pods of x may send to serve-80-tcp only
		// (the name resolves on the destination pod).
		{name: "should allow egress access on one named port", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-egress, namespace: x}
spec:
  podSelector: {matchLabels: {}}
  policyTypes: [Egress]
  egress: [{ports: [{port: serve-80-tcp}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll()),
				probe(81, tcp, allowAll().egress("x", false)),
			},
		}}},
		// Port-range variant of the egress port test: egress from x on 81-82/TCP only.
		{name: "should allow egress access on a port range (variant of 'should allow egress access on one named port': endPort 81-82)", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-egress-81-82, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{ports: [{port: 81, endPort: 82}]}]`},
			probes: []upstreamProbe{
				probe(81, tcp, allowAll()),
				probe(80, tcp, allowAll().egress("x", false)),
				probe(81, udp, allowAll().egress("x", false)),
			},
		}}},
		// "should enforce updated policy": allow-all, then the same policy updated to ingress: [].
		{name: "should enforce updated policy", steps: []upstreamStep{
			{
				desc: "allow all",
				policies: []string{`
metadata: {name: allow-all-mutate-to-deny-all, namespace: x}
spec: {podSelector: {matchLabels: {}}, policyTypes: [Ingress], ingress: [{}]}`},
				probes: []upstreamProbe{probe(81, tcp, allowAll())},
			},
			{
				desc: "updated to deny all",
				policies: []string{`
metadata: {name: allow-all-mutate-to-deny-all, namespace: x}
spec: {podSelector: {matchLabels: {}}, policyTypes: [Ingress], ingress: []}`},
				probes: []upstreamProbe{probe(81, tcp, allowAll().ingress("x", false))},
			},
		}},
		// "should allow ingress access from updated namespace": the selector matches no
		// namespace until y gets the label ns2=updated.
		{name: "should allow ingress access from updated namespace", steps: func() []upstreamStep {
			np := `
metadata: {name: allow-client-a-via-ns-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns2: updated}}}]}]`
			return []upstreamStep{
				{desc: "before the label", policies: []string{np}, probes: []upstreamProbe{
					probe(80, tcp, allowAll().ingress("x/a", false)),
				}},
				{desc: "y labelled ns2=updated", policies: []string{np}, labels: []labelChange{setNamespaceLabel("y", "ns2", "updated")}, probes: []upstreamProbe{
					probe(80, tcp, allowAll().ingress("x/a", false).set("y", "", true)),
				}},
			}
		}()},
		// "should allow ingress access from updated pod": x/b gets pod2=updated.
		{name: "should allow ingress access from updated pod", steps: func() []upstreamStep {
			np := `
metadata: {name: allow-client-a-via-pod-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {pod: b, pod2: updated}}}]}]`
			return []upstreamStep{
				{desc: "before the label", policies: []string{np}, probes: []upstreamProbe{
					probe(80, tcp, allowAll().ingress("x/a", false)),
				}},
				{desc: "x/b labelled pod2=updated", policies: []string{np}, labels: []labelChange{setPodLabel("x/b", "pod2", "updated")}, probes: []upstreamProbe{
					probe(80, tcp, allowAll().ingress("x/a", false).set("x/b", "x/a", true)),
				}},
			}
		}()},
		// "should deny ingress from pods on other namespaces": an empty podSelector peer means
		// every pod of the policy's own namespace.
		{name: "should deny ingress from pods on other namespaces", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: deny-empty-policy, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {}}}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("y", "x", false).set("z", "x", false)),
			},
		}}},
		// "should deny ingress access to updated pod": x/a becomes isolated when labelled.
		{name: "should deny ingress access to updated pod", steps: func() []upstreamStep {
			np := `
metadata: {name: deny-ingress-via-label-selector, namespace: x}
spec: {podSelector: {matchLabels: {target: isolated}}, policyTypes: [Ingress]}`
			return []upstreamStep{
				{desc: "before the label", policies: []string{np}, probes: []upstreamProbe{probe(80, tcp, allowAll())}},
				{desc: "x/a labelled target=isolated", policies: []string{np}, labels: []labelChange{setPodLabel("x/a", "target", "isolated")}, probes: []upstreamProbe{
					probe(80, tcp, allowAll().ingress("x/a", false)),
				}},
			}
		}()},
		// "should deny egress from pods based on PodSelector".
		{name: "should deny egress from pods based on PodSelector", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: deny-egress-pod-a, namespace: x}
spec: {podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress]}`},
			probes: []upstreamProbe{probe(80, tcp, allowAll().egress("x/a", false))},
		}}},
		// "should deny egress from all pods in a namespace".
		{name: "should deny egress from all pods in a namespace", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: deny-egress-ns-x, namespace: x}
spec: {podSelector: {}, policyTypes: [Egress]}`},
			probes: []upstreamProbe{probe(80, tcp, allowAll().egress("x", false))},
		}}},
		// "should work with Ingress, Egress specified together": x/a admits x/b only, and may
		// send on port 80 only.
		{name: "should work with Ingress, Egress specified together", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-client-a-via-pod-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress, Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
  egress: [{ports: [{port: 80}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().ingress("x/a", false).set("x/b", "x/a", true)),
				probe(81, tcp, allowAll().ingress("x/a", false).egress("x/a", false).set("x/b", "x/a", true)),
			},
		}}},
		// "should support denying of egress traffic on the client side (even if the server
		// explicitly allows this traffic)": x/a may send to y/a only; y/a and y/b admit x/a only.
		{name: "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-to-ns-y-pod-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}
      podSelector: {matchLabels: {pod: a}}`, `
metadata: {name: allow-from-xa-on-ya-match-selector, namespace: "y"}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "x"}}
      podSelector: {matchLabels: {pod: a}}`, `
metadata: {name: allow-from-xa-on-yb-match-selector, namespace: "y"}
spec:
  podSelector: {matchLabels: {pod: b}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "x"}}
      podSelector: {matchLabels: {pod: a}}`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().egress("x/a", false).ingress("y/a", false).set("x/a", "y/a", true).ingress("y/b", false)),
			},
		}}},
		// "should enforce egress policy allowing traffic to a server in a different namespace
		// based on PodSelector and NamespaceSelector".
		{name: "should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-to-ns-y-pod-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}
      podSelector: {matchLabels: {pod: a}}`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().egress("x/a", false).set("x/a", "y/a", true)),
			},
		}}},
		// "should enforce ingress policy allowing any port traffic to a server on a specific
		// protocol": a port entry with a protocol and no port admits every TCP port.
		{name: "should enforce ingress policy allowing any port traffic to a server on a specific protocol", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-ingress-by-proto, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{ports: [{protocol: TCP}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll()),
				probe(81, tcp, allowAll()),
				probe(80, udp, allowAll().ingress("x/a", false)),
			},
		}}},
		// "should enforce multiple ingress policies with ingress allow-all policy taking
		// precedence".
		{name: "should enforce multiple ingress policies with ingress allow-all policy taking precedence", steps: func() []upstreamStep {
			only80 := `
metadata: {name: allow-ingress-port-80, namespace: x}
spec:
  podSelector: {matchLabels: {}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 80}]}]`
			all := `
metadata: {name: allow-ingress, namespace: x}
spec: {podSelector: {matchLabels: {}}, policyTypes: [Ingress], ingress: [{}]}`
			return []upstreamStep{
				{desc: "port 80 only", policies: []string{only80}, probes: []upstreamProbe{
					probe(81, tcp, allowAll().ingress("x", false)),
				}},
				{desc: "allow-all added", policies: []string{only80, all}, probes: []upstreamProbe{
					probe(81, tcp, allowAll()),
				}},
			}
		}()},
		// "should enforce multiple egress policies with egress allow-all policy taking
		// precedence".
		{name: "should enforce multiple egress policies with egress allow-all policy taking precedence", steps: func() []upstreamStep {
			only80 := `
metadata: {name: allow-egress-port-80, namespace: x}
spec:
  podSelector: {matchLabels: {}}
  policyTypes: [Egress]
  egress: [{ports: [{port: 80}]}]`
			all := `
metadata: {name: allow-egress, namespace: x}
spec: {podSelector: {matchLabels: {}}, policyTypes: [Egress], egress: [{}]}`
			return []upstreamStep{
				{desc: "port 80 only", policies: []string{only80}, probes: []upstreamProbe{
					probe(81, tcp, allowAll().egress("x", false)),
				}},
				{desc: "allow-all added", policies: []string{only80, all}, probes: []upstreamProbe{
					probe(81, tcp, allowAll()),
				}},
			}
		}()},
		// "should stop enforcing policies after they are deleted".
		{name: "should stop enforcing policies after they are deleted", steps: []upstreamStep{
			{desc: "deny-all present", policies: []string{npDenyAllX}, probes: []upstreamProbe{
				probe(80, tcp, allowAll().egress("x", false).ingress("x", false)),
			}},
			{desc: "policies deleted", probes: []upstreamProbe{probe(80, tcp, allowAll())}},
		}},
		// "should allow egress access to server in CIDR block": x/a may reach y/b's IP only.
		{name: "should allow egress access to server in CIDR block", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-client-a-via-cidr-egress-rule, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.2.2/32}}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().egress("x/a", false).set("x/a", "y/b", true)),
			},
		}}},
		// "should enforce except clause while egress access to server in CIDR block": a /4
		// around every pod IP, except x/b's.
		{name: "should enforce except clause while egress access to server in CIDR block", steps: []upstreamStep{{
			policies: []string{npXAEgressCIDRExceptXB},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x/a", "x/b", false)),
			},
		}}},
		// "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed":
		// upstream updates the same policy (same name) to allow x/b's IP only. The last step
		// is not upstream: both policies side by side, x/b is allowed by the second.
		{name: "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed", steps: []upstreamStep{
			{desc: "CIDR with except", policies: []string{npXAEgressCIDRExceptXB}, probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x/a", "x/b", false)),
			}},
			{desc: "policy updated to x/b's IP", policies: []string{`
metadata: {name: allow-client-a-via-cidr-egress-rule, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.1.2/32}}]}]`}, probes: []upstreamProbe{
				probe(80, tcp, allowAll().egress("x/a", false).set("x/a", "x/b", true)),
			}},
			{desc: "variant: both policies present", policies: []string{npXAEgressCIDRExceptXB, `
metadata: {name: allow-client-a-to-x-b-ip, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.1.2/32}}]}]`}, probes: []upstreamProbe{
				probe(80, tcp, allowAll()),
			}},
		}},
		// "should enforce policies to check ingress and egress policies can be controlled
		// independently based on PodSelector".
		{name: "should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector", steps: func() []upstreamStep {
			egress := `
metadata: {name: allow-egress-for-target, namespace: x}
spec: {podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{}]}`
			denyIngress := `
metadata: {name: deny-ingress-via-label-selector, namespace: x}
spec: {podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress]}`
			return []upstreamStep{
				{desc: "egress allow-all for x/a", policies: []string{egress}, probes: []upstreamProbe{probe(80, tcp, allowAll())}},
				{desc: "ingress deny for x/a added", policies: []string{egress, denyIngress}, probes: []upstreamProbe{
					probe(80, tcp, allowAll().ingress("x/a", false)),
				}},
			}
		}()},
		// "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin
		// doesn't support SCTP". The SCTP probe (not upstream) checks the rule does admit SCTP.
		{name: "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP", steps: []upstreamStep{{
			policies: []string{npDenyIngressX, `
metadata: {name: allow-only-sctp-ingress-on-port-81, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 81, protocol: SCTP}]}]`},
			sctp: true,
			probes: []upstreamProbe{
				probe(81, tcp, allowAll().ingress("x", false)),
				probe(81, sctp, allowAll().ingress("x/b", false).ingress("x/c", false)),
			},
		}}},
		// "should properly isolate pods that are selected by a policy allowing SCTP, even if the
		// plugin doesn't support SCTP".
		{name: "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-only-sctp-ingress-on-port-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 80, protocol: SCTP}]}]`},
			sctp: true,
			probes: []upstreamProbe{
				probe(81, tcp, allowAll().ingress("x/a", false)),
				probe(80, tcp, allowAll().ingress("x/a", false)),
				probe(80, sctp, allowAll()),
				probe(81, sctp, allowAll().ingress("x/a", false)),
			},
		}}},
		// "should not allow access by TCP when a policy specifies only UDP".
		{name: "should not allow access by TCP when a policy specifies only UDP", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-only-udp-ingress-on-port-81, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 81, protocol: UDP}]}]`},
			probes: []upstreamProbe{
				probe(81, tcp, allowAll().ingress("x/a", false)),
				probe(81, udp, allowAll()),
			},
		}}},
		// "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels
		// using default ns label".
		{name: "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-client-a-via-ns-selector-for-immutable-ns-label, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}}]}]`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x", "x/a", false).set("z", "x/a", false)),
			},
		}}},
		// "should enforce policy based on NamespaceSelector with MatchExpressions using default
		// ns label": egress from x/a to every namespace but y.
		{name: "should enforce policy based on NamespaceSelector with MatchExpressions using default ns label", steps: []upstreamStep{{
			policies: []string{`
metadata: {name: allow-ns-y-match-selector-for-immutable-ns-label, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: ["y"]}]}`},
			probes: []upstreamProbe{
				probe(80, tcp, allowAll().set("x/a", "y", false)),
			},
		}}},
	}
}

func TestUpstreamNetpol(t *testing.T) {
	cases := upstreamCases()
	if len(cases) < 30 {
		t.Fatalf("only %d upstream cases", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			for i, st := range tc.steps {
				s := withPolicies(t, st.policies...)
				if st.sctp {
					withSCTP(s)
				}
				for _, change := range st.labels {
					change.apply(s)
				}
				for _, p := range st.probes {
					got := truth(t, s, p.port, p.proto)
					want := p.want.table()
					if got != want {
						where := fmt.Sprintf("step %d", i+1)
						if st.desc != "" {
							where += " (" + st.desc + ")"
						}
						t.Errorf("%s, %d/%s:\ngot\n%s\nwant\n%s\ndiffering cells (!)\n%s",
							where, p.port, p.proto, got, want, tableDiff(got, want))
					}
				}
			}
		})
	}
}

// The expectation helpers themselves, on cells written out by hand.
func TestUpstreamExpectHelpers(t *testing.T) {
	e := allowAll().ingress("x/a", false).egress("y", false).set("y/b", "x/a", true)
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"x/b", "x/a", false}, {"z/c", "x/a", false}, {"x/a", "x/b", true},
		{"y/a", "z/c", false}, {"y/c", "y/c", false}, {"y/b", "x/a", true}, {"y/b", "x/b", false},
		{"z/a", "y/a", true},
	} {
		if got := e[[2]string{c.from, c.to}]; got != c.want {
			t.Errorf("%s -> %s = %t, want %t", c.from, c.to, got, c.want)
		}
	}
	if n := len(e); n != 81 {
		t.Errorf("%d cells, want 81", n)
	}
	// Loopback: only the diagonal changes.
	if e.allowLoopback(); !e[[2]string{"y/c", "y/c"}] || e[[2]string{"y/c", "y/b"}] || !e[[2]string{"x/a", "x/a"}] || e[[2]string{"x/b", "x/a"}] {
		t.Errorf("allowLoopback: %v", e)
	}
	if got := table(e.table()); got != e.table() {
		t.Errorf("table() layout differs from truth():\n%s", e.table())
	}
}
