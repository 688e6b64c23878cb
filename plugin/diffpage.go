package plugin

import (
	"fmt"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
)

// diffPage is `diff -o html`: the groups whose connections change, with an arrow for what
// opens and one for what closes, the changes as the terminal groups them (with the reasons
// before and after), and the objects that changed.
func diffPage(rep diffReport, lg lang.Lang) *render.Page {
	s := rep.Summary
	page := &render.Page{
		Lang:  string(lg.Or()),
		Title: lang.T(lg, "page.diff.title"),
		Subtitle: []string{lang.T(lg, "page.diff.before", rep.Before), lang.T(lg, "page.diff.after", rep.After),
			lang.T(lg, "diff.summary", s.Opened, s.Closed, s.PodsAdded, s.PodsRemoved, s.ObjectsChanged) + lang.T(lg, "page.diff.stop")},
		GraphNote: lang.T(lg, "page.diff.graph-note"),
	}
	for _, p := range rep.Ports {
		page.Ports = append(page.Ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
	}
	if len(rep.Changes) > 0 {
		g := &render.Graph{}
		node := map[string]int{}
		for _, grp := range rep.Groups {
			node[grp.Name] = len(g.Nodes)
			lines := grp.Pods
			g.Nodes = append(g.Nodes, render.GraphNode{Name: grp.Name, Namespace: grp.Namespace,
				Detail: page.AddDetail(render.Detail{Title: grp.Name, Sections: []render.DetailSection{{Head: lang.T(lg, "page.pods"), Lines: lines}}})})
		}
		edges := map[[3]string]int{}
		for _, c := range rep.Changes {
			from, okFrom := node[c.From]
			to, okTo := node[c.To]
			if !okFrom || !okTo {
				continue
			}
			port := fmt.Sprintf("%d/%s", c.Port, c.Protocol)
			key := [3]string{c.Change, c.From, c.To}
			i, ok := edges[key]
			if !ok {
				i = len(g.Edges)
				edges[key] = i
				kind := render.EdgeClosed
				if c.Change == "opened" {
					kind = render.EdgeOpened
				}
				g.Edges = append(g.Edges, render.GraphEdge{From: from, To: to, Kind: kind,
					Detail: page.AddDetail(render.Detail{Title: c.From + " → " + c.To + ": " + changeIn(lg, c.Change)})})
			}
			e := &g.Edges[i]
			e.Ports = append(e.Ports, port)
			e.Label = strings.Join(e.Ports, ", ")
			d := &page.Details[e.Detail]
			d.Sections = append(d.Sections,
				render.DetailSection{Head: port + " " + lang.T(lg, "diff.before") + " " + verdictIn(lg, c.Before.Allowed), Class: render.VerdictWord(c.Before.Allowed), Lines: c.Before.Reasons},
				render.DetailSection{Head: port + " " + lang.T(lg, "diff.after") + " " + verdictIn(lg, c.After.Allowed), Class: render.VerdictWord(c.After.Allowed), Lines: c.After.Reasons})
		}
		page.Graph = g
	}
	page.Rows = &render.RowTable{Title: lang.T(lg, "page.diff.changes"), Head: []string{"", "FROM", "TO", "PORT", "CONNECTIONS", "BEFORE", "AFTER"}}
	for _, c := range rep.Changes {
		mark, class := "-", "closed"
		if c.Change == "opened" {
			mark, class = "+", "opened"
		}
		port := fmt.Sprintf("%d/%s", c.Port, c.Protocol)
		page.Rows.Rows = append(page.Rows.Rows, render.Row{Cells: []string{mark, c.From, c.To, port, fmt.Sprint(c.Connections),
			c.Before.deciding(), c.After.deciding()}, Class: class, Port: port, Detail: -1})
	}
	if len(rep.Changes) == 0 {
		page.LeftOut = append(page.LeftOut, lang.T(lg, "page.diff.none"))
	}
	addObjectChanges(page, rep, lg)
	return page
}

// changeIn is a change, opened or closed, as people read it in lg.
func changeIn(lg lang.Lang, change string) string {
	if change == "opened" {
		return lang.T(lg, "page.kind.opened")
	}
	return lang.T(lg, "page.kind.closed")
}

// addObjectChanges lists what changed in the inputs.
func addObjectChanges(page *render.Page, rep diffReport, lg lang.Lang) {
	if len(rep.Objects) == 0 {
		return
	}
	sec := render.TextSection{Title: strings.TrimSuffix(lang.T(lg, "diff.inputs"), ":")}
	for _, ch := range rep.Objects {
		text := ch.Kind + " " + ch.Name
		if ch.Detail != "" {
			text += " (" + ch.Detail + ")"
		}
		sec.Notes = append(sec.Notes, render.Note{Label: ch.Change, Text: text})
	}
	page.Texts = append(page.Texts, sec)
}

// addDiffRows puts a diff's changes on another command's page (lab check --diff), as text.
func addDiffRows(page *render.Page, rep diffReport, title string, lg lang.Lang) {
	sec := render.TextSection{Title: title}
	for _, c := range rep.Changes {
		mark := "- " + changeIn(lg, c.Change)
		if c.Change == "opened" {
			mark = "+ " + changeIn(lg, c.Change)
		}
		text := lang.T(lg, "page.diff.row", c.From, c.To, c.Port, c.Protocol, c.Connections, c.Before.deciding(), c.After.deciding())
		if c.AgainstGoal {
			text += lang.T(lg, "page.diff.against-goal")
		}
		sec.Notes = append(sec.Notes, render.Note{Label: mark, Text: text})
	}
	if len(sec.Notes) == 0 {
		sec.Notes = append(sec.Notes, render.Note{Text: lang.T(lg, "page.diff.none")})
	}
	page.Texts = append(page.Texts, sec)
	addObjectChanges(page, rep, lg)
}
