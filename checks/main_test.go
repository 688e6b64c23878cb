package checks

import (
	"os"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// The integration tests run against one local control plane for the package (skipped under
// -short); the unit tests need none.
func TestMain(m *testing.M) { os.Exit(localcluster.RunTests(m)) }
