package checks

import (
	"net/netip"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// A small cluster: namespaces web, was (no custom labels, as `kubectl create namespace` makes
// them) and kube-system with CoreDNS behind the kube-dns Service.
func cluster(t *testing.T, policies ...string) *Input {
	t.Helper()
	in := &Input{Live: true, Snapshot: &policy.Snapshot{}, Forbidden: map[string]error{}}
	for _, ns := range []string{"web", "was", "kube-system"} {
		in.Snapshot.Namespaces = append(in.Snapshot.Namespaces, policy.Namespace{Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns}})
	}
	pod := func(ns, name, app, ip string, ports ...policy.Port) policy.Pod {
		return policy.Pod{Namespace: ns, Name: name, Labels: map[string]string{"app": app}, IPs: []netip.Addr{netip.MustParseAddr(ip)}, Ports: ports}
	}
	in.Snapshot.Pods = []policy.Pod{
		pod("web", "web-1", "web", "10.0.1.1", policy.Port{Name: "http", Port: 80, Protocol: "TCP"}),
		pod("web", "web-2", "web", "10.0.1.2", policy.Port{Name: "http", Port: 80, Protocol: "TCP"}),
		pod("was", "was-1", "was", "10.0.2.1", policy.Port{Name: "http", Port: 8080, Protocol: "TCP"}),
		{Namespace: "kube-system", Name: "coredns-1", Labels: map[string]string{"k8s-app": "kube-dns"}, IPs: []netip.Addr{netip.MustParseAddr("10.0.0.10")},
			Ports: []policy.Port{{Name: "dns", Port: 53, Protocol: "UDP"}, {Name: "dns-tcp", Port: 53, Protocol: "TCP"}}},
	}
	in.Snapshot.Services = []corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"k8s-app": "kube-dns"}}}}
	udp, tcp, ready := corev1.ProtocolUDP, corev1.ProtocolTCP, true
	in.Snapshot.EndpointSlices = []discoveryv1.EndpointSlice{{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns-abc", Namespace: "kube-system", Labels: map[string]string{discoveryv1.LabelServiceName: "kube-dns"}},
		Endpoints:  []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.10"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}, TargetRef: &corev1.ObjectReference{Name: "coredns-1"}}},
		Ports:      []discoveryv1.EndpointPort{{Port: ptr(int32(53)), Protocol: &udp}, {Port: ptr(int32(53)), Protocol: &tcp}},
	}}
	for _, p := range policies {
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict([]byte(p), &np); err != nil {
			t.Fatalf("%v\n%s", err, p)
		}
		in.Snapshot.Policies = append(in.Snapshot.Policies, np)
	}
	return in
}

// ids lists the failing findings as "ID resource".
func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Status == StatusFail {
			out = append(out, f.ID+" "+f.Resource)
		}
	}
	return out
}

const allowDNS = `
metadata: {name: allow-dns, namespace: web}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]`

func TestChecksOnPolicies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policies []string
		check    Check
		want     []string
		says     string // in the first failing finding's message or remediation
	}{
		// The 3-tier blog: namespaceSelector {name: web}, a label that kubectl create namespace never sets.
		{"missing name= label", []string{`
metadata: {name: was-from-web, namespace: was}
spec:
  podSelector: {matchLabels: {app: was}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {name: web}}}]}]`},
			namespaceLabelsCheck, []string{"NP2001 NetworkPolicy/was/was-from-web"}, "kubectl label namespace web name=web"},
		{"namespaceSelector on metadata.name", []string{`
metadata: {name: was-from-web, namespace: was}
spec:
  podSelector: {matchLabels: {app: was}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: web}}}]}]`},
			namespaceLabelsCheck, nil, ""},
		// A DNS policy that selects kube-system by a `name:` label, as a policy-engine sample did:
		// the namespace label is missing and, through it, DNS.
		{"DNS to name: kube-system (labels)", []string{`
metadata: {name: allow-dns, namespace: web}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {name: kube-system}}}], ports: [{port: 53, protocol: UDP}]}]`},
			namespaceLabelsCheck, []string{"NP2001 NetworkPolicy/web/allow-dns"}, "kubernetes.io/metadata.name: kube-system"},
		{"DNS to name: kube-system (dns)", []string{`
metadata: {name: allow-dns, namespace: web}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {name: kube-system}}}], ports: [{port: 53, protocol: UDP}]}]`},
			dnsCheck, []string{"NP3001 NetworkPolicy/web/allow-dns"}, "2 pod(s) in web"},
		{"UDP-only DNS", []string{`
metadata: {name: allow-dns, namespace: web}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ports: [{port: 53, protocol: UDP}]`},
			dnsCheck, []string{"NP3002 NetworkPolicy/web/allow-dns"}, "UDP only"},
		{"DNS allowed both ways", []string{allowDNS}, dnsCheck, nil, ""},
		{"AND/OR split", []string{`
metadata: {name: allow-web, namespace: was}
spec:
  podSelector: {matchLabels: {app: was}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: web}}}, {podSelector: {matchLabels: {app: web}}}]}]`},
			selectorsCheck, []string{"NP4002 NetworkPolicy/was/allow-web", "NP4003 NetworkPolicy/was/allow-web"}, "pods [app=web] in namespace was selects no pod"},
		{"podSelector typo", []string{`
metadata: {name: web, namespace: web}
spec: {podSelector: {matchLabels: {app: wbe}}}`},
			selectorsCheck, []string{"NP4001 NetworkPolicy/web/web"}, "kubectl get pods -n web --show-labels"},
		{"named port and protocol", []string{`
metadata: {name: ports, namespace: web}
spec:
  podSelector: {}
  ingress: [{ports: [{port: https}, {port: http, protocol: UDP}, {port: 80}]}]`},
			selectorsCheck, []string{"NP4004 NetworkPolicy/web/ports", "NP4005 NetworkPolicy/web/ports"}, `named "https"`},
		{"coverage", []string{`
metadata: {name: only-one, namespace: web}
spec: {podSelector: {matchLabels: {app: nothing-here}}}`, `
metadata: {name: web-1, namespace: web}
spec: {podSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}}`},
			coverageCheck, nil, ""},
		{"pods no policy selects", []string{`
metadata: {name: only-was, namespace: was}
spec: {podSelector: {matchLabels: {app: other}}}`},
			coverageCheck, []string{"NP5001 Namespace/was"}, "was-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := cluster(t, tc.policies...)
			fs := tc.check.Run(in)
			checkTranslated(t, in, fs)
			got := ids(fs)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("findings %q, want %q\n%+v", got, tc.want, fs)
			}
			if len(got) == 0 && (len(fs) == 0 || fs[0].Status != StatusPass) {
				t.Errorf("a clean run lists its pass: %+v", fs)
			}
			for _, f := range fs {
				if f.Docs == "" || (f.Status == StatusFail && f.Remediation == "") {
					t.Errorf("finding without docs or remediation: %+v", f)
				}
			}
			if tc.says != "" {
				var first Finding
				for _, f := range fs {
					if f.Status == StatusFail {
						first = f
						break
					}
				}
				if !strings.Contains(first.Message+"\n"+first.Remediation, tc.says) {
					t.Errorf("finding %+v lacks %q", first, tc.says)
				}
			}
		})
	}
}

// DNS pods that listen on 5353 (OpenShift-style): a rule for 53 does not reach them, the fix
// names the real port; NodeLocal DNSCache needs an ipBlock; a DNS Service without ready
// endpoints is an error whatever the policies say.
func TestDNSDetails(t *testing.T) {
	in := cluster(t, allowDNS)
	p5353 := int32(5353)
	for i := range in.Snapshot.EndpointSlices[0].Ports {
		in.Snapshot.EndpointSlices[0].Ports[i].Port = &p5353
	}
	in.Snapshot.Pods[3].Ports = nil // declared ports unknown: the endpoints say 5353
	fs := dnsCheck.Run(in)
	if got := ids(fs); strings.Join(got, ",") != "NP3001 NetworkPolicy/web/allow-dns" || !strings.Contains(fs[1].Remediation, "port: 5353") {
		t.Errorf("5353: %q %+v", got, fs)
	}
	checkTranslated(t, in, fs)

	in = cluster(t, allowDNS)
	in.DaemonSets = []appsv1.DaemonSet{{ObjectMeta: metav1.ObjectMeta{Name: "node-local-dns", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "node-cache", Args: []string{"-localip", "169.254.25.10,10.96.0.10"}}}}}}}}
	fs = dnsCheck.Run(in)
	if got := ids(fs); strings.Join(got, ",") != "NP3004 DaemonSet/kube-system/node-local-dns" || !strings.Contains(fs[len(fs)-1].Remediation, "169.254.25.10/32") {
		t.Errorf("node-local-dns: %q %+v", got, fs)
	}
	checkTranslated(t, in, fs)

	in = cluster(t)
	ready := false
	in.Snapshot.EndpointSlices[0].Endpoints[0].Conditions.Ready = &ready
	fs = dnsCheck.Run(in)
	if got := ids(fs); strings.Join(got, ",") != "NP3003 Service/kube-system/kube-dns" {
		t.Errorf("no ready endpoints: %q", got)
	}
	checkTranslated(t, in, fs)
	in.Snapshot.Services = nil
	fs = dnsCheck.Run(in)
	if got := ids(fs); strings.Join(got, ",") != "NP3003 Service/kube-system/kube-dns" {
		t.Errorf("no DNS service: %q", got)
	}
	checkTranslated(t, in, fs)
}

// Files: no cluster-side checks; forbidden lists become skipped findings, never a crash.
func TestSkipped(t *testing.T) {
	in := cluster(t, allowDNS)
	in.Live = false
	fs := dnsCheck.Run(in)
	if fs[0].Status != StatusSkipped || !strings.Contains(fs[0].Message, "files") {
		t.Errorf("files: %+v", fs[0])
	}
	checkTranslated(t, in, fs)
	in = cluster(t)
	in.Forbidden = map[string]error{"namespaces": errForbidden, "pods": errForbidden, "services": errForbidden}
	for _, c := range All {
		fs := c.Run(in)
		for _, f := range fs {
			if f.Status == StatusFail && f.ID != "NP1002" {
				t.Errorf("%s with forbidden lists: %+v", c.Name, f)
			}
		}
		checkTranslated(t, in, fs)
	}
}

var errForbidden = &forbiddenErr{}

type forbiddenErr struct{}

func (*forbiddenErr) Error() string { return "forbidden" }

// A policy the API server would refuse is reported once (NP4006); the checks that need the
// policies skip and point at it.
func TestUnreadablePolicy(t *testing.T) {
	in := cluster(t, `
metadata: {name: bad, namespace: web}
spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}`)
	var failed []string
	fs := Run(in, nil, nil)
	checkTranslated(t, in, fs)
	for _, f := range fs {
		if f.Status == StatusFail && f.Check != "cni" {
			failed = append(failed, f.ID)
		}
		if f.Status == StatusSkipped && f.Check != "cni" && !strings.Contains(f.Message, "NP4006") {
			t.Errorf("skipped without pointing at NP4006: %+v", f)
		}
	}
	if strings.Join(failed, ",") != "NP4006" {
		t.Errorf("failing findings %v, want NP4006 once", failed)
	}
}
