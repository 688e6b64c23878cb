package render

import (
	"fmt"
	"io"
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// What the page shows comes from files and clusters: names, labels, reasons. None of it can
// end an element or the page's data, and the page refers to nothing outside itself.
func TestHTMLEscapesAndLoadsNothing(t *testing.T) {
	hostile := `</script><script>alert(1)</script><img src="https://example.com/x.png">&amp;`
	p := &Page{Title: hostile, Subtitle: []string{hostile}, Rows: &RowTable{Title: hostile, Head: []string{hostile},
		Rows: []Row{{Cells: []string{hostile}, Notes: []Note{{Label: hostile, Text: hostile}}, Detail: 0}}},
		Graph: &Graph{Nodes: []GraphNode{{Name: hostile, Namespace: hostile, Detail: 0}}, Edges: []GraphEdge{{Kind: EdgeAllowed, Ports: []string{hostile}, Label: hostile, Detail: 0}}},
	}
	p.AddDetail(Detail{Title: hostile, Sections: []DetailSection{{Head: hostile, Lines: []string{hostile}}}})
	p.Graph.Layout(nil)
	var b strings.Builder
	if err := WriteHTML(&b, p); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(page, "<script"); n != 2 {
		t.Errorf("%d <script elements, want the data and the code", n)
	}
	if strings.Contains(page, "<img") || strings.Contains(page, "alert(1)</script>") {
		t.Errorf("a name became markup:\n%s", page)
	}
	// Nothing to load: no element with a src or href, no <link>, no url() but the page's own
	// markers, no @import.
	z := html.NewTokenizer(strings.NewReader(page))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		if tok.Data == "link" || tok.Data == "img" || tok.Data == "iframe" {
			t.Errorf("a <%s> element", tok.Data)
		}
		for _, a := range tok.Attr {
			if a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || a.Key == "action" ||
				strings.Contains(a.Val, "url(") && !regexp.MustCompile(`^url\(#arrow-[a-z]+\)$`).MatchString(a.Val) {
				t.Errorf("<%s %s=%q> refers to something outside the page", tok.Data, a.Key, a.Val)
			}
		}
	}
	if io.EOF != z.Err() {
		t.Fatal(z.Err())
	}
	for _, code := range []string{pageCSS, pageJS} {
		for _, word := range []string{"url(", "@import", "fetch(", "XMLHttpRequest", "http:", "https:"} {
			if strings.Contains(code, word) {
				t.Errorf("the page's own code says %q", word)
			}
		}
	}
	if !strings.Contains(page, `content="default-src 'none';`) {
		t.Error("no Content-Security-Policy that forbids loading")
	}
}

// layers orders along the edges: a chain left to right, and a cycle broken once.
func TestLayers(t *testing.T) {
	for _, tc := range []struct {
		n     int
		edges [][2]int
		want  []int
	}{
		{3, [][2]int{{0, 1}, {1, 2}}, []int{0, 1, 2}},
		{3, [][2]int{{2, 1}, {1, 0}}, []int{2, 1, 0}},
		{3, nil, []int{0, 0, 0}},
		// web <-> was <-> db, all to dns: the order given decides the cycle's direction.
		{4, [][2]int{{0, 1}, {1, 0}, {1, 2}, {2, 1}, {0, 3}, {1, 3}, {2, 3}}, []int{0, 1, 2, 3}},
		{4, [][2]int{{0, 2}, {1, 2}, {2, 3}}, []int{0, 0, 1, 2}},
	} {
		if got := layers(tc.n, tc.edges); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("layers(%d, %v) = %v, want %v", tc.n, tc.edges, got, tc.want)
		}
	}
}

// On random graphs: no two nodes overlap, every node is inside its namespace's box, boxes do
// not overlap, every edge starts and ends on its nodes' borders, and all of it is inside the
// picture.
func TestLayoutGeometry(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := range 200 {
		g := &Graph{}
		nodes := 1 + rng.Intn(30)
		spaces := 1 + rng.Intn(6)
		for i := range nodes {
			g.Nodes = append(g.Nodes, GraphNode{Name: fmt.Sprintf("n%d", i), Namespace: fmt.Sprintf("ns%d", rng.Intn(spaces))})
		}
		for range rng.Intn(3 * nodes) {
			kinds := []string{EdgeAllowed, EdgeBlocked, EdgeMissing, EdgeUnwanted}
			g.Edges = append(g.Edges, GraphEdge{From: rng.Intn(nodes), To: rng.Intn(nodes), Kind: kinds[rng.Intn(len(kinds))], Ports: []string{"80/TCP"}})
		}
		g.Layout([]string{"ns3", "ns1"})
		inside := func(x, y float64, r GraphNode) bool {
			return x >= r.X-0.01 && x <= r.X+r.W+0.01 && y >= r.Y-0.01 && y <= r.Y+r.H+0.01
		}
		for i, a := range g.Nodes {
			if a.W == 0 || a.X+a.W > g.W || a.Y+a.H > g.H {
				t.Fatalf("round %d: node %d at %+v outside the picture %vx%v", round, i, a, g.W, g.H)
			}
			for j, b := range g.Nodes[i+1:] {
				if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
					t.Fatalf("round %d: nodes %d and %d overlap", round, i, i+1+j)
				}
			}
			in := 0
			for _, box := range g.Boxes {
				if box.Name == a.Namespace && inside(a.X, a.Y, GraphNode{X: box.X, Y: box.Y, W: box.W, H: box.H}) && inside(a.X+a.W, a.Y+a.H, GraphNode{X: box.X, Y: box.Y, W: box.W, H: box.H}) {
					in++
				}
			}
			if in != 1 {
				t.Fatalf("round %d: node %d is in %d boxes of its namespace", round, i, in)
			}
		}
		for i, a := range g.Boxes {
			for _, b := range g.Boxes[i+1:] {
				if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
					t.Fatalf("round %d: boxes %s and %s overlap", round, a.Name, b.Name)
				}
			}
		}
		for _, e := range g.Edges {
			var x0, y0, x1, y1 float64
			var c [4]float64
			if _, err := fmt.Sscanf(e.Path, "M%g,%g C%g,%g %g,%g %g,%g", &x0, &y0, &c[0], &c[1], &c[2], &c[3], &x1, &y1); err != nil {
				t.Fatalf("round %d: path %q: %v", round, e.Path, err)
			}
			if !inside(x0, y0, g.Nodes[e.From]) || !inside(x1, y1, g.Nodes[e.To]) {
				t.Fatalf("round %d: edge %d->%d %q does not join its nodes %+v %+v", round, e.From, e.To, e.Path, g.Nodes[e.From], g.Nodes[e.To])
			}
			if e.LX < 0 || e.LX > g.W || e.LY < 0 || e.LY > g.H {
				t.Fatalf("round %d: label at %v,%v outside %vx%v", round, e.LX, e.LY, g.W, g.H)
			}
		}
	}
}
