package checks

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// The DNS check: is the cluster DNS there, and may every egress-isolated pod reach it on UDP
// and TCP (at the port its pods really listen on)?

// LiveDNSID is the finding of the live lookup (nslookup by exec), which the plugin runs.
const LiveDNSID = "NP3005"

var dnsCheck = Check{
	Name: "dns", Title: lang.M("doctor.title.dns"),
	IDs: []string{"NP3001", "NP3002", "NP3003", "NP3004", LiveDNSID},
	Run: func(in *Input) []Finding {
		const check = "dns"
		var out []Finding
		dns := policy.FindDNS(in.Snapshot)
		switch {
		case !in.Live:
			out = append(out, skipped(check, "NP3003", lang.M("doctor.dns.service.files")))
		case in.Forbidden["services"] != nil:
			out = append(out, skipped(check, "NP3003", lang.M("doctor.dns.service.forbidden")))
		case dns.Service == nil:
			out = append(out, finding(check, "NP3003", SeverityError, "Service/kube-system/kube-dns",
				lang.M("doctor.dns.service.none"), lang.M("doctor.dns.service.none.fix")))
		case in.Forbidden["endpointslices"] == nil && dns.Ready == 0:
			// The fix is commands alone: nothing to translate.
			out = append(out, finding(check, "NP3003", SeverityError, "Service/kube-system/"+dns.Service.Name,
				lang.M("doctor.dns.service.not-ready"),
				lang.Verbatim("kubectl get pods -n kube-system -l k8s-app=kube-dns; kubectl describe pods -n kube-system -l k8s-app=kube-dns")))
		case in.Forbidden["endpointslices"] != nil:
			out = append(out, skipped(check, "NP3003", lang.M("doctor.dns.service.endpoints-forbidden", dns.Service.Name)))
		default:
			out = append(out, pass(check, "NP3003", lang.M("doctor.dns.service.pass", dns.Service.Name, dns.Ready)))
		}
		if in.Forbidden["pods"] != nil || in.Forbidden["networkpolicies"] != nil {
			return append(out, skipped(check, "NP3001", lang.M("doctor.dns.forbidden")))
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
		pods := lang.M("doctor.dns.pods", len(g.pods), g.namespace, listSome(g.pods, 3))
		// The shared diagnosis says which rule was meant for DNS and why it misses, when one was.
		proto := corev1.ProtocolUDP
		if g.udp {
			proto = corev1.ProtocolTCP
		}
		var cause lang.Msg
		fix := dnsRuleFix(dns)
		if cs := ev.Diagnose(policy.Connection{From: policy.Endpoint{Pod: g.first}, To: policy.Endpoint{Pod: dnsPods[0]}, Port: dns.Port(proto), Protocol: proto}, policy.Intent{Want: true}); len(cs) > 0 && cs[0].Rule != nil {
			cause, fix = causeSays(cs[0])
		}
		id, sev, msg := "NP3001", SeverityError, lang.M("doctor.dns.no-dns", pods, strings.Join(g.policies, ", "))
		if g.udp {
			id, sev, msg = "NP3002", SeverityWarning, lang.M("doctor.dns.udp-only", pods, strings.Join(g.policies, ", "))
		}
		if !cause.IsZero() {
			msg = lang.Join("doctor.join.colon", msg, cause)
		}
		out = append(out, finding(check, id, sev, res, msg, fix))
	}
	if len(nodeLocalBlocked) > 0 {
		out = append(out, finding(check, "NP3004", SeverityWarning, "DaemonSet/kube-system/node-local-dns",
			lang.M("doctor.dns.node-local", nodeLocalIP.String(), len(nodeLocalBlocked), listSome(nodeLocalBlocked, 3)),
			lang.M("doctor.dns.node-local.fix", nodeLocalIP.String())))
	}
	if len(out) == 0 {
		msg := lang.M("doctor.dns.pass.none-isolated")
		if isolated > 0 {
			msg = lang.M("doctor.dns.pass", isolated)
		}
		out = append(out, pass(check, "NP3001", msg))
	}
	return out
}

// dnsRuleFix is the egress rule that allows DNS, at the ports the DNS pods really serve.
func dnsRuleFix(dns policy.DNS) lang.Msg {
	labelsYAML := []string{}
	for k, v := range dns.Selector() {
		labelsYAML = append(labelsYAML, k+": "+v)
	}
	slices.Sort(labelsYAML)
	fix := lang.M("doctor.dns.fix", strings.Join(labelsYAML, ", "), dns.Port(corev1.ProtocolUDP), dns.Port(corev1.ProtocolTCP))
	if dns.Port(corev1.ProtocolUDP) != 53 {
		fix = lang.Join("join.line", fix, lang.M("doctor.dns.fix.port", dns.Port(corev1.ProtocolUDP)))
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

// causeSays is a diagnosis's message and fix, for any language.
func causeSays(c policy.Cause) (lang.Msg, lang.Msg) {
	says, fix := c.Says, c.FixSays
	if says.IsZero() {
		says = lang.Verbatim(c.Message)
	}
	if fix.IsZero() {
		fix = lang.Verbatim(c.Fix)
	}
	return says, fix
}
