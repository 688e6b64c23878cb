package localcluster

import (
	"strings"
	"testing"
)

// NETPOL_REAL_NODE_TESTS=required turns a real-node skip into a failure with the same reason;
// any other value (or none) leaves it a skip. Decided without a cluster.
func TestRealNodeVerdict(t *testing.T) {
	const reason = "the real dataplane needs root (network namespaces, iptables, cgroups)"
	for _, c := range []struct {
		value string
		fail  bool
	}{{"", false}, {"required", true}, {"1", false}, {"Required", false}, {"optional", false}} {
		msg, fail := realNodeVerdict(reason, c.value)
		if fail != c.fail {
			t.Errorf("%s=%q: fail is %v, want %v", RealNodeSwitch, c.value, fail, c.fail)
		}
		if !strings.Contains(msg, reason) {
			t.Errorf("%s=%q: %q does not give the reason", RealNodeSwitch, c.value, msg)
		}
		if fail && !strings.Contains(msg, RealNodeSwitch+"=required") {
			t.Errorf("%q does not name the switch that made it fail", msg)
		}
	}
}
