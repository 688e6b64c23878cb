package labs

import (
	"net"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestCatalogHasTheRequiredLabs(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 10 {
		t.Errorf("%d labs, want at least 10", len(all))
	}
	names := map[string]bool{}
	for _, l := range all {
		names[l.Name] = true
	}
	for _, want := range []string{"three-tier", "namespace-labels", "dns-egress", "and-vs-or", "cross-namespace", "egress-control", "ipblock"} {
		if !names[want] {
			t.Errorf("required lab %q missing", want)
		}
	}
	// Easiest first.
	for i := 1; i < len(all); i++ {
		if levelRank(all[i].Level) < levelRank(all[i-1].Level) {
			t.Errorf("%s (%s) listed after %s (%s)", all[i].Name, all[i].Level, all[i-1].Name, all[i-1].Level)
		}
	}
}

func levelRank(level string) int {
	for i, l := range Levels {
		if l == level {
			return i
		}
	}
	return -1
}

// Every lab renders, with and without a namespace suffix, into objects that stay inside the
// lab's namespaces, carry the ownership labels, and a goal whose endpoints exist.
func TestEveryLabRendersConsistently(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		for _, suffix := range []string{"", "-2"} {
			t.Run(l.Name+suffix, func(t *testing.T) {
				r, err := l.Render(Options{NamespaceSuffix: suffix})
				if err != nil {
					t.Fatal(err)
				}
				checkRendered(t, r, suffix)
			})
		}
	}
}

func checkRendered(t *testing.T, r *Rendered, suffix string) {
	t.Helper()
	inLab := map[string]bool{}
	for _, ns := range r.Namespaces {
		if !strings.HasSuffix(ns, suffix) {
			t.Errorf("namespace %q lacks suffix %q", ns, suffix)
		}
		inLab[ns] = true
	}
	pods := map[string]bool{}
	declaredNamespaces := map[string]bool{}
	for _, o := range append(append([]*unstructured.Unstructured{}, r.Setup...), r.Solution...) {
		if !ownedBy(o.GetLabels(), r.Name) {
			t.Errorf("%s %s lacks the ownership labels: %v", o.GetKind(), o.GetName(), o.GetLabels())
		}
		switch o.GetKind() {
		case "Namespace":
			declaredNamespaces[o.GetName()] = true
		case "Pod":
			pods[o.GetNamespace()+"/"+o.GetName()] = true
		}
		switch {
		case o.GetKind() == "ClusterNetworkPolicy":
			// Cluster-scoped: its name carries the suffix, so that two copies never share one.
			if o.GetNamespace() != "" || !strings.HasSuffix(o.GetName(), suffix) {
				t.Errorf("%s %q (namespace %q): want cluster-scoped and named with suffix %q", o.GetKind(), o.GetName(), o.GetNamespace(), suffix)
			}
		case o.GetKind() != "Namespace" && !inLab[o.GetNamespace()]:
			t.Errorf("%s %s is in namespace %q, outside the lab's %v", o.GetKind(), o.GetName(), o.GetNamespace(), r.Namespaces)
		}
		// Every namespace name the lab selects on must be one of its own (renamed) namespaces.
		for _, v := range selectedNamespaceNames(o.Object) {
			if v != "kube-system" && !inLab[v] {
				t.Errorf("%s %s selects namespace %q, not one of %v", o.GetKind(), o.GetName(), v, r.Namespaces)
			}
		}
	}
	for ns := range inLab {
		if !declaredNamespaces[ns] {
			t.Errorf("setup does not create namespace %q", ns)
		}
	}
	for _, o := range r.Solution {
		if o.GetKind() != "NetworkPolicy" {
			t.Errorf("solution holds a %s; solutions are policies only", o.GetKind())
		}
	}
	for _, c := range r.Goal {
		for _, e := range []string{c.From, c.To} {
			if e == KubeDNS || net.ParseIP(e) != nil || pods[e] {
				continue
			}
			t.Errorf("goal endpoint %q is neither a pod of the lab, an IP, nor %s", e, KubeDNS)
		}
	}
	if !strings.Contains(r.SolutionYAML, "kind: NetworkPolicy") {
		t.Errorf("solution YAML %q holds no policy", r.SolutionYAML)
	}
}

// selectedNamespaceNames finds values of kubernetes.io/metadata.name and name labels in any
// namespaceSelector of obj (namespaces, in a ClusterNetworkPolicy), in matchLabels and in
// matchExpressions' values.
func selectedNamespaceNames(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if k == "namespaceSelector" || k == "namespaces" {
				if sel, ok := child.(map[string]any); ok {
					if ml, ok := sel["matchLabels"].(map[string]any); ok {
						for _, key := range []string{"kubernetes.io/metadata.name", "name"} {
							if s, ok := ml[key].(string); ok {
								out = append(out, s)
							}
						}
					}
					exprs, _ := sel["matchExpressions"].([]any)
					for _, e := range exprs {
						if e, ok := e.(map[string]any); ok && (e["key"] == "kubernetes.io/metadata.name" || e["key"] == "name") {
							values, _ := e["values"].([]any)
							for _, v := range values {
								if s, ok := v.(string); ok {
									out = append(out, s)
								}
							}
						}
					}
				}
			}
			out = append(out, selectedNamespaceNames(child)...)
		}
	case []any:
		for _, child := range x {
			out = append(out, selectedNamespaceNames(child)...)
		}
	}
	return out
}

func TestUnknownLabSuggestsClosest(t *testing.T) {
	_, err := Get("three-teir")
	if err == nil || !strings.Contains(err.Error(), "did you mean three-tier?") {
		t.Errorf("got %v, want a suggestion of three-tier", err)
	}
	_, err = Get("dns")
	if err == nil || !strings.Contains(err.Error(), "dns-egress") {
		t.Errorf("got %v, want a suggestion of dns-egress", err)
	}
	_, err = Get("kubernetes-the-hard-way")
	if err == nil || strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), "lab list") {
		t.Errorf("got %v, want no suggestion and a pointer to lab list", err)
	}
}

func TestImagesAndRegistry(t *testing.T) {
	l, err := Get("three-tier")
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Render(Options{ImageRegistry: "mirror.example:5000/", Images: map[string]string{"client": "tools.example/netshoot:1"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range r.Setup {
		if o.GetKind() != "Pod" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "containers")
		for _, c := range containers {
			seen[c.(map[string]any)["image"].(string)] = true
		}
	}
	want := map[string]bool{"mirror.example:5000/library/busybox:1.36.1": true, "tools.example/netshoot:1": true}
	if len(seen) != len(want) || !seen["mirror.example:5000/library/busybox:1.36.1"] || !seen["tools.example/netshoot:1"] {
		t.Errorf("images %v, want %v", seen, want)
	}
	if _, err := l.Render(Options{Images: map[string]string{"database": "x"}}); err == nil {
		t.Error("an unknown image role should be refused")
	}
	if _, err := l.Render(Options{NamespaceSuffix: "_Bad"}); err == nil {
		t.Error("a suffix that makes invalid namespace names should be refused")
	}
}
