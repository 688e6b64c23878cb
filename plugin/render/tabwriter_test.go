package render

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"text/tabwriter"
)

// For ASCII text the table writes exactly what text/tabwriter wrote before it (the settings
// the lab tables used), column blocks included: a run of lines without a column closes it.
func TestTableMatchesTabwriterOnASCII(t *testing.T) {
	inputs := []string{
		"NAME\tLEVEL\tTOPICS\tGOAL\nthree-tier\tintermediate\tdefault deny, DNS egress\tWEB <-> WAS\n",
		"  FROM\tTO\tPORT\tEXPECTED\n  web/web\twas/was\t8080/TCP\tallowed\n",
		"FROM\tTO\tPORT\tGOAL\tYOURS\t\nweb/web\twas/was\t8080/TCP\tallowed\tblocked\tWRONG\n",
		"a\tb\nno tabs here\nlonger cell\tx\ty\n\nz\t\t\n",
		"",
		"no newline at the end\tx",
		"\t\t\n\t\tlast\n",
	}
	rng := rand.New(rand.NewSource(1))
	words := []string{"", "a", "web/web", "kube-dns", "8080/TCP", "allowed", "blocked", "x y z", "  lead"}
	for n := 0; n < 200; n++ {
		var b strings.Builder
		for l := rng.Intn(6); l >= 0; l-- {
			for c := rng.Intn(5); c > 0; c-- {
				b.WriteString(words[rng.Intn(len(words))])
				b.WriteByte('\t')
			}
			b.WriteString(words[rng.Intn(len(words))])
			b.WriteByte('\n')
		}
		inputs = append(inputs, b.String())
	}
	for _, in := range inputs {
		var want, got bytes.Buffer
		tw := tabwriter.NewWriter(&want, 0, 4, 3, ' ', 0)
		fmt.Fprint(tw, in)
		_ = tw.Flush()
		tb := NewTabWriter(&got)
		fmt.Fprint(tb, in)
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("input %q:\n got %q\nwant %q", in, got.String(), want.String())
		}
	}
}

// With Korean and Japanese text the columns start at the same terminal column on every line,
// where tabwriter (which counts runes) would shift them.
func TestTableAlignsWideText(t *testing.T) {
	rows := [][]string{
		{"NAME", "LEVEL", "GOAL"},
		{"three-tier", "中級", "WEB <-> WAS <-> DB の間だけを通す"},
		{"dns-egress", "초급", "이름 조회가 다시 되게 하기"},
		{"ipblock", "advanced", "ingress from 192.0.2.0/24"},
		{"ｆｕｌｌ", "ﾊﾝｶｸ", "é (e + combining acute)"}, // fullwidth 2 each, halfwidth kana 1 each
	}
	var out bytes.Buffer
	tb := NewTabWriter(&out)
	for _, r := range rows {
		fmt.Fprintln(tb, strings.Join(r, "\t"))
	}
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	for c := 1; c < 3; c++ {
		want := -1
		for i, line := range lines {
			at := strings.Index(line, rows[i][c])
			if at < 0 {
				t.Fatalf("line %q lacks %q", line, rows[i][c])
			}
			col := DisplayWidth(line[:at])
			if want < 0 {
				want = col
			}
			if col != want {
				t.Errorf("column %d starts at %d on line %d, at %d on the first:\n%s", c, col, i, want, out.String())
			}
		}
	}
	// The widest cell of the first column is "three-tier" or "dns-egress" (10), plus padding.
	if !strings.HasPrefix(lines[1], "three-tier   中級") {
		t.Errorf("line %q", lines[1])
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":             0,
		"abc":          3,
		"中級":           4,
		"초급":           4,
		"ネットワーク":       12,
		"ﾊﾝｶｸ":         4, // halfwidth katakana
		"ＡＢ":           4, // fullwidth Latin
		"e\u0301":      1, // combining acute accent
		"（）":           4, // fullwidth parentheses
		"、。":           4,
		"WEB <-> 만":    10,
		"a\u200bb":     2, // zero-width space
		"Namespace の名": 14,
	} {
		if got := DisplayWidth(s); got != want {
			t.Errorf("DisplayWidth(%q) = %d, want %d", s, got, want)
		}
	}
	if got := PadRight("힌트:", 8); got != "힌트:   " {
		t.Errorf("padRight: %q", got)
	}
}
