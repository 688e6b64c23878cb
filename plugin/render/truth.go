package render

import (
	"fmt"
	"io"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Cell is a truth table's mark: '.' allowed, 'X' blocked.
func Cell(allowed bool) string {
	if allowed {
		return "."
	}
	return "X"
}

// TruthTables prints one table per port of m, rows from, columns to, and the legend, in l.
// Where cluster policies decide a cell, its mark carries the tier: "Xa" blocked by the Admin
// tier, "Xb" by the Baseline tier, ".a" allowed by an Admin Accept; a plain mark is the
// NetworkPolicies' (or nothing's).
func TruthTables(out io.Writer, m *policy.Matrix, rows, cols []Group, l lang.Lang) error {
	grouped := false
	for _, g := range rows {
		grouped = grouped || len(g.Pods) > 1
	}
	for _, g := range cols {
		grouped = grouped || len(g.Pods) > 1
	}
	rowNames, colNames := Names(rows), Names(cols)
	selfBlocked := false // a group to itself shows X, though each of its pods reaches itself
	tiers, tiered := m.HasClusterTier(), false
	width := Width(1)
	if tiers {
		width = Width(2)
	}
	for pi, port := range m.Ports {
		if pi > 0 {
			fmt.Fprintln(out)
		}
		if err := Table(out, port.String()+":", rowNames, colNames, width, func(r, c int) string {
			allowed := Allowed(m, pi, &rows[r], &cols[c])
			if !allowed && !selfBlocked && len(rows[r].Pods)+len(cols[c].Pods) > 2 && sharesLoopback(m, &rows[r], &cols[c]) {
				selfBlocked = true
			}
			mark := Cell(allowed)
			if tiers {
				if t := cellTier(m, pi, &rows[r], &cols[c]); t != "" {
					mark += t
					tiered = true
				}
			}
			return mark
		}); err != nil {
			return err
		}
	}
	legend := "\n" + lang.T(l, "explain.legend")
	if grouped {
		legend += "   " + lang.T(l, "explain.legend.grouped")
	}
	if tiered {
		legend += "\n" + lang.T(l, "explain.legend.tier")
	}
	if selfBlocked {
		legend += "\n" + lang.T(l, "explain.legend.self")
	}
	_, err := fmt.Fprintln(out, legend)
	return err
}

// cellTier is "a" or "b" when the Admin or the Baseline tier decides a cell, else "".
func cellTier(m *policy.Matrix, port int, r, c *Group) string {
	if len(r.Pods) == 1 && len(c.Pods) == 1 && m.Loopback(r.Pods[0], c.Pods[0]) {
		return "" // a pod to itself: always allowed, whatever any tier says
	}
	switch m.DecidingTier(port, r.Class, c.Class) {
	case policy.TierAdmin:
		return "a"
	case policy.TierBaseline:
		return "b"
	}
	return ""
}
