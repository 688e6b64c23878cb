package source

import (
	"reflect"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The cluster as it is: what ReadCluster would give.
func liveForApply() *Objects {
	policy := func(ns, name string) networkingv1.NetworkPolicy {
		return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	replica := func(name string) corev1.Pod {
		return corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name,
				Labels:          map[string]string{"app": "web", "pod-template-hash": "7d9f"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9f", Controller: ptr.To(true)}}},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.7"},
		}
	}
	return &Objects{
		Namespaces: []corev1.Namespace{
			{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{
				"kubernetes.io/metadata.name": "web", "team": "a", "pod-security.kubernetes.io/enforce": "restricted"},
				// The last kubectl apply set team=a; Pod Security's label came from elsewhere.
				Annotations: map[string]string{corev1.LastAppliedConfigAnnotation: `{"apiVersion":"v1","kind":"Namespace","metadata":{"labels":{"team":"a"},"name":"web"}}`}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "db", Labels: map[string]string{"kubernetes.io/metadata.name": "db"}}},
		},
		Pods:     []corev1.Pod{replica("web-7d9f-x1"), replica("web-7d9f-x2")},
		Policies: []networkingv1.NetworkPolicy{policy("db", "allow-web"), policy("db", "legacy"), policy("web", "deny-all")},
	}
}

const applyFiles = `
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {tier: web}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: db}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {tier: web}}}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: v2}}
    spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: web}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: nginx}]}
`

func TestApplied(t *testing.T) {
	files, _ := read(t, "default", false, writeFile(t, t.TempDir(), "change.yaml", applyFiles))
	for _, prune := range []bool{false, true} {
		live := liveForApply()
		out, pruned := Applied(live, files, prune)

		// Namespace labels merge as kubectl apply merges them: team=a, set by the last apply
		// and left out now, goes; Pod Security's label stays; tier=web is added.
		var web map[string]string
		for _, ns := range out.Namespaces {
			if ns.Name == "web" {
				web = ns.Labels
			}
		}
		wantWeb := map[string]string{"kubernetes.io/metadata.name": "web", "pod-security.kubernetes.io/enforce": "restricted", "tier": "web"}
		if !reflect.DeepEqual(web, wantWeb) {
			t.Errorf("prune %t: namespace web labels %v, want %v", prune, web, wantWeb)
		}

		// The Deployment's running replicas keep their names and IPs and take the new
		// template's labels and ports; the Deployment with no live pods is its stand-in.
		pods := map[string]corev1.Pod{}
		for _, p := range out.Pods {
			pods[p.Namespace+"/"+p.Name] = p
		}
		ids := make([]string, 0, len(pods))
		for id := range pods {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		if want := []string{"web/deployment/api", "web/web-7d9f-x1", "web/web-7d9f-x2"}; !reflect.DeepEqual(ids, want) {
			t.Fatalf("prune %t: pods %v, want %v", prune, ids, want)
		}
		x1 := pods["web/web-7d9f-x1"]
		if want := map[string]string{"app": "web", "version": "v2", "pod-template-hash": "7d9f"}; !reflect.DeepEqual(x1.Labels, want) {
			t.Errorf("prune %t: replica labels %v, want %v", prune, x1.Labels, want)
		}
		if x1.Status.PodIP != "10.0.0.7" || x1.Spec.Containers[0].Ports[0].ContainerPort != 8080 {
			t.Errorf("prune %t: replica IP %q, ports %v", prune, x1.Status.PodIP, x1.Spec.Containers[0].Ports)
		}
		if !out.StandIns["web/deployment/api"] || out.StandIns["web/deployment/web"] {
			t.Errorf("prune %t: stand-ins %v", prune, out.StandIns)
		}

		// db/allow-web is replaced; with prune, db/legacy (db holds a policy of the files, not
		// this one) goes, and web/deny-all stays: the files hold no policy of web.
		var names []string
		for _, p := range out.Policies {
			names = append(names, p.Namespace+"/"+p.Name)
			if p.Name == "allow-web" && len(p.Spec.Ingress) != 1 {
				t.Errorf("prune %t: db/allow-web not replaced: %+v", prune, p.Spec)
			}
		}
		sort.Strings(names)
		wantNames, wantPruned := []string{"db/allow-web", "db/legacy", "web/deny-all"}, []string(nil)
		if prune {
			wantNames, wantPruned = []string{"db/allow-web", "web/deny-all"}, []string{"db/legacy"}
		}
		if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(pruned, wantPruned) {
			t.Errorf("prune %t: policies %v, pruned %v; want %v, %v", prune, names, pruned, wantNames, wantPruned)
		}

		// Nothing of the inputs was changed.
		if fresh := liveForApply(); !reflect.DeepEqual(live, fresh) {
			t.Errorf("prune %t: the live objects were changed", prune)
		}
	}
}
