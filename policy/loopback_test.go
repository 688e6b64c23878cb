package policy

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	wantLoopbackEgress  = "egress allowed: loopback, a pod can always reach itself"
	wantLoopbackIngress = "ingress allowed: loopback, a pod can always reach itself"
)

// A pod to itself is allowed whatever its policies say, on each side with its own reason; the
// policies' view (isolation, selecting policies) stays for the walkthrough. A pod to another
// pod, an address to a pod and a stand-in to itself are decided by the policies as before.
func TestLoopback(t *testing.T) {
	for _, tc := range []struct {
		name, policyTypes string
		ingress, egress   bool // isolated
	}{
		{"default deny ingress", "[Ingress]", true, false},
		{"default deny egress", "[Egress]", false, true},
		{"default deny both", "[Ingress, Egress]", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withPolicies(t, "metadata: {name: deny, namespace: x}\nspec: {podSelector: {}, policyTypes: "+tc.policyTypes+"}")
			ev, err := New(s)
			if err != nil {
				t.Fatal(err)
			}
			xa, xb := &s.Pods[0], &s.Pods[1]
			self := Connection{From: Endpoint{Pod: xa}, To: Endpoint{Pod: xa}, Port: 80}
			if !self.Loopback() {
				t.Fatalf("%s: not loopback", self)
			}
			v := ev.Evaluate(self)
			if !v.Allowed || !v.Egress.Allowed || !v.Ingress.Allowed {
				t.Errorf("%s: %+v, want allowed on both sides", self, v)
			}
			if !slices.Equal(v.Egress.Reasons, []string{wantLoopbackEgress}) || !slices.Equal(v.Ingress.Reasons, []string{wantLoopbackIngress}) {
				t.Errorf("%s: reasons %q and %q", self, v.Egress.Reasons, v.Ingress.Reasons)
			}
			if v.Egress.Isolated != tc.egress || v.Ingress.Isolated != tc.ingress {
				t.Errorf("%s: isolated egress %t ingress %t, want %t %t", self, v.Egress.Isolated, v.Ingress.Isolated, tc.egress, tc.ingress)
			}
			// The same pod, as another copy of it: loopback is the pod (namespace/name), not the pointer.
			copyOfXA := *xa
			if v2 := ev.Evaluate(Connection{From: Endpoint{Pod: xa}, To: Endpoint{Pod: &copyOfXA}, Port: 80}); !reflect.DeepEqual(v2, v) {
				t.Errorf("a copy of x/a: %+v, want %+v", v2, v)
			}

			// Another pod of the same namespace, and the pod's own IP as an outside address.
			if v := ev.Evaluate(Connection{From: Endpoint{Pod: xa}, To: Endpoint{Pod: xb}, Port: 80}); v.Allowed {
				t.Errorf("x/a -> x/b: %+v, want blocked", v)
			}
			for _, c := range []Connection{
				{From: Endpoint{IP: xa.IPs[0]}, To: Endpoint{Pod: xa}, Port: 80},
				{From: Endpoint{Pod: xa}, To: Endpoint{IP: xa.IPs[0]}, Port: 80},
				{From: Endpoint{IP: netip.MustParseAddr("192.0.2.1")}, To: Endpoint{IP: netip.MustParseAddr("192.0.2.1")}, Port: 80},
			} {
				if c.Loopback() {
					t.Errorf("%s: an address outside the cluster is never loopback", c)
				}
				isolated := c.To.Pod != nil && tc.ingress || c.From.Pod != nil && tc.egress
				if v := ev.Evaluate(c); v.Allowed == isolated {
					t.Errorf("%s: allowed=%t, want %t", c, v.Allowed, !isolated)
				}
			}

			// A stand-in: its pair with itself is replica to replica, which the policies deny.
			xa.StandIn = true
			v = ev.Evaluate(self)
			if self.Loopback() || v.Allowed || slices.Contains(append(v.Egress.Reasons, v.Ingress.Reasons...), wantLoopbackIngress) {
				t.Errorf("stand-in %s: %+v, want blocked by the policies", self, v)
			}
			denied := v.Ingress
			if !tc.ingress {
				denied = v.Egress
			}
			if denied.Allowed || len(denied.Reasons) != 1 || denied.Reasons[0] != deniedReason(!tc.ingress, []string{"x/deny"}) {
				t.Errorf("stand-in %s: reasons %q", self, denied.Reasons)
			}
		})
	}
}

// Matrix groups pods into classes; loopback is on the diagonal of the pod pairs, not of the
// classes. Three replicas of one class under a default deny: each reaches itself, none the
// others. A stand-in of the same class (same labels) does not reach itself.
func TestMatrixLoopback(t *testing.T) {
	pod := func(name string, standIn bool) Pod {
		return Pod{Namespace: "shop", Name: name, Labels: map[string]string{"app": "web"}, StandIn: standIn,
			IPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Ports: []Port{{Name: "http", Port: 80, Protocol: "TCP"}}}
	}
	s := &Snapshot{
		Namespaces: []Namespace{{Name: "shop", Labels: map[string]string{"kubernetes.io/metadata.name": "shop"}}},
		Pods:       []Pod{pod("web-1", false), pod("web-2", false), pod("web-3", false), pod("deployment/web", true)},
		Policies: []networkingv1.NetworkPolicy{{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: "shop"},
			Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Ingress", "Egress"}}}},
	}
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	m := ev.Matrix([]PortProtocol{{80, "TCP"}})
	if len(m.Classes) != 1 || len(m.Classes[0].Pods) != 4 {
		t.Fatalf("classes %+v, want one of 4 pods", m.Classes)
	}
	if m.ClassAllowed(0, 0, 0) {
		t.Errorf("the class to itself (pods to one another) is allowed")
	}
	for from := range s.Pods {
		for to := range s.Pods {
			want := from == to && !s.Pods[from].StandIn
			c := Connection{From: Endpoint{Pod: &s.Pods[from]}, To: Endpoint{Pod: &s.Pods[to]}, Port: 80, Protocol: "TCP"}
			ev := ev.Evaluate(c)
			ev.Egress.Rules, ev.Ingress.Rules = nil, nil
			if got := m.Allowed(0, from, to); got != want || ev.Allowed != want || m.Loopback(from, to) != want {
				t.Errorf("%s: Matrix %t, Evaluate %t, want %t", c, got, ev.Allowed, want)
			}
			if got := m.PodVerdict(0, from, to); !reflect.DeepEqual(got, ev) {
				t.Errorf("%s:\nPodVerdict %+v\nEvaluate   %+v", c, got, ev)
			}
		}
	}
	if n := m.AllowedPairs(0); n != 3 {
		t.Errorf("AllowedPairs %d, want 3 (each replica to itself)", n)
	}

	// -o json: the self pairs allowed with the loopback reasons, the rest denied.
	all := []int{0, 1, 2, 3}
	var out bytes.Buffer
	if err := m.WriteJSON(&out, all, all); err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Results {
		self := res.From == res.To && res.From != "shop/deployment/web"
		loopbackReasons := slices.Equal(res.Reasons, []string{wantLoopbackEgress, wantLoopbackIngress})
		if res.Allowed != self || loopbackReasons != self {
			t.Errorf("%+v: want allowed=%t, loopback reasons %t", res, self, self)
		}
	}
}

// Diagnose: loopback cannot be blocked, and says so; wanted allowed, there is nothing to explain.
func TestDiagnoseLoopback(t *testing.T) {
	s := withPolicies(t, "metadata: {name: deny, namespace: x}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}")
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	c := Connection{From: Endpoint{Pod: &s.Pods[0]}, To: Endpoint{Pod: &s.Pods[0]}, Port: 80}
	if causes := ev.Diagnose(c, Intent{Want: true}); causes != nil {
		t.Errorf("wanted allowed: %+v", causes)
	}
	causes := ev.Diagnose(c, Intent{Want: false})
	if len(causes) != 1 || causes[0].Code != CauseLoopback || causes[0].Fix != "" {
		t.Errorf("wanted blocked: %+v", causes)
	}
}
