package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The streamed JSON reads back as the contract README.md gives for explain -o json, and every
// result is what Evaluate says of that connection.
func TestWriteJSON(t *testing.T) {
	s := withPolicies(t, `
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: serve-80-tcp}]}]`)
	ev, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	ports := []PortProtocol{{80, "TCP"}, {81, "UDP"}}
	m := ev.Matrix(ports)
	from, to := []int{0, 1, 2}, []int{0, 3}
	var out bytes.Buffer
	if err := m.WriteJSON(&out, from, to); err != nil {
		t.Fatal(err)
	}
	var r Report
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if want := []JSONPort{{80, "TCP"}, {81, "UDP"}}; !slices.Equal(r.Ports, want) {
		t.Errorf("ports %v, want %v", r.Ports, want)
	}
	if want := []string{"x/a", "x/b", "x/c", "y/a"}; !slices.Equal(r.Pods, want) {
		t.Errorf("pods %v, want %v", r.Pods, want)
	}
	if len(r.Results) != len(ports)*len(from)*len(to) {
		t.Fatalf("%d results, want %d", len(r.Results), len(ports)*len(from)*len(to))
	}
	allowed := map[string]bool{}
	for _, res := range r.Results {
		fi := slices.IndexFunc(s.Pods, func(p Pod) bool { return p.ID() == res.From })
		ti := slices.IndexFunc(s.Pods, func(p Pod) bool { return p.ID() == res.To })
		v := ev.Evaluate(Connection{From: Endpoint{Pod: &s.Pods[fi]}, To: Endpoint{Pod: &s.Pods[ti]}, Port: res.Port, Protocol: corev1Protocol(res.Protocol)})
		if res.Allowed != v.Allowed || !slices.Equal(res.Reasons, append(v.Egress.Reasons, v.Ingress.Reasons...)) {
			t.Errorf("%+v, Evaluate says %+v", res, v)
		}
		if res.Allowed {
			allowed[res.From+" "+res.To+" "+res.Protocol] = true
		}
	}
	// By hand: into x/a only x/b on 80/TCP (its named port); everything else to y/a is open.
	if !allowed["x/b x/a TCP"] || allowed["x/c x/a TCP"] || allowed["x/b x/a UDP"] || !allowed["x/c y/a UDP"] {
		t.Errorf("allowed set %v", allowed)
	}
}

// updateJSONGolden rewrites testdata/writejson from the current WriteJSON. The files were
// captured from the first (map-based) writer; the streamed bytes must never change, so only
// regenerate them for a deliberate change of the contract.
var updateJSONGolden = flag.Bool("update-writejson", false, "rewrite testdata/writejson from the current WriteJSON")

// jsonGoldenSnapshot is small and odd on purpose: a stand-in and a pod of x/a's class (the
// loopback diagonal is per pod, not per class), names that encoding/json escapes (HTML
// characters, U+2028, invalid UTF-8), named ports, ipBlock with except, endPort, and denied,
// not-isolated and allowed sides on three ports.
func jsonGoldenSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	s := withPolicies(t, `
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: serve-80-tcp}]}]`, `
metadata: {name: deny-all, namespace: "y"}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`, `
metadata: {name: "we<ird>&\"na\\me\u2028", namespace: "y"}
spec:
  podSelector: {matchLabels: {pod: b}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.1.0/24, except: [10.0.1.2/32]}}]
    ports: [{port: 80, endPort: 81}, {protocol: UDP, port: 53}]`, `
metadata: {name: from-x-and-a, namespace: z}
spec:
  podSelector: {matchLabels: {pod: c}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [x, "y"]}]}
      podSelector: {matchLabels: {pod: b}}
    - podSelector: {matchLabels: {pod: a}}
  - from: [{namespaceSelector: {matchLabels: {ns: z}}}]
    ports: [{protocol: UDP, port: serve-81-udp}]`)
	xa := s.Pods[0]
	twin := xa
	twin.Name = "odd<&>\"\\é\u2028"
	standIn := xa
	standIn.Name, standIn.StandIn = "deployment/web", true
	bad := s.Pods[4] // y/b
	bad.Name = "bad\xffname\t"
	s.Pods = append(s.Pods, twin, standIn, bad)
	return s
}

// jsonGoldenMid are mid-size generated clusters, kept as digests of the output: one with few
// classes, one where every pod is a class of its own (more class pairs than the reason cache
// holds), and one with stand-ins and from/to lists in odd orders with repeats.
var jsonGoldenMid = []struct {
	name                   string
	pods, policies, nss    int
	ports                  int // the first of jsonGoldenPorts
	unique, standIns, mess bool
}{
	{name: "cluster-300", pods: 300, policies: 90, nss: 15, ports: 2},
	{name: "unique-300", pods: 300, policies: 90, nss: 15, ports: 1, unique: true},
	{name: "standins-120", pods: 120, policies: 40, nss: 8, ports: 4, standIns: true, mess: true},
}

var jsonGoldenPorts = []PortProtocol{{8080, "TCP"}, {9090, "TCP"}, {53, "UDP"}, {443, "TCP"}}

// TestWriteJSONGolden: WriteJSON's bytes are exactly those of the writer the golden files were
// captured from, and they read back as the Report that PodVerdict gives pair by pair; the
// same with every class pair's reasons going through a reason cache small enough to be
// emptied again and again.
func TestWriteJSONGolden(t *testing.T) {
	testWriteJSONGolden(t)
	if *updateJSONGolden {
		return
	}
	minRules, cacheBytes := reasonCacheMinRules, reasonCacheBytes
	defer func() { reasonCacheMinRules, reasonCacheBytes = minRules, cacheBytes }()
	reasonCacheMinRules, reasonCacheBytes = 0, 4<<10
	t.Run("cached", testWriteJSONGolden)
}

func testWriteJSONGolden(t *testing.T) {
	dir := filepath.Join("testdata", "writejson")
	t.Run("small", func(t *testing.T) {
		s := jsonGoldenSnapshot(t)
		ev, err := New(s)
		if err != nil {
			t.Fatal(err)
		}
		m := ev.Matrix([]PortProtocol{{80, "TCP"}, {81, "UDP"}, {53, "UDP"}})
		all := make([]int, len(s.Pods))
		for i := range all {
			all[i] = i
		}
		for _, tc := range []struct {
			file     string
			from, to []int
		}{
			{"small.json", all, all},
			{"small-subsets.json", []int{10, 0, 0, 11, 9}, []int{11, 9, 3, 0, 10, 0}},
			{"small-empty.json", nil, all},
		} {
			var out bytes.Buffer
			if err := m.WriteJSON(&out, tc.from, tc.to); err != nil {
				t.Fatal(err)
			}
			checkJSONGolden(t, filepath.Join(dir, tc.file), out.Bytes())
			checkReport(t, m, out.Bytes(), tc.from, tc.to)
		}
	})
	for _, tc := range jsonGoldenMid {
		t.Run(tc.name, func(t *testing.T) {
			s := generateCluster(tc.pods, tc.policies, tc.nss)
			for i := range s.Pods {
				if tc.unique {
					s.Pods[i].Labels["statefulset.kubernetes.io/pod-name"] = s.Pods[i].Name
				}
				if tc.standIns && i%5 == 1 {
					s.Pods[i].StandIn = true
				}
			}
			ev, err := New(s)
			if err != nil {
				t.Fatal(err)
			}
			m := ev.Matrix(jsonGoldenPorts[:tc.ports])
			var from, to []int
			for i := range s.Pods {
				from = append(from, i)
				to = append(to, len(s.Pods)-1-i)
				if tc.mess && i%7 == 0 {
					from = append(from, i/2)
				}
			}
			if !tc.mess {
				to = from
			}
			h := sha256.New()
			var out bytes.Buffer
			w := io.Writer(h)
			if tc.mess {
				w = io.MultiWriter(h, &out)
			}
			n := countingWriter(0)
			if err := m.WriteJSON(io.MultiWriter(w, &n), from, to); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%x %d\n", h.Sum(nil), n)
			checkJSONGolden(t, filepath.Join(dir, tc.name+".sha256"), []byte(got))
			if out.Len() > 0 {
				checkReport(t, m, out.Bytes(), from, to)
			}
		})
	}
}

func checkJSONGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *updateJSONGolden {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: output differs at byte %d (got %d bytes, want %d):\ngot  %q\nwant %q", file, i, len(got), len(want),
			got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
	}
}

// checkReport reads WriteJSON's output back and compares it with the Report built from
// PodVerdict, pair by pair, in the contract's order.
func checkReport(t *testing.T, m *Matrix, out []byte, from, to []int) {
	t.Helper()
	want := Report{Ports: []JSONPort{}, Pods: []string{}, Results: []Result{}}
	for _, p := range m.Ports {
		want.Ports = append(want.Ports, JSONPort{p.Port, string(p.Protocol)})
	}
	seen := map[int]bool{}
	for _, i := range slices.Concat(from, to) {
		if !seen[i] {
			seen[i] = true
			want.Pods = append(want.Pods, strings.ToValidUTF8(m.ev.pods[i].ID(), "\uFFFD"))
		}
	}
	for pi, p := range m.Ports {
		for _, f := range from {
			for _, tt := range to {
				v := m.PodVerdict(pi, f, tt)
				reasons := []string{}
				for _, r := range slices.Concat(v.Egress.Reasons, v.Ingress.Reasons) {
					reasons = append(reasons, strings.ToValidUTF8(r, "\uFFFD"))
				}
				want.Results = append(want.Results, Result{From: want.Pods[slices.Index(want.Pods, strings.ToValidUTF8(m.ev.pods[f].ID(), "\uFFFD"))],
					To: strings.ToValidUTF8(m.ev.pods[tt].ID(), "\uFFFD"), Port: p.Port, Protocol: string(p.Protocol), Allowed: v.Allowed, Reasons: reasons})
			}
		}
	}
	var got Report
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the output reads back as another report than PodVerdict's")
		for i := range min(len(got.Results), len(want.Results)) {
			if !reflect.DeepEqual(got.Results[i], want.Results[i]) {
				t.Fatalf("result %d:\ngot  %+v\nwant %+v", i, got.Results[i], want.Results[i])
			}
		}
		t.Fatalf("got %d ports %d pods %d results, want %d %d %d", len(got.Ports), len(got.Pods), len(got.Results), len(want.Ports), len(want.Pods), len(want.Results))
	}
}
