package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// The upstream e2e model: namespaces x, y, z; pods a, b, c in each, labelled pod=<name>,
// serving 80 and 81 over TCP and UDP on ports named serve-<port>-<proto>. Pod IPs are
// 10.0.<ns index>.<pod index> so that ipBlock rules can name them.
func model() *Snapshot {
	s := &Snapshot{}
	for i, ns := range []string{"x", "y", "z"} {
		s.Namespaces = append(s.Namespaces, Namespace{Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns, "ns": ns}})
		for j, pod := range []string{"a", "b", "c"} {
			p := Pod{Namespace: ns, Name: pod, Labels: map[string]string{"pod": pod},
				IPs: []netip.Addr{netip.MustParseAddr(fmt.Sprintf("10.0.%d.%d", i+1, j+1))}}
			for _, port := range []int32{80, 81} {
				for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
					p.Ports = append(p.Ports, Port{Name: fmt.Sprintf("serve-%d-%s", port, strings.ToLower(string(proto))), Port: port, Protocol: proto})
				}
			}
			s.Pods = append(s.Pods, p)
		}
	}
	return s
}

var modelPods = []string{"x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"}

// truth renders the evaluator's verdicts as the upstream tests write them: rows from,
// columns to, '.' allowed, 'X' blocked. Both runners answer: Evaluate per connection and
// Matrix per class; a difference between them fails the test.
func truth(t *testing.T, s *Snapshot, port int32, proto corev1.Protocol) string {
	t.Helper()
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	index := map[string]int{}
	for i := range s.Pods {
		index[s.Pods[i].ID()] = i
	}
	m := ev.Matrix([]PortProtocol{{Port: port, Protocol: proto}})
	render := func(allowed func(from, to int) bool) string {
		var b strings.Builder
		b.WriteString("-\t" + strings.Join(modelPods, "\t") + "\n")
		for _, from := range modelPods {
			b.WriteString(from)
			for _, to := range modelPods {
				if allowed(index[from], index[to]) {
					b.WriteString("\t.")
				} else {
					b.WriteString("\tX")
				}
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	evaluated := render(func(from, to int) bool {
		return ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: port, Protocol: proto}).Allowed
	})
	matrix := render(func(from, to int) bool { return m.Allowed(0, from, to) })
	if matrix != evaluated {
		t.Errorf("Matrix and Evaluate disagree on %d/%s:\nMatrix\n%s\nEvaluate\n%s", port, proto, matrix, evaluated)
	}
	return evaluated
}

// table normalises a hand-written truth table (any run of spaces is a column break).
func table(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		b.WriteString(strings.Join(strings.Fields(line), "\t") + "\n")
	}
	return b.String()
}

func withPolicies(t *testing.T, docs ...string) *Snapshot {
	t.Helper()
	s := model()
	for _, d := range docs {
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict([]byte(d), &np); err != nil {
			t.Fatalf("policy %s: %v", d, err)
		}
		s.Policies = append(s.Policies, np)
	}
	return s
}

// Each case: policies, the connection port, and the expected table, written by hand from the
// Kubernetes NetworkPolicy specification (and the upstream e2e cases of the same names).
var cases = []struct {
	name     string
	policies []string
	port     int32
	proto    corev1.Protocol
	want     string
}{
	{name: "no policies: everything allowed", port: 80, proto: "TCP", want: `
		-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
		x/a  .   .   .   .   .   .   .   .   .
		x/b  .   .   .   .   .   .   .   .   .
		x/c  .   .   .   .   .   .   .   .   .
		y/a  .   .   .   .   .   .   .   .   .
		y/b  .   .   .   .   .   .   .   .   .
		y/c  .   .   .   .   .   .   .   .   .
		z/a  .   .   .   .   .   .   .   .   .
		z/b  .   .   .   .   .   .   .   .   .
		z/c  .   .   .   .   .   .   .   .   .`},
	{name: "default deny ingress in x", port: 80, proto: "TCP", policies: []string{`
metadata: {name: deny, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}`}, want: `
		-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
		x/a  .   X   X   .   .   .   .   .   .
		x/b  X   .   X   .   .   .   .   .   .
		x/c  X   X   .   .   .   .   .   .   .
		y/a  X   X   X   .   .   .   .   .   .
		y/b  X   X   X   .   .   .   .   .   .
		y/c  X   X   X   .   .   .   .   .   .
		z/a  X   X   X   .   .   .   .   .   .
		z/b  X   X   X   .   .   .   .   .   .
		z/c  X   X   X   .   .   .   .   .   .`},
	{name: "podSelector alone means the policy's own namespace", port: 80, proto: "TCP", policies: []string{`
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]`}, want: `
		-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
		x/a  .   .   .   .   .   .   .   .   .
		x/b  .   .   .   .   .   .   .   .   .
		x/c  X   .   .   .   .   .   .   .   .
		y/a  X   .   .   .   .   .   .   .   .
		y/b  X   .   .   .   .   .   .   .   .
		y/c  X   .   .   .   .   .   .   .   .
		z/a  X   .   .   .   .   .   .   .   .
		z/b  X   .   .   .   .   .   .   .   .
		z/c  X   .   .   .   .   .   .   .   .`},
	{name: "namespaceSelector and podSelector in one peer: AND", port: 80, proto: "TCP", policies: []string{`
metadata: {name: and, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: "y"}}
      podSelector: {matchLabels: {pod: b}}`}, want: `
		-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
		x/a  .   .   .   .   .   .   .   .   .
		x/b  X   .   .   .   .   .   .   .   .
		x/c  X   .   .   .   .   .   .   .   .
		y/a  X   .   .   .   .   .   .   .   .
		y/b  .   .   .   .   .   .   .   .   .
		y/c  X   .   .   .   .   .   .   .   .
		z/a  X   .   .   .   .   .   .   .   .
		z/b  X   .   .   .   .   .   .   .   .
		z/c  X   .   .   .   .   .   .   .   .`},
	{name: "namespaceSelector and podSelector in two peers: OR", port: 80, proto: "TCP", policies: []string{`
metadata: {name: or, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: "y"}}
    - podSelector: {matchLabels: {pod: b}}`}, want: `
		-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
		x/a  .   .   .   .   .   .   .   .   .
		x/b  .   .   .   .   .   .   .   .   .
		x/c  X   .   .   .   .   .   .   .   .
		y/a  .   .   .   .   .   .   .   .   .
		y/b  .   .   .   .   .   .   .   .   .
		y/c  .   .   .   .   .   .   .   .   .
		z/a  X   .   .   .   .   .   .   .   .
		z/b  X   .   .   .   .   .   .   .   .
		z/c  X   .   .   .   .   .   .   .   .`},
	{name: "empty namespaceSelector selects every namespace; matchExpressions", port: 80, proto: "TCP", policies: []string{`
metadata: {name: exprs, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {}
      podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}`}, want: `
		-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
		x/a  .   .   .   .   .   .   .   .   .
		x/b  .   .   .   .   .   .   .   .   .
		x/c  .   .   .   .   .   .   .   .   .
		y/a  X   .   .   .   .   .   .   .   .
		y/b  .   .   .   .   .   .   .   .   .
		y/c  .   .   .   .   .   .   .   .   .
		z/a  X   .   .   .   .   .   .   .   .
		z/b  .   .   .   .   .   .   .   .   .
		z/c  .   .   .   .   .   .   .   .   .`},
	{name: "egress rules without policyTypes isolate egress too", port: 80, proto: "TCP", policies: []string{`
metadata: {name: egress-to-y, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress: [{to: [{namespaceSelector: {matchLabels: {ns: "y"}}}]}]`}, want: `
		-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
		x/a  .   X   X   .   .   .   X   X   X
		x/b  X   .   .   .   .   .   .   .   .
		x/c  X   .   .   .   .   .   .   .   .
		y/a  X   .   .   .   .   .   .   .   .
		y/b  X   .   .   .   .   .   .   .   .
		y/c  X   .   .   .   .   .   .   .   .
		z/a  X   .   .   .   .   .   .   .   .
		z/b  X   .   .   .   .   .   .   .   .
		z/c  X   .   .   .   .   .   .   .   .`},
	{name: "ipBlock with except matches pod IPs", port: 80, proto: "TCP", policies: []string{`
metadata: {name: cidr, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress: [{from: [{ipBlock: {cidr: 10.0.2.0/24, except: [10.0.2.2/32]}}]}]`}, want: `
		-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
		x/a  .   .   .   .   .   .   .   .   .
		x/b  X   .   .   .   .   .   .   .   .
		x/c  X   .   .   .   .   .   .   .   .
		y/a  .   .   .   .   .   .   .   .   .
		y/b  X   .   .   .   .   .   .   .   .
		y/c  .   .   .   .   .   .   .   .   .
		z/a  X   .   .   .   .   .   .   .   .
		z/b  X   .   .   .   .   .   .   .   .
		z/c  X   .   .   .   .   .   .   .   .`},
}

func TestTruthTables(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := truth(t, withPolicies(t, tc.policies...), tc.port, tc.proto)
			if want := table(tc.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// Ports: numbers, names resolved per destination pod with the protocol, endPort ranges, the
// TCP default, and an empty list meaning all ports. Only x/a is selected; y/b calls it.
func TestPorts(t *testing.T) {
	policyWith := func(ports string) *Snapshot {
		return withPolicies(t, `
metadata: {name: ports, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: `+ports+`}]`)
	}
	cases := []struct {
		ports string
		want  map[string]bool // "port/proto" -> allowed
	}{
		{`[{port: 80}]`, map[string]bool{"80/TCP": true, "81/TCP": false, "80/UDP": false}},
		{`[{port: 80, protocol: UDP}]`, map[string]bool{"80/TCP": false, "80/UDP": true, "81/UDP": false}},
		{`[{port: serve-81-tcp}]`, map[string]bool{"81/TCP": true, "80/TCP": false, "81/UDP": false}},
		{`[{port: serve-81-udp, protocol: UDP}]`, map[string]bool{"81/UDP": true, "81/TCP": false}},
		{`[{port: serve-81-udp}]`, map[string]bool{"81/UDP": false, "81/TCP": false}}, // name with the wrong protocol
		{`[{port: no-such-port}]`, map[string]bool{"80/TCP": false, "81/TCP": false}},
		{`[{port: 79, endPort: 80}]`, map[string]bool{"80/TCP": true, "81/TCP": false}},
		{`[{port: 80, endPort: 81}]`, map[string]bool{"80/TCP": true, "81/TCP": true, "81/UDP": false}},
		{`[{protocol: UDP}]`, map[string]bool{"80/UDP": true, "81/UDP": true, "80/TCP": false}},
		{`[]`, map[string]bool{"80/TCP": true, "81/UDP": true}},
	}
	for _, tc := range cases {
		s := policyWith(tc.ports)
		ev, err := New(s)
		if err != nil {
			t.Fatal(err)
		}
		for portProto, want := range tc.want {
			var port int32
			var proto string
			fmt.Sscanf(strings.Replace(portProto, "/", " ", 1), "%d %s", &port, &proto)
			v := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[4]}, To: Endpoint{Pod: &s.Pods[0]}, Port: port, Protocol: corev1.Protocol(proto)})
			if v.Allowed != want {
				t.Errorf("ports %s, %s: allowed=%t, want %t (%v)", tc.ports, portProto, v.Allowed, want, v.Ingress.Reasons)
			}
		}
	}
}

// Addresses outside the cluster: only ipBlock peers select them, IPv4 or IPv6; they are never
// isolated themselves.
func TestExternalAddresses(t *testing.T) {
	s := withPolicies(t, `
metadata: {name: edge, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{ipBlock: {cidr: 2001:db8::/32, except: [2001:db8:ff::/48]}}, {namespaceSelector: {}}]}]
  egress: [{to: [{ipBlock: {cidr: 203.0.113.50/32}}], ports: [{port: 443}]}]`)
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	xa := Endpoint{Pod: &s.Pods[0]}
	ext := func(a string) Endpoint { return Endpoint{IP: netip.MustParseAddr(a)} }
	for _, tc := range []struct {
		c    Connection
		want bool
	}{
		{Connection{From: ext("2001:db8:1::1"), To: xa, Port: 80}, true},
		{Connection{From: ext("2001:db8:ff::1"), To: xa, Port: 80}, false}, // in except
		{Connection{From: ext("192.0.2.1"), To: xa, Port: 80}, false},      // namespaceSelector {} is pods only
		{Connection{From: xa, To: ext("203.0.113.50"), Port: 443}, true},
		{Connection{From: xa, To: ext("203.0.113.50"), Port: 80}, false},
		{Connection{From: xa, To: ext("203.0.113.51"), Port: 443}, false},
		{Connection{From: Endpoint{Pod: &s.Pods[1]}, To: ext("198.51.100.1"), Port: 443}, true}, // x/b is not selected
	} {
		if got := ev.Evaluate(tc.c).Allowed; got != tc.want {
			t.Errorf("%s: allowed=%t, want %t", tc.c, got, tc.want)
		}
	}
}

func TestReasons(t *testing.T) {
	s := withPolicies(t, `
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]`)
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	v := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[1]}, To: Endpoint{Pod: &s.Pods[0]}, Port: 80})
	if !v.Allowed || !v.Ingress.Isolated || strings.Join(v.Ingress.Reasons, "") != "ingress allowed by x/allow-b rule 0" || v.Egress.Isolated {
		t.Errorf("allowed verdict %+v", v)
	}
	v = ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[2]}, To: Endpoint{Pod: &s.Pods[0]}, Port: 80})
	if v.Allowed || !strings.Contains(strings.Join(v.Ingress.Reasons, ""), "isolated by x/allow-b and no rule") {
		t.Errorf("blocked verdict %+v", v)
	}
}

func TestMalformedPolicyIsAnError(t *testing.T) {
	for _, spec := range []string{
		`{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}`,
		`{podSelector: {}, ingress: [{from: [{}]}]}`,
		`{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}`,
		`{podSelector: {matchExpressions: [{key: a, operator: In}]}}`,
	} {
		s := withPolicies(t, "metadata: {name: bad, namespace: x}\nspec: "+spec)
		if _, err := New(s); err == nil || !strings.Contains(err.Error(), "x/bad") {
			t.Errorf("%s: got %v, want an error naming x/bad", spec, err)
		}
	}
}

func corev1Protocol(s string) corev1.Protocol { return corev1.Protocol(s) }
