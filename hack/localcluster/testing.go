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

// RealNodeSwitch is the environment variable that makes the real node's tests required: set to
// "required" (CI does, in .ci/run), a test that would skip because this machine cannot run the
// real node fails instead, with the same reason, as NETPOL_BROWSER_TESTS=required does for the
// browser tests. The skip under -short stays a skip.
const RealNodeSwitch = "NETPOL_REAL_NODE_TESTS"

// realNodeRequired says whether the switch, of this value, makes the real node's tests required.
func realNodeRequired(value string) bool { return value == "required" }

// realNodeVerdict is what a real-node test does where this machine cannot run the node for
// reason: the message, and whether it fails (the switch's value is "required") or skips.
func realNodeVerdict(reason, switchValue string) (msg string, fail bool) {
	if realNodeRequired(switchValue) {
		return "real-node tier cannot run: " + reason + " (" + RealNodeSwitch + "=required)", true
	}
	return "real-node tier skipped: " + reason, false
}

// skipRealNode skips t, or fails it when the real node's tests are required, saying why.
func skipRealNode(t testing.TB, reason string) {
	t.Helper()
	msg, fail := realNodeVerdict(reason, os.Getenv(RealNodeSwitch))
	if fail {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// RequireDataplane is for a real-node test that starts its own cluster (Options.Dataplane): it
// skips the test under -short, and where this machine cannot run the real node (not Linux, not
// root, packages missing) it skips it saying why, or fails it when NETPOL_REAL_NODE_TESTS=required.
func RequireDataplane(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("real-node tier skipped under -short: it starts the local node (run without -short, or 'make test')")
	}
	if err := DataplaneSupported(); err != nil {
		skipRealNode(t, err.Error())
	}
}

// dataplaneSkip is why the real node's tests skip on this machine ("" when they run).
var dataplaneSkip string

// RunDataplaneTests is a TestMain body for tests on the real node (Options.Dataplane). Where this
// machine cannot run it (not Linux, not root, packages missing), it says so in one line and the
// tests skip through ForDataplane with that reason (or fail, when NETPOL_REAL_NODE_TESTS=required);
// where it can, a node that fails to start fails the package.
func RunDataplaneTests(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	if err := DataplaneSupported(); err != nil {
		dataplaneSkip = err.Error()
		what := "skip"
		if realNodeRequired(os.Getenv(RealNodeSwitch)) {
			what = "fail (" + RealNodeSwitch + "=required)"
		}
		fmt.Fprintf(os.Stderr, "the real node cannot run here, its tests %s: %v\n", what, err)
		return m.Run()
	}
	return runWith(m, Options{Log: os.Stderr, Dataplane: true})
}

// ForDataplane returns the package's cluster with the real node, or skips the test: under
// -short, or where the machine cannot run the node, saying why (then it fails the test instead
// when NETPOL_REAL_NODE_TESTS=required).
func ForDataplane(t testing.TB) *Cluster {
	t.Helper()
	switch {
	case shared != nil && shared.Node != nil:
		return shared
	case testing.Short():
		t.Skip("real-node tier skipped under -short: it needs the local node (run without -short, or 'make test')")
	case dataplaneSkip != "":
		skipRealNode(t, dataplaneSkip)
	}
	t.Fatal("no real node: call localcluster.RunDataplaneTests from TestMain")
	return nil
}
