package localcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Stop removes everything the real node made on this machine, whichever network plugin it runs:
// its network namespaces (and with them its interfaces, routes, iptables rules and ipsets), the
// host's end of its link, its mounts, cgroups and processes, and the CNI results cached for its
// pods; the host's own iptables rules and ipsets are as they were, and flannel's host paths (on
// a real node: /run/flannel, /opt/cni/bin, /etc/cni/net.d) are never used.
func TestDataplaneStopRemovesEverything(t *testing.T) {
	RequireDataplane(t)
	for cni, rules := range map[string]string{CNIKubeRouter: "KUBE-ROUTER", CNIFlannel: "FLANNEL-FWD"} {
		t.Run(cni, func(t *testing.T) { stopRemovesEverything(t, cni, rules) })
	}
}

func stopRemovesEverything(t *testing.T, cni, rules string) {
	hostRules, hostSets := hostFirewall(t), sh(t, "ipset", "list", "-n")
	flannelHostPaths := []string{"/run/flannel/subnet.env", "/opt/cni/bin/flannel", "/etc/cni/net.d/10-flannel.conflist"}
	for _, p := range flannelHostPaths {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("%s exists before the node starts: this machine runs flannel itself", p)
		}
	}
	c, err := Start(context.Background(), Options{Dataplane: true, CNI: cni})
	if err != nil {
		t.Fatal(err)
	}
	n, dir := *c.Node, c.Dir
	// Something of each kind exists while it runs.
	if !strings.Contains(sh(t, "ip", "netns", "list"), n.NetNS) || !strings.Contains(sh(t, "ip", "link", "show"), n.HostLink) {
		t.Error("the node's namespace or link is missing while it runs")
	}
	if !strings.Contains(sh(t, "ip", "netns", "exec", n.NetNS, "iptables-save"), rules) {
		t.Errorf("no %s rules in the node while it runs", rules)
	}
	if !strings.Contains(sh(t, "cat", "/proc/self/mountinfo"), dir) {
		t.Error("no mounts under the cluster's folder while it runs")
	}
	if len(cachedCNIResults(t, dir)) == 0 {
		t.Errorf("no CNI result cached in %s for the node's pods (CoreDNS) while it runs", cniResults)
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
	if left := cachedCNIResults(t, dir); len(left) > 0 {
		t.Errorf("CNI results of the node's pods left in %s: %v", cniResults, left)
	}
	if got := hostFirewall(t); got != hostRules {
		t.Errorf("the host's iptables rules changed:\nbefore:\n%s\nafter:\n%s", hostRules, got)
	}
	if got := sh(t, "ipset", "list", "-n"); got != hostSets {
		t.Errorf("the host's ipsets changed: before %q, after %q", hostSets, got)
	}
	for _, p := range flannelHostPaths {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written on the host", p)
		}
	}
}

// cachedCNIResults are the files of the CNI results cache that name the cluster's folder.
func cachedCNIResults(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(cniResults)
	var found []string
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join(cniResults, e.Name())); err == nil && strings.Contains(string(data), dir+"/") {
			found = append(found, e.Name())
		}
	}
	return found
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
