package plugin

import (
	"strings"

	"github.com/spf13/cobra"
)

// Output formats accepted by -o. Each command lists the ones it supports.
const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

func addOutputFlag(cmd *cobra.Command, target *string, formats ...string) {
	cmd.Flags().StringVarP(target, "output", "o", formats[0], "Output format: one of "+strings.Join(formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

func validateOutput(got string, formats ...string) error {
	for _, f := range formats {
		if got == f {
			return nil
		}
	}
	return usageErrorf("unknown output format %q; use one of %s", got, strings.Join(formats, "|"))
}
