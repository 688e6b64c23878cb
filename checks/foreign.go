package checks

import (
	"slices"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// The foreign-policies check: policy objects of other engines (Calico, Cilium, Antrea, …) act
// on the same traffic as the NetworkPolicies, and the evaluator reads NetworkPolicy and the
// cluster-scoped policies of policy.networking.k8s.io (ClusterNetworkPolicy and its
// predecessors AdminNetworkPolicy and BaselineAdminNetworkPolicy) only. Its verdicts (and those of explain, check and the other findings)
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
	Title: lang.M("doctor.title.foreign-policies"),
	IDs:   []string{foreignID},
	Run:   runForeignCheck,
}

// foreignListed is how many objects the message names before "and N more".
const foreignListed = 10

// foreignEngine is an engine whose policies may be in the files, and its own tools.
type foreignEngine struct {
	name  string
	group func(group string) bool
	tools lang.Msg
}

func groupIs(names ...string) func(string) bool {
	return func(g string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return g == n || strings.HasSuffix(g, "."+n) })
	}
}

var foreignEngines = []foreignEngine{
	{"Calico", groupIs("projectcalico.org"), lang.M("doctor.foreign.tools.calico")},
	{"Cilium", groupIs("cilium.io"), lang.M("doctor.foreign.tools.cilium")},
	{"Antrea", groupIs("crd.antrea.io"), lang.M("doctor.foreign.tools.antrea")},
	{"GKE", groupIs("networking.gke.io"), lang.M("doctor.foreign.tools.gke")},
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
		return []Finding{pass(foreignCheckName, foreignID, lang.M("doctor.foreign.pass"))}
	}
	var names []lang.Msg
	var engines []int
	for _, f := range items {
		ref := f.APIVersion + " " + f.Kind + " " + foreignRef(f)
		s := lang.Verbatim(ref)
		if f.Source != "" {
			s = lang.M("doctor.foreign.object", ref, f.Source)
		}
		names = append(names, s)
		if i := foreignEngineOf(f.APIVersion); !slices.Contains(engines, i) {
			engines = append(engines, i)
		}
	}
	slices.Sort(engines)
	msg := lang.M("doctor.foreign.found", len(items), listSomeSays(names, foreignListed))

	// The fix, then one indented item per engine.
	fix := []lang.Msg{lang.M("doctor.foreign.fix")}
	for _, i := range engines {
		tools := lang.M("doctor.foreign.tools.other")
		if i < len(foreignEngines) {
			tools = foreignEngines[i].tools
		}
		fix = append(fix, tools)
	}
	resource := ""
	if len(items) == 1 {
		resource = items[0].Kind + "/" + foreignRef(items[0])
	}
	return []Finding{finding(foreignCheckName, foreignID, SeverityInfo, resource, msg, lang.Join("doctor.join.item", fix...))}
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
