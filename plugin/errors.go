package plugin

import (
	"errors"
	"fmt"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
)

// Exit codes. They are part of the user contract and listed in README.md.
const (
	ExitOK          = 0   // the command did what was asked
	ExitError       = 1   // any other failure, and checks that found problems (lab check FAIL, probe disagreements)
	ExitUsage       = 2   // bad flags or arguments; nothing was sent to the cluster
	ExitUnreachable = 3   // no kubeconfig, the API server cannot be reached, or it refused our credentials
	ExitInterrupted = 130 // Ctrl-C (or SIGTERM): the command stopped, having cleaned up; twice: at once
)

// usageError marks a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// clusterError marks a failure to talk to the API server at all (as opposed to a request that
// the server answered with an error).
type clusterError struct{ msg string }

func (e *clusterError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue *usageError
	var ce *clusterError
	var unknownLab *labs.UnknownLabError
	switch {
	case errors.As(err, &ue), errors.As(err, &unknownLab):
		return ExitUsage
	case errors.As(err, &ce):
		return ExitUnreachable
	default:
		return ExitError
	}
}
