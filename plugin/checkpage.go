package plugin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// checkPage is `lab check -o html`: the goal with the static and the observed verdicts side by
// side, wrong rows marked with their hints; the lab's pods as a graph of what the policies
// allow on the goal's ports, with the wrong rows drawn on it; and the truth tables.
func checkPage(lab *labs.Rendered, rep checkReport, snap *policy.Snapshot, files bool) (*render.Page, error) {
	lg, label := rep.Lang, lineLabels(rep.Lang)
	page := &render.Page{
		Title:   lang.T(lg, "page.title", lab.Name, lab.Title),
		Lang:    string(lg.Or()),
		Verdict: rep.Verdict,
		Subtitle: []string{
			lang.T(lg, "page.score", rep.Score),
			strings.TrimSpace(lab.Task),
		},
		Prefer:    lab.Namespaces,
		GraphNote: lang.T(lg, "page.graph-note"),
	}
	if rep.Summary != nil {
		page.Subtitle = append(page.Subtitle, lang.T(lg, "page.probes", rep.Summary.in(lg)))
	}

	// The lab's pods, and the cluster DNS its goal names.
	// (the kube-system pods labelled k8s-app=kube-dns, or a stand-in for them, as the grading
	// names them).
	snap, dnsPods := policy.WithClusterDNS(snap)
	dns := ""
	if len(dnsPods) > 0 {
		dns = dnsPods[0].ID()
	}
	var pods []int
	for i, p := range snap.Pods {
		if slices.Contains(lab.Namespaces, p.Namespace) || p.ID() == dns {
			pods = append(pods, i)
		}
	}
	var ports []policy.PortProtocol
	for _, g := range lab.Goal {
		pp := policy.PortProtocol{Port: int32(g.Port), Protocol: g.Proto()}
		if !slices.Contains(ports, pp) {
			ports = append(ports, pp)
		}
	}
	ev, err := policy.New(snap)
	if err != nil {
		return nil, fmt.Errorf("cannot evaluate: %w", err)
	}
	m := ev.Matrix(ports)
	groups := render.Groups(snap, m, pods, render.ByClass)
	truth := render.AddTruth(page, snap, m, groups, groups)

	// The goal, row by row; its wrong rows drawn on the graph too.
	head := []string{"FROM", "TO", "PORT", "GOAL", "YOURS"}
	if rep.Live != nil {
		head = append(head, "OBSERVED")
	}
	page.Rows = &render.RowTable{Title: lang.T(lg, "show.goal"), Head: append(head, "")}
	podIndex := map[string]int{}
	for _, i := range pods {
		podIndex[snap.Pods[i].ID()] = i
	}
	outside := map[string]int{}
	node := func(name string) (int, bool) {
		if name == labs.KubeDNS {
			name = dns
		}
		if i, ok := podIndex[name]; ok && truth.NodeOf != nil {
			n, ok := truth.NodeOf[i]
			return n, ok
		}
		if page.Graph == nil || truth.NodeOf == nil || strings.Contains(name, "/") || name == "" {
			return 0, false
		}
		// An address outside the cluster: a node of its own.
		if n, ok := outside[name]; ok {
			return n, true
		}
		outside[name] = len(page.Graph.Nodes)
		page.Graph.Nodes = append(page.Graph.Nodes, render.GraphNode{Name: name, Namespace: lang.T(lg, "page.outside"), Detail: -1})
		return outside[name], true
	}
	for i, g := range rep.Static {
		port := fmt.Sprintf("%d/%s", g.Port, g.Proto())
		row := render.Row{Cells: []string{g.From, g.To, port, verdictIn(lg, g.Allowed), verdictIn(lg, g.Evaluated)}, Class: "ok", Port: port}
		wrong := !g.Correct
		var liveNote *render.Note
		if rep.Live != nil {
			o := liveFor(rep.Live, i, g)
			observed := "-"
			switch {
			case o == nil:
			case o.Judgement == judgedOK || o.Judgement == judgedWrong:
				observed = o.Outcome
				wrong = wrong || o.Judgement == judgedWrong
			default:
				observed = o.mark(lg)
			}
			row.Cells = append(row.Cells, observed)
			if o != nil && o.Blame != "" && o.Blame != blamePolicies {
				// What the packets say of the network, as the terminal's notes say it.
				liveNote = &render.Note{Label: observed, Text: blameText(lg, o.Blame)}
			}
		}
		mark := "ok"
		if wrong {
			mark, row.Class = "WRONG", "wrong"
		}
		row.Cells = append(row.Cells, mark)
		if !g.Correct {
			row.Notes = append(row.Notes, render.Note{Label: strings.TrimSpace(label["why"]), Text: strings.Join(g.Reasons, lang.T(lg, "join.semi"))})
			for ci, c := range g.Causes {
				if ci == 3 {
					break
				}
				name := label["hint"]
				if ci > 0 {
					name = label["also"]
				}
				text := c.Message
				if summary := labs.CauseSummary(lg, c.Code); lg.Or() != lang.En && summary != "" {
					text = summary + "\n" + c.Message
				}
				row.Notes = append(row.Notes, render.Note{Label: strings.TrimSpace(name), Text: text})
				if c.Fix != "" {
					row.Notes = append(row.Notes, render.Note{Label: strings.TrimSpace(label["fix"]), Text: c.Fix})
				}
			}
		}
		if liveNote != nil {
			row.Notes = append(row.Notes, *liveNote)
		}
		detail := page.AddDetail(goalDetail(g, row.Notes, lg))
		row.Detail = detail
		page.Rows.Rows = append(page.Rows.Rows, row)

		from, okFrom := node(g.From)
		to, okTo := node(g.To)
		if !okFrom || !okTo {
			continue
		}
		_, fromOutside := outside[g.From]
		_, toOutside := outside[g.To]
		kind := ""
		switch {
		case g.Correct && (fromOutside || toOutside):
			// The truth tables are between pods: a goal row with an address is drawn here.
			kind = render.EdgeBlocked
			if g.Evaluated {
				kind = render.EdgeAllowed
			}
		case !g.Correct && g.Allowed:
			kind = render.EdgeMissing
		case !g.Correct:
			kind = render.EdgeUnwanted
			truth.DropPort(page.Graph, from, to, port)
		}
		if kind != "" {
			page.Graph.Edges = append(page.Graph.Edges, render.GraphEdge{From: from, To: to, Kind: kind, Ports: []string{port}, Label: port, Detail: detail})
		}
	}
	for _, p := range rep.Problems {
		kind := lang.T(lg, "check.note")
		if p.Refused {
			kind = "REFUSED"
		}
		notes := []render.Note{{Label: kind, Text: p.Message}}
		if p.Fix != "" {
			notes = append(notes, render.Note{Label: strings.TrimSpace(label["fix"]), Text: p.Fix})
		}
		page.Texts = append(page.Texts, render.TextSection{Title: lang.T(lg, "page.your-files", p.Policy), Notes: notes})
	}
	if files {
		page.Subtitle = append(page.Subtitle, lang.T(lg, "page.files"))
	}
	return page, nil
}

// liveFor is the observation of the i-th goal row (the live rows follow the goal's order).
func liveFor(live []observation, i int, g labs.Graded) *observation {
	if i < len(live) && live[i].From == g.From && live[i].To == g.To && int(live[i].Port) == g.Port {
		return &live[i]
	}
	return nil
}

// goalDetail is a goal row's details: the goal, the verdict, the reasons and the hints.
func goalDetail(g labs.Graded, notes []render.Note, lg lang.Lang) render.Detail {
	d := render.Detail{Title: lang.T(lg, "page.detail.title", g.From, g.To, g.Port, g.Proto())}
	class := render.EdgeAllowed
	if !g.Correct {
		class = "wrong"
	}
	d.Sections = append(d.Sections, render.DetailSection{Head: lang.T(lg, "page.detail.head", verdictIn(lg, g.Allowed), verdictIn(lg, g.Evaluated)), Class: class, Lines: g.Reasons})
	for _, n := range notes {
		d.Sections = append(d.Sections, render.DetailSection{Head: n.Label, Lines: []string{n.Text}})
	}
	return d
}
