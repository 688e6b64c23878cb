package source

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Applied is what a cluster would hold once files are applied to it with kubectl apply -f: an
// object of the files replaces the live one of the same kind, namespace and name, or is added.
//
//   - Labels of a Namespace or Pod merge as kubectl apply merges them: the file's labels are
//     set, and a live label the file leaves out stays, unless the last kubectl apply set it
//     (the last-applied-configuration annotation says so). Namespaces carry labels that other
//     tools add (Pod Security, meshes), which namespaceSelectors may look at. A Pod that runs
//     already keeps the rest (its ports cannot change, its IPs are its status).
//   - A workload of the files (its stand-in pod, "deployment/web") whose pods run in the cluster
//     (found by their controller's owner reference) re-labels them: they keep their names and
//     IPs and take the template's labels and ports, as its new pods would. A workload with no
//     live pods is added as its stand-in.
//   - NetworkPolicies are replaced whole. With prune, the live NetworkPolicies of every
//     namespace in which the files hold a NetworkPolicy, and that the files do not hold, are
//     removed, as kubectl apply --prune would remove them; pruned lists them as namespace/name.
func Applied(live, files *Objects, prune bool) (out *Objects, pruned []string) {
	f := *files
	f.Namespaces = slices.Clone(files.Namespaces)
	f.Pods = slices.Clone(files.Pods)
	f.StandIns = maps.Clone(files.StandIns)

	liveNS := map[string]*corev1.Namespace{}
	for i := range live.Namespaces {
		liveNS[live.Namespaces[i].Name] = &live.Namespaces[i]
	}
	for i := range f.Namespaces {
		if was, ok := liveNS[f.Namespaces[i].Name]; ok {
			f.Namespaces[i].Labels = appliedLabels(was, &f.Namespaces[i])
		}
	}

	livePods := map[string]*corev1.Pod{}
	byOwner := map[string][]*corev1.Pod{} // "deployment/default/web" -> its live pods
	for i := range live.Pods {
		p := &live.Pods[i]
		livePods[p.Namespace+"/"+p.Name] = p
		if owner := ownerOf(p); owner != "" {
			key := strings.Replace(owner, "/", "/"+p.Namespace+"/", 1)
			byOwner[key] = append(byOwner[key], p)
		}
	}
	pods := f.Pods[:0:0]
	for i := range f.Pods {
		p := f.Pods[i]
		id := p.Namespace + "/" + p.Name
		if !f.StandIns[id] {
			if was, ok := livePods[id]; ok {
				// The API server lets little of a running pod change (not its ports), and
				// status is its own: only the labels are applied.
				labels := appliedLabels(was, &p)
				p = *was.DeepCopy()
				p.Labels = labels
			}
			pods = append(pods, p)
			continue
		}
		kind, name, _ := strings.Cut(p.Name, "/")
		running := byOwner[kind+"/"+p.Namespace+"/"+name]
		if len(running) == 0 {
			pods = append(pods, p) // a new workload: its pods are still to come
			continue
		}
		delete(f.StandIns, id)
		for _, was := range running {
			pods = append(pods, relabeled(was, &p))
		}
	}
	f.Pods = pods

	out = live.Merge(&f)
	if !prune {
		return out, nil
	}
	managed := map[string]bool{} // namespaces in which the files hold policies
	inFiles := map[string]bool{}
	for _, p := range files.Policies {
		managed[p.Namespace] = true
		inFiles[p.Namespace+"/"+p.Name] = true
	}
	kept := out.Policies[:0]
	for _, p := range out.Policies {
		if name := p.Namespace + "/" + p.Name; managed[p.Namespace] && !inFiles[name] {
			pruned = append(pruned, name)
			continue
		}
		kept = append(kept, p)
	}
	out.Policies = kept // Merge's own array: no caller's is touched
	sort.Strings(pruned)
	return out, pruned
}

// appliedLabels are the labels kubectl apply leaves on live once file is applied: file's, and
// live's that file leaves out unless the last apply set them.
func appliedLabels(live, file metav1.Object) map[string]string {
	var last struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if text := live.GetAnnotations()[corev1.LastAppliedConfigAnnotation]; text != "" {
		_ = json.Unmarshal([]byte(text), &last) // unreadable: as if there were none
	}
	out := map[string]string{}
	for k, v := range live.GetLabels() {
		if _, appliedBefore := last.Metadata.Labels[k]; !appliedBefore {
			out[k] = v
		}
	}
	maps.Copy(out, file.GetLabels())
	return out
}

// controllerLabels are the labels a workload's controller adds to its pods, beside the
// template's: they stay when the template changes.
var controllerLabels = []string{"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
	"apps.kubernetes.io/pod-index", "job-name", "controller-uid", "batch.kubernetes.io/job-name",
	"batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-completion-index"}

// relabeled is a live pod of a workload as the workload's template in the files would make it:
// the template's labels (with its controller's) and spec, the live pod's name and status.
func relabeled(live *corev1.Pod, template *corev1.Pod) corev1.Pod {
	p := *live.DeepCopy()
	p.Labels = maps.Clone(template.Labels)
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	for _, k := range controllerLabels {
		if v, ok := live.Labels[k]; ok {
			p.Labels[k] = v
		}
	}
	p.Spec = *template.Spec.DeepCopy()
	return p
}

// ownerOf names the workload a live pod belongs to the way its stand-in from files is named
// ("deployment/web", "statefulset/db"), or "" for a pod of its own. A Deployment's pods belong
// to its ReplicaSet, named DEPLOYMENT-HASH, and carry that hash as pod-template-hash.
func ownerOf(p *corev1.Pod) string {
	ref := metav1.GetControllerOf(p)
	if ref == nil {
		return ""
	}
	if h := p.Labels["pod-template-hash"]; ref.Kind == "ReplicaSet" && h != "" && strings.HasSuffix(ref.Name, "-"+h) {
		return "deployment/" + strings.TrimSuffix(ref.Name, "-"+h)
	}
	return strings.ToLower(ref.Kind) + "/" + ref.Name
}
