package render

import (
	"fmt"
	"io"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Cell is a truth table's mark: '.' allowed, 'X' blocked.
func Cell(allowed bool) string {
	if allowed {
		return "."
	}
	return "X"
}

// TruthTables prints one table per port of m, rows from, columns to, and the legend.
func TruthTables(out io.Writer, m *policy.Matrix, rows, cols []Group) error {
	grouped := false
	for _, g := range rows {
		grouped = grouped || len(g.Pods) > 1
	}
	for _, g := range cols {
		grouped = grouped || len(g.Pods) > 1
	}
	rowNames, colNames := Names(rows), Names(cols)
	selfBlocked := false // a group to itself shows X, though each of its pods reaches itself
	for pi, port := range m.Ports {
		if pi > 0 {
			fmt.Fprintln(out)
		}
		if err := Table(out, port.String()+":", rowNames, colNames, Width(1), func(r, c int) string {
			allowed := Allowed(m, pi, &rows[r], &cols[c])
			if !allowed && !selfBlocked && len(rows[r].Pods)+len(cols[c].Pods) > 2 && sharesLoopback(m, &rows[r], &cols[c]) {
				selfBlocked = true
			}
			return Cell(allowed)
		}); err != nil {
			return err
		}
	}
	legend := "\n. allowed   X blocked"
	if grouped {
		legend += "   (N pods): pods with the same labels, shown once; --by pod shows each"
	}
	if selfBlocked {
		legend += "\nX from a group to itself: its pods to one another; each pod can always reach itself (loopback)"
	}
	_, err := fmt.Fprintln(out, legend)
	return err
}
