package plugin

import (
	"strings"

	"github.com/spf13/cobra"
)

// Output formats accepted by -o.
const (
	outputTable   = "table"
	outputJSON    = "json"
	outputYAML    = "yaml"
	outputDot     = "dot"
	outputMermaid = "mermaid"
)

// outputFormats are the formats one command accepts, the first the default: declared once per
// command, for its flag, its completion and its validation.
type outputFormats []string

var (
	tableJSONYAML  = outputFormats{outputTable, outputJSON, outputYAML}
	explainFormats = outputFormats{outputTable, outputJSON, outputYAML, outputDot, outputMermaid}
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
