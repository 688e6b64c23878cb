package labs

import (
	"context"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// LabStatus is what one lab that is up consists of right now.
type LabStatus struct {
	Lab        string      `json:"lab"`
	Namespaces []string    `json:"namespaces"`
	Pods       []PodStatus `json:"pods"`
	Services   []string    `json:"services"`
	// Policies are the lab's own (setup or solution); OtherPolicies are in the lab's namespaces
	// but not created by kubectl-netpol: the learner's.
	Policies      []string `json:"policies"`
	OtherPolicies []string `json:"otherPolicies"`
	// ClusterPolicies are the lab's cluster-scoped policies (kind/name), for a lab that has some.
	ClusterPolicies []string `json:"clusterPolicies,omitempty"`
	Terminating     bool     `json:"terminating,omitempty"`
	// Variant is the variant that is up (lab up --variant N); 0 for the lab as written.
	Variant int `json:"variant,omitempty"`
}

// PodStatus is one pod of a lab.
type PodStatus struct {
	Name  string `json:"name"` // namespace/name
	Ready bool   `json:"ready"`
	Phase string `json:"phase"`
	IP    string `json:"ip,omitempty"`
	Why   string `json:"why,omitempty"` // when not Ready
}

// ReadyPods counts the Ready pods.
func (s LabStatus) ReadyPods() int {
	n := 0
	for _, p := range s.Pods {
		if p.Ready {
			n++
		}
	}
	return n
}

// Status reports the labs that are up (all of them when lab is empty), found by the ownership
// labels on their namespaces. It lists, never gets one by one: one list per kind per namespace.
func Status(ctx context.Context, c Clients, lab string) ([]LabStatus, error) {
	sel := labels.Set{ManagedByLabel: ManagedByValue}
	if lab != "" {
		sel[LabLabel] = lab
	}
	nsList, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, asForbidden(err, "list", schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "")
	}
	byLab := map[string]*LabStatus{}
	for _, ns := range nsList.Items {
		name := ns.Labels[LabLabel]
		st := byLab[name]
		if st == nil {
			st = &LabStatus{Lab: name, Pods: []PodStatus{}, Services: []string{}, Policies: []string{}, OtherPolicies: []string{}}
			byLab[name] = st
		}
		st.Namespaces = append(st.Namespaces, ns.Name)
		st.Variant, _ = strconv.Atoi(ns.Labels[LabelVariant])
		if ns.Status.Phase == corev1.NamespaceTerminating {
			st.Terminating = true
		}
		if err := fillNamespace(ctx, c, st, ns.Name); err != nil {
			return nil, err
		}
	}
	var out []LabStatus
	for _, st := range byLab {
		if err := fillClusterScoped(ctx, c, st); err != nil {
			return nil, err
		}
		sort.Strings(st.Namespaces)
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Lab < out[j].Lab })
	return out, nil
}

func fillNamespace(ctx context.Context, c Clients, st *LabStatus, ns string) error {
	ours := labelSelector(st.Lab)
	pods, err := c.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: ours})
	if err != nil {
		return asForbidden(err, "list", resources["Pod"], ns)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		ps := PodStatus{Name: ns + "/" + p.Name, Ready: podReady(p), Phase: string(p.Status.Phase), IP: p.Status.PodIP}
		if !ps.Ready {
			ps.Why = whyNotReady(p)
		}
		st.Pods = append(st.Pods, ps)
	}
	svcs, err := c.Kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{LabelSelector: ours})
	if err != nil {
		return asForbidden(err, "list", resources["Service"], ns)
	}
	for _, s := range svcs.Items {
		st.Services = append(st.Services, ns+"/"+s.Name)
	}
	pols, err := c.Kube.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return asForbidden(err, "list", resources["NetworkPolicy"], ns)
	}
	for _, p := range pols.Items {
		if ownedBy(p.Labels, st.Lab) {
			st.Policies = append(st.Policies, ns+"/"+p.Name)
		} else {
			st.OtherPolicies = append(st.OtherPolicies, ns+"/"+p.Name)
		}
	}
	return nil
}

// fillClusterScoped lists the lab's cluster-scoped policies, for a lab that creates some.
func fillClusterScoped(ctx context.Context, c Clients, st *LabStatus) error {
	gvrs := clusterScopedResources(st.Lab)
	if len(gvrs) == 0 {
		return nil // no metadata client needed
	}
	meta, err := c.metadata()
	if err != nil {
		return err
	}
	objs, err := labClusterScoped(ctx, meta, st.Lab, gvrs)
	if err != nil {
		return err
	}
	for _, o := range objs {
		st.ClusterPolicies = append(st.ClusterPolicies, strings.ToLower(o.Kind)+"/"+o.Name)
	}
	sort.Strings(st.ClusterPolicies)
	return nil
}

// VariantUp is the variant of lab that is up (0 for the lab as written), read from its
// namespaces' labels; up is false when no namespace of the lab exists.
func VariantUp(ctx context.Context, kube kubernetes.Interface, lab string) (variant int, up bool, err error) {
	sel := labels.Set{ManagedByLabel: ManagedByValue, LabLabel: lab}
	list, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return 0, false, asForbidden(err, "list", schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "")
	}
	for _, ns := range list.Items {
		if v, err := strconv.Atoi(ns.Labels[LabelVariant]); err == nil {
			return v, true, nil
		}
	}
	return 0, len(list.Items) > 0, nil
}
