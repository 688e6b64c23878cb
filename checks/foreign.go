package checks

import (
	"fmt"
	"slices"
	"strings"
)

// The foreign-policies check: policy objects of other engines (Calico, Cilium, Antrea,
// AdminNetworkPolicy, …) act on the same traffic as the NetworkPolicies, and the evaluator
// reads NetworkPolicy only. Its verdicts (and those of explain, check and the other findings)
// leave them out; this check says so, once, with the engine's own tool for them.
//
// Info, not warning: such policies are almost always deliberate, nothing in them is wrong, and
// no fix would make the finding go away; a warning would fail every `--fail-on warning` run of
// a repository that uses them on purpose. What the finding reports is the limit of doctor's
// verdicts, not a mistake.
//
// Files only: Input.Foreign is filled from files (doctor -f); on a cluster the check has
// nothing to read and reports nothing.

const foreignID = "NP1005"

const foreignCheckName = "foreign-policies"

var foreignCheck = Check{
	Name:  foreignCheckName,
	Title: "Policies of other engines, which doctor does not evaluate",
	IDs:   []string{foreignID},
	Run:   runForeignCheck,
}

// foreignListed is how many objects the message names before "and N more".
const foreignListed = 10

// foreignEngine is an engine whose policies may be in the files, and its own tools.
type foreignEngine struct {
	name  string
	group func(group string) bool
	tools string
}

func groupIs(names ...string) func(string) bool {
	return func(g string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return g == n || strings.HasSuffix(g, "."+n) })
	}
}

var foreignEngines = []foreignEngine{
	{"Calico", groupIs("projectcalico.org"),
		"Calico: calicoctl get networkpolicy -A -o wide and calicoctl get globalnetworkpolicy -o wide (or kubectl get networkpolicies.projectcalico.org,globalnetworkpolicies.projectcalico.org -A with Calico's API server); Calico orders its policies by tier and order together with the NetworkPolicies (in its default tier, at order 1000), so its Allow and Deny rules may decide first"},
	{"Cilium", groupIs("cilium.io"),
		"Cilium: kubectl -n kube-system exec ds/cilium -- cilium-dbg policy get lists what an agent enforces, and hubble observe --verdict DROPPED shows what it drops; Cilium's allow rules add to the NetworkPolicies' and its deny rules override both"},
	{"Antrea", groupIs("crd.antrea.io"),
		"Antrea: antctl get networkpolicy lists what Antrea enforces, and antctl traceflow -S NS/POD -D NS/POD traces one packet through every policy; Antrea-native policies are evaluated in tiers before the NetworkPolicies (the Baseline tier after them)"},
	{"AdminNetworkPolicy", groupIs("policy.networking.k8s.io"),
		"AdminNetworkPolicy: kubectl get adminnetworkpolicies,baselineadminnetworkpolicies (or clusternetworkpolicies); an AdminNetworkPolicy is evaluated before the NetworkPolicies and can allow or deny for good, a BaselineAdminNetworkPolicy after them, for what they leave unmatched. Only a network plugin that implements them enforces them"},
	{"GKE", groupIs("networking.gke.io"),
		"GKE: kubectl get fqdnnetworkpolicies -A; FQDN network policies govern egress to domain names, beside the NetworkPolicies"},
}

func runForeignCheck(in *Input) []Finding {
	if in.Live {
		// Nothing to read: doctor lists no other engine's objects on a cluster (yet). Like the
		// live DNS lookup with -f, a check that cannot apply to the mode does not run, rather
		// than adding a SKIP line to every cluster report.
		return nil
	}
	var items []Foreign
	for _, f := range in.Foreign {
		if f.Namespace == "" || in.InScope(f.Namespace) {
			items = append(items, f)
		}
	}
	if len(items) == 0 {
		return []Finding{pass(foreignCheckName, foreignID, "no policy objects of other engines (Calico, Cilium, Antrea, AdminNetworkPolicy) in the files")}
	}
	var names []string
	var engines []int
	for _, f := range items {
		s := f.APIVersion + " " + f.Kind + " " + foreignRef(f)
		if f.Source != "" {
			s += " (file " + f.Source + ")"
		}
		names = append(names, s)
		if i := foreignEngineOf(f.APIVersion); !slices.Contains(engines, i) {
			engines = append(engines, i)
		}
	}
	slices.Sort(engines)
	msg := fmt.Sprintf("%d policy object(s) of other engines in the files also act on this traffic and are not evaluated: %s. kubectl-netpol's verdicts (doctor, explain, check) leave them out",
		len(items), cniListSome(names, foreignListed))

	fix := "kubectl-netpol evaluates Kubernetes NetworkPolicy (networking.k8s.io/v1) only. The engine that enforces these objects applies them too, so traffic doctor finds allowed may be denied by them, and traffic it finds denied may be allowed by them. Check them with the engine's own tools:"
	for _, i := range engines {
		if i < len(foreignEngines) {
			fix += "\n  - " + foreignEngines[i].tools
		} else {
			fix += "\n  - the other objects: the documentation and CLI of the engine that defines their API group"
		}
	}
	resource := ""
	if len(items) == 1 {
		resource = items[0].Kind + "/" + foreignRef(items[0])
	}
	return []Finding{finding(foreignCheckName, foreignID, SeverityInfo, resource, msg, fix)}
}

// foreignRef is namespace/name, or the name of a cluster-scoped object.
func foreignRef(f Foreign) string {
	if f.Namespace == "" {
		return f.Name
	}
	return f.Namespace + "/" + f.Name
}

// foreignEngineOf is the index in foreignEngines of the apiVersion's group, or
// len(foreignEngines) for a group none knows.
func foreignEngineOf(apiVersion string) int {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group = "" // the core group: not an engine's
	}
	for i, e := range foreignEngines {
		if e.group(group) {
			return i
		}
	}
	return len(foreignEngines)
}
