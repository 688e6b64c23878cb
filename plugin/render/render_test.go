package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Table streams what text/tabwriter (kubectl's table layout, as the commands used before)
// would print for the same cells: the oracle is the standard library.
func TestTableMatchesTabwriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		n := 1 + rng.IntN(14)
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdefghij-/é"[rng.IntN(12)]
		}
		return string(b)
	}
	cells := []string{".", "X", "./.", "X/. *", "-", "./?"}
	for trial := range 200 {
		rows := make([]string, 1+rng.IntN(6))
		cols := make([]string, 1+rng.IntN(6))
		for i := range rows {
			rows[i] = word()
		}
		for i := range cols {
			cols[i] = word()
		}
		grid := make([][]string, len(rows))
		widths := make([]int, len(cols))
		for r := range grid {
			grid[r] = make([]string, len(cols))
			for c := range cols {
				grid[r][c] = cells[rng.IntN(len(cells))]
				widths[c] = max(widths[c], len(grid[r][c]))
			}
		}
		cellWidth := func(c int) int { return widths[c] }
		var want bytes.Buffer
		fmt.Fprintln(&want, "title:")
		w := tabwriter.NewWriter(&want, 0, 4, 3, ' ', 0)
		fmt.Fprintln(w, tableHeader+"\t"+strings.Join(cols, "\t"))
		for r, name := range rows {
			fmt.Fprintln(w, name+"\t"+strings.Join(grid[r], "\t"))
		}
		w.Flush()
		var got bytes.Buffer
		if err := Table(&got, "title:", rows, cols, cellWidth, func(r, c int) string { return grid[r][c] }); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("trial %d: Table printed\n%s\ntabwriter prints\n%s", trial, got.String(), want.String())
		}
		longest := 0
		for _, line := range strings.Split(strings.TrimSuffix(got.String(), "\n"), "\n")[1:] {
			longest = max(longest, len([]rune(line)))
		}
		if tw := TableWidth(rows, cols, cellWidth); tw != longest {
			t.Fatalf("trial %d: TableWidth %d, longest line %d", trial, tw, longest)
		}
	}
}

// snapshot is a small cluster: namespaces a, b, c of three pods (two web, one db) each, where
// a's db admits a's web only, b's pods are isolated for ingress (nothing admitted), and c is
// open; with a pod reaching only itself to show loopback is left out of the counts.
func snapshot() *policy.Snapshot {
	s := &policy.Snapshot{}
	ip := 1
	for _, ns := range []string{"a", "b", "c"} {
		s.Namespaces = append(s.Namespaces, policy.Namespace{Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns}})
		for _, p := range []struct{ name, app string }{{"web-1", "web"}, {"web-2", "web"}, {"db-0", "db"}} {
			s.Pods = append(s.Pods, policy.Pod{Namespace: ns, Name: p.name, Labels: map[string]string{"app": p.app}, IPs: nil})
			ip++
		}
	}
	ingress := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	s.Policies = []networkingv1.NetworkPolicy{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "db-from-web"}, Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, PolicyTypes: ingress,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "deny"}, Spec: networkingv1.NetworkPolicySpec{PolicyTypes: ingress}},
	}
	return s
}

func matrix(t *testing.T, s *policy.Snapshot) *policy.Matrix {
	t.Helper()
	ev, err := policy.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Matrix([]policy.PortProtocol{{Port: 80, Protocol: corev1.ProtocolTCP}})
}

// The summary's counts equal counting pod pairs one by one with the matrix's per-pod verdict.
func TestSummarizeCountsPodPairs(t *testing.T) {
	s := snapshot()
	m := matrix(t, s)
	all := make([]int, len(s.Pods))
	for i := range all {
		all[i] = i
	}
	for _, sel := range []struct{ from, to []int }{{all, all}, {all[:4], all[2:]}, {[]int{0}, all}} {
		sum := Summarize(m, sel.from, sel.to)
		n := len(sum.Namespaces)
		want := map[[2]string][2]int{}
		for _, f := range sel.from {
			for _, to := range sel.to {
				if f == to {
					continue
				}
				k := [2]string{s.Pods[f].Namespace, s.Pods[to].Namespace}
				c := want[k]
				c[1]++
				if m.Allowed(0, f, to) {
					c[0]++
				}
				want[k] = c
			}
		}
		for k, pairs := range sum.pairs {
			key := [2]string{sum.Namespaces[k/n], sum.Namespaces[k%n]}
			if got := [2]int{sum.allowed[0][k], pairs}; got != want[key] {
				t.Errorf("from %v to %v, %s -> %s: allowed/pairs %v, counted one by one %v", sel.from, sel.to, key[0], key[1], got, want[key])
			}
		}
	}
	sum := Summarize(m, all, all)
	// a's db admits a's two web pods only: 2 of the 8 pairs into a are allowed, per source ns.
	var out bytes.Buffer
	if err := sum.Print(&out, 200); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"80/TCP by namespace:", "N/M: N of M pod pairs allowed", "--by class"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	// Too narrow for a table: the list of pairs that differ from most.
	out.Reset()
	if err := sum.Print(&out, 10); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "FROM   TO   ALLOWED") || !strings.Contains(out.String(), "Every other pair of namespaces") {
		t.Errorf("narrow summary:\n%s", out.String())
	}
	var rep struct {
		Namespaces []string `json:"namespaces"`
		Results    []struct {
			From, To            string
			AllowedPairs, Pairs int
		} `json:"results"`
	}
	out.Reset()
	if err := sum.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(rep.Namespaces) != 3 || len(rep.Results) != 9 {
		t.Errorf("summary JSON: %d namespaces, %d results", len(rep.Namespaces), len(rep.Results))
	}
}

// The grouped JSON holds each pair of groups once, with the verdict the per-pod JSON gives
// every pod pair of those groups.
func TestGroupJSONAgreesWithPerPod(t *testing.T) {
	s := snapshot()
	m := matrix(t, s)
	all := make([]int, len(s.Pods))
	for i := range all {
		all[i] = i
	}
	var perPod policy.Report
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf, all, all); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &perPod); err != nil {
		t.Fatal(err)
	}
	groups := Groups(s, m, all, ByClass)
	buf.Reset()
	if err := WriteGroupJSON(&buf, s, m, groups, groups); err != nil {
		t.Fatal(err)
	}
	var grouped struct {
		Groups []struct {
			Name string
			Pods []string
		}
		Results []policy.Result
	}
	if err := json.Unmarshal(buf.Bytes(), &grouped); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(grouped.Results) != len(groups)*len(groups) {
		t.Fatalf("%d grouped results for %d groups", len(grouped.Results), len(groups))
	}
	podsOf := map[string][]string{}
	for _, g := range grouped.Groups {
		podsOf[g.Name] = g.Pods
	}
	verdict := map[[2]string]bool{}
	for _, r := range perPod.Results {
		verdict[[2]string{r.From, r.To}] = r.Allowed
	}
	for _, r := range grouped.Results {
		for _, f := range podsOf[r.From] {
			for _, to := range podsOf[r.To] {
				if f != to && verdict[[2]string{f, to}] != r.Allowed {
					t.Errorf("group %s -> %s says %v, pods %s -> %s say %v", r.From, r.To, r.Allowed, f, to, !r.Allowed)
				}
			}
		}
	}
}
