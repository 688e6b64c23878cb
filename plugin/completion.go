package plugin

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"
)

var completionLong = templates.LongDesc(`
	Print a shell completion script for kubectl-netpol.

	With kubectl 1.26 or newer, 'kubectl netpol <TAB>' completes through kubectl's own
	completion once an executable named kubectl_complete-netpol is on your PATH (the
	release archives ship one; a link to kubectl-netpol under that name works too).
	The scripts printed here complete the kubectl-netpol binary when it is called directly.`)

var completionExample = templates.Examples(`
	# bash, for the current shell
	source <(kubectl-netpol completion bash)

	# zsh
	kubectl-netpol completion zsh > "${fpath[1]}/_kubectl-netpol"

	# fish
	kubectl-netpol completion fish > ~/.config/fish/completions/kubectl-netpol.fish`)

func newCompletionCmd(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:                   "completion bash|zsh|fish|powershell",
		Short:                 "Print a shell completion script",
		Long:                  completionLong,
		Example:               completionExample,
		DisableFlagsInUseLine: true,
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("completion needs exactly one shell: bash, zsh, fish or powershell")
			}
			if err := cobra.OnlyValidArgs(cmd, args); err != nil {
				return usageErrorf("%v", err)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(streams.Out, true)
			case "zsh":
				return root.GenZshCompletion(streams.Out)
			case "fish":
				return root.GenFishCompletion(streams.Out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(streams.Out)
			}
		},
	}
}
