package plugin

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Exit codes. They are part of the user contract and listed in README.md.
const (
	ExitOK          = 0   // the command did what was asked
	ExitError       = 1   // any other failure, and checks that found problems (lab check FAIL, probe disagreements)
	ExitUsage       = 2   // bad usage, some found only once the cluster was read; nothing was written or probed
	ExitUnreachable = 3   // no kubeconfig, the API server cannot be reached, or it refused our credentials
	ExitDiffFailed  = 4   // diff only: what other commands exit 1 for (diff's 1 means "changes found")
	ExitInterrupted = 130 // Ctrl-C (or SIGTERM): the command stopped, having cleaned up; twice: at once
)

// usageError marks a mistake in the command line; cause, when set, is what it says (for
// learnerMessage to say it in the reader's language).
type usageError struct {
	msg   string
	cause error
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return e.cause }

func usageErrorf(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// clusterError marks a failure to talk to the API server at all (as opposed to a request that
// the server answered with an error).
type clusterError struct{ msg string }

func (e *clusterError) Error() string { return e.msg }

// diffFailedError is any failure of diff that is neither bad usage nor an unreachable cluster:
// diff exits 1 when it finds changes, as kubectl diff does, so its failures must exit above 1.
type diffFailedError struct{ err error }

func (e *diffFailedError) Error() string { return e.err.Error() }
func (e *diffFailedError) Unwrap() error { return e.err }

// silentExit ends a command with code and no error line: an answer, not a failure (diff's 1,
// "changes found").
type silentExit struct{ code int }

func (e *silentExit) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func exitCode(err error) int {
	var ue *usageError
	var ce *clusterError
	var unknownLab *labs.UnknownLabError
	var df *diffFailedError
	var se *silentExit
	switch {
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue), errors.As(err, &unknownLab):
		return ExitUsage
	case errors.As(err, &ce):
		return ExitUnreachable
	case errors.As(err, &df):
		return ExitDiffFailed
	default:
		return ExitError
	}
}

// failedError is a check that ran and found problems: exit code 1, and the one line says so.
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }

// learnerMessage is the error line for the mistakes learners make most, an unknown lab and a
// port that cannot be read, in the language of the command that failed (its --lang, else the
// environment's); every other error as it is.
func learnerMessage(cmd *cobra.Command, err error) string {
	var unknownLab *labs.UnknownLabError
	var port *policy.PortError
	if !errors.As(err, &unknownLab) && !errors.As(err, &port) {
		return err.Error()
	}
	lg, lerr := langOf(cmd)
	if lerr != nil {
		lg = lang.FromEnv(getenv) // a bad --lang is its own error; this one is said anyway
	}
	if unknownLab != nil {
		msg := lang.T(lg, "error.unknown-lab", unknownLab.Name)
		if len(unknownLab.Closest) > 0 {
			msg += lang.T(lg, "error.did-you-mean", strings.Join(unknownLab.Closest, lang.T(lg, "error.or")))
		}
		return msg + lang.T(lg, "error.lab-list")
	}
	if port.Protocol {
		return lang.T(lg, "error.port-protocol", port.Value)
	}
	return lang.T(lg, "error.port", port.Value)
}
