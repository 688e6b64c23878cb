package localcluster

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// shared is the control plane of the running test binary, started by RunTests.
var shared *Cluster

// RunTests is a TestMain body: it starts one control plane for the package's tests, runs them,
// and stops it. Under `go test -short` it starts nothing, and ForTest skips the integration tests.
// A control plane that fails to start fails the package: it is never a silent skip. Exec into
// its pods runs on this machine (Options.HostExec), for the probe tests.
//
//	func TestMain(m *testing.M) { os.Exit(localcluster.RunTests(m)) }
func RunTests(m *testing.M) int {
	flag.Parse() // testing.Short needs the flags parsed
	if testing.Short() {
		return m.Run()
	}
	return runWith(m, Options{Log: os.Stderr, HostExec: true})
}

// runWith starts the package's cluster, runs the tests and stops it; a cluster that does not
// start fails the package.
func runWith(m *testing.M, opts Options) int {
	c, err := Start(context.Background(), opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the local cluster did not start: %v\n", err)
		return 1
	}
	shared = c
	code := m.Run()
	c.Stop()
	return code
}

// ForTest returns the package's control plane, or skips the test under -short.
func ForTest(t testing.TB) *Cluster {
	t.Helper()
	if shared == nil {
		if testing.Short() {
			t.Skip("integration tier skipped under -short: it needs the local control plane (run without -short, or 'make test')")
		}
		t.Fatal("no local control plane: call localcluster.RunTests from TestMain")
	}
	return shared
}

// dataplaneSkip is why the real node's tests skip on this machine ("" when they run).
var dataplaneSkip string

// RunDataplaneTests is a TestMain body for tests on the real node (Options.Dataplane). Where this
// machine cannot run it (not Linux, not root, packages missing), it says so in one line and the
// tests skip through ForDataplane with that reason; where it can, a node that fails to start
// fails the package.
func RunDataplaneTests(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	if err := DataplaneSupported(); err != nil {
		dataplaneSkip = err.Error()
		fmt.Fprintf(os.Stderr, "the real node cannot run here, its tests skip: %v\n", err)
		return m.Run()
	}
	return runWith(m, Options{Log: os.Stderr, Dataplane: true})
}

// ForDataplane returns the package's cluster with the real node, or skips the test (under
// -short, or where the machine cannot run the node, saying why).
func ForDataplane(t testing.TB) *Cluster {
	t.Helper()
	switch {
	case shared != nil && shared.Node != nil:
		return shared
	case testing.Short():
		t.Skip("real-node tier skipped under -short: it needs the local node (run without -short, or 'make test')")
	case dataplaneSkip != "":
		t.Skip("real-node tier skipped: " + dataplaneSkip)
	}
	t.Fatal("no real node: call localcluster.RunDataplaneTests from TestMain")
	return nil
}
