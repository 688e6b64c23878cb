package validatelive

import (
	"os"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// The tests run against one local control plane for the package (skipped under -short). They
// live apart from package policy so that its unit tests need no control plane.
func TestMain(m *testing.M) { os.Exit(localcluster.RunTests(m)) }
