package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Data ported from the conformance suite of sigs.k8s.io/network-policy-api v0.3.0
// (ClusterNetworkPolicy, tiers Admin and Baseline); see testdata/cnp-conformance/README.md.
// This file only loads the data and checks that it is coherent; the evaluator's test runs
// the cases.

const cnpConformanceDir = "testdata/cnp-conformance"

// Counts from the upstream sources (network-policy-api@v0.3.0/conformance/tests/*.go):
const (
	// cnpConformanceTests is the number of suite.ConformanceTest vars, all of them
	// registered in tests.ConformanceTests by the files' init functions:
	//	grep -h '= suite.ConformanceTest{' conformance/tests/*.go | wc -l
	cnpConformanceTests = 30
	// cnpConformanceSubtests is the number of t.Run calls (one subtest each, none nested):
	//	cat conformance/tests/*.go | grep -o 't\.Run(' | wc -l
	// A subtest that changes an object between two pokes is split into steps with the same
	// name and part 1, 2, ...
	cnpConformanceSubtests = 112
	// cnpConformanceSteps is the number of steps in cases.yaml (subtests plus extra parts).
	cnpConformanceSteps = 128
	// cnpConformancePokes is the number of kubernetes.PokeServer calls (no loops, no
	// helpers: each call runs once), each ported to one poke:
	//	cat conformance/tests/*.go | grep -o 'kubernetes\.PokeServer(' | wc -l
	cnpConformancePokes = 397
	// cnpConformanceSkipped is the number of pokes kept with a skip reason.
	cnpConformanceSkipped = 0
)

// cnpConformance is the loaded data set.
type cnpConformance struct {
	// Cluster holds the Nodes, Namespaces and Pods of cluster.yaml, in file order.
	Cluster []*unstructured.Unstructured
	// Manifests maps a manifest path as cases.yaml spells it ("policies/...") to its
	// objects, in file order.
	Manifests map[string][]*unstructured.Unstructured
	// Cases holds one entry per upstream ConformanceTest, in upstream run order.
	Cases []cnpCase
}

// cnpCase is one upstream ConformanceTest.
type cnpCase struct {
	Test        string    `json:"test"`
	Source      string    `json:"source"`
	Description string    `json:"description"`
	Features    []string  `json:"features"`
	Channel     string    `json:"channel"`
	Manifests   []string  `json:"manifests"`
	Steps       []cnpStep `json:"steps"`
}

// cnpStep is one upstream t.Run subtest, or one part of it.
type cnpStep struct {
	Name string `json:"name"`
	// Part numbers the steps of a subtest that changes objects between pokes (0: not split).
	Part int `json:"part,omitempty"`
	// Upstream lists the Go statements the apply and delete lists come from (informational).
	Upstream []string `json:"upstream,omitempty"`
	// Apply replaces objects (same kind, namespace and name) before the pokes; cumulative.
	Apply []*unstructured.Unstructured `json:"apply,omitempty"`
	// Delete removes objects before the pokes; cumulative.
	Delete []cnpObjectRef `json:"delete,omitempty"`
	Pokes  []cnpPoke      `json:"pokes"`
}

type cnpObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// cnpPoke is one upstream kubernetes.PokeServer call.
type cnpPoke struct {
	// From is the client pod, "namespace/name".
	From string `json:"from"`
	// To is the server pod ("namespace/name") or an IP address.
	To string `json:"to"`
	// ToPod is the host-network pod whose status.podIP (its node's IP) To holds.
	ToPod    string `json:"toPod,omitempty"`
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
	Allowed  bool   `json:"allowed"`
	Skip     string `json:"skip,omitempty"`
}

// cnpKey identifies an object across applies: kind/namespace/name.
func cnpKey(o *unstructured.Unstructured) string {
	return o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
}

func (r cnpObjectRef) key() string { return r.Kind + "/" + r.Namespace + "/" + r.Name }

// readCNPObjects decodes a multi-document YAML file the way the upstream suite's Applier does.
func readCNPObjects(file string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(u); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// loadCNPConformance loads cluster.yaml, cases.yaml and every manifest the cases name.
func loadCNPConformance(t testing.TB) *cnpConformance {
	t.Helper()
	d := &cnpConformance{Manifests: map[string][]*unstructured.Unstructured{}}
	var err error
	if d.Cluster, err = readCNPObjects(filepath.Join(cnpConformanceDir, "cluster.yaml")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(cnpConformanceDir, "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &d.Cases); err != nil {
		t.Fatalf("cases.yaml: %v", err)
	}
	for _, c := range d.Cases {
		for _, m := range c.Manifests {
			if _, ok := d.Manifests[m]; ok {
				continue
			}
			objs, err := readCNPObjects(filepath.Join(cnpConformanceDir, filepath.FromSlash(m)))
			if err != nil {
				t.Fatalf("%s: %v", c.Test, err)
			}
			d.Manifests[m] = objs
		}
	}
	return d
}

// objectsAt returns the objects in effect during step i of c: the cluster, the case's
// manifests, then every apply and delete of steps 0..i. Objects keep their first position;
// the result is a fresh deep copy.
func (d *cnpConformance) objectsAt(c cnpCase, i int) ([]*unstructured.Unstructured, error) {
	var order []string
	objs := map[string]*unstructured.Unstructured{}
	add := func(o *unstructured.Unstructured, replace bool) error {
		k := cnpKey(o)
		old, exists := objs[k]
		switch {
		case replace && !exists:
			return fmt.Errorf("apply of %s: no such object", k)
		case replace && old.GetAPIVersion() != o.GetAPIVersion():
			return fmt.Errorf("apply of %s: apiVersion %s, was %s", k, o.GetAPIVersion(), old.GetAPIVersion())
		case !replace && exists:
			return fmt.Errorf("%s defined twice", k)
		case !exists:
			order = append(order, k)
		}
		objs[k] = o
		return nil
	}
	for _, o := range d.Cluster {
		if err := add(o, false); err != nil {
			return nil, err
		}
	}
	for _, m := range c.Manifests {
		ms, ok := d.Manifests[m]
		if !ok {
			return nil, fmt.Errorf("manifest %s not loaded", m)
		}
		for _, o := range ms {
			if err := add(o, false); err != nil {
				return nil, fmt.Errorf("%s: %w", m, err)
			}
		}
	}
	for _, s := range c.Steps[:i+1] {
		for _, o := range s.Apply {
			if err := add(o, true); err != nil {
				return nil, fmt.Errorf("step %q: %w", s.Name, err)
			}
		}
		for _, r := range s.Delete {
			o, ok := objs[r.key()]
			if !ok || o.GetAPIVersion() != r.APIVersion {
				return nil, fmt.Errorf("step %q: delete of %s %s: no such object", s.Name, r.APIVersion, r.key())
			}
			delete(objs, r.key())
			order = slices.DeleteFunc(order, func(k string) bool { return k == r.key() })
		}
	}
	out := make([]*unstructured.Unstructured, 0, len(order))
	for _, k := range order {
		out = append(out, objs[k].DeepCopy())
	}
	return out, nil
}

func TestCNPConformanceData(t *testing.T) {
	d := loadCNPConformance(t)

	// The cluster: nodes, namespaces and pods with fixed addresses.
	nodeIPs := map[string]string{} // node name -> InternalIP
	namespaces := map[string]bool{}
	pods := map[string]*unstructured.Unstructured{} // "ns/name"
	podIPs := map[string]string{}
	podNet := netip.MustParsePrefix("10.244.0.0/16")
	nodeNet := netip.MustParsePrefix("192.168.0.0/24")
	for _, o := range d.Cluster {
		if o.GetAPIVersion() != "v1" {
			t.Errorf("cluster.yaml: %s: apiVersion %s", cnpKey(o), o.GetAPIVersion())
		}
		switch o.GetKind() {
		case "Node":
			addrs, _, _ := unstructured.NestedSlice(o.Object, "status", "addresses")
			for _, a := range addrs {
				a, _ := a.(map[string]any)
				if a["type"] == "InternalIP" {
					ip, _ := a["address"].(string)
					if addr, err := netip.ParseAddr(ip); err != nil || !nodeNet.Contains(addr) {
						t.Errorf("cluster.yaml: node %s: InternalIP %q not in %s", o.GetName(), ip, nodeNet)
					}
					nodeIPs[o.GetName()] = ip
				}
			}
			if _, ok := nodeIPs[o.GetName()]; !ok {
				t.Errorf("cluster.yaml: node %s has no InternalIP", o.GetName())
			}
		case "Namespace":
			namespaces[o.GetName()] = true
			if o.GetLabels()["kubernetes.io/metadata.name"] != o.GetName() {
				t.Errorf("cluster.yaml: namespace %s: label kubernetes.io/metadata.name missing", o.GetName())
			}
		case "Pod":
			pods[o.GetNamespace()+"/"+o.GetName()] = o
		default:
			t.Errorf("cluster.yaml: unexpected %s", cnpKey(o))
		}
	}
	seenIPs := map[string]string{}
	for ref, p := range pods {
		if !namespaces[p.GetNamespace()] {
			t.Errorf("cluster.yaml: pod %s: no namespace", ref)
		}
		if p.GetLabels()["statefulset.kubernetes.io/pod-name"] != p.GetName() {
			t.Errorf("cluster.yaml: pod %s: label statefulset.kubernetes.io/pod-name missing", ref)
		}
		phase, _, _ := unstructured.NestedString(p.Object, "status", "phase")
		node, _, _ := unstructured.NestedString(p.Object, "spec", "nodeName")
		hostNet, _, _ := unstructured.NestedBool(p.Object, "spec", "hostNetwork")
		ip, _, _ := unstructured.NestedString(p.Object, "status", "podIP")
		ips, _, _ := unstructured.NestedSlice(p.Object, "status", "podIPs")
		hostIP, _, _ := unstructured.NestedString(p.Object, "status", "hostIP")
		if phase != "Running" {
			t.Errorf("cluster.yaml: pod %s: phase %q", ref, phase)
		}
		if _, ok := nodeIPs[node]; !ok {
			t.Errorf("cluster.yaml: pod %s: unknown node %q", ref, node)
		}
		if hostIP != nodeIPs[node] {
			t.Errorf("cluster.yaml: pod %s: hostIP %s, node %s has %s", ref, hostIP, node, nodeIPs[node])
		}
		if len(ips) != 1 || ips[0].(map[string]any)["ip"] != ip {
			t.Errorf("cluster.yaml: pod %s: status.podIPs %v does not match podIP %s", ref, ips, ip)
		}
		if hostNet {
			if ip != nodeIPs[node] {
				t.Errorf("cluster.yaml: host-network pod %s: podIP %s, node %s has %s", ref, ip, node, nodeIPs[node])
			}
		} else {
			if addr, err := netip.ParseAddr(ip); err != nil || !podNet.Contains(addr) {
				t.Errorf("cluster.yaml: pod %s: podIP %q not in %s", ref, ip, podNet)
			}
			if other, dup := seenIPs[ip]; dup {
				t.Errorf("cluster.yaml: pods %s and %s share IP %s", ref, other, ip)
			}
			seenIPs[ip] = ref
		}
		podIPs[ref] = ip
	}

	// The manifests: every file under policies/ is used, and holds policies only.
	var files []string
	err := filepath.WalkDir(filepath.Join(cnpConformanceDir, "policies"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(cnpConformanceDir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := d.Manifests[f]; !ok {
			t.Errorf("%s: not used by any case", f)
		}
	}
	for m, objs := range d.Manifests {
		if !strings.HasPrefix(m, "policies/") || !strings.HasSuffix(m, ".yaml") {
			t.Errorf("manifest %s: not a policies/*.yaml file", m)
		}
		if len(objs) == 0 {
			t.Errorf("manifest %s: no objects", m)
		}
		for _, o := range objs {
			checkCNPPolicyObject(t, m, o)
		}
	}

	// The cases.
	knownFeatures := map[string]bool{ // upstream conformance/utils/suite/features.go
		"SupportClusterNetworkPolicy":                true, // standard
		"SupportClusterNetworkPolicyNamedPorts":      false,
		"SupportClusterNetworkPolicyEgressNodePeers": false,
	}
	var subtests, steps, nPokes, skipped int
	names := map[string]bool{}
	for _, c := range d.Cases {
		if c.Test == "" || names[c.Test] {
			t.Errorf("case %q: empty or duplicate name", c.Test)
		}
		names[c.Test] = true
		if !strings.HasPrefix(c.Source, "conformance/tests/") || path.Ext(c.Source) != ".go" {
			t.Errorf("%s: source %q", c.Test, c.Source)
		}
		if len(c.Manifests) == 0 || len(c.Steps) == 0 {
			t.Errorf("%s: no manifests or no steps", c.Test)
		}
		channel := ""
		for _, f := range c.Features {
			standard, ok := knownFeatures[f]
			switch {
			case !ok:
				t.Errorf("%s: unknown feature %s", c.Test, f)
			case !standard:
				channel = "experimental"
			case channel == "":
				channel = "standard"
			}
		}
		if !slices.Contains(c.Features, "SupportClusterNetworkPolicy") || c.Channel != channel {
			t.Errorf("%s: features %v, channel %q", c.Test, c.Features, c.Channel)
		}
		for i, s := range c.Steps {
			if i == 0 || s.Name != c.Steps[i-1].Name {
				subtests++
				if s.Part > 1 {
					t.Errorf("%s: step %q starts at part %d", c.Test, s.Name, s.Part)
				}
			} else if s.Part != c.Steps[i-1].Part+1 || c.Steps[i-1].Part == 0 {
				t.Errorf("%s: step %q: part %d follows part %d", c.Test, s.Name, s.Part, c.Steps[i-1].Part)
			}
			steps++
			objs, err := d.objectsAt(c, i)
			if err != nil {
				t.Errorf("%s: %v", c.Test, err)
			}
			for _, o := range s.Apply {
				if o.GetKind() != "Pod" && o.GetKind() != "Namespace" {
					checkCNPPolicyObject(t, c.Test+": apply", o)
				}
			}
			live := map[string]*unstructured.Unstructured{}
			for _, o := range objs {
				live[cnpKey(o)] = o
			}
			for _, p := range s.Pokes {
				nPokes++
				where := fmt.Sprintf("%s: step %q: poke %s -> %s", c.Test, s.Name, p.From, p.To)
				if p.Skip != "" {
					skipped++
				}
				if pods[p.From] == nil {
					t.Errorf("%s: no client pod %s in cluster.yaml", where, p.From)
				} else if ns, name, _ := strings.Cut(p.From, "/"); err == nil && live["Pod/"+ns+"/"+name] == nil {
					t.Errorf("%s: client pod deleted", where)
				}
				if addr, err := netip.ParseAddr(p.To); err == nil {
					if p.ToPod != "" {
						var hostNet bool
						if pods[p.ToPod] != nil {
							hostNet, _, _ = unstructured.NestedBool(pods[p.ToPod].Object, "spec", "hostNetwork")
						}
						if !hostNet || podIPs[p.ToPod] != addr.String() {
							t.Errorf("%s: toPod %s is not a host-network pod with that IP", where, p.ToPod)
						}
					}
				} else if pods[p.To] == nil {
					t.Errorf("%s: no server pod %s in cluster.yaml", where, p.To)
				} else if p.ToPod != "" {
					t.Errorf("%s: toPod with a pod destination", where)
				}
				if p.Protocol != "TCP" && p.Protocol != "UDP" && p.Protocol != "SCTP" {
					t.Errorf("%s: protocol %q", where, p.Protocol)
				}
				if p.Port < 1 || p.Port > 65535 {
					t.Errorf("%s: port %d", where, p.Port)
				}
			}
		}
	}
	if len(d.Cases) != cnpConformanceTests {
		t.Errorf("%d cases, upstream has %d ConformanceTests", len(d.Cases), cnpConformanceTests)
	}
	if subtests != cnpConformanceSubtests || steps != cnpConformanceSteps {
		t.Errorf("%d subtests in %d steps, want %d in %d", subtests, steps, cnpConformanceSubtests, cnpConformanceSteps)
	}
	if nPokes != cnpConformancePokes || skipped != cnpConformanceSkipped {
		t.Errorf("%d pokes (%d skipped), upstream has %d PokeServer calls (want %d skipped)", nPokes, skipped, cnpConformancePokes, cnpConformanceSkipped)
	}
	t.Logf("%d cases, %d steps, %d pokes (%d skipped), %d manifests", len(d.Cases), steps, nPokes, skipped, len(d.Manifests))
}

// checkCNPPolicyObject checks that o is a cluster-scoped policy or a NetworkPolicy.
func checkCNPPolicyObject(t *testing.T, where string, o *unstructured.Unstructured) {
	t.Helper()
	group, _, _ := strings.Cut(o.GetAPIVersion(), "/")
	switch {
	case o.GetName() == "":
		t.Errorf("%s: %s without a name", where, o.GetKind())
	case group == "policy.networking.k8s.io" && slices.Contains([]string{"ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}, o.GetKind()):
		if o.GetNamespace() != "" {
			t.Errorf("%s: cluster-scoped %s %s has a namespace", where, o.GetKind(), o.GetName())
		}
		if _, ok := o.Object["spec"].(map[string]any); !ok {
			t.Errorf("%s: %s %s without a spec", where, o.GetKind(), o.GetName())
		}
	case o.GetAPIVersion() == "networking.k8s.io/v1" && o.GetKind() == "NetworkPolicy":
		if o.GetNamespace() == "" {
			t.Errorf("%s: NetworkPolicy %s without a namespace", where, o.GetName())
		}
	default:
		t.Errorf("%s: unexpected %s %s", where, o.GetAPIVersion(), o.GetKind())
	}
}
