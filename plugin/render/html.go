package render

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Page is one self-contained HTML page (-o html): a graph, the tables, and the details shown
// when something is clicked. Styles, script and data are inline; its Content-Security-Policy
// lets it load nothing, so it opens the same offline.
type Page struct {
	Title    string
	Subtitle []string // lines under the title: what was read, the verdict
	Lang     string   // the page's language (an HTML lang tag)
	Verdict  string   // PASS or FAIL, shown as a badge; empty for none
	Graph    *Graph
	// Prefer orders the graph's namespaces, left to right, where the connections leave a choice.
	Prefer []string
	// GraphNote says what the graph is (by class, by namespace) and how to read it.
	GraphNote string
	Ports     []string // the port filter's choices
	// Rows is the page's main list: lab check's goal, diff's changes.
	Rows *RowTable
	// Matrices are the truth tables, one per port, grouped as the terminal groups them.
	Matrices []Matrix
	// TierMarks: some truth table cell carries the tier that decides it (a, b).
	TierMarks bool
	// LeftOut names what the page does not show, and how to see it.
	LeftOut []string
	Texts   []TextSection // further sections (problems of the files, objects changed)
	Details []Detail
}

// T is message id in the page's language: the page's own words (controls, headings, the
// legend, the footer) come from the catalogs, as every text of the commands does.
func (p *Page) T(id string, args ...any) string { return lang.T(lang.Lang(p.Lang), id, args...) }

// Detail is what the side panel shows for a clicked node, edge or cell.
type Detail struct {
	Title    string          `json:"title"`
	Sections []DetailSection `json:"sections"`
}

// DetailSection is a heading and its lines; Class colours the heading (allowed, blocked, wrong).
type DetailSection struct {
	Head  string   `json:"head"`
	Class string   `json:"class,omitempty"`
	Lines []string `json:"lines"`
}

// AddDetail keeps d for the page and returns the index a node, edge or cell refers to it by.
func (p *Page) AddDetail(d Detail) int {
	p.Details = append(p.Details, d)
	return len(p.Details) - 1
}

// RowTable is a titled table whose rows can be marked and carry notes (the hints of a wrong
// goal row).
type RowTable struct {
	Title string
	Head  []string
	Rows  []Row
}

// Row is one row; Class marks it (ok, wrong, opened, closed) and Port is what the port filter
// matches.
type Row struct {
	Cells  []string
	Class  string
	Port   string
	Notes  []Note
	Detail int
}

// Note is a labelled text (a hint, a fix).
type Note struct {
	Label string
	Text  string
}

// TextSection is a titled list of notes.
type TextSection struct {
	Title string
	Notes []Note
}

// Matrix is one port's truth table.
type Matrix struct {
	Port    string
	Caption string
	Cols    []string
	Rows    []MatrixRow
}

// MatrixRow is one source's cells.
type MatrixRow struct {
	Name  string
	Cells []MatrixCell
}

// MatrixCell is one mark: Class is allowed, blocked or partly.
type MatrixCell struct {
	Text   string
	Class  string
	Detail int
}

var (
	//go:embed page/page.html
	pageHTML string
	//go:embed page/page.css
	pageCSS string
	//go:embed page/page.js
	pageJS string

	pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
		"css":    func() template.CSS { return template.CSS(pageCSS) },
		"script": func() template.JS { return template.JS(pageJS) },
		"join":   strings.Join,
		"details": func(d []Detail) (template.JS, error) {
			if d == nil {
				d = []Detail{}
			}
			// json.Marshal writes <, > and & as \u003c…, so nothing in it can end the
			// <script> element it is put in.
			b, err := json.Marshal(d)
			return template.JS(b), err
		},
		"kinds": edgeKinds,
		"short": func(s string) string {
			if r := []rune(s); len(r) > 28 {
				return string(r[:27]) + "…"
			}
			return s
		},
	}).Parse(pageHTML))
)

// WriteHTML writes p as one HTML document.
func WriteHTML(w io.Writer, p *Page) error {
	if p.Lang == "" {
		p.Lang = "en"
	}
	return pageTemplate.Execute(w, p)
}

// edgeKinds are the kinds of g's edges, in the legend's order.
func edgeKinds(g *Graph) []string {
	var kinds []string
	for _, k := range []string{EdgeAllowed, EdgeBlocked, EdgeOpened, EdgeClosed, EdgeMissing, EdgeUnwanted} {
		for _, e := range g.Edges {
			if e.Kind == k {
				kinds = append(kinds, k)
				break
			}
		}
	}
	return kinds
}
