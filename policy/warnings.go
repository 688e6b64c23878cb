package policy

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// The kinds of semantic warning: policies the API server accepts that do not do what their
// author most likely meant. Doctor gives each kind a stable finding ID.
const (
	WarnSelectsNoPod        = "policy-selects-no-pod"
	WarnPeerSelectsNothing  = "peer-selects-nothing"
	WarnNamespaceNoMatch    = "namespace-selector-matches-nothing"
	WarnNamedPortUndeclared = "named-port-undeclared"
	WarnEgressWithoutDNS    = "egress-without-dns"
	WarnSplitPeers          = "split-peers"
	WarnProtocolMismatch    = "protocol-mismatch"
)

// Warning is one semantic warning about one policy.
type Warning struct {
	Kind    string `json:"kind"`
	Policy  string `json:"policy"`  // namespace/name
	Field   string `json:"field"`   // where in the policy, e.g. spec.ingress[0].from[1]
	Message string `json:"message"` // Says in English
	// Says is the message by catalog ID (lang/catalog/LANG.doctor.yaml), for any language.
	Says lang.Msg `json:"-"`
	// Wants are the labels a namespaceSelector that matches nothing asks for (its matchLabels,
	// and In expressions with one value), for fixes that add them.
	Wants map[string]string `json:"wants,omitempty"`
}

// In is the warning with its message in l.
func (w Warning) In(l lang.Lang) Warning {
	w.Message = w.Says.InOr(l, w.Message)
	return w
}

// ClusterDNS is the cluster DNS as policies usually name it: pods labelled k8s-app=kube-dns in
// kube-system, serving 53 over UDP and TCP (CoreDNS in kubeadm, kind, k3s and the managed
// clusters keeps the kube-dns label). It stands in when a snapshot has no such pod.
var ClusterDNS = Pod{
	Namespace: "kube-system", Name: "kube-dns", Labels: map[string]string{"k8s-app": "kube-dns"},
	Ports: []Port{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP}},
}

// WithClusterDNS returns the snapshot with the cluster DNS in it (FindDNS: its own DNS pods,
// or stand-ins), and the DNS pods in the returned snapshot.
func WithClusterDNS(s *Snapshot) (*Snapshot, []*Pod) {
	return WithDNS(s, FindDNS(s).Pods)
}

// WithDNS returns a copy of the snapshot that holds the given DNS pods (those it lacks are
// appended, after its own pods in their order) and the kube-system namespace; and the DNS
// pods in the copy.
func WithDNS(s *Snapshot, dns []Pod) (*Snapshot, []*Pod) {
	// Every field carried over (the cluster policies and Nodes among them): only the pods and
	// namespaces grow.
	copied := *s
	out := &copied
	out.Namespaces, out.Pods = slices.Clone(s.Namespaces), slices.Clone(s.Pods)
	for _, d := range dns {
		if !slices.ContainsFunc(out.Pods, func(p Pod) bool { return p.ID() == d.ID() }) {
			out.Pods = append(out.Pods, d)
		}
	}
	if !slices.ContainsFunc(out.Namespaces, func(n Namespace) bool { return n.Name == "kube-system" }) {
		out.Namespaces = append(out.Namespaces, Namespace{Name: "kube-system", Labels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}})
	}
	var pods []*Pod
	for i := range out.Pods {
		if slices.ContainsFunc(dns, func(d Pod) bool { return d.ID() == out.Pods[i].ID() }) {
			pods = append(pods, &out.Pods[i])
		}
	}
	return out, pods
}

// Warnings finds the policies of the snapshot that select nothing, name what does not exist,
// or cut pods off from DNS. A policy that cannot be compiled is an error, as in New.
func Warnings(s *Snapshot) ([]Warning, error) {
	withDNS, dnsPods := WithClusterDNS(s)
	e, err := New(withDNS)
	if err != nil {
		return nil, err
	}
	w := newWarner(e)
	var out []Warning
	for pi := range e.policies {
		p := &e.policies[pi]
		warn := func(kind, field string, says lang.Msg) {
			out = append(out, Warning{Kind: kind, Policy: p.name, Field: field, Message: says.String(), Says: says})
		}
		selected := w.selectedBy(p)
		if len(selected) == 0 {
			warn(WarnSelectsNoPod, "spec.podSelector", lang.M("warn.selects-no-pod",
				selectorWords(p.podSelector), p.namespace, w.labelsHint(p.namespace)))
			continue
		}
		for _, egress := range []bool{false, true} {
			list, peersField := "ingress", "from"
			if egress {
				list, peersField = "egress", "to"
			}
			for ri, r := range p.rules(egress) {
				for pj, pr := range r.peers {
					field := fmt.Sprintf("spec.%s[%d].%s[%d]", list, ri, peersField, pj)
					if pr.block >= 0 {
						continue // addresses, not pods: nothing to find in the snapshot
					}
					if pr.namespaces != nil && len(w.namespacesMatching(pr.namespaces)) == 0 {
						// Two clauses, the first one the finding NP2001 shows on its own.
						warn(WarnNamespaceNoMatch, field+".namespaceSelector", lang.Join("join.semi",
							lang.M("warn.namespace-no-match", selectorWords(pr.namespaces)), w.namespaceLabelAdvice(pr.namespaces)))
						out[len(out)-1].Wants = wantedLabels(pr.namespaces)
						continue
					}
					if !w.anyPod(pr, p.namespace) {
						warn(WarnPeerSelectsNothing, field, lang.M("warn.peer-selects-nothing",
							peerWords(pr, p.namespace), w.labelsHint(p.namespace)))
					}
				}
				if splitPeers(r.peers) {
					warn(WarnSplitPeers, fmt.Sprintf("spec.%s[%d].%s", list, ri, peersField), lang.M("warn.split-peers", peersField))
				}
				// A named port resolves on the destination: the selected pods for ingress, the
				// peers' pods for egress.
				dests := selected
				if egress && len(r.ports) > 0 {
					dests = w.rulePods(r, p.namespace)
				}
				for pj, port := range r.ports {
					if port.Port != nil && port.Port.Type == 0 && len(dests) > 0 {
						// A number: a mismatch only when the destinations declare that number for
						// another protocol and never for this one.
						num := port.Port.IntVal
						if other := declaredWithOtherProtocol(dests, "", num, protocolOf(port)); other != "" && !declaresNumber(dests, num, protocolOf(port)) {
							warn(WarnProtocolMismatch, fmt.Sprintf("spec.%s[%d].ports[%d]", list, ri, pj),
								lang.M("warn.protocol-mismatch.number", num, other, protocolOf(port)))
						}
					}
					if port.Port == nil || port.Port.Type == 0 || len(dests) == 0 {
						continue
					}
					if other := declaredWithOtherProtocol(dests, port.Port.StrVal, 0, protocolOf(port)); !declares(dests, port.Port.StrVal, protocolOf(port)) && other != "" {
						warn(WarnProtocolMismatch, fmt.Sprintf("spec.%s[%d].ports[%d]", list, ri, pj),
							lang.M("warn.protocol-mismatch.name", port.Port.StrVal, other, protocolOf(port)))
					} else if !declares(dests, port.Port.StrVal, protocolOf(port)) {
						warn(WarnNamedPortUndeclared, fmt.Sprintf("spec.%s[%d].ports[%d]", list, ri, pj),
							lang.M("warn.named-port-undeclared", protocolOf(port), port.Port.StrVal))
					}
				}
			}
		}
		if p.egress {
			if cut := w.cutOffFromDNS(selected, dnsPods); len(cut) > 0 {
				id := "warn.egress-without-dns.them"
				if len(cut) == 1 {
					id = "warn.egress-without-dns.it"
				}
				warn(WarnEgressWithoutDNS, "spec.policyTypes", lang.M(id, podList(cut)))
			}
		}
	}
	return out, nil
}

// warner answers the questions Warnings asks, with the answers that many policies share (the
// same DNS peer, the same namespaceSelector) computed once: a cluster has thousands of pods.
type warner struct {
	e        *Evaluator
	byNS     map[string][]*Pod
	nsMatch  map[string][]string
	rulePod  map[string][]*Pod
	dnsReach map[*Pod]bool
}

func newWarner(e *Evaluator) *warner {
	w := &warner{e: e, byNS: map[string][]*Pod{}, nsMatch: map[string][]string{}, rulePod: map[string][]*Pod{}, dnsReach: map[*Pod]bool{}}
	for i := range e.pods {
		w.byNS[e.pods[i].Namespace] = append(w.byNS[e.pods[i].Namespace], &e.pods[i])
	}
	return w
}

// selectedBy lists the pods a policy's podSelector selects.
func (w *warner) selectedBy(p *compiled) []*Pod {
	var out []*Pod
	for _, pod := range w.byNS[p.namespace] {
		if p.podSelector.Matches(labels.Set(pod.Labels)) {
			out = append(out, pod)
		}
	}
	return out
}

// namespacesMatching lists the known namespaces (listed, or holding pods) a selector matches.
func (w *warner) namespacesMatching(sel labels.Selector) []string {
	key := sel.String()
	if names, ok := w.nsMatch[key]; ok {
		return names
	}
	known := map[string]bool{}
	for ns := range w.e.namespaces {
		known[ns] = true
	}
	for ns := range w.byNS {
		known[ns] = true
	}
	names := []string{}
	for ns := range known {
		if sel.Matches(w.e.namespaceLabels(ns)) {
			names = append(names, ns)
		}
	}
	w.nsMatch[key] = names
	return names
}

// candidates are the pods a selector peer can select: its namespaces' pods.
func (w *warner) candidates(pr peer, policyNamespace string) []*Pod {
	if pr.namespaces == nil {
		return w.byNS[policyNamespace]
	}
	var out []*Pod
	for _, ns := range w.namespacesMatching(pr.namespaces) {
		out = append(out, w.byNS[ns]...)
	}
	return out
}

// anyPod reports whether a selector peer selects at least one pod.
func (w *warner) anyPod(pr peer, policyNamespace string) bool {
	for _, pod := range w.candidates(pr, policyNamespace) {
		if w.e.peerMatches(pr, Endpoint{Pod: pod}, policyNamespace) {
			return true
		}
	}
	return false
}

// rulePods lists the pods any peer of a rule selects (every pod when the rule has no peers).
func (w *warner) rulePods(r rule, policyNamespace string) []*Pod {
	key := policyNamespace + "|" + peersKey(r)
	if pods, ok := w.rulePod[key]; ok {
		return pods
	}
	var out []*Pod
	for i := range w.e.pods {
		if w.e.peersMatch(r.peers, Endpoint{Pod: &w.e.pods[i]}, policyNamespace) {
			out = append(out, &w.e.pods[i])
		}
	}
	w.rulePod[key] = out
	return out
}

// cutOffFromDNS lists the pods whose DNS lookups (UDP 53) no DNS pod would receive.
func (w *warner) cutOffFromDNS(pods []*Pod, dns []*Pod) []*Pod {
	var out []*Pod
	for _, p := range pods {
		reaches, ok := w.dnsReach[p]
		if !ok {
			for _, d := range dns {
				if d.ID() == p.ID() {
					continue // a DNS pod reaching itself (loopback) says nothing about its lookups
				}
				c := Connection{From: Endpoint{Pod: p}, To: Endpoint{Pod: d}, Port: 53, Protocol: corev1.ProtocolUDP}
				if reaches = w.e.Evaluate(c).Allowed; reaches {
					break
				}
			}
			w.dnsReach[p] = reaches
		}
		if !reaches {
			out = append(out, p)
		}
	}
	return out
}

// splitPeers: one peer with only a namespaceSelector and another with only a podSelector, the
// classic OR-for-AND mistake.
func splitPeers(peers []peer) bool {
	nsOnly, podOnly := false, false
	for _, p := range peers {
		nsOnly = nsOnly || (p.namespaces != nil && p.pods == nil && p.block < 0)
		podOnly = podOnly || (p.pods != nil && p.namespaces == nil && p.block < 0)
	}
	return nsOnly && podOnly
}

// declaredWithOtherProtocol returns a protocol, other than proto, for which some pod declares
// the port (by name, or by number when name is empty); "" when none does.
func declaredWithOtherProtocol(pods []*Pod, name string, number int32, proto corev1.Protocol) corev1.Protocol {
	for _, p := range pods {
		for _, port := range p.Ports {
			if ((name != "" && port.Name == name) || (name == "" && port.Port == number)) && protocolOrTCP(port.Protocol) != proto {
				return protocolOrTCP(port.Protocol)
			}
		}
	}
	return ""
}

func declaresNumber(pods []*Pod, number int32, proto corev1.Protocol) bool {
	for _, p := range pods {
		for _, port := range p.Ports {
			if port.Port == number && protocolOrTCP(port.Protocol) == proto {
				return true
			}
		}
	}
	return false
}

// wantedLabels are the labels a selector asks for outright: matchLabels, and In with one value.
func wantedLabels(sel labels.Selector) map[string]string {
	reqs, _ := sel.Requirements()
	out := map[string]string{}
	for _, r := range reqs {
		if vals := r.ValuesUnsorted(); (r.Operator() == "=" || r.Operator() == "==" || r.Operator() == "in") && len(vals) == 1 {
			out[r.Key()] = vals[0]
		}
	}
	return out
}

func declares(pods []*Pod, name string, proto corev1.Protocol) bool {
	for _, p := range pods {
		for _, port := range p.Ports {
			if port.Name == name && protocolOrTCP(port.Protocol) == proto {
				return true
			}
		}
	}
	return false
}

// labelsHint shows the label sets pods in the namespace do have: a typo is the usual cause.
func (w *warner) labelsHint(ns string) lang.Msg {
	var sets []string
	for _, pod := range w.byNS[ns] {
		if set := "{" + labels.Set(pod.Labels).String() + "}"; !slices.Contains(sets, set) {
			sets = append(sets, set)
		}
	}
	switch {
	case len(sets) == 0:
		return lang.M("warn.hint.no-pods", ns)
	case len(sets) > 4:
		sets = append(sets[:4], "...")
	}
	return lang.M("warn.hint.labels", ns, strings.Join(sets, ", "))
}

// namespaceLabelAdvice offers both fixes with the real name when a namespace is named like a
// value the selector wants (the `name: web` mistake): label it, or select it by the label every
// namespace carries. Otherwise the command, with NAME for the namespace meant.
func (w *warner) namespaceLabelAdvice(sel labels.Selector) lang.Msg {
	wants := wantedLabels(sel)
	for _, k := range sortedKeys(wants) {
		if _, known := w.e.namespaces[wants[k]]; known || len(w.byNS[wants[k]]) > 0 {
			return lang.M("warn.advice.label-namespace", wants[k], k)
		}
	}
	return lang.M("warn.advice.label-some-namespace", labelCommand(sel))
}

// peerWords says in words what a selector peer selects, as describePeers does for a rule's
// peers.
func peerWords(pr peer, policyNamespace string) lang.Msg {
	every := pr.pods == nil || pr.pods.Empty()
	switch {
	case pr.namespaces == nil && every:
		return lang.M("warn.peer.every-pod-in-namespace", policyNamespace)
	case pr.namespaces == nil:
		return lang.M("warn.peer.pods-in-namespace", selectorWords(pr.pods), policyNamespace)
	case pr.namespaces.Empty() && every:
		return lang.M("warn.peer.every-pod-everywhere")
	case pr.namespaces.Empty():
		return lang.M("warn.peer.pods-everywhere", selectorWords(pr.pods))
	case every:
		return lang.M("warn.peer.every-pod-in-namespaces", selectorWords(pr.namespaces))
	}
	return lang.M("warn.peer.pods-in-namespaces", selectorWords(pr.pods), selectorWords(pr.namespaces))
}

// peersKey tells rules apart by their peers, for the answers rulePods keeps.
func peersKey(r rule) string {
	var b strings.Builder
	sel := func(s labels.Selector) string {
		if s == nil {
			return "-"
		}
		return "[" + s.String() + "]"
	}
	for _, p := range r.peers {
		fmt.Fprintf(&b, "%d %s %s|", p.block, sel(p.pods), sel(p.namespaces))
	}
	return b.String()
}

// labelCommand is what `kubectl label namespace NAME ...` needs for the selector to match.
func labelCommand(sel labels.Selector) string {
	reqs, _ := sel.Requirements()
	var parts []string
	for _, r := range reqs {
		switch r.Operator() {
		case "=", "==", "in":
			parts = append(parts, r.Key()+"="+r.ValuesUnsorted()[0])
		case "exists":
			parts = append(parts, r.Key()+"=VALUE")
		}
	}
	if len(parts) == 0 {
		return "KEY=VALUE"
	}
	return strings.Join(parts, " ")
}

// podList names the pods, the first three and how many more.
func podList(pods []*Pod) lang.Msg {
	var ids []string
	for i, p := range pods {
		if i == 3 {
			return lang.M("doctor.more", strings.Join(ids, ", "), len(pods)-3)
		}
		ids = append(ids, p.ID())
	}
	return lang.Verbatim(strings.Join(ids, ", "))
}
