package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// Nothing the node sends leaves this machine: every address outside the cluster routes to the
// "internet" namespace, which owns the TEST-NET ranges and has no way further; the node's and
// the internet's interfaces are all virtual (veth, bridge, loopback). The addresses below are
// only asked about (`ip route get`), never sent to.
func TestNodeTrafficStaysOnThisMachine(t *testing.T) {
	c := localcluster.ForDataplane(t)
	n := c.Node
	outside := []string{"8.8.8.8", "1.1.1.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "192.0.2.1", "192.0.2.2", "198.51.100.1", "203.0.113.50", localcluster.MetadataAddress, "169.254.169.253"}
	for _, addr := range outside {
		route := ipOut(t, "-n", n.NetNS, "route", "get", addr)
		if !strings.Contains(route, "dev inet0") {
			t.Errorf("node: %s routes %q, want the internet namespace (dev inet0)", addr, route)
		}
	}
	for _, addr := range outside {
		route, err := exec.Command("ip", "-n", n.InternetNS, "route", "get", addr).CombinedOutput()
		owned := addr == localcluster.MetadataAddress
		for _, r := range localcluster.InternetRanges {
			owned = owned || strings.HasPrefix(addr, strings.Split(r, ".0/")[0]+".")
		}
		switch {
		case owned && (err != nil || !strings.HasPrefix(string(route), "local ")):
			t.Errorf("internet: %s should be its own address: %s %v", addr, route, err)
		case !owned && err == nil:
			t.Errorf("internet: %s has a route (%s), want unreachable", addr, route)
		}
	}
	for ns, allowed := range map[string][]string{n.NetNS: {"veth", "bridge"}, n.InternetNS: {"veth"}} {
		for _, line := range strings.Split(strings.TrimSpace(ipOut(t, "-n", ns, "-d", "-o", "link", "show")), "\n") {
			fields := strings.Fields(line)
			name := strings.TrimSuffix(fields[1], ":")
			name, _, _ = strings.Cut(name, "@")
			if name == "lo" {
				continue
			}
			virtual := false
			for _, kind := range allowed {
				virtual = virtual || strings.Contains(line, " "+kind+" ")
			}
			if !virtual {
				t.Errorf("%s: interface %s is not virtual: %s", ns, name, line)
			}
		}
	}
}

func ipOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
