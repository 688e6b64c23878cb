package render

import (
	"bufio"
	"io"
	"strings"
)

// tableHeader is the corner cell of every truth table.
const tableHeader = `FROM \ TO`

// Padding separates columns, as kubectl's tables do.
const Padding = 3

// Table prints a truth table under a title: rows are sources, columns destinations, cellAt's
// text in each. It writes one row at a time (memory holds one row, time goes to the cells
// printed), in text/tabwriter's layout (measured in terminal columns, DisplayWidth): each
// column as wide as its widest text plus three spaces, the last one unpadded. The widths come from the names and from cellWidth, the widest
// text cellAt returns in a column, which is why the caller says it.
func Table(w io.Writer, title string, rows, cols []string, cellWidth func(c int) int, cellAt func(r, c int) string) error {
	widths := columnWidths(rows, cols, cellWidth)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(title)
	bw.WriteByte('\n')
	line := make([]byte, 0, 256)
	line = appendCell(line[:0], tableHeader, widths[0])
	for c, name := range cols {
		line = appendCell(line, name, widths[c+1])
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return err
	}
	for r, name := range rows {
		line = appendCell(line[:0], name, widths[0])
		for c := range cols {
			line = appendCell(line, cellAt(r, c), widths[c+1])
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// TableWidth is how many columns Table's widest line takes.
func TableWidth(rows, cols []string, cellWidth func(c int) int) int {
	total := 0
	for _, w := range columnWidths(rows, cols, cellWidth) {
		total += w
	}
	return total + max(DisplayWidth(cols[len(cols)-1]), cellWidth(len(cols)-1))
}

// Width is a cellWidth for cells that are all n wide.
func Width(n int) func(int) int { return func(int) int { return n } }

// columnWidths are the padded widths of the name column and of every column but the last
// (0 for the last: it is not padded).
func columnWidths(rows, cols []string, cellWidth func(c int) int) []int {
	widths := make([]int, len(cols)+1)
	widths[0] = DisplayWidth(tableHeader)
	for _, r := range rows {
		widths[0] = max(widths[0], DisplayWidth(r))
	}
	widths[0] += Padding
	for c := range len(cols) - 1 {
		widths[c+1] = max(DisplayWidth(cols[c]), cellWidth(c)) + Padding
	}
	return widths
}

// appendCell appends text padded to width (0: unpadded).
func appendCell(line []byte, text string, width int) []byte {
	line = append(line, text...)
	if n := width - DisplayWidth(text); n > 0 {
		line = append(line, spaces[:min(n, len(spaces))]...)
		for n -= len(spaces); n > 0; n -= len(spaces) {
			line = append(line, spaces[:min(n, len(spaces))]...)
		}
	}
	return line
}

var spaces = strings.Repeat(" ", 256)
