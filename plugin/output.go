package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
)

// Output formats accepted by -o.
const (
	outputTable   = "table"
	outputJSON    = "json"
	outputYAML    = "yaml"
	outputDot     = "dot"
	outputMermaid = "mermaid"
	outputHTML    = "html"
)

// outputFormats are the formats one command accepts, the first the default: declared once per
// command, for its flag, its completion and its validation.
type outputFormats []string

var (
	tableJSONYAML  = outputFormats{outputTable, outputJSON, outputYAML}
	explainFormats = outputFormats{outputTable, outputJSON, outputYAML, outputDot, outputMermaid, outputHTML}
	// pageFormats are the commands that also draw a page (-o html).
	pageFormats = outputFormats{outputTable, outputJSON, outputYAML, outputHTML}
)

func (f outputFormats) add(cmd *cobra.Command, target *string) {
	cmd.Flags().StringVarP(target, "output", "o", f[0], "Output format: one of "+strings.Join(f, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(f, cobra.ShellCompDirectiveNoFileComp))
}

func (f outputFormats) validate(got string) error {
	for _, format := range f {
		if got == format {
			return nil
		}
	}
	return usageErrorf("unknown output format %q; use one of %s", got, strings.Join(f, "|"))
}

// writePage lays out the page's graph and writes the page.
func writePage(out io.Writer, p *render.Page) error {
	if p.Graph != nil {
		p.Graph.Layout(p.Prefer)
	}
	return render.WriteHTML(out, p)
}

func printStructured(out io.Writer, format string, v any) error {
	var data []byte
	var err error
	if format == outputJSON {
		data, err = json.MarshalIndent(v, "", "  ")
		data = append(data, '\n')
	} else {
		data, err = yaml.Marshal(v)
	}
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return err
}

// colorful: only on a terminal, and never with NO_COLOR set (https://no-color.org).
func colorful(out io.Writer) bool {
	f, ok := out.(*os.File)
	return ok && os.Getenv("NO_COLOR") == "" && term.IsTerminal(int(f.Fd()))
}

// printIndented prints a multi-line text after a label, its later lines aligned under the first.
func printIndented(out io.Writer, label, text string) {
	if text == "" {
		return
	}
	pad := strings.Repeat(" ", render.DisplayWidth(label))
	for i, line := range strings.Split(text, "\n") {
		if i == 0 {
			fmt.Fprintf(out, "%s%s\n", label, line)
		} else {
			fmt.Fprintf(out, "%s%s\n", pad, line)
		}
	}
}
