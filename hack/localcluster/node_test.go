package localcluster

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// Stop removes everything the real node made on this machine: its network namespaces (and with
// them its interfaces, routes, iptables rules and ipsets), the host's end of its link, its
// mounts, cgroups and processes; the host's own iptables rules and ipsets are as they were.
func TestDataplaneStopRemovesEverything(t *testing.T) {
	RequireDataplane(t)
	hostRules, hostSets := hostFirewall(t), sh(t, "ipset", "list", "-n")
	c, err := Start(context.Background(), Options{Dataplane: true})
	if err != nil {
		t.Fatal(err)
	}
	n, dir := *c.Node, c.Dir
	// Something of each kind exists while it runs.
	if !strings.Contains(sh(t, "ip", "netns", "list"), n.NetNS) || !strings.Contains(sh(t, "ip", "link", "show"), n.HostLink) {
		t.Error("the node's namespace or link is missing while it runs")
	}
	if !strings.Contains(sh(t, "ip", "netns", "exec", n.NetNS, "iptables-save"), "KUBE-ROUTER") {
		t.Error("no kube-router rules in the node while it runs")
	}
	if !strings.Contains(sh(t, "cat", "/proc/self/mountinfo"), dir) {
		t.Error("no mounts under the cluster's folder while it runs")
	}
	c.Stop()

	if strings.Contains(sh(t, "ip", "netns", "list"), n.NetNS) || strings.Contains(sh(t, "ip", "netns", "list"), n.InternetNS) {
		t.Errorf("network namespaces left: %s", sh(t, "ip", "netns", "list"))
	}
	if out, _ := exec.Command("ip", "link", "show", n.HostLink).CombinedOutput(); !strings.Contains(string(out), "does not exist") {
		t.Errorf("host link left: %s", out)
	}
	if strings.Contains(sh(t, "cat", "/proc/self/mountinfo"), dir) {
		t.Error("mounts left under the cluster's folder")
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory" + n.CgroupRoot); err == nil {
		t.Errorf("cgroup %s left", n.CgroupRoot)
	}
	if out, _ := exec.Command("pgrep", "-f", dir).Output(); len(out) > 0 {
		t.Errorf("processes left: %s", out)
	}
	if got := hostFirewall(t); got != hostRules {
		t.Errorf("the host's iptables rules changed:\nbefore:\n%s\nafter:\n%s", hostRules, got)
	}
	if got := sh(t, "ipset", "list", "-n"); got != hostSets {
		t.Errorf("the host's ipsets changed: before %q, after %q", hostSets, got)
	}
}

// hostFirewall is the host's iptables rules without comments and counters.
func hostFirewall(t *testing.T) string {
	out := sh(t, "iptables-save")
	return regexp.MustCompile(`(?m)^#.*$|\[\d+:\d+\]`).ReplaceAllString(out, "")
}

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
