package checks

import (
	"slices"
	"sort"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// The checks that read the policies: namespace labels, selectors, coverage. They run on files
// as well as on a cluster.

var namespaceLabelsCheck = Check{
	Name: "namespace-labels", Title: lang.M("doctor.title.namespace-labels"),
	IDs: []string{"NP2001"},
	Run: func(in *Input) []Finding {
		const check, id = "namespace-labels", "NP2001"
		if err := in.Forbidden["namespaces"]; err != nil {
			return []Finding{skipped(check, id, lang.M("doctor.ns.forbidden"))}
		}
		ws, err := in.Warnings()
		if err != nil {
			return []Finding{unreadable(check, id, err)}
		}
		var out []Finding
		for _, w := range ws {
			if w.Kind != policy.WarnNamespaceNoMatch {
				continue
			}
			out = append(out, finding(check, id, SeverityError, "NetworkPolicy/"+w.Policy,
				lang.Join("doctor.join.colon", lang.Verbatim(w.Field), firstClause(w.Says)), namespaceLabelFix(in.Snapshot, w.Wants)))
		}
		if len(out) == 0 {
			return []Finding{pass(check, id, lang.M("doctor.ns.pass"))}
		}
		return out
	},
}

// namespaceLabelFix offers both fixes when a namespace is named like a wanted label's value (the
// `name: web` mistake): label the namespace, or select on the label every namespace has.
func namespaceLabelFix(s *policy.Snapshot, wants map[string]string) lang.Msg {
	keys := make([]string, 0, len(wants))
	for k := range wants {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := wants[k]
		if k == "kubernetes.io/metadata.name" || !slices.ContainsFunc(s.Namespaces, func(n policy.Namespace) bool { return n.Name == v }) {
			continue
		}
		return lang.M("doctor.ns.fix.label-or-select", v, k)
	}
	var labels []string
	for _, k := range keys {
		labels = append(labels, k+"="+wants[k])
	}
	if len(labels) == 0 {
		return lang.M("doctor.ns.fix.label-any")
	}
	return lang.M("doctor.ns.fix.label", strings.Join(labels, " "))
}

var selectorsCheck = Check{
	Name: "selectors", Title: lang.M("doctor.title.selectors"),
	IDs: []string{"NP4001", "NP4002", "NP4003", "NP4004", "NP4005", "NP4006"},
	Run: func(in *Input) []Finding {
		const check = "selectors"
		if err := in.Forbidden["pods"]; err != nil {
			return []Finding{skipped(check, "NP4001", lang.M("doctor.sel.forbidden"))}
		}
		var out []Finding
		// Files: what the API server would refuse (a cluster's policies were accepted already).
		if !in.Live {
			for i := range in.Snapshot.Policies {
				np := &in.Snapshot.Policies[i]
				msgs := slices.Clone(in.Refused[np.Namespace+"/"+np.Name])
				for _, e := range policy.Validate(np) {
					msgs = append(msgs, e.Error())
				}
				if len(msgs) > 0 {
					// What is wrong is said as the API server says it: in English.
					out = append(out, finding(check, "NP4006", SeverityError, "NetworkPolicy/"+np.Namespace+"/"+np.Name,
						lang.M("doctor.sel.refused", strings.Join(msgs, "; ")), lang.M("doctor.sel.refused.fix")))
				}
			}
		}
		ws, err := in.Warnings()
		if err != nil {
			if len(out) > 0 {
				return out // the refusals above say it better than the compile error
			}
			// Reported once, here; the other checks skip and point at it.
			return []Finding{finding(check, "NP4006", SeverityError, "", lang.M("doctor.sel.unreadable", err.Error()), lang.M("doctor.sel.unreadable.fix"))}
		}
		if in.PartialPods {
			out = append(out, skipped(check, "NP4002", lang.M("doctor.sel.partial-pods", in.Namespace)))
		}
		for _, w := range ws {
			if in.PartialPods && (w.Kind == policy.WarnPeerSelectsNothing || strings.HasPrefix(w.Field, "spec.egress") && w.Kind != policy.WarnSplitPeers) {
				continue
			}
			res := "NetworkPolicy/" + w.Policy
			msg := lang.Join("doctor.join.colon", lang.Verbatim(w.Field), w.Says)
			switch w.Kind {
			case policy.WarnSelectsNoPod:
				out = append(out, finding(check, "NP4001", SeverityWarning, res, msg, lang.M("doctor.sel.fix.selects-no-pod", namespaceOf(w.Policy))))
			case policy.WarnPeerSelectsNothing:
				out = append(out, finding(check, "NP4002", SeverityWarning, res, msg, lang.M("doctor.sel.fix.peer-selects-nothing")))
			case policy.WarnSplitPeers:
				out = append(out, finding(check, "NP4003", SeverityInfo, res, msg, lang.M("doctor.sel.fix.split-peers")))
			case policy.WarnNamedPortUndeclared:
				out = append(out, finding(check, "NP4004", SeverityWarning, res, msg, lang.M("doctor.sel.fix.named-port")))
			case policy.WarnProtocolMismatch:
				out = append(out, finding(check, "NP4005", SeverityWarning, res, msg, lang.M("doctor.sel.fix.protocol")))
			}
		}
		if len(failingIDs(out)) == 0 {
			out = append(out, pass(check, "NP4001", lang.M("doctor.sel.pass")))
		}
		return out
	},
}

var coverageCheck = Check{
	Name: "coverage", Title: lang.M("doctor.title.coverage"),
	IDs: []string{"NP5001"},
	Run: func(in *Input) []Finding {
		const check, id = "coverage", "NP5001"
		if in.Forbidden["pods"] != nil || in.Forbidden["networkpolicies"] != nil {
			return []Finding{skipped(check, id, lang.M("doctor.cov.forbidden"))}
		}
		if _, err := in.Warnings(); err != nil {
			return []Finding{unreadable(check, id, err)}
		}
		ev, err := policy.New(in.Snapshot)
		if err != nil {
			return []Finding{unreadable(check, id, err)}
		}
		withPolicies := map[string]bool{}
		for _, p := range in.Snapshot.Policies {
			withPolicies[p.Namespace] = true
		}
		uncovered := map[string][]string{}
		for i := range in.Snapshot.Pods {
			p := &in.Snapshot.Pods[i]
			if !in.InScope(p.Namespace) || !withPolicies[p.Namespace] || len(ev.SelectingPolicies(p)) > 0 {
				continue
			}
			uncovered[p.Namespace] = append(uncovered[p.Namespace], p.Name)
		}
		var out []Finding
		for _, ns := range sortedKeys(uncovered) {
			pods := uncovered[ns]
			out = append(out, finding(check, id, SeverityInfo, "Namespace/"+ns,
				lang.M("doctor.cov.uncovered", len(pods), ns, listSome(pods, 5)), lang.M("doctor.cov.fix", ns)))
		}
		if len(out) == 0 {
			return []Finding{pass(check, id, lang.M("doctor.cov.pass"))}
		}
		return out
	},
}

// failingIDs lists the IDs of the failing findings.
func failingIDs(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Status == StatusFail {
			out = append(out, f.ID)
		}
	}
	return out
}

// unreadable skips a check because a policy cannot be compiled (NP4006 reports it).
func unreadable(check, id string, err error) Finding {
	return skipped(check, id, lang.M("doctor.unreadable", err.Error()))
}

func namespaceOf(id string) string {
	ns, _, _ := strings.Cut(id, "/")
	return ns
}

// firstClause is the first of the clauses a warning joins ("namespaceSelector ... matches no
// namespace; label it ..."), or the whole warning.
func firstClause(m lang.Msg) lang.Msg {
	if m.ID == "" && len(m.Args) > 0 {
		if first, ok := m.Args[0].(lang.Msg); ok {
			return first
		}
	}
	return m
}

// listSome names the first n items, then how many more.
func listSome(items []string, n int) lang.Msg {
	if len(items) <= n {
		return lang.Verbatim(strings.Join(items, ", "))
	}
	return lang.M("doctor.more", strings.Join(items[:n], ", "), len(items)-n)
}

// listSomeSays is listSome of messages.
func listSomeSays(items []lang.Msg, n int) lang.Msg {
	if len(items) <= n {
		return lang.Join("join.comma", items...)
	}
	return lang.M("doctor.more", lang.Join("join.comma", items[:n]...), len(items)-n)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
