package checks

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// The DNS check: is the cluster DNS there, and may every egress-isolated pod reach it on UDP
// and TCP (at the port its pods really listen on)?

// LiveDNSID is the finding of the live lookup (nslookup by exec), which the plugin runs.
const LiveDNSID = "NP3005"

var dnsCheck = Check{
	Name: "dns", Title: "DNS: the cluster DNS, and egress policies that allow it",
	IDs: []string{"NP3001", "NP3002", "NP3003", "NP3004", LiveDNSID},
	Run: func(in *Input) []Finding {
		const check = "dns"
		var out []Finding
		dns := policy.FindDNS(in.Snapshot)
		switch {
		case !in.Live:
			out = append(out, skipped(check, "NP3003", "files: the cluster DNS Service and its endpoints are checked on a cluster only"))
		case in.Forbidden["services"] != nil:
			out = append(out, skipped(check, "NP3003", "cannot list services in kube-system, so the cluster DNS cannot be found; this needs 'list' on services there"))
		case dns.Service == nil:
			out = append(out, finding(check, "NP3003", SeverityError, "Service/kube-system/kube-dns",
				"no cluster DNS Service (kube-dns, or labelled k8s-app=kube-dns) in kube-system: names will not resolve",
				"Check the DNS add-on: kubectl get deploy,svc -n kube-system -l k8s-app=kube-dns"))
		case in.Forbidden["endpointslices"] == nil && dns.Ready == 0:
			out = append(out, finding(check, "NP3003", SeverityError, "Service/kube-system/"+dns.Service.Name,
				"the cluster DNS Service has no ready endpoints: CoreDNS is not running or not ready, whatever the policies say",
				"kubectl get pods -n kube-system -l k8s-app=kube-dns; kubectl describe pods -n kube-system -l k8s-app=kube-dns"))
		case in.Forbidden["endpointslices"] != nil:
			out = append(out, skipped(check, "NP3003", fmt.Sprintf("the cluster DNS Service %s exists, but its endpoints cannot be read (this needs 'list' on endpointslices in kube-system)", dns.Service.Name)))
		default:
			out = append(out, pass(check, "NP3003", fmt.Sprintf("the cluster DNS Service %s has %d ready endpoint(s)", dns.Service.Name, dns.Ready)))
		}
		if in.Forbidden["pods"] != nil || in.Forbidden["networkpolicies"] != nil {
			return append(out, skipped(check, "NP3001", "cannot list pods or networkpolicies, so DNS egress cannot be checked"))
		}
		if _, err := in.Warnings(); err != nil {
			return append(out, unreadable(check, "NP3001", err))
		}
		out = append(out, dnsEgress(in, dns)...)
		return out
	},
}

// DNSEvaluator evaluates the input's policies with the DNS pods in the picture. The snapshot it
// returns holds the input's pods first, in order (index i is in.Snapshot.Pods[i]), then the DNS
// pods the input lacked; the pointers are to the DNS pods in it.
func DNSEvaluator(d policy.DNS, in *Input) (*policy.Evaluator, *policy.Snapshot, []*policy.Pod, error) {
	snap, dnsPods := policy.WithDNS(in.Snapshot, d.Pods)
	ev, err := policy.New(snap)
	if err != nil {
		return nil, nil, nil, err
	}
	return ev, snap, dnsPods, nil
}

// dnsEgress checks every egress-isolated pod: may it reach a DNS pod over UDP, and over TCP?
// Pods isolated by the same policies are reported together.
func dnsEgress(in *Input, dns policy.DNS) []Finding {
	const check = "dns"
	ev, snap, dnsPods, err := DNSEvaluator(dns, in)
	if err != nil {
		return []Finding{unreadable(check, "NP3001", err)}
	}
	reaches := func(p *policy.Pod, proto corev1.Protocol, to []*policy.Pod, ext netip.Addr) (bool, policy.Verdict) {
		var last policy.Verdict
		if ext.IsValid() {
			last = ev.Evaluate(policy.Connection{From: policy.Endpoint{Pod: p}, To: policy.Endpoint{IP: ext}, Port: 53, Protocol: proto})
			return last.Allowed, last
		}
		for _, d := range to {
			if d.ID() == p.ID() {
				continue // loopback says nothing about lookups
			}
			last = ev.Evaluate(policy.Connection{From: policy.Endpoint{Pod: p}, To: policy.Endpoint{Pod: d}, Port: dns.Port(proto), Protocol: proto})
			if last.Allowed {
				return true, last
			}
		}
		return false, last
	}
	type group struct {
		namespace string
		policies  []string
		pods      []string
		udp, tcp  bool
		first     *policy.Pod // the diagnosis is the same for every pod of the group
	}
	groups := map[string]*group{}
	var order []string
	nodeLocal, nodeLocalIP := nodeLocalDNS(in)
	var nodeLocalBlocked []string
	isolated := 0
	for i := range in.Snapshot.Pods {
		p := &snap.Pods[i]
		if !in.InScope(p.Namespace) {
			continue
		}
		v := ev.Evaluate(policy.Connection{From: policy.Endpoint{Pod: p}, To: policy.Endpoint{Pod: dnsPods[0]}, Port: dns.Port(corev1.ProtocolUDP), Protocol: corev1.ProtocolUDP})
		if !v.Egress.Isolated {
			continue
		}
		isolated++
		udp, _ := reaches(p, corev1.ProtocolUDP, dnsPods, netip.Addr{})
		tcp, _ := reaches(p, corev1.ProtocolTCP, dnsPods, netip.Addr{})
		if nodeLocal {
			if ok, _ := reaches(p, corev1.ProtocolUDP, nil, nodeLocalIP); !ok {
				nodeLocalBlocked = append(nodeLocalBlocked, p.ID())
			}
		}
		if udp && tcp {
			continue
		}
		key := fmt.Sprint(p.Namespace, v.Egress.Selecting, udp, tcp)
		g, ok := groups[key]
		if !ok {
			g = &group{namespace: p.Namespace, policies: v.Egress.Selecting, udp: udp, tcp: tcp, first: p}
			groups[key] = g
			order = append(order, key)
		}
		g.pods = append(g.pods, p.Name)
	}
	var out []Finding
	for _, key := range order {
		g := groups[key]
		res := "NetworkPolicy/" + g.policies[0]
		pods := fmt.Sprintf("%d pod(s) in %s (%s)", len(g.pods), g.namespace, listSome(g.pods, 3))
		// The shared diagnosis says which rule was meant for DNS and why it misses, when one was.
		proto := corev1.ProtocolUDP
		if g.udp {
			proto = corev1.ProtocolTCP
		}
		cause, fix := "", dnsRuleFix(dns)
		if cs := ev.Diagnose(policy.Connection{From: policy.Endpoint{Pod: g.first}, To: policy.Endpoint{Pod: dnsPods[0]}, Port: dns.Port(proto), Protocol: proto}, policy.Intent{Want: true}); len(cs) > 0 && cs[0].Rule != nil {
			cause, fix = ": "+cs[0].Message, cs[0].Fix
		}
		if !g.udp {
			msg := fmt.Sprintf("%s are isolated for egress by %s, and no rule lets them reach the cluster DNS: every name lookup fails", pods, strings.Join(g.policies, ", "))
			out = append(out, finding(check, "NP3001", SeverityError, res, msg+cause, fix))
		} else {
			msg := fmt.Sprintf("%s may reach the cluster DNS over UDP only (isolated by %s): answers too large for UDP are retried over TCP, and those lookups fail", pods, strings.Join(g.policies, ", "))
			out = append(out, finding(check, "NP3002", SeverityWarning, res, msg+cause, fix))
		}
	}
	if len(nodeLocalBlocked) > 0 {
		out = append(out, finding(check, "NP3004", SeverityWarning, "DaemonSet/kube-system/node-local-dns",
			fmt.Sprintf("NodeLocal DNSCache answers at %s on each node, and %d egress-isolated pod(s) may not reach it (%s); it runs on the host network, so only an ipBlock can allow it", nodeLocalIP, len(nodeLocalBlocked), listSome(nodeLocalBlocked, 3)),
			fmt.Sprintf("Add to the egress rules:\n  - to:\n    - ipBlock: {cidr: %s/32}\n    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]", nodeLocalIP)))
	}
	if len(out) == 0 {
		msg := "no pod is isolated for egress"
		if isolated > 0 {
			msg = fmt.Sprintf("all %d egress-isolated pod(s) may reach the cluster DNS over UDP and TCP", isolated)
		}
		out = append(out, pass(check, "NP3001", msg))
	}
	return out
}

// dnsRuleFix is the egress rule that allows DNS, at the ports the DNS pods really serve.
func dnsRuleFix(dns policy.DNS) string {
	labelsYAML := []string{}
	for k, v := range dns.Selector() {
		labelsYAML = append(labelsYAML, k+": "+v)
	}
	slices.Sort(labelsYAML)
	fix := fmt.Sprintf(`Add this egress rule to the policy (or a policy of its own selecting the same pods):
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {%s}}
    ports:
    - {port: %d, protocol: UDP}
    - {port: %d, protocol: TCP}`, strings.Join(labelsYAML, ", "), dns.Port(corev1.ProtocolUDP), dns.Port(corev1.ProtocolTCP))
	if dns.Port(corev1.ProtocolUDP) != 53 {
		fix += fmt.Sprintf("\n(The DNS pods listen on %d: a policy matches the port the pod receives on, not the Service's 53.)", dns.Port(corev1.ProtocolUDP))
	}
	return fix
}

// nodeLocalDNS finds NodeLocal DNSCache and the address it listens on (its -localip argument).
func nodeLocalDNS(in *Input) (bool, netip.Addr) {
	ip := netip.MustParseAddr("169.254.20.10")
	for _, ds := range in.DaemonSets {
		if ds.Name != "node-local-dns" && ds.Labels["k8s-app"] != "node-local-dns" {
			continue
		}
		for _, c := range ds.Spec.Template.Spec.Containers {
			args := append(slices.Clone(c.Command), c.Args...)
			for i, a := range args {
				v, found := strings.CutPrefix(a, "-localip=")
				if !found && a == "-localip" && i+1 < len(args) {
					v, found = args[i+1], true
				}
				if found {
					if first, err := netip.ParseAddr(strings.Split(v, ",")[0]); err == nil {
						ip = first
					}
				}
			}
		}
		return true, ip
	}
	return false, ip
}
