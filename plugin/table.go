package plugin

import (
	"bytes"
	"io"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
)

// table is text/tabwriter's layout (cells end with a tab, lines with a newline; a column is as
// wide as its widest cell plus three spaces, over each run of lines that have that column; the
// text after a line's last tab is not a column), measured in terminal columns instead of
// runes: a Korean or Japanese letter takes two columns, a combining mark none. For ASCII text
// it writes exactly what tabwriter.NewWriter(out, 0, 4, 3, ' ', 0) writes.
type table struct {
	out io.Writer
	buf bytes.Buffer
}

func newTable(out io.Writer) *table { return &table{out: out} }

// Write buffers text; Flush lays it out.
func (t *table) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the buffered lines, aligned, and empties the buffer.
func (t *table) Flush() error {
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
				w = max(w, render.DisplayWidth(cells[end][c])+render.Padding)
			}
			for i := start; i < end; i++ {
				widths[i][c] = w
			}
			start = end
		}
	}
	var out strings.Builder
	for i := range lines {
		for c, cell := range cells[i] {
			out.WriteString(cell)
			out.WriteString(strings.Repeat(" ", widths[i][c]-render.DisplayWidth(cell)))
		}
		out.WriteString(rest[i])
	}
	_, err := io.WriteString(t.out, out.String())
	return err
}

// padRight pads s with spaces to n terminal columns.
func padRight(s string, n int) string {
	if w := render.DisplayWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}
