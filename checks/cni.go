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

	"github.com/kubectl-netpol/kubectl-netpol/lang"
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
	Title: lang.M("doctor.title.cni"),
	IDs:   []string{cniIDNotEnforced, cniIDUnknown, cniIDEnforced, cniIDSkipped},
	Run:   runCNICheck,
}

// kindnetPolicySince is the first kindnetd image date with a network policy engine (kind v0.24.0).
const kindnetPolicySince = "20240719"

var cniActiveHint = lang.M("doctor.cni.active-hint")

// cniFilesActiveHint is cniActiveHint for files: --active needs the cluster.
var cniFilesActiveHint = lang.M("doctor.cni.active-hint.files")

func cniHint(in *Input) lang.Msg {
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
	detail   lang.Msg // enforces: how we know; does not / unknown: why
	fix      lang.Msg // the remediation when it does not enforce
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
	// Where the findings come from (the cluster, or what the files hold) picks the messages.
	liveOr := func(live, files string) string {
		if in.Live {
			return live
		}
		return files
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
		var parts []lang.Msg
		for _, e := range yes {
			s := lang.Verbatim(e.where())
			if !e.detail.IsZero() {
				s = lang.Join("doctor.join.colon", s, e.detail)
			}
			parts = append(parts, s)
		}
		var also lang.Msg
		if len(no)+len(unknown) > 0 {
			var others []string
			for _, e := range append(slices.Clone(no), unknown...) {
				others = append(others, e.where())
			}
			also = lang.M("doctor.cni.enforced.also", strings.Join(others, ", "))
		}
		f := pass(cniCheckName, cniIDEnforced, lang.M(liveOr("doctor.cni.enforced", "doctor.cni.enforced.files"), lang.Join("join.semi", parts...), also))
		f.Resource = yes[0].resource
		return []Finding{f}
	}

	var out []Finding
	if dsForbidden == nil {
		// With a plugin of unknown enforcement beside it, "nothing enforces" is not certain;
		// with files, neither is it for an engine that runs outside them.
		consequence := lang.M("doctor.cni.consequence")
		switch {
		case in.Live && len(unknown) > 0:
			consequence = lang.M("doctor.cni.consequence.unless-other")
		case len(unknown) > 0:
			consequence = lang.M("doctor.cni.consequence.unless-other.files")
		case !in.Live:
			consequence = lang.M("doctor.cni.consequence.files")
		}
		for _, e := range no {
			fix := []lang.Msg{e.fix, cniHint(in)}
			if !in.Live && strings.Contains(e.fix.String(), "kubectl patch") {
				fix = append([]lang.Msg{lang.M("doctor.cni.fix.manifest-too")}, fix...)
			}
			out = append(out, finding(cniCheckName, cniIDNotEnforced, SeverityError, e.resource,
				lang.M(liveOr("doctor.cni.not-enforced", "doctor.cni.not-enforced.files"), e.where(), e.detail, consequence), lang.Join("join.line", fix...)))
		}
	}
	for _, e := range unknown {
		switch {
		case e.notInFiles != "":
			f := skipped(cniCheckName, cniIDSkipped, lang.M("doctor.cni.not-in-files", e.notInFiles, e.where(), e.detail))
			f.Resource = e.resource
			out = append(out, f.withFix(lang.Join("join.line", lang.M("doctor.cni.not-in-files.fix", e.notInFiles, cniGetArgs(e.notInFiles)), cniFilesActiveHint)))
			continue
		case e.forbidden != "":
			f := skipped(cniCheckName, cniIDSkipped, lang.M("doctor.cni.config-forbidden", e.forbidden, e.where(), e.detail))
			f.Resource = e.resource
			out = append(out, f.withFix(lang.Join("join.line", cniRBACFix(e.forbidden), cniActiveHint)))
			continue
		}
		out = append(out, finding(cniCheckName, cniIDUnknown, SeverityWarning, e.resource,
			lang.M(liveOr("doctor.cni.unknown", "doctor.cni.unknown.files"), e.where(), e.detail), cniHint(in)))
	}
	if dsForbidden != nil {
		// The API server's error is said as it said it.
		var seen lang.Msg
		if len(no) > 0 {
			var items []lang.Msg
			for _, e := range no {
				items = append(items, lang.M("doctor.cni.ds-forbidden.seen-item", e.where(), e.detail))
			}
			seen = lang.M("doctor.cni.ds-forbidden.seen", lang.Join("join.semi", items...))
		}
		f := skipped(cniCheckName, cniIDSkipped, lang.M("doctor.cni.ds-forbidden", seen, dsForbidden.Error()))
		out = append(out, f.withFix(lang.Join("join.line", cniRBACFix("daemonsets"), cniActiveHint)))
		return out
	}
	if len(engines) == 0 {
		id := "doctor.cni.none"
		if nodesForbidden == nil {
			id = "doctor.cni.none.nodes"
		}
		netish := lang.M("doctor.cni.none.no-netish")
		if list := networkishDaemonSets(in.DaemonSets); len(list) > 0 {
			netish = lang.M("doctor.cni.none.netish", listSome(list, 6))
		}
		out = append(out, finding(cniCheckName, cniIDUnknown, SeverityWarning, "", lang.M(id, netish), lang.M("doctor.cni.none.fix")))
	}
	if nodesForbidden != nil && len(engines) == 0 {
		f := skipped(cniCheckName, cniIDSkipped, lang.M("doctor.cni.nodes-forbidden", nodesForbidden.Error()))
		out = append(out, f.withFix(cniRBACFix("nodes")))
	}
	return out
}

// cniNothingInFiles is the files' finding when they hold no plugin's signature: the plugin's
// manifests are rarely next to an application's, and some are never in files at all (k3s's
// controller shows in its Nodes' annotation only, a managed platform's plugin in no manifest).
func cniNothingInFiles(in *Input) Finding {
	var netish lang.Msg
	if list := networkishDaemonSets(in.DaemonSets); len(list) > 0 {
		netish = lang.M("doctor.cni.files-none.netish", listSome(list, 6))
	}
	f := skipped(cniCheckName, cniIDSkipped, lang.M("doctor.cni.files-none", netish))
	return f.withFix(lang.M("doctor.cni.files-none.fix"))
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
func cniRBACFix(what string) lang.Msg {
	switch what {
	case "configmaps":
		return lang.M("doctor.cni.rbac.configmaps")
	case "nodes":
		return lang.M("doctor.cni.rbac.nodes")
	default:
		return lang.M("doctor.cni.rbac.daemonsets")
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
				detail: lang.M("doctor.cni.tigera.forbidden")})
		case d.Name == "tigera-operator" && !calico && !in.Live:
			// Files never hold calico-node under the operator: it creates it at run time.
			out = append(out, cniEngine{name: "Calico", resource: res, verdict: cniEnforces,
				detail: lang.M("doctor.cni.tigera.files")})
		case d.Name == "tigera-operator" && !calico:
			out = append(out, cniEngine{name: "Calico", resource: res, verdict: cniUnknown,
				detail: lang.M("doctor.cni.tigera.not-installed")})
		case d.Name == "cilium-operator" && dsForbidden:
			e := cniEngine{name: "Cilium", resource: res, verdict: cniEnforces, detail: lang.M("doctor.cni.cilium-operator")}
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
		e.detail = lang.M("doctor.cni.ds.no-pod")
		e.fix = lang.M("doctor.cni.ds.no-pod.fix", ds.Name, ds.Namespace)
	case st.NumberReady < st.DesiredNumberScheduled:
		notReady := lang.M("doctor.cni.ds.not-ready", st.NumberReady, st.DesiredNumberScheduled, ds.Namespace)
		if e.detail.IsZero() {
			e.detail = notReady
		} else {
			e.detail = lang.Join("join.semi", e.detail, notReady)
		}
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
		e.name, e.detail = "canal", lang.M("doctor.cni.canal")
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
			e.detail = lang.M("doctor.cni.weave.no-npc")
			e.fix = lang.M("doctor.cni.weave.fix", ds.Namespace, ds.Name)
		} else {
			e.detail = lang.M("doctor.cni.weave.npc")
		}
	case name == "kube-router" || label("k8s-app", "kube-router"):
		e.name = "kube-router"
		if a, ok := cniFindFlag(spec, nil, "run-firewall"); ok && !cniTrue(a.value) {
			e.verdict = cniDoesNot
			e.detail = lang.M("doctor.cni.kube-router.off", a.raw)
			e.fix = lang.M("doctor.cni.kube-router.fix", a.patch("daemonset", ds.Namespace, ds.Name, "--run-firewall=true"))
		} else {
			e.detail = lang.M("doctor.cni.kube-router.on")
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
			e.detail = lang.M("doctor.cni.flannel.knp")
			return e, true
		}
		e.verdict = cniDoesNot
		e.detail = lang.M("doctor.cni.flannel.none")
		e.fix = lang.M("doctor.cni.flannel.fix", ds.Namespace)
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
		e.detail = lang.M("doctor.cni.cilium.never", cm.Namespace)
		e.fix = lang.M("doctor.cni.cilium.fix", cm.Namespace, ns)
	case cm != nil:
		mode := cm.Data["enable-policy"]
		if mode == "" {
			mode = "default"
		}
		e.detail = lang.M("doctor.cni.cilium.mode", mode)
	case in.Forbidden["configmaps"] != nil:
		e.detail = lang.M("doctor.cni.cilium.forbidden")
	case !in.Live:
		e.detail = lang.M("doctor.cni.cilium.not-in-files")
	case ns != "kube-system":
		e.detail = lang.M("doctor.cni.cilium.elsewhere")
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
		e.detail = lang.M("doctor.cni.kindnet.flag", a.raw)
		e.fix = lang.M("doctor.cni.kindnet.flag.fix", a.patch("daemonset", ds.Namespace, ds.Name, "--network-policy=true"))
		return e
	}
	date, major, ok := kindnetdVersion(image)
	switch {
	case !ok:
		e.verdict = cniUnknown
		e.detail = lang.M("doctor.cni.kindnet.no-version", image, kindnetPolicySince)
	case date != "" && date >= kindnetPolicySince:
		e.detail = lang.M("doctor.cni.kindnet.recent", image, date)
	case date != "":
		e.verdict = cniDoesNot
		e.detail = lang.M("doctor.cni.kindnet.old", image, date, kindnetPolicySince)
	case major >= 1:
		e.detail = lang.M("doctor.cni.kindnet.standalone", image)
	default:
		e.verdict = cniDoesNot
		e.detail = lang.M("doctor.cni.kindnet.zero", image)
	}
	if e.verdict == cniDoesNot {
		e.fix = lang.M("doctor.cni.kindnet.fix")
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
		e.detail = lang.M("doctor.cni.aws.no-agent")
		e.fix = lang.M("doctor.cni.aws.no-agent.fix")
		return e
	case cmUnknown && !agentOff:
		e.verdict = cniUnknown
		if in.Forbidden["configmaps"] != nil {
			e.forbidden = "configmaps"
		} else {
			e.notInFiles = "ConfigMap kube-system/amazon-vpc-cni"
		}
		e.detail = lang.M("doctor.cni.aws.unknown")
		return e
	case !cmOn || agentOff:
		e.verdict = cniDoesNot
		var why []lang.Msg
		if !cmOn {
			switch {
			case cmUnknown:
				// Unreadable or not in the files, so not a reason; only reached with the agent
				// off, which decides.
			case cm == nil:
				why = append(why, lang.M("doctor.cni.aws.no-configmap"))
			default:
				why = append(why, lang.M("doctor.cni.aws.controller-off"))
			}
		}
		if agentOff {
			why = append(why, lang.M("doctor.cni.aws.agent-off", spec.Containers[agentFlag.container].Name, agentFlag.raw))
		}
		e.detail = lang.Join("doctor.join.and", why...)
		// The commands, each on a line of its own after the fix's last line.
		var cmds string
		if !cmOn && !cmUnknown {
			cmds += "\n" + cmFix
		}
		if agentFix != "" {
			cmds += "\n" + agentFix
		}
		id := "doctor.cni.aws.fix"
		if agentFix != "" {
			id = "doctor.cni.aws.fix.agent-too"
		}
		e.fix = lang.M(id, cmds)
		return e
	}
	e.detail = lang.M("doctor.cni.aws.on")
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
				detail: lang.M("doctor.cni.k3s.off"), fix: lang.M("doctor.cni.k3s.fix")}, true
		}
	}
	if first == "" {
		return cniEngine{}, false
	}
	return cniEngine{name: "k3s", resource: "Node/" + first, verdict: cniEnforces,
		detail: lang.M("doctor.cni.k3s.on")}, true
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
