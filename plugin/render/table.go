package render

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// tableHeader is the corner cell of every truth table.
const tableHeader = `FROM \ TO`

// Padding separates columns, as kubectl's tables do.
const Padding = 3

// The one table layout of the plugin: text/tabwriter's, measured in terminal columns. Table
// streams a truth table whose widths are known up front; TabWriter buffers tab-separated lines
// and aligns them when flushed. Both pad through appendCell.

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

// TabWriter is text/tabwriter's layout (cells end with a tab, lines with a newline; a column is as
// wide as its widest cell plus three spaces, over each run of lines that have that column; the
// text after a line's last tab is not a column), measured in terminal columns instead of
// runes: a Korean or Japanese letter takes two columns, a combining mark none. For ASCII text
// it writes exactly what tabwriter.NewWriter(out, 0, 4, 3, ' ', 0) writes.
type TabWriter struct {
	out io.Writer
	buf bytes.Buffer
}

// NewTabWriter is the table writer of every aligned listing (lab tables, summaries): a buffered
// cousin of Table, for text whose widths are known only once it is all written.
func NewTabWriter(out io.Writer) *TabWriter { return &TabWriter{out: out} }

// Write buffers text; Flush lays it out.
func (t *TabWriter) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the buffered lines, aligned, and empties the buffer.
func (t *TabWriter) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	// cells[i] are line i's tab-terminated cells; rest[i] the text after them.
	cells := make([][]string, len(lines))
	rest := make([]string, len(lines))
	maxCells := 0
	for i, line := range lines {
		parts := strings.Split(line, "\t")
		cells[i], rest[i] = parts[:len(parts)-1], parts[len(parts)-1]
		maxCells = max(maxCells, len(cells[i]))
	}
	// widths[i][c] is the width of column c on line i: the widest cell of that column in the
	// run of consecutive lines that have it.
	widths := make([][]int, len(lines))
	for i := range lines {
		widths[i] = make([]int, len(cells[i]))
	}
	for c := 0; c < maxCells; c++ {
		for start := 0; start < len(lines); {
			if len(cells[start]) <= c {
				start++
				continue
			}
			end, w := start, 0
			for ; end < len(lines) && len(cells[end]) > c; end++ {
				w = max(w, DisplayWidth(cells[end][c])+Padding)
			}
			for i := start; i < end; i++ {
				widths[i][c] = w
			}
			start = end
		}
	}
	var out []byte
	for i := range lines {
		for c, cell := range cells[i] {
			out = appendCell(out, cell, widths[i][c])
		}
		out = append(out, rest[i]...)
	}
	_, err := t.out.Write(out)
	return err
}

// PadRight pads s with spaces to n terminal columns.
func PadRight(s string, n int) string {
	if w := DisplayWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}
