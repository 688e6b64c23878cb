package render

import (
	"cmp"
	"fmt"
	"slices"
)

// Graph is a picture of connections: nodes (pods, classes or namespaces) in namespace boxes,
// edges between them. Layout places it, in Go, so that the page needs no layout engine and the
// picture is there even with scripts off.
type Graph struct {
	Nodes []GraphNode
	Edges []GraphEdge
	Boxes []GraphBox
	W, H  float64
}

// GraphNode is one node; X, Y, W, H are set by Layout.
type GraphNode struct {
	Name      string
	Namespace string
	Detail    int // index into the page's details, or -1
	X, Y      float64
	W, H      float64
}

// Edge kinds, which the page colours and filters.
const (
	EdgeAllowed  = "allowed"
	EdgeBlocked  = "blocked"  // drawn on demand
	EdgeOpened   = "opened"   // diff: blocked before, allowed after
	EdgeClosed   = "closed"   // diff: allowed before, blocked after
	EdgeMissing  = "missing"  // lab check: the goal wants it allowed, the policies block it
	EdgeUnwanted = "unwanted" // lab check: the goal wants it blocked, the policies allow it
)

// GraphEdge is one arrow, for every port it carries; Path and the label's place are set by
// Layout.
type GraphEdge struct {
	From, To int
	Kind     string
	Ports    []string
	Label    string
	Detail   int
	Path     string
	LX, LY   float64
}

// GraphBox is a namespace's frame.
type GraphBox struct {
	Name       string
	X, Y, W, H float64
}

// The geometry, in SVG pixels.
const (
	nodeW, nodeH   = 180.0, 34.0
	nodeGapY       = 14.0
	subColumnGap   = 60.0
	boxPad, boxTop = 14.0, 30.0
	layerGap       = 100.0
	boxGapY        = 24.0
	margin         = 20.0
	arcBand        = 40.0 // above the boxes, for the arrows that jump over a box
)

// Layout places the nodes, namespace by namespace, left to right in the direction most
// connections go: the namespaces are ordered so that as few edges as possible point back
// (a greedy feedback-arc ordering, ties broken by prefer, then by name), then put in layers,
// each after the namespaces it receives from. Inside a box, its nodes are ordered and layered
// the same way. Edges are curves from the right of their source to the left of their target.
func (g *Graph) Layout(prefer []string) {
	g.Edges = slices.DeleteFunc(g.Edges, func(e GraphEdge) bool { return len(e.Ports) == 0 })
	var namespaces []string
	members := map[string][]int{}
	for i, n := range g.Nodes {
		if _, ok := members[n.Namespace]; !ok {
			namespaces = append(namespaces, n.Namespace)
		}
		members[n.Namespace] = append(members[n.Namespace], i)
	}
	rank := func(ns string) int {
		if i := slices.Index(prefer, ns); i >= 0 {
			return i
		}
		return len(prefer)
	}
	slices.SortFunc(namespaces, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	nsIndex := map[string]int{}
	for i, ns := range namespaces {
		nsIndex[ns] = i
	}
	var nsEdges [][2]int
	for _, e := range g.Edges {
		if e.Kind == EdgeBlocked {
			continue // where nothing flows, the picture need not follow (a goal's missing arrow, it does)
		}
		a, b := nsIndex[g.Nodes[e.From].Namespace], nsIndex[g.Nodes[e.To].Namespace]
		if a != b {
			nsEdges = append(nsEdges, [2]int{a, b})
		}
	}
	nsLayer := layers(len(namespaces), nsEdges)

	// The boxes: their nodes in sub-columns, by the edges inside the namespace.
	type box struct {
		nodes   []int
		columns [][]int // node indices per sub-column
		w, h    float64
	}
	boxes := make([]box, len(namespaces))
	for bi, ns := range namespaces {
		nodes := members[ns]
		slices.SortStableFunc(nodes, func(a, b int) int { return cmp.Compare(g.Nodes[a].Name, g.Nodes[b].Name) })
		local := map[int]int{}
		for i, n := range nodes {
			local[n] = i
		}
		var inner [][2]int
		for _, e := range g.Edges {
			a, okA := local[e.From]
			b, okB := local[e.To]
			if okA && okB && a != b && e.Kind != EdgeBlocked {
				inner = append(inner, [2]int{a, b})
			}
		}
		sub := layers(len(nodes), inner)
		var columns [][]int
		for i, l := range sub {
			for len(columns) <= l {
				columns = append(columns, nil)
			}
			columns[l] = append(columns[l], nodes[i])
		}
		tallest := 0
		for _, c := range columns {
			tallest = max(tallest, len(c))
		}
		boxes[bi] = box{nodes: nodes, columns: columns,
			w: 2*boxPad + float64(len(columns))*nodeW + float64(len(columns)-1)*subColumnGap,
			h: boxTop + boxPad + float64(tallest)*nodeH + float64(tallest-1)*nodeGapY}
	}

	// The layers, left to right; a layer's boxes one under the other.
	layerCount := 0
	for _, l := range nsLayer {
		layerCount = max(layerCount, l+1)
	}
	x := margin
	g.Boxes = g.Boxes[:0]
	for l := 0; l < layerCount; l++ {
		y, width := margin+arcBand, 0.0
		for bi := range boxes {
			if nsLayer[bi] != l {
				continue
			}
			b := &boxes[bi]
			g.Boxes = append(g.Boxes, GraphBox{Name: namespaces[bi], X: x, Y: y, W: b.w, H: b.h})
			for ci, column := range b.columns {
				for ri, n := range column {
					node := &g.Nodes[n]
					node.X = x + boxPad + float64(ci)*(nodeW+subColumnGap)
					node.Y = y + boxTop + float64(ri)*(nodeH+nodeGapY)
					node.W, node.H = nodeW, nodeH
				}
			}
			y += b.h + boxGapY
			width = max(width, b.w)
			g.H = max(g.H, y-boxGapY+margin)
		}
		x += width + layerGap
	}
	g.W = x - layerGap + margin + 60 // room for the curves that leave a right-hand box
	for i := range g.Edges {
		g.route(&g.Edges[i])
	}
}

// layers orders n nodes so that few edges point back (Eades, Lin and Smyth's greedy
// heuristic: sinks to the end, sources to the front, else the node with the most out minus in
// next), then gives each node the layer after the latest of its forward predecessors. Ties
// keep the nodes' order.
func layers(n int, edges [][2]int) []int {
	out, in := make([]map[int]bool, n), make([]map[int]bool, n)
	for i := range n {
		out[i], in[i] = map[int]bool{}, map[int]bool{}
	}
	for _, e := range edges {
		out[e[0]][e[1]], in[e[1]][e[0]] = true, true
	}
	left := make([]bool, n)
	for i := range left {
		left[i] = true
	}
	degree := func(set map[int]bool) int {
		d := 0
		for j := range set {
			if left[j] {
				d++
			}
		}
		return d
	}
	var front, back []int
	pick := func(score func(i int) (int, bool)) int {
		picked, best := -1, 0
		for i := range n {
			if s, ok := score(i); left[i] && ok && (picked < 0 || s > best) {
				picked, best = i, s
			}
		}
		return picked
	}
	for range n {
		if i := pick(func(i int) (int, bool) { return 0, degree(out[i]) == 0 }); i >= 0 {
			back, left[i] = append(back, i), false // a sink goes last among what is left
			continue
		}
		i := pick(func(i int) (int, bool) { return 0, degree(in[i]) == 0 }) // a source goes first
		if i < 0 {
			i = pick(func(i int) (int, bool) { return degree(out[i]) - degree(in[i]), true })
		}
		front, left[i] = append(front, i), false
	}
	slices.Reverse(back)
	order := append(front, back...)
	position := make([]int, n)
	for p, i := range order {
		position[i] = p
	}
	layer := make([]int, n)
	for _, i := range order {
		for j := range in[i] {
			if position[j] < position[i] {
				layer[i] = max(layer[i], layer[j]+1)
			}
		}
	}
	return layer
}

// route draws e as a cubic curve, and places its label at the curve's middle.
func (g *Graph) route(e *GraphEdge) {
	s, t := &g.Nodes[e.From], &g.Nodes[e.To]
	var x0, y0, c1x, c1y, c2x, c2y, x1, y1 float64
	switch {
	case e.From == e.To: // a class to itself: its pods to one another
		x0, y0 = s.X+s.W-30, s.Y
		x1, y1 = s.X+s.W, s.Y+10
		c1x, c1y, c2x, c2y = x0, y0-34, x1+34, y1
	case t.X >= s.X+s.W && g.boxBetween(s.X+s.W, t.X): // forward, over the boxes in between
		x0, y0, x1, y1 = s.X+s.W, s.Y+s.H/2, t.X, t.Y+t.H/2
		top := margin + arcBand/2 - (y0+y1)/8 // the curve's highest point is at about margin+arcBand/2
		c1x, c1y, c2x, c2y = x0+60, 4*top/3, x1-60, 4*top/3
	case t.X >= s.X+s.W: // forward
		x0, y0, x1, y1 = s.X+s.W, s.Y+s.H/2, t.X, t.Y+t.H/2
		d := max((x1-x0)/2, 40)
		c1x, c1y, c2x, c2y = x0+d, y0, x1-d, y1
	case t.X+t.W <= s.X: // backward: lower, bending down, so that it does not lie on the way forward
		x0, y0, x1, y1 = s.X, s.Y+s.H/2+8, t.X+t.W, t.Y+t.H/2+8
		d := max((x0-x1)/3, 30)
		c1x, c1y, c2x, c2y = x0-d, y0+22, x1+d, y1+22
	default: // one above the other: out of the right side and back in
		x0, y0, x1, y1 = s.X+s.W, s.Y+s.H/2-5, t.X+t.W, t.Y+t.H/2+5
		d := 40 + abs(y1-y0)/4
		c1x, c1y, c2x, c2y = x0+d, y0, x1+d, y1
	}
	e.Path = fmt.Sprintf("M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f", x0, y0, c1x, c1y, c2x, c2y, x1, y1)
	e.LX, e.LY = (x0+3*c1x+3*c2x+x1)/8, (y0+3*c1y+3*c2y+y1)/8
	g.W = max(g.W, c1x+margin, c2x+margin)
	g.H = max(g.H, e.LY+margin)
}

// boxBetween reports whether a namespace box lies between two x positions: an arrow drawn
// straight from one to the other would cross it.
func (g *Graph) boxBetween(x0, x1 float64) bool {
	for _, b := range g.Boxes {
		if b.X > x0 && b.X+b.W < x1 {
			return true
		}
	}
	return false
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
