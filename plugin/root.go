// Package plugin holds the cobra commands of kubectl-netpol. Each command has an options struct
// with Complete / Validate / Run, as in kubernetes/sample-cli-plugin, and receives its IOStreams and
// kubeconfig flags from the root so that every command can be run from a test.
package plugin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"
	"k8s.io/utils/ptr"
)

// CompletionHelperName is the executable kubectl >= 1.26 runs to complete `kubectl netpol …`.
const CompletionHelperName = "kubectl_complete-netpol"

// defaultRequestTimeout bounds every API request unless --request-timeout says otherwise, so that
// an unreachable cluster fails in seconds instead of hanging (kubectl's own default is no limit).
const defaultRequestTimeout = "5s"

var rootLong = templates.LongDesc(`
	Learn and debug Kubernetes NetworkPolicy.

	kubectl netpol sets up guided labs, explains which connections a cluster's
	policies allow, probes what the network really does, and diagnoses the usual
	mistakes (namespace labels, DNS egress, a CNI that does not enforce policy).`)

// NewRootCmd builds the `kubectl netpol` command tree writing to streams.
func NewRootCmd(streams genericiooptions.IOStreams) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true)
	configFlags.Timeout = ptr.To(defaultRequestTimeout)

	root := &cobra.Command{
		Use:   "kubectl-netpol",
		Short: "Learn and debug Kubernetes NetworkPolicy",
		Long:  rootLong,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl netpol",
		},
		SilenceUsage:  true,
		SilenceErrors: true, // Main prints the one error line itself
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })
	configFlags.AddFlags(root.PersistentFlags())

	f := cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(configFlags))
	cluster := &clusterAccess{factory: f, flags: configFlags}

	root.AddCommand(newLabCmd(streams, cluster))
	root.AddCommand(newExamCmd(streams, cluster))
	root.AddCommand(newExplainCmd(streams, cluster))
	root.AddCommand(newProbeCmd(streams, cluster))
	root.AddCommand(newDoctorCmd(streams, cluster))
	root.AddCommand(newDiffCmd(streams, cluster))
	root.AddCommand(newVersionCmd(streams, cluster))
	root.AddCommand(newCompletionCmd(streams))
	noticesToStderr(root, streams.ErrOut)
	return root
}

// noticesToStderr keeps stdout for results (help and completions among them) by sending the
// notices of cmd's tree to errOut. cobra prints its notices with Command.Print, to the Out
// writer that help and completions use, so with root.SetOut they landed on stdout, in front of
// -o json and among the completions. pflag writes a deprecated flag's notice to its flagset's
// output, which cobra points at a buffer it then Prints: errOut instead writes it directly.
// cobra's notice for a deprecated command has no such hook, so the command becomes hidden
// (what Deprecated also does) and says it here, when it runs (not with --help).
func noticesToStderr(cmd *cobra.Command, errOut io.Writer) {
	cmd.Flags().SetOutput(errOut) // the flagset cobra parses, persistent flags merged in
	if cmd.Deprecated != "" {
		notice := fmt.Sprintf("Command %q is deprecated, %s\n", cmd.Name(), cmd.Deprecated)
		cmd.Deprecated, cmd.Hidden = "", true
		args := cmd.Args
		cmd.Args = func(c *cobra.Command, a []string) error {
			fmt.Fprint(errOut, notice)
			if args == nil {
				return nil // what cobra does for a subcommand without Args
			}
			return args(c, a)
		}
	}
	for _, c := range cmd.Commands() {
		noticesToStderr(c, errOut)
	}
}

// noArgs is cobra.NoArgs with our usage error type, so that the exit code says "bad usage".
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unknown command %q for %q; run '%s --help' for the commands", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// silenceKlog sends klog's output nowhere: not to stderr (logtostderr, and errors above
// stderrthreshold would still go there), not to files.
func silenceKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for name, value := range map[string]string{"logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "FATAL"} {
		_ = fs.Set(name, value)
	}
	klog.SetOutput(io.Discard)
}

// Main runs the plugin with args (without the program name) and returns the process exit code.
func Main(streams genericiooptions.IOStreams, args []string) int {
	// client-go logs through klog what it cannot return, such as the stream copy errors of an
	// exec that a probe ends on purpose ("Copying stdout failed ... use of closed network
	// connection"): noise on stderr for every probe on a real node. The plugin reports every
	// error that matters itself.
	silenceKlog()
	ctx, interrupted, stop := interruptible(streams.ErrOut, os.Exit)
	defer stop()
	root := NewRootCmd(streams)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if se := (*silentExit)(nil); errors.As(err, &se) && !interrupted() {
		return se.code
	}
	fmt.Fprintf(streams.ErrOut, "error: %s\n", learnerMessage(cmd, err))
	if interrupted() {
		return ExitInterrupted
	}
	return exitCode(err)
}

// interruptible gives a context that the first Ctrl-C (or SIGTERM) cancels, so that a long
// command stops cleanly and cleans up what it made; a second one exits at once, through exit,
// with ExitInterrupted: a user who presses it twice wants out. interrupted reports whether a
// signal came; stop releases the signals.
func interruptible(errOut io.Writer, exit func(int)) (ctx context.Context, interrupted func() bool, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	var got atomic.Bool
	done := make(chan struct{})
	go func() {
		select {
		case <-signals:
		case <-done:
			return
		}
		got.Store(true)
		fmt.Fprintln(errOut, "\nInterrupted: stopping and cleaning up (press Ctrl-C again to quit at once)")
		cancel()
		select {
		case <-signals:
			fmt.Fprintln(errOut, "Interrupted again: quitting now; what was being cleaned up may be left behind")
			exit(ExitInterrupted)
		case <-done:
		}
	}()
	return ctx, got.Load, func() {
		signal.Stop(signals)
		close(done)
		cancel()
	}
}
