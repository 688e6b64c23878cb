package policy

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Verdict is the answer for one connection, with the reasons of each side.
type Verdict struct {
	Allowed bool
	Egress  Side // the source's side
	Ingress Side // the destination's side
}

// Side is what the policies of one end of a connection decided.
type Side struct {
	// Isolated is true when some policy selects the pod for this direction; only then do
	// policies restrict it. Addresses outside the cluster are never isolated.
	Isolated bool
	Allowed  bool
	// Selecting names the policies that select the pod for this direction.
	Selecting []string
	// Reasons say which rule allowed the traffic, or why nothing did.
	Reasons []string
}

// Evaluator answers connections for one snapshot.
type Evaluator struct {
	namespaces map[string]labels.Set
	policies   []compiled
}

// compiled is a policy with its selectors parsed once.
type compiled struct {
	name        string // namespace/name
	namespace   string
	podSelector labels.Selector
	ingress     bool // Ingress in the effective policyTypes
	egress      bool
	ingressFrom []rule
	egressTo    []rule
}

type rule struct {
	peers []peer // empty: every peer
	ports []networkingv1.NetworkPolicyPort
}

type peer struct {
	pods       labels.Selector // nil: not given
	namespaces labels.Selector // nil: not given
	ipBlock    *ipBlock
}

type ipBlock struct {
	cidr   netip.Prefix
	except []netip.Prefix
}

// New compiles the snapshot's policies. A policy that cannot be read (a malformed selector or
// CIDR) is an error: the API server would have refused it.
func New(s *Snapshot) (*Evaluator, error) {
	e := &Evaluator{namespaces: map[string]labels.Set{}}
	for _, ns := range s.Namespaces {
		set := labels.Set{}
		for k, v := range ns.Labels {
			set[k] = v
		}
		e.namespaces[ns.Name] = set
	}
	for i := range s.Policies {
		c, err := compile(&s.Policies[i])
		if err != nil {
			return nil, fmt.Errorf("networkpolicy %s/%s: %w", s.Policies[i].Namespace, s.Policies[i].Name, err)
		}
		e.policies = append(e.policies, c)
	}
	return e, nil
}

func compile(p *networkingv1.NetworkPolicy) (compiled, error) {
	c := compiled{name: p.Namespace + "/" + p.Name, namespace: p.Namespace}
	var err error
	if c.podSelector, err = metav1.LabelSelectorAsSelector(&p.Spec.PodSelector); err != nil {
		return c, err
	}
	// What the API server defaults policyTypes to when the policy leaves it out.
	if len(p.Spec.PolicyTypes) == 0 {
		c.ingress = true
		c.egress = len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			c.ingress = true
		case networkingv1.PolicyTypeEgress:
			c.egress = true
		}
	}
	for _, r := range p.Spec.Ingress {
		cr, err := compileRule(r.From, r.Ports)
		if err != nil {
			return c, err
		}
		c.ingressFrom = append(c.ingressFrom, cr)
	}
	for _, r := range p.Spec.Egress {
		cr, err := compileRule(r.To, r.Ports)
		if err != nil {
			return c, err
		}
		c.egressTo = append(c.egressTo, cr)
	}
	return c, nil
}

func compileRule(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) (rule, error) {
	r := rule{ports: ports}
	for _, p := range peers {
		var cp peer
		var err error
		if p.PodSelector != nil {
			if cp.pods, err = metav1.LabelSelectorAsSelector(p.PodSelector); err != nil {
				return r, err
			}
		}
		if p.NamespaceSelector != nil {
			if cp.namespaces, err = metav1.LabelSelectorAsSelector(p.NamespaceSelector); err != nil {
				return r, err
			}
		}
		if p.IPBlock != nil {
			b := &ipBlock{}
			if b.cidr, err = netip.ParsePrefix(p.IPBlock.CIDR); err != nil {
				return r, fmt.Errorf("ipBlock cidr: %w", err)
			}
			for _, ex := range p.IPBlock.Except {
				pfx, err := netip.ParsePrefix(ex)
				if err != nil {
					return r, fmt.Errorf("ipBlock except: %w", err)
				}
				b.except = append(b.except, pfx)
			}
			cp.ipBlock = b
		}
		r.peers = append(r.peers, cp)
	}
	return r, nil
}

// Evaluate decides one connection.
func (e *Evaluator) Evaluate(c Connection) Verdict {
	if c.Protocol == "" {
		c.Protocol = corev1.ProtocolTCP
	}
	v := Verdict{
		Egress:  e.side(c, c.From, c.To, true),
		Ingress: e.side(c, c.To, c.From, false),
	}
	v.Allowed = v.Egress.Allowed && v.Ingress.Allowed
	return v
}

// side evaluates the policies of self (the source for egress, the destination for ingress)
// against the other end of the connection.
func (e *Evaluator) side(c Connection, self, other Endpoint, egress bool) Side {
	dir := "ingress"
	if egress {
		dir = "egress"
	}
	var s Side
	if self.Pod == nil {
		s.Allowed = true
		s.Reasons = []string{fmt.Sprintf("%s is outside the cluster: no policy applies to its %s", self, dir)}
		return s
	}
	podLabels := labels.Set(self.Pod.Labels)
	for _, p := range e.policies {
		if p.namespace != self.Pod.Namespace || !p.podSelector.Matches(podLabels) {
			continue
		}
		if (egress && !p.egress) || (!egress && !p.ingress) {
			continue
		}
		s.Isolated = true
		s.Selecting = append(s.Selecting, p.name)
		rules := p.ingressFrom
		if egress {
			rules = p.egressTo
		}
		for i, r := range rules {
			if e.peersMatch(r.peers, other, p.namespace) && portsMatch(r.ports, c) {
				s.Allowed = true
				s.Reasons = append(s.Reasons, fmt.Sprintf("%s allowed by %s rule %d", dir, p.name, i))
			}
		}
	}
	switch {
	case !s.Isolated:
		s.Allowed = true
		s.Reasons = []string{fmt.Sprintf("%s of %s is not isolated: no policy selects it for %s", dir, self, dir)}
	case !s.Allowed:
		s.Reasons = []string{fmt.Sprintf("%s of %s is isolated by %v and no rule allows %s", dir, self, s.Selecting, c)}
	}
	return s
}

// peersMatch reports whether any peer selects other. No peers at all selects everything.
func (e *Evaluator) peersMatch(peers []peer, other Endpoint, policyNamespace string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if e.peerMatches(p, other, policyNamespace) {
			return true
		}
	}
	return false
}

func (e *Evaluator) peerMatches(p peer, other Endpoint, policyNamespace string) bool {
	if p.ipBlock != nil {
		for _, a := range other.addrs() {
			if p.ipBlock.contains(a) {
				return true
			}
		}
		return false
	}
	if other.Pod == nil {
		return false // selectors select pods only
	}
	if p.namespaces == nil {
		// podSelector alone: pods of the policy's own namespace.
		return other.Pod.Namespace == policyNamespace && p.pods.Matches(labels.Set(other.Pod.Labels))
	}
	nsLabels, ok := e.namespaces[other.Pod.Namespace]
	if !ok {
		// A pod whose namespace the snapshot lacks: the API server sets this label always.
		nsLabels = labels.Set{"kubernetes.io/metadata.name": other.Pod.Namespace}
	}
	if !p.namespaces.Matches(nsLabels) {
		return false
	}
	return p.pods == nil || p.pods.Matches(labels.Set(other.Pod.Labels))
}

func (b *ipBlock) contains(a netip.Addr) bool {
	a = a.Unmap()
	if !b.cidr.Contains(a) {
		return false
	}
	for _, ex := range b.except {
		if ex.Contains(a) {
			return false
		}
	}
	return true
}

// portsMatch reports whether the rule's ports admit the connection. Named ports resolve
// against the destination pod's declared container ports (for ingress and egress alike).
func portsMatch(ports []networkingv1.NetworkPolicyPort, c Connection) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if proto != c.Protocol {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type == 0 { // a number
			lo, hi := p.Port.IntVal, p.Port.IntVal
			if p.EndPort != nil {
				hi = *p.EndPort
			}
			if c.Port >= lo && c.Port <= hi {
				return true
			}
			continue
		}
		if c.To.Pod == nil {
			continue // a name means nothing for an address outside the cluster
		}
		for _, cp := range c.To.Pod.Ports {
			cpProto := cp.Protocol
			if cpProto == "" {
				cpProto = corev1.ProtocolTCP
			}
			if cp.Name == p.Port.StrVal && cpProto == proto && cp.Port == c.Port {
				return true
			}
		}
	}
	return false
}
