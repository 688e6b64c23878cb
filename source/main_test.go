package source

import (
	"os"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

func TestMain(m *testing.M) { os.Exit(localcluster.RunTests(m)) }
