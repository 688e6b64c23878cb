package checks

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// The checks that read the policies: namespace labels, selectors, coverage. They run on files
// as well as on a cluster.

var namespaceLabelsCheck = Check{
	Name: "namespace-labels", Title: "Namespace labels that namespaceSelectors expect",
	IDs: []string{"NP2001"},
	Run: func(in *Input) []Finding {
		const check, id = "namespace-labels", "NP2001"
		if err := in.Forbidden["namespaces"]; err != nil {
			return []Finding{skipped(check, id, "cannot list namespaces, so namespaceSelectors cannot be checked; this needs 'list' on namespaces")}
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
				fmt.Sprintf("%s: %s", w.Field, firstSentence(w.Message)), namespaceLabelFix(in.Snapshot, w.Wants)))
		}
		if len(out) == 0 {
			return []Finding{pass(check, id, "every namespaceSelector matches at least one namespace")}
		}
		return out
	},
}

// namespaceLabelFix offers both fixes when a namespace is named like a wanted label's value (the
// `name: web` mistake): label the namespace, or select on the label every namespace has.
func namespaceLabelFix(s *policy.Snapshot, wants map[string]string) string {
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
		return fmt.Sprintf("Either label the namespace:\n  kubectl label namespace %s %s=%s\nor select it by the label every namespace carries:\n  namespaceSelector:\n    matchLabels:\n      kubernetes.io/metadata.name: %s", v, k, v, v)
	}
	var labels []string
	for _, k := range keys {
		labels = append(labels, k+"="+wants[k])
	}
	if len(labels) == 0 {
		return "Label the namespaces this selector should match (kubectl label namespace NAME KEY=VALUE), or change the selector; kubectl get namespaces --show-labels lists what they carry."
	}
	return fmt.Sprintf("Label the namespace(s) meant:\n  kubectl label namespace NAME %s\n(kubectl get namespaces --show-labels lists the labels they carry)", strings.Join(labels, " "))
}

var selectorsCheck = Check{
	Name: "selectors", Title: "Selectors and ports that match nothing",
	IDs: []string{"NP4001", "NP4002", "NP4003", "NP4004", "NP4005", "NP4006"},
	Run: func(in *Input) []Finding {
		const check = "selectors"
		if err := in.Forbidden["pods"]; err != nil {
			return []Finding{skipped(check, "NP4001", "cannot list pods, so selectors cannot be checked; this needs 'list' on pods")}
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
					out = append(out, finding(check, "NP4006", SeverityError, "NetworkPolicy/"+np.Namespace+"/"+np.Name,
						"the API server would refuse this policy, so kubectl apply fails and nothing of it is enforced: "+strings.Join(msgs, "; "),
						"Fix the fields named; kubectl apply --dry-run=server -f FILE shows the API server's verdict."))
				}
			}
		}
		ws, err := in.Warnings()
		if err != nil {
			if len(out) > 0 {
				return out // the refusals above say it better than the compile error
			}
			// Reported once, here; the other checks skip and point at it.
			return []Finding{finding(check, "NP4006", SeverityError, "", "a policy cannot be read: "+err.Error(), "Fix the policy; the API server would refuse it as it is (kubectl apply --dry-run=server -f FILE shows its complaint).")}
		}
		if in.PartialPods {
			out = append(out, skipped(check, "NP4002", fmt.Sprintf("only the pods of %s could be listed, so peers that select pods elsewhere and egress named ports are not checked; this needs 'list' on pods in all namespaces", in.Namespace)))
		}
		for _, w := range ws {
			if in.PartialPods && (w.Kind == policy.WarnPeerSelectsNothing || strings.HasPrefix(w.Field, "spec.egress") && w.Kind != policy.WarnSplitPeers) {
				continue
			}
			res := "NetworkPolicy/" + w.Policy
			msg := w.Field + ": " + w.Message
			switch w.Kind {
			case policy.WarnSelectsNoPod:
				out = append(out, finding(check, "NP4001", SeverityWarning, res, msg,
					"Compare the podSelector with the pods' labels (kubectl get pods -n "+namespaceOf(w.Policy)+" --show-labels) and fix the selector or the labels."))
			case policy.WarnPeerSelectsNothing:
				out = append(out, finding(check, "NP4002", SeverityWarning, res, msg,
					"Check the peer's selectors against kubectl get pods -A --show-labels and kubectl get namespaces --show-labels."))
			case policy.WarnSplitPeers:
				out = append(out, finding(check, "NP4003", SeverityInfo, res, msg, splitPeersFix))
			case policy.WarnNamedPortUndeclared:
				out = append(out, finding(check, "NP4004", SeverityWarning, res, msg,
					"Name the port in the destination containers (ports: [{name: NAME, containerPort: N}]) or use its number in the policy."))
			case policy.WarnProtocolMismatch:
				out = append(out, finding(check, "NP4005", SeverityWarning, res, msg,
					"Set the rule's protocol to the one the container port uses (ports: [{port: N, protocol: UDP}])."))
			}
		}
		if len(failingIDs(out)) == 0 {
			out = append(out, pass(check, "NP4001", "every policy selects pods, every peer selects something, every named port is declared"))
		}
		return out
	},
}

const splitPeersFix = `Two items (OR: pods of those namespaces, OR those pods of the policy's own namespace):
  - from:
    - namespaceSelector: {matchLabels: {team: ops}}
    - podSelector: {matchLabels: {app: backup}}
One item (AND: only those pods in those namespaces):
  - from:
    - namespaceSelector: {matchLabels: {team: ops}}
      podSelector: {matchLabels: {app: backup}}
Keep the form you mean.`

var coverageCheck = Check{
	Name: "coverage", Title: "Pods no policy selects, in namespaces with policies",
	IDs: []string{"NP5001"},
	Run: func(in *Input) []Finding {
		const check, id = "coverage", "NP5001"
		if in.Forbidden["pods"] != nil || in.Forbidden["networkpolicies"] != nil {
			return []Finding{skipped(check, id, "cannot list pods or networkpolicies")}
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
				fmt.Sprintf("%d pod(s) in %s are selected by no policy, though the namespace has policies: %s; all their traffic is allowed", len(pods), ns, listSome(pods, 5)),
				"If that is not meant, add a default deny for the namespace (and allow DNS egress next):\n  kubectl apply -n "+ns+` -f - <<< '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"default-deny"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}}'`))
		}
		if len(out) == 0 {
			return []Finding{pass(check, id, "in every namespace with policies, every pod is selected by one")}
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
	return skipped(check, id, "skipped: a policy cannot be read (see NP4006): "+err.Error())
}

func namespaceOf(id string) string {
	ns, _, _ := strings.Cut(id, "/")
	return ns
}

func firstSentence(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		return s[:i]
	}
	return s
}

func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
