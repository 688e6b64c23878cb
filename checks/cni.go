package checks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The CNI check: which network plugin runs, and does it enforce NetworkPolicy? The API server
// accepts NetworkPolicies whatever the plugin; a plugin that does not enforce them ignores
// them silently. The signatures are those docs/checks.md lists (NP1001, NP1003), looked up in
// every namespace. No signature is proof: `kubectl netpol doctor --active` is.
//
// On files (doctor -f, Live false) the same table reads the DaemonSets, Deployments, Nodes and
// ConfigMaps the files hold, and gives the same findings. What changes is what a missing
// object means: on a cluster it does not exist, in files it may exist elsewhere. So a ConfigMap
// that decides enforcement and is not in the files leaves the verdict open (NP1004), "no other
// engine" means none in the files, and no signature at all is NP1004, not NP1002: the files
// are not the cluster.

const (
	cniIDNotEnforced = "NP1001" // error: a plugin that does not enforce, and none that does
	cniIDUnknown     = "NP1002" // warning: no known plugin, or one whose enforcement cannot be told
	cniIDEnforced    = "NP1003" // pass: a plugin that enforces
	cniIDSkipped     = "NP1004" // skipped: what RBAC kept doctor from reading, or what the files lack
)

const cniCheckName = "cni"

var cniCheck = Check{
	Name:  cniCheckName,
	Title: "Network plugin (CNI) and NetworkPolicy enforcement",
	IDs:   []string{cniIDNotEnforced, cniIDUnknown, cniIDEnforced, cniIDSkipped},
	Run:   runCNICheck,
}

// kindnetPolicySince is the first kindnetd image date with a network policy engine (kind v0.24.0).
const kindnetPolicySince = "20240719"

const cniActiveHint = "Prove it either way with the empirical test: kubectl netpol doctor --active"

// cniFilesActiveHint is cniActiveHint for files: --active needs the cluster.
const cniFilesActiveHint = "On the cluster, prove it either way with the empirical test: kubectl netpol doctor --active"

func cniHint(in *Input) string {
	if in.Live {
		return cniActiveHint
	}
	return cniFilesActiveHint
}

// cniVerdict says whether a detected plugin enforces NetworkPolicy.
type cniVerdict int

const (
	cniEnforces cniVerdict = iota
	cniDoesNot
	cniUnknown
)

// cniEngine is one plugin found in the cluster.
type cniEngine struct {
	name     string // as users know it: "flannel", "Calico", …
	resource string // DaemonSet/ns/name, Deployment/ns/name or Node/name
	verdict  cniVerdict
	detail   string // enforces: how we know; does not / unknown: why
	fix      string // the remediation when it does not enforce
	// forbidden names what could not be read when the verdict is unknown for that reason
	// ("configmaps"); empty otherwise.
	forbidden string
	// notInFiles names the object that decides the verdict and that the files lack (files
	// only: "ConfigMap kube-system/amazon-vpc-cni"); the verdict is then unknown.
	notInFiles string
}

func (e cniEngine) where() string { return e.name + " (" + e.resource + ")" }

func runCNICheck(in *Input) []Finding {
	dsForbidden := in.Forbidden["daemonsets"]
	nodesForbidden := in.Forbidden["nodes"]
	engines := detectCNIs(in)
	if !in.Live && len(engines) == 0 && dsForbidden == nil {
		return []Finding{cniNothingInFiles(in)}
	}
	// Where the findings come from: the cluster, or what the files hold.
	found := ""
	if !in.Live {
		found = " in the files"
	}

	var yes, no, unknown []cniEngine
	for _, e := range engines {
		switch e.verdict {
		case cniEnforces:
			yes = append(yes, e)
		case cniDoesNot:
			no = append(no, e)
		default:
			unknown = append(unknown, e)
		}
	}

	// One engine that enforces is enough: policies are enforced whatever else runs beside it
	// (flannel routing for Calico in canal, the AWS VPC CNI chained with Cilium, …).
	if len(yes) > 0 {
		var parts []string
		for _, e := range yes {
			s := e.where()
			if e.detail != "" {
				s += ": " + e.detail
			}
			parts = append(parts, s)
		}
		msg := "NetworkPolicy is enforced by " + strings.Join(parts, "; ")
		if len(no)+len(unknown) > 0 {
			var others []string
			for _, e := range append(slices.Clone(no), unknown...) {
				others = append(others, e.where())
			}
			msg += "; also found, not enforcing by itself: " + strings.Join(others, ", ")
		}
		if in.Live {
			msg += " (detected from its signature; kubectl netpol doctor --active proves it empirically)"
		} else {
			msg += " (detected from its signature in the files; whether it runs in the cluster cannot be told from files: once applied, kubectl netpol doctor --active proves it empirically)"
		}
		f := pass(cniCheckName, cniIDEnforced, msg)
		f.Resource = yes[0].resource
		return []Finding{f}
	}

	var out []Finding
	if dsForbidden == nil {
		// With a plugin of unknown enforcement beside it, "nothing enforces" is not certain;
		// with files, neither is it for an engine that runs outside them.
		consequence := "No other policy engine was found, so every NetworkPolicy in this cluster is accepted by the API server and silently ignored."
		switch {
		case in.Live && len(unknown) > 0:
			consequence = "Unless the other plugin found (see below) enforces them, NetworkPolicies in this cluster are accepted by the API server and silently ignored."
		case len(unknown) > 0:
			consequence = "Unless the other plugin found (see below) enforces them, or an engine the files do not hold runs in the cluster, NetworkPolicies there are accepted by the API server and silently ignored."
		case !in.Live:
			consequence = "No other policy engine was found in the files: unless one the files do not hold runs in the cluster, every NetworkPolicy there is accepted by the API server and silently ignored."
		}
		for _, e := range no {
			fix := e.fix
			if !in.Live && strings.Contains(fix, "kubectl patch") {
				fix = "The commands below change a running cluster; make the same change in the manifest in the files, or the next apply undoes it.\n" + fix
			}
			out = append(out, finding(cniCheckName, cniIDNotEnforced, SeverityError, e.resource,
				fmt.Sprintf("%s%s does not enforce NetworkPolicy: %s. %s", e.where(), found, e.detail, consequence),
				fix+"\n"+cniHint(in)))
		}
	}
	for _, e := range unknown {
		switch {
		case e.notInFiles != "":
			f := skipped(cniCheckName, cniIDSkipped, fmt.Sprintf("%s is not in the files: whether %s, found in the files, enforces NetworkPolicy cannot be decided from them (%s)", e.notInFiles, e.where(), e.detail))
			f.Resource = e.resource
			f.Remediation = "Add the " + e.notInFiles + " manifest to the files (from the cluster: kubectl get " + cniGetArgs(e.notInFiles) + " -o yaml), or run doctor on the cluster (without -f).\n" + cniFilesActiveHint
			out = append(out, f)
			continue
		case e.forbidden != "":
			f := skipped(cniCheckName, cniIDSkipped, fmt.Sprintf("cannot read %s: whether %s enforces NetworkPolicy is unknown (%s)", e.forbidden, e.where(), e.detail))
			f.Resource = e.resource
			f.Remediation = cniRBACFix(e.forbidden) + "\n" + cniActiveHint
			out = append(out, f)
			continue
		}
		out = append(out, finding(cniCheckName, cniIDUnknown, SeverityWarning, e.resource,
			fmt.Sprintf("%s found%s, but whether it enforces NetworkPolicy cannot be told: %s", e.where(), found, e.detail),
			cniHint(in)))
	}
	if dsForbidden != nil {
		msg := "cannot list daemonsets: CNI detection skipped. The network plugin runs as a DaemonSet, and listing them in all namespaces needs 'list' on daemonsets.apps at cluster scope"
		if len(no) > 0 {
			var seen []string
			for _, e := range no {
				seen = append(seen, e.where()+" does not enforce: "+e.detail)
			}
			msg += ". Seen without DaemonSets: " + strings.Join(seen, "; ") + "; an engine in a DaemonSet could still enforce"
		}
		msg += " (" + dsForbidden.Error() + ")"
		f := skipped(cniCheckName, cniIDSkipped, msg)
		f.Remediation = cniRBACFix("daemonsets") + "\n" + cniActiveHint
		out = append(out, f)
		return out
	}
	if len(engines) == 0 {
		msg := "no known network plugin (CNI) found in the DaemonSets of any namespace"
		if nodesForbidden == nil {
			msg += " nor on the nodes (k3s)"
		}
		msg += ": doctor cannot tell whether NetworkPolicies are enforced."
		if netish := networkishDaemonSets(in.DaemonSets); len(netish) > 0 {
			msg += " DaemonSets that look network-related: " + cniListSome(netish, 6) + "."
		} else {
			msg += " No DaemonSet looks network-related: the plugin may run outside Kubernetes (on the hosts or in a managed control plane)."
		}
		out = append(out, finding(cniCheckName, cniIDUnknown, SeverityWarning, "", msg,
			"Run the empirical test, which creates a scratch namespace, two pods and a deny policy, probes, and removes it all:\n  kubectl netpol doctor --active\n"+
				"and check your platform's documentation for NetworkPolicy support. Plugins that enforce: Calico, Cilium, Antrea, kube-router, OVN-Kubernetes, GKE Dataplane V2, Azure NPM, kindnet (kind v0.24.0+), AWS VPC CNI with its network policy controller enabled."))
	}
	if nodesForbidden != nil && len(engines) == 0 {
		f := skipped(cniCheckName, cniIDSkipped, "cannot list nodes: k3s detection skipped (k3s's embedded network policy controller is only visible in its node annotation k3s.io/node-args) ("+nodesForbidden.Error()+")")
		f.Remediation = cniRBACFix("nodes")
		out = append(out, f)
	}
	return out
}

// cniNothingInFiles is the files' finding when they hold no plugin's signature: the plugin's
// manifests are rarely next to an application's, and some are never in files at all (k3s's
// controller shows in its Nodes' annotation only, a managed platform's plugin in no manifest).
func cniNothingInFiles(in *Input) Finding {
	msg := "files: no network plugin (CNI) found in the files: they hold no DaemonSet, Deployment or Node with a known plugin's signature, so whether the cluster enforces NetworkPolicy cannot be told from them."
	if netish := networkishDaemonSets(in.DaemonSets); len(netish) > 0 {
		msg += " DaemonSets in the files that look network-related but match no known plugin: " + cniListSome(netish, 6) + "."
	}
	msg += " A run on the cluster (without -f) detects the plugin, and --active proves enforcement"
	f := skipped(cniCheckName, cniIDSkipped, msg)
	f.Remediation = "Run doctor on the cluster, where the plugin runs:\n  kubectl netpol doctor\n  kubectl netpol doctor --active\n" +
		"or add the plugin's manifests (its DaemonSet, and its ConfigMap: cilium-config, amazon-vpc-cni) to the files."
	return f
}

// cniGetArgs turns "ConfigMap ns/name" into "configmap name -n ns" for kubectl get.
func cniGetArgs(object string) string {
	kind, ref, _ := strings.Cut(object, " ")
	ns, name, ok := strings.Cut(ref, "/")
	if !ok {
		return strings.ToLower(kind) + " " + ref
	}
	return strings.ToLower(kind) + " " + name + " -n " + ns
}

// cniRBACFix says which permission lets doctor read what it could not.
func cniRBACFix(what string) string {
	switch what {
	case "configmaps":
		return "Grant 'get' on the plugins' ConfigMaps in kube-system, e.g.:\n" +
			"  kubectl create role netpol-doctor-cni -n kube-system --verb=get --resource=configmaps --resource-name=amazon-vpc-cni --resource-name=cilium-config\n" +
			"  kubectl create rolebinding netpol-doctor-cni -n kube-system --role=netpol-doctor-cni --user=USER"
	case "nodes":
		return "Grant 'list' on nodes, e.g.:\n" +
			"  kubectl create clusterrole netpol-doctor-cni --verb=list --resource=daemonsets.apps,deployments.apps,nodes\n" +
			"  kubectl create clusterrolebinding netpol-doctor-cni --clusterrole=netpol-doctor-cni --user=USER"
	default:
		return "Grant 'list' on daemonsets (and deployments, nodes) in all namespaces, e.g.:\n" +
			"  kubectl create clusterrole netpol-doctor-cni --verb=list --resource=daemonsets.apps,deployments.apps,nodes\n" +
			"  kubectl create clusterrolebinding netpol-doctor-cni --clusterrole=netpol-doctor-cni --user=USER"
	}
}

// detectCNIs finds every known plugin: DaemonSets in all namespaces, k3s's node annotation,
// and (when DaemonSets cannot be listed, or as a partial sign) the operators' Deployments.
func detectCNIs(in *Input) []cniEngine {
	var out []cniEngine
	calico := false
	for i := range in.DaemonSets {
		ds := &in.DaemonSets[i]
		if e, ok := detectDaemonSet(in, ds); ok {
			e = whereItRuns(in, ds, e)
			out = append(out, e)
			calico = calico || e.name == "Calico" || e.name == "canal"
		}
	}
	if e, ok := detectK3s(in.Nodes); ok {
		out = append(out, e)
	}
	dsForbidden := in.Forbidden["daemonsets"] != nil
	for i := range in.Deployments {
		d := &in.Deployments[i]
		res := "Deployment/" + d.Namespace + "/" + d.Name
		switch {
		case d.Name == "tigera-operator" && dsForbidden:
			out = append(out, cniEngine{name: "Calico", resource: res, verdict: cniEnforces,
				detail: "its tigera-operator runs (the calico-node DaemonSet it manages could not be listed)"})
		case d.Name == "tigera-operator" && !calico && !in.Live:
			// Files never hold calico-node under the operator: it creates it at run time.
			out = append(out, cniEngine{name: "Calico", resource: res, verdict: cniEnforces,
				detail: "its tigera-operator is in the files; the operator creates the calico-node DaemonSet at run time from an Installation resource (operator.tigera.io/v1), so files never hold it, and Calico enforces NetworkPolicy whenever it runs"})
		case d.Name == "tigera-operator" && !calico:
			out = append(out, cniEngine{name: "Calico", resource: res, verdict: cniUnknown,
				detail: "the tigera-operator runs but no calico-node DaemonSet exists: Calico is not installed (yet); the operator creates it from an Installation resource (kubectl get installation default -o yaml)"})
		case d.Name == "cilium-operator" && dsForbidden:
			e := cniEngine{name: "Cilium", resource: res, verdict: cniEnforces, detail: "its cilium-operator runs (the cilium DaemonSet could not be listed)"}
			out = append(out, cniCilium(in, e, d.Namespace))
		}
	}
	return out
}

// whereItRuns checks an enforcing engine's DaemonSet against where its pods run: an engine
// enforces only where its pod does. On a cluster, once the DaemonSet controller has seen the
// DaemonSet (its status is the controller's), one scheduled on no node enforces nothing, and
// one with pods not ready may leave nodes unenforced. Files say nothing of this.
func whereItRuns(in *Input, ds *appsv1.DaemonSet, e cniEngine) cniEngine {
	st := ds.Status
	if !in.Live || e.verdict != cniEnforces || st.ObservedGeneration == 0 {
		return e
	}
	switch {
	case st.DesiredNumberScheduled == 0:
		e.verdict = cniDoesNot
		e.detail = "its DaemonSet runs no pod: the DaemonSet controller schedules it on no node"
		e.fix = fmt.Sprintf("Find out why no node runs it (its nodeSelector, affinity and tolerations against the nodes' labels and taints, and its events):\n"+
			"  kubectl describe daemonset %s -n %s\n"+
			"  kubectl get daemonset %s -n %s -o jsonpath='{.spec.template.spec.nodeSelector}'", ds.Name, ds.Namespace, ds.Name, ds.Namespace)
	case st.NumberReady < st.DesiredNumberScheduled:
		if e.detail != "" {
			e.detail += "; "
		}
		e.detail += fmt.Sprintf("%d of its %d pods are ready: on a node where it is not, policies may go unenforced (kubectl get pods -n %s -o wide)", st.NumberReady, st.DesiredNumberScheduled, ds.Namespace)
	}
	return e
}

// detectDaemonSet matches one DaemonSet against the signatures docs/checks.md lists. The order
// matters: canal carries a calico-node and a flannel container, anetd carries k8s-app=cilium.
func detectDaemonSet(in *Input, ds *appsv1.DaemonSet) (cniEngine, bool) {
	name := ds.Name
	label := func(k, v string) bool {
		return ds.Labels[k] == v || ds.Spec.Template.Labels[k] == v
	}
	e := cniEngine{resource: "DaemonSet/" + ds.Namespace + "/" + ds.Name, verdict: cniEnforces}
	spec := &ds.Spec.Template.Spec
	switch {
	case name == "canal" || name == "rke2-canal" || label("k8s-app", "canal"):
		e.name, e.detail = "canal", "Calico's policy engine beside flannel"
	case name == "anetd":
		e.name = "GKE Dataplane V2"
	case name == "cilium" || label("k8s-app", "cilium"):
		e.name = "Cilium"
		return cniCilium(in, e, ds.Namespace), true
	case strings.HasPrefix(name, "calico-node") || label("k8s-app", "calico-node"):
		e.name = "Calico"
	case strings.HasPrefix(name, "antrea-agent") || label("component", "antrea-agent"):
		e.name = "Antrea"
	case strings.HasPrefix(name, "azure-npm") || label("k8s-app", "azure-npm"):
		e.name = "Azure NPM"
	case strings.HasPrefix(name, "ovnkube-node") || label("app", "ovnkube-node"):
		e.name = "OVN-Kubernetes"
	case name == "kube-network-policies" || label("app", "kube-network-policies"):
		e.name = "kube-network-policies"
	case name == "weave-net" || label("name", "weave-net"):
		e.name = "Weave Net"
		if !slices.ContainsFunc(spec.Containers, func(c corev1.Container) bool { return c.Name == "weave-npc" || strings.Contains(c.Image, "weave-npc") }) {
			e.verdict = cniDoesNot
			e.detail = "its DaemonSet has no weave-npc container, Weave's network policy controller"
			e.fix = fmt.Sprintf("Weave Net enforces NetworkPolicy only with its weave-npc container: re-apply Weave Net's complete manifest, which runs weave-npc as the second container of DaemonSet %s/%s (check: kubectl get ds %s -n %s -o jsonpath='{.spec.template.spec.containers[*].name}').\nWeave Net is no longer maintained (Weaveworks closed in 2024): consider moving to a plugin that enforces, such as Calico or Cilium.", ds.Namespace, ds.Name, ds.Name, ds.Namespace)
		} else {
			e.detail = "with its weave-npc container"
		}
	case name == "kube-router" || label("k8s-app", "kube-router"):
		e.name = "kube-router"
		if a, ok := cniFindFlag(spec, nil, "run-firewall"); ok && !cniTrue(a.value) {
			e.verdict = cniDoesNot
			e.detail = fmt.Sprintf("it runs with %s, which turns off its network policy controller", a.raw)
			e.fix = "Turn kube-router's firewall (its network policy controller) back on; --run-firewall=true is its default:\n  " +
				a.patch("daemonset", ds.Namespace, ds.Name, "--run-firewall=true")
		} else {
			e.detail = "--run-firewall is on"
		}
	case name == "kindnet" || label("app", "kindnet") || label("k8s-app", "kindnet"):
		e.name = "kindnet"
		return cniKindnet(ds, e), true
	case name == "aws-node" || label("k8s-app", "aws-node"):
		e.name = "AWS VPC CNI"
		return cniAWS(in, ds, e), true
	case strings.HasPrefix(name, "kube-flannel-ds") || label("app", "flannel") || label("k8s-app", "flannel"):
		e.name = "flannel"
		all := append(slices.Clone(spec.InitContainers), spec.Containers...)
		if slices.ContainsFunc(all, func(c corev1.Container) bool {
			return c.Name == "kube-network-policies" || strings.Contains(c.Image, "kube-network-policies")
		}) {
			e.detail = "with its kube-network-policies container"
			return e, true
		}
		e.verdict = cniDoesNot
		e.detail = "flannel only connects pods; it has no policy engine, and its DaemonSet has no kube-network-policies container"
		ns := ds.Namespace
		e.fix = "Add a policy engine beside flannel:\n" +
			"  - flannel's Helm chart (v0.25.5+) adds kube-network-policies as a container: helm upgrade flannel flannel/flannel -n " + ns + " --reuse-values --set netpol.enabled=true\n" +
			"  - or run kube-network-policies as its own DaemonSet: https://github.com/kubernetes-sigs/kube-network-policies\n" +
			"  - or use canal, Calico's policy engine with flannel: https://docs.tigera.io/calico/latest/getting-started/kubernetes/flannel/install-for-flannel"
	default:
		return cniEngine{}, false
	}
	return e, true
}

// cniCilium applies cilium-config's enable-policy (default, always or never). A cluster is read
// for kube-system's; files may hold it in Cilium's own namespace (a Helm release's), looked up
// first.
func cniCilium(in *Input, e cniEngine, ns string) cniEngine {
	cm := cniConfigMap(in, ns, "cilium-config")
	if cm == nil {
		cm = cniConfigMap(in, "kube-system", "cilium-config")
	}
	switch {
	case cm != nil && strings.EqualFold(strings.TrimSpace(cm.Data["enable-policy"]), "never"):
		e.verdict = cniDoesNot
		e.detail = "ConfigMap " + cm.Namespace + "/cilium-config sets enable-policy: never, so Cilium allows all traffic whatever the policies say"
		e.fix = "Set enable-policy back to default (enforce on the endpoints that policies select) and restart the agents:\n" +
			"  kubectl patch configmap cilium-config -n " + cm.Namespace + " --type merge -p '{\"data\":{\"enable-policy\":\"default\"}}'\n" +
			"  kubectl rollout restart daemonset cilium -n " + ns + "\n" +
			"(with Helm: helm upgrade cilium cilium/cilium -n " + ns + " --reuse-values --set policyEnforcementMode=default)"
	case cm != nil:
		mode := cm.Data["enable-policy"]
		if mode == "" {
			mode = "default"
		}
		e.detail = "cilium-config enable-policy: " + mode
	case in.Forbidden["configmaps"] != nil:
		e.detail = "cilium-config could not be read; Cilium enforces unless it sets enable-policy: never"
	case !in.Live:
		e.detail = "ConfigMap cilium-config is not in the files; Cilium enforces unless it sets enable-policy: never"
	case ns != "kube-system":
		e.detail = "doctor reads kube-system/cilium-config only; Cilium enforces unless it sets enable-policy: never"
	}
	return e
}

// cniKindnet dates kindnetd's image: kind's tags read vYYYYMMDD-hash, and kindnetd has had a
// network policy engine (kube-network-policies) since 20240719, kind v0.24.0. The standalone
// kindnet (ghcr.io/aojea/kindnetd:v1.x) has one too, switched by --network-policy.
func cniKindnet(ds *appsv1.DaemonSet, e cniEngine) cniEngine {
	spec := &ds.Spec.Template.Spec
	isKindnetd := func(c *corev1.Container) bool { return strings.Contains(c.Image, "kindnetd") }
	image := ""
	for i := range spec.Containers {
		if isKindnetd(&spec.Containers[i]) {
			image = spec.Containers[i].Image
			break
		}
	}
	if image == "" && len(spec.Containers) > 0 {
		image = spec.Containers[0].Image
	}
	if a, ok := cniFindFlag(spec, isKindnetd, "network-policy"); ok && !cniTrue(a.value) {
		e.verdict = cniDoesNot
		e.detail = fmt.Sprintf("kindnetd runs with %s", a.raw)
		e.fix = "Turn kindnet's network policy engine on:\n  " + a.patch("daemonset", ds.Namespace, ds.Name, "--network-policy=true")
		return e
	}
	date, major, ok := kindnetdVersion(image)
	switch {
	case !ok:
		e.verdict = cniUnknown
		e.detail = fmt.Sprintf("its image %q carries no version doctor can read; kindnetd enforces NetworkPolicy from its %s image on (kind v0.24.0)", image, kindnetPolicySince)
	case date != "" && date >= kindnetPolicySince:
		e.detail = fmt.Sprintf("kindnetd image %s (%s, kind v0.24.0 or later)", image, date)
	case date != "":
		e.verdict = cniDoesNot
		e.detail = fmt.Sprintf("its image %s dates from %s, before %s (kind v0.24.0), the first kindnetd with a network policy engine", image, date, kindnetPolicySince)
	case major >= 1:
		e.detail = fmt.Sprintf("kindnetd %s (standalone kindnet v1+, network policies on)", image)
	default:
		e.verdict = cniDoesNot
		e.detail = fmt.Sprintf("its image %s is an old kindnetd (0.x), from before kindnetd had a network policy engine (kind v0.24.0)", image)
	}
	if e.verdict == cniDoesNot {
		e.fix = "Recreate the cluster with kind v0.24.0 or later, whose kindnet enforces NetworkPolicy (this deletes the cluster):\n" +
			"  kind version    # v0.24.0 or later\n  kind delete cluster --name NAME && kind create cluster --name NAME\n" +
			"or keep this kind and use a plugin that enforces: create the cluster with networking.disableDefaultCNI: true in its kind config (https://kind.sigs.k8s.io/docs/user/configuration/#disable-default-cni), then install Calico (https://docs.tigera.io/calico/latest/getting-started/kubernetes/kind)."
	}
	return e
}

var (
	kindnetDateTag   = regexp.MustCompile(`^v?(20\d{6})(?:[-.]|$)`)
	kindnetSemverTag = regexp.MustCompile(`^v?(\d+)\.\d+`)
)

// kindnetdVersion reads an image's tag: a date for kind's images, or a major version.
func kindnetdVersion(image string) (date string, major int, ok bool) {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon <= slash {
		return "", 0, false
	}
	tag := image[colon+1:]
	if m := kindnetDateTag.FindStringSubmatch(tag); m != nil {
		return m[1], 0, true
	}
	if m := kindnetSemverTag.FindStringSubmatch(tag); m != nil {
		n, err := strconv.Atoi(m[1])
		return "", n, err == nil
	}
	return "", 0, false
}

// awsNodeAgent is the VPC CNI's network policy node agent (VPC CNI v1.14+).
func awsNodeAgent(c *corev1.Container) bool {
	return c.Name == "aws-eks-nodeagent" || c.Name == "aws-network-policy-agent" || strings.Contains(c.Image, "aws-network-policy-agent")
}

// cniAWS: the AWS VPC CNI enforces only with ConfigMap amazon-vpc-cni
// enable-network-policy-controller: "true" (the controller that turns policies into
// PolicyEndpoints) and its node agent's --enable-network-policy=true.
func cniAWS(in *Input, ds *appsv1.DaemonSet, e cniEngine) cniEngine {
	spec := &ds.Spec.Template.Spec
	hasAgent := slices.ContainsFunc(spec.Containers, func(c corev1.Container) bool { return awsNodeAgent(&c) })
	agentFlag, agentSet := cniFindFlag(spec, awsNodeAgent, "enable-network-policy")
	agentOff := agentSet && !cniTrue(agentFlag.value)
	cm := cniConfigMap(in, "kube-system", "amazon-vpc-cni")
	cmOn := cm != nil && strings.EqualFold(strings.TrimSpace(cm.Data["enable-network-policy-controller"]), "true")
	// Missing but perhaps there: RBAC kept doctor from reading it, or the files lack it.
	cmUnknown := cm == nil && (in.Forbidden["configmaps"] != nil || !in.Live)
	addon := "  aws eks update-addon --cluster-name CLUSTER --addon-name vpc-cni --configuration-values '{\"enableNetworkPolicy\":\"true\"}'"
	var cmFix string
	if cm == nil {
		cmFix = "  kubectl create configmap amazon-vpc-cni -n kube-system --from-literal=enable-network-policy-controller=true"
	} else {
		cmFix = "  kubectl patch configmap amazon-vpc-cni -n kube-system --type merge -p '{\"data\":{\"enable-network-policy-controller\":\"true\"}}'"
	}
	agentFix := ""
	if agentOff {
		agentFix = "  " + agentFlag.patch("daemonset", ds.Namespace, ds.Name, "--enable-network-policy=true")
	}
	switch {
	case !hasAgent:
		e.verdict = cniDoesNot
		e.detail = "its DaemonSet has no network policy agent container (aws-eks-nodeagent): VPC CNI before v1.14 cannot enforce NetworkPolicy"
		e.fix = "Upgrade the VPC CNI to v1.14 or later and enable its network policy support (EKS 1.25+). For the EKS add-on:\n" +
			"  aws eks update-addon --cluster-name CLUSTER --addon-name vpc-cni --addon-version VERSION --configuration-values '{\"enableNetworkPolicy\":\"true\"}'\n" +
			"or install a policy engine beside it, such as Calico in policy-only mode."
		return e
	case cmUnknown && !agentOff:
		e.verdict = cniUnknown
		if in.Forbidden["configmaps"] != nil {
			e.forbidden = "configmaps"
		} else {
			e.notInFiles = "ConfigMap kube-system/amazon-vpc-cni"
		}
		e.detail = "it enforces only when ConfigMap kube-system/amazon-vpc-cni sets enable-network-policy-controller: \"true\""
		return e
	case !cmOn || agentOff:
		e.verdict = cniDoesNot
		var why []string
		if !cmOn {
			switch {
			case cmUnknown:
				// Unreadable or not in the files, so not a reason; only reached with the agent
				// off, which decides.
			case cm == nil:
				why = append(why, "ConfigMap kube-system/amazon-vpc-cni does not exist, so its network policy controller (enable-network-policy-controller: \"true\") is off")
			default:
				why = append(why, "ConfigMap kube-system/amazon-vpc-cni does not set enable-network-policy-controller: \"true\", so its network policy controller is off")
			}
		}
		if agentOff {
			why = append(why, fmt.Sprintf("its node agent (container %s) runs with %s", spec.Containers[agentFlag.container].Name, agentFlag.raw))
		}
		e.detail = strings.Join(why, ", and ")
		e.fix = "With the EKS managed add-on (VPC CNI v1.14+, EKS 1.25+), enable network policy in the add-on's configuration (it sets both the ConfigMap and the node agent):\n" + addon + "\n" +
			"With a self-managed VPC CNI, turn on the controller"
		if agentFix != "" {
			e.fix += " and the node agent"
		}
		e.fix += ":\n"
		if !cmOn && !cmUnknown {
			e.fix += cmFix + "\n"
		}
		if agentFix != "" {
			e.fix += agentFix + "\n"
		}
		e.fix = strings.TrimSuffix(e.fix, "\n")
		return e
	}
	e.detail = "enable-network-policy-controller: \"true\" in ConfigMap kube-system/amazon-vpc-cni"
	return e
}

// detectK3s reads k3s's node annotation k3s.io/node-args (a JSON list of the k3s arguments).
// k3s enforces NetworkPolicy with its embedded kube-router controller unless a server runs
// with --disable-network-policy.
func detectK3s(nodes []corev1.Node) (cniEngine, bool) {
	var first string
	for i := range nodes {
		n := &nodes[i]
		raw, ok := n.Annotations["k3s.io/node-args"]
		if !ok {
			continue
		}
		if first == "" {
			first = n.Name
		}
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			args = strings.Fields(raw)
		}
		disabled := false
		for i, a := range args {
			a = strings.Trim(a, `"[],`)
			v, ok := strings.CutPrefix(a, "--disable-network-policy")
			switch {
			case !ok:
			case strings.HasPrefix(v, "="):
				disabled = cniTrue(v[1:])
			case v == "":
				// k3s records "--flag=value" as two items, "--flag" and "value"; a bare flag
				// (followed by another flag, or last) means true.
				next := ""
				if i+1 < len(args) {
					next = strings.Trim(args[i+1], `"[],`)
				}
				disabled = next == "" || strings.HasPrefix(next, "-") || cniTrue(next)
			}
		}
		if disabled {
			return cniEngine{name: "k3s", resource: "Node/" + n.Name, verdict: cniDoesNot,
				detail: "this k3s server runs with --disable-network-policy (annotation k3s.io/node-args), which turns off k3s's embedded network policy controller",
				fix: "Remove --disable-network-policy from the k3s server's arguments (or disable-network-policy: true from /etc/rancher/k3s/config.yaml) on every server node, then restart k3s:\n" +
					"  sudo systemctl restart k3s\n" +
					"or install a plugin that enforces NetworkPolicy, such as Calico or Cilium."}, true
		}
	}
	if first == "" {
		return cniEngine{}, false
	}
	return cniEngine{name: "k3s", resource: "Node/" + first, verdict: cniEnforces,
		detail: "its embedded network policy controller is on (no --disable-network-policy in k3s.io/node-args)"}, true
}

func cniConfigMap(in *Input, ns, name string) *corev1.ConfigMap {
	for i := range in.ConfigMaps {
		if in.ConfigMaps[i].Namespace == ns && in.ConfigMaps[i].Name == name {
			return &in.ConfigMaps[i]
		}
	}
	return nil
}

// cniTrue reads a Go flag's boolean as pflag would (strconv.ParseBool); anything unreadable
// counts as true, the value a bare --flag has.
func cniTrue(v string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err != nil || b
}

// cniArg is a --flag found in a pod template, with where it is for a JSON patch.
type cniArg struct {
	container int    // index in spec.containers
	field     string // "command" or "args"
	index     int
	raw       string // as written: --run-firewall=false
	value     string // after '=', or "true" for a bare flag
}

// patch is a kubectl line that replaces the argument with value.
func (a cniArg) patch(kind, ns, name, value string) string {
	return fmt.Sprintf(`kubectl patch %s %s -n %s --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/%d/%s/%d","value":"%s"}]'`,
		kind, name, ns, a.container, a.field, a.index, value)
}

// cniFindFlag finds the last --name[=value] in the command and args of the containers that
// match (all when match is nil); the last one wins, as with pflag.
func cniFindFlag(spec *corev1.PodSpec, match func(*corev1.Container) bool, name string) (cniArg, bool) {
	var found cniArg
	ok := false
	for ci := range spec.Containers {
		c := &spec.Containers[ci]
		if match != nil && !match(c) {
			continue
		}
		for _, field := range []string{"command", "args"} {
			list := c.Command
			if field == "args" {
				list = c.Args
			}
			for i, s := range list {
				flag := strings.TrimLeft(s, "-")
				if len(flag) == len(s) {
					continue // not a flag
				}
				k, v, hasValue := strings.Cut(flag, "=")
				if k != name {
					continue
				}
				if !hasValue {
					v = "true"
				}
				found, ok = cniArg{container: ci, field: field, index: i, raw: s, value: v}, true
			}
		}
	}
	return found, ok
}

// networkishDaemonSets lists DaemonSets that look like network plugins that doctor does not
// know: a network word in the name or image, or a container with NET_ADMIN. kube-proxy and
// NodeLocal DNSCache are left out: every cluster has them and neither is a plugin.
func networkishDaemonSets(dss []appsv1.DaemonSet) []string {
	words := []string{"cni", "net", "calico", "cilium", "flannel", "weave", "router", "ovn", "ovs", "multus", "vpc", "sdn", "overlay", "vxlan", "bgp", "ipam", "policy", "npm", "romana", "contiv"}
	var out []string
	for i := range dss {
		ds := &dss[i]
		if ds.Name == "kube-proxy" || ds.Labels["k8s-app"] == "kube-proxy" || strings.Contains(ds.Name, "node-local-dns") || ds.Labels["k8s-app"] == "node-local-dns" {
			continue
		}
		hit := slices.ContainsFunc(words, func(w string) bool { return strings.Contains(strings.ToLower(ds.Name), w) })
		var images []string
		for _, c := range ds.Spec.Template.Spec.Containers {
			images = append(images, c.Image)
			img := strings.ToLower(c.Image)
			if slices.ContainsFunc(words, func(w string) bool { return w != "net" && strings.Contains(img, w) }) {
				hit = true
			}
			if sc := c.SecurityContext; sc != nil && sc.Capabilities != nil && slices.Contains(sc.Capabilities.Add, "NET_ADMIN") {
				hit = true
			}
		}
		if hit {
			s := "DaemonSet/" + ds.Namespace + "/" + ds.Name
			if len(images) > 0 {
				s += " (" + strings.Join(images, ", ") + ")"
			}
			out = append(out, s)
		}
	}
	return out
}

func cniListSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
