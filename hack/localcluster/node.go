package localcluster

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// The real node: a network namespace that plays one Linux machine of the cluster, with
// containerd and runc running the pods (each in a network namespace of its own on the node's
// bridge, with the IP the API reports), a real kubelet, kube-proxy for Service IPs, a network
// plugin as the cluster runs it (DaemonSets in the API: kube-router enforcing NetworkPolicy with
// iptables and ipset, or flannel connecting pods and enforcing nothing, or both; see CNI), and
// CoreDNS as kube-system pods behind the kube-dns Service. A second network namespace stands for
// "the internet": the node routes every address outside the cluster there, it answers TCP on
// every port for the TEST-NET ranges the labs use, and it has no way further. So no packet of the node ever reaches a network
// outside this machine.

//go:embed coredns.yaml
var corednsManifest string

//go:embed kube-router.yaml
var kubeRouterManifest string

//go:embed flannel.yaml
var flannelManifest string

// The network plugins the real node runs (Options.CNI, KUBECTL_NETPOL_CNI for make cluster-up).
const (
	// CNIKubeRouter (the default): Debian's CNI bridge plugin connects the pods and kube-router's
	// DaemonSet enforces NetworkPolicy (its network-policy-only deployment).
	CNIKubeRouter = "kube-router"
	// CNIFlannel: flannel's DaemonSet connects the pods, and nothing enforces NetworkPolicy.
	CNIFlannel = "flannel"
	// CNIFlannelKubeRouter: flannel connects, kube-router enforces (the shape of k3s and canal).
	CNIFlannelKubeRouter = "flannel+kube-router"
)

// CNIs are the values Options.CNI takes.
var CNIs = []string{CNIKubeRouter, CNIFlannel, CNIFlannelKubeRouter}

// ParseCNI checks a network plugin's name; empty means the default, kube-router.
func ParseCNI(name string) (string, error) {
	if name == "" {
		return CNIKubeRouter, nil
	}
	for _, known := range CNIs {
		if name == known {
			return name, nil
		}
	}
	return "", fmt.Errorf("unknown network plugin %q for the real node: use one of %s", name, strings.Join(CNIs, ", "))
}

const (
	// PodCIDRDataplane is where the real node's pod IPs come from (the node's podCIDR).
	PodCIDRDataplane = "10.244.0.0/16"
	nodePodCIDR      = "10.244.0.0/24"
	serviceCIDR      = "10.96.0.0/16"
	// ClusterDNSIP is the kube-dns Service's ClusterIP on the real node.
	ClusterDNSIP = "10.96.0.10"
	// SandboxImage, BusyBoxImage and CoreDNSImage are the images the node has (built by
	// hack/nodebin.sh; the node pulls nothing).
	SandboxImage = "registry.k8s.io/pause:3.10.1"
	BusyBoxImage = "docker.io/library/busybox:1.36.1"
)

// InternetRanges are the addresses the "internet" namespace owns: the documentation ranges
// (RFC 5737) that the labs use for addresses outside the cluster.
var InternetRanges = []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"}

// MetadataAddress is the cloud metadata address, which the cluster-tier lab's Admin tier
// denies. The internet namespace owns it too and answers there as on its other addresses, so
// that a probe to it connects exactly when nothing enforces the Deny; it never leaves the
// internet namespace, as no packet does.
const MetadataAddress = "169.254.169.254"

// nodeComponents run in the node's network namespace, in this order; internet-http runs in the
// internet namespace. The network plugins run as pods.
var nodeComponents = []string{"containerd", "kubelet", "kube-proxy", "internet-http"}

// node is the real node's network layout. Index i picks the names and the link addresses, so
// that several clusters (test packages run in parallel) never share one.
type node struct {
	Index      int    `json:"index"`
	NetNS      string `json:"netns"`      // the node
	InternetNS string `json:"internetNS"` // "the internet"
	HostLink   string `json:"hostLink"`   // the host's end of the host<->node link
	CgroupRoot string `json:"cgroupRoot"` // the kubelet's cgroup root: every pod lives under it
	HostIP     string `json:"hostIP"`     // the host on the link: the apiserver listens here
	NodeIP     string `json:"nodeIP"`     // the node on the link: its InternalIP, where the kubelet listens
	UplinkIP   string `json:"uplinkIP"`   // the node's end of the node<->internet link
	InternetIP string `json:"internetIP"` // the internet's end
	Dir        string `json:"dir"`        // the node's files: containerd, kubelet, CNI
	CNI        string `json:"cni"`        // the network plugin (CNIKubeRouter, …)
}

// flannel says whether flannel connects the node's pods; enforced whether kube-router enforces
// NetworkPolicy there.
func (n *node) flannel() bool  { return strings.HasPrefix(n.CNI, CNIFlannel) }
func (n *node) enforced() bool { return strings.HasSuffix(n.CNI, CNIKubeRouter) }

// DataplaneSupported says why the real node cannot run here, or nil. It needs Linux, root, and
// the Debian packages hack/node-deps.sh installs.
func DataplaneSupported() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the real dataplane needs Linux (this is %s)", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return errors.New("the real dataplane needs root (network namespaces, iptables, cgroups)")
	}
	for _, tool := range []string{"ip", "nsenter", "iptables", "ipset", "runc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the real dataplane needs %s (run hack/node-deps.sh as root)", tool)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		return errors.New("the real dataplane needs the CNI plugins in /usr/lib/cni (run hack/node-deps.sh as root)")
	}
	return nil
}

// registry records which cluster folder owns each node index, so that a node whose test binary
// was killed (its processes die with it, its namespaces and mounts do not) is found and removed.
const registry = "/run/kubectl-netpol"

// layout is the node of index i in the cluster folder dir.
func layout(i int, dir string) *node {
	return &node{
		Index:      i,
		NetNS:      fmt.Sprintf("knp-node-%d", i),
		InternetNS: fmt.Sprintf("knp-inet-%d", i),
		HostLink:   fmt.Sprintf("knp%d", i),
		CgroupRoot: fmt.Sprintf("/kubectl-netpol-%d", i),
		HostIP:     fmt.Sprintf("100.127.%d.1", i),
		NodeIP:     fmt.Sprintf("100.127.%d.2", i),
		UplinkIP:   fmt.Sprintf("100.127.%d.5", i),
		InternetIP: fmt.Sprintf("100.127.%d.6", i),
		Dir:        filepath.Join(dir, "node"),
	}
}

// newNode creates the node's and the internet's network namespaces, wired as described above,
// taking the first free index (after removing nodes whose owners are gone).
func newNode(dir, cni string) (*node, error) {
	reclaimStale()
	if err := os.MkdirAll(registry, 0o755); err != nil {
		return nil, err
	}
	for i := range 250 {
		n := layout(i, dir)
		n.CNI = cni
		// `ip netns add` fails when the name is taken: the index belongs to another cluster.
		// Any other failure (no permission in a container, say) is the answer.
		if err := ip("netns", "add", n.NetNS); err != nil {
			if _, taken := os.Stat(filepath.Join("/run/netns", n.NetNS)); taken == nil {
				continue
			}
			return nil, fmt.Errorf("creating the node's network namespace: %w", err)
		}
		if err := os.WriteFile(n.record(), []byte(dir), 0o644); err != nil {
			n.teardown()
			return nil, err
		}
		if err := n.wire(); err != nil {
			n.teardown()
			return nil, err
		}
		return n, nil
	}
	return nil, errors.New("no free index for the node's network namespaces (250 taken: leftovers of killed runs? see 'ip netns list')")
}

func (n *node) wire() error {
	if err := os.MkdirAll(n.Dir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(n.Dir, "..", "node.json"), n); err != nil {
		return err
	}
	in := func(ns string, args ...string) []string { return append([]string{"-n", ns}, args...) }
	steps := [][]string{
		{"netns", "add", n.InternetNS},
		// host <-> node: the apiserver listens on the host's end, the kubelet on the node's.
		{"link", "add", n.HostLink, "type", "veth", "peer", "name", "host0", "netns", n.NetNS},
		{"addr", "add", n.HostIP + "/30", "dev", n.HostLink},
		{"link", "set", n.HostLink, "up"},
		in(n.NetNS, "link", "set", "lo", "up"),
		in(n.NetNS, "addr", "add", n.NodeIP+"/30", "dev", "host0"),
		in(n.NetNS, "link", "set", "host0", "up"),
		// node <-> internet: the node's default route.
		in(n.NetNS, "link", "add", "inet0", "type", "veth", "peer", "name", "eth0", "netns", n.InternetNS),
		in(n.NetNS, "addr", "add", n.UplinkIP+"/30", "dev", "inet0"),
		in(n.NetNS, "link", "set", "inet0", "up"),
		in(n.NetNS, "route", "add", "default", "via", n.InternetIP),
		in(n.InternetNS, "link", "set", "lo", "up"),
		in(n.InternetNS, "addr", "add", n.InternetIP+"/30", "dev", "eth0"),
		in(n.InternetNS, "link", "set", "eth0", "up"),
		in(n.InternetNS, "route", "add", PodCIDRDataplane, "via", n.UplinkIP),
		// Anything else is unreachable: the internet namespace has no way further.
		in(n.InternetNS, "route", "add", "unreachable", "default"),
	}
	for _, cidr := range InternetRanges {
		// Every address of these ranges is the internet namespace's own (as with AnyIP).
		steps = append(steps, in(n.InternetNS, "route", "add", "local", cidr, "dev", "lo"))
	}
	steps = append(steps, in(n.InternetNS, "route", "add", "local", MetadataAddress+"/32", "dev", "lo"))
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return err
		}
	}
	// The internet answers on every TCP port of its addresses (one web server on port 80, every
	// other port redirected to it), so that a probe to an outside address connects exactly when
	// no policy stops it.
	if err := run("ip", "netns", "exec", n.InternetNS, "iptables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "-j", "REDIRECT", "--to-ports", "80"); err != nil {
		return err
	}
	nsExec := func(args ...string) error { return run("ip", append([]string{"netns", "exec", n.NetNS}, args...)...) }
	// Bridged pod traffic must pass iptables (kube-proxy's DNAT, kube-router's filters); these
	// settings belong to the node's namespace alone.
	if err := nsExec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"); err != nil {
		return err
	}
	// Pods reach the apiserver (the kubernetes Service) through the node's address, as behind
	// a real node's NAT; the host then needs no route to the pods.
	return nsExec("iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "host0", "-j", "MASQUERADE")
}

// start runs containerd, loads the images, then the kubelet and the internet's web server.
// kubeconfig is the kubelet's own (system:node identity). The pods' network is the CNI bridge's
// configuration here, or (flannel) the one flannel's DaemonSet installs later.
func (n *node) start(c *Cluster, detach bool, binDir, kubeconfig string, kubelet certPaths) error {
	dirs := map[string]string{}
	for _, d := range []string{"containerd", "kubelet", "cni", "cni-bin", "ipam", "pod-logs", "www"} {
		dirs[d] = filepath.Join(n.Dir, d)
		if err := os.MkdirAll(dirs[d], 0o755); err != nil {
			return err
		}
	}
	socket := filepath.Join(dirs["containerd"], "containerd.sock")
	files := map[string]string{
		"containerd/config.toml": fmt.Sprintf(containerdConfig, dirs["containerd"], socket, SandboxImage, dirs["containerd"], dirs["cni"], dirs["cni-bin"]),
		// No resolver outside the cluster: CoreDNS and pods with dnsPolicy Default get this.
		"kubelet/resolv.conf": "nameserver " + n.InternetIP + "\noptions ndots:1 timeout:1 attempts:1\n",
		"kubelet/config.yaml": fmt.Sprintf(kubeletConfig, n.CgroupRoot, socket, c.pki.caPath(), kubelet.Cert, kubelet.Key, ClusterDNSIP, filepath.Join(dirs["kubelet"], "resolv.conf"), dirs["pod-logs"]),
		"kube-proxy.yaml":     fmt.Sprintf(kubeProxyConfig, c.Kubeconfig, PodCIDRDataplane, NodeName),
		"www/index.html":      "the internet (a network namespace on this machine)\n",
	}
	if !n.flannel() {
		files["cni/10-bridge.conflist"] = fmt.Sprintf(cniConfig, dirs["ipam"], nodePodCIDR)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(n.Dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	if err := makeCgroup(n.CgroupRoot); err != nil {
		return fmt.Errorf("creating the node's cgroups: %w", err)
	}
	inNode := func(name string, args ...string) error {
		_, err := c.runArgv(detach, name, n.argv(binDir, name, args...))
		return err
	}
	if err := inNode("containerd", "--config", filepath.Join(dirs["containerd"], "config.toml")); err != nil {
		return err
	}
	ctr := func(args ...string) error {
		return run(filepath.Join(binDir, "ctr"), append([]string{"--address", socket, "--namespace", "k8s.io"}, args...)...)
	}
	if err := waitFor(context.Background(), 30*time.Second, c.procs[len(c.procs)-1:], "containerd to answer", func() (bool, error) {
		return ctr("version") == nil, nil
	}); err != nil {
		return err
	}
	images, err := filepath.Glob(filepath.Join(binDir, "images", "*.tar"))
	if err != nil || len(images) == 0 {
		return fmt.Errorf("no images in %s/images (rebuild with hack/nodebin.sh)", binDir)
	}
	for _, img := range images {
		if err := ctr("images", "import", "--no-unpack=false", img); err != nil {
			return fmt.Errorf("importing %s: %w", img, err)
		}
	}
	if err := inNode("kubelet",
		"--config="+filepath.Join(dirs["kubelet"], "config.yaml"),
		"--kubeconfig="+kubeconfig,
		"--root-dir="+dirs["kubelet"],
		"--hostname-override="+NodeName,
		"--node-ip="+n.NodeIP,
		"--v=1"); err != nil {
		return err
	}
	argv := []string{"nsenter", "--net=/run/netns/" + n.InternetNS, "--", filepath.Join(binDir, "busybox"), "httpd", "-f", "-p", "80", "-h", dirs["www"]}
	if _, err := c.runArgv(detach, "internet-http", argv); err != nil {
		return err
	}
	return nil
}

// argv runs a node binary in the node's network namespace. It finds the node's binaries first
// (containerd its shim), then the machine's (runc, iptables, ipset).
func (n *node) argv(binDir, name string, args ...string) []string {
	path := "PATH=" + binDir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	return append([]string{"nsenter", "--net=/run/netns/" + n.NetNS, "--", "env", path, filepath.Join(binDir, name)}, args...)
}

// StopEnforcer takes kube-router off the node and removes its iptables chains and ipsets, so
// that the node enforces no NetworkPolicy, as on a cluster whose network plugin ignores them
// (flannel). The DaemonSet stays, with a node selector that no node matches: the DaemonSet
// controller deletes its pod. (kube-router's own --cleanup-config crashes in v2.1.0 where IPVS
// is missing, so the rules are removed here: every chain and ipset kube-router names with its
// prefixes.)
func (c *Cluster) StopEnforcer() error {
	client, err := c.enforcerClient()
	if err != nil {
		return err
	}
	if err := setEnforcerSelector(client, `{"kubectl-netpol.local/enforcer":"stopped"}`); err != nil {
		return err
	}
	if err := c.waitKubeRouter(client, false); err != nil {
		return err
	}
	inNode := func(name string, args ...string) *exec.Cmd {
		return exec.Command("ip", append([]string{"netns", "exec", c.Node.NetNS, name}, args...)...)
	}
	rules, err := inNode("iptables-save", "-t", "filter").Output()
	if err != nil {
		return fmt.Errorf("reading the node's iptables rules: %w", err)
	}
	var kept []string
	for _, line := range strings.Split(string(rules), "\n") {
		if !strings.Contains(line, "KUBE-ROUTER-") && !strings.Contains(line, "KUBE-POD-FW-") && !strings.Contains(line, "KUBE-NWPLCY-") {
			kept = append(kept, line)
		}
	}
	restore := inNode("iptables-restore", "-T", "filter")
	restore.Stdin = strings.NewReader(strings.Join(kept, "\n"))
	if out, err := restore.CombinedOutput(); err != nil {
		return fmt.Errorf("removing kube-router's iptables rules: %v: %s", err, out)
	}
	sets, err := inNode("ipset", "list", "-n").Output()
	if err != nil {
		return fmt.Errorf("listing the node's ipsets: %w", err)
	}
	for _, set := range strings.Fields(string(sets)) {
		if strings.HasPrefix(set, "KUBE-SRC-") || strings.HasPrefix(set, "KUBE-DST-") {
			if out, err := inNode("ipset", "destroy", set).CombinedOutput(); err != nil {
				return fmt.Errorf("removing ipset %s: %v: %s", set, err, out)
			}
		}
	}
	return nil
}

// StartEnforcer puts kube-router back on the node after StopEnforcer (the DaemonSet's node
// selector goes) and waits until its pod is Ready.
func (c *Cluster) StartEnforcer() error {
	client, err := c.enforcerClient()
	if err != nil {
		return err
	}
	if err := setEnforcerSelector(client, "null"); err != nil {
		return err
	}
	return c.waitKubeRouter(client, true)
}

// enforcerClient is a client for moving kube-router, where the node has it.
func (c *Cluster) enforcerClient() (kubernetes.Interface, error) {
	switch {
	case c.Node == nil:
		return nil, errors.New("no real node")
	case !c.Node.enforced():
		return nil, fmt.Errorf("no enforcer to stop or start: the node's network plugin is %s", c.Node.CNI)
	}
	return kubernetes.NewForConfig(c.RESTConfig)
}

// setEnforcerSelector sets (or, with null, removes) the node selector of kube-router's pods.
func setEnforcerSelector(client kubernetes.Interface, selector string) error {
	patch := `{"spec":{"template":{"spec":{"nodeSelector":` + selector + `}}}}`
	_, err := client.AppsV1().DaemonSets(metav1.NamespaceSystem).Patch(context.Background(), "kube-router", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// waitKubeRouter waits until kube-router's pod is Ready on the node (running) or gone.
func (c *Cluster) waitKubeRouter(client kubernetes.Interface, running bool) error {
	what := "kube-router's pod to become Ready"
	if !running {
		what = "kube-router's pod to go"
	}
	return c.waitPods(context.Background(), client, 90*time.Second, metav1.NamespaceSystem, "k8s-app=kube-router", what, func(pods []corev1.Pod) bool {
		if !running {
			return len(pods) == 0
		}
		return len(pods) == 1 && PodReady(&pods[0])
	})
}

// waitPods waits until the pods of namespace matching selector are as done wants them.
func (c *Cluster) waitPods(ctx context.Context, client kubernetes.Interface, timeout time.Duration, namespace, selector, what string, done func([]corev1.Pod) bool) error {
	return waitFor(ctx, timeout, c.procs, what, func() (bool, error) {
		pods, err := client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		return err == nil && done(pods.Items), nil
	})
}

// startServices starts kube-proxy, which looks up its node: call it once the kubelet registered
// it.
func (n *node) startServices(c *Cluster, detach bool, binDir string) error {
	_, err := c.runArgv(detach, "kube-proxy", n.argv(binDir, "kube-proxy", "--config="+filepath.Join(n.Dir, "kube-proxy.yaml")))
	return err
}

// addNetwork deploys flannel, when it connects the node's pods, and waits until it runs: its
// init containers put the CNI plugin and configuration on the node (which makes the node
// Ready) and flanneld writes the subnet file the plugin reads.
func (n *node) addNetwork(ctx context.Context, c *Cluster, client kubernetes.Interface, binDir string) error {
	if !n.flannel() {
		return nil
	}
	manifest := strings.NewReplacer(
		"NODE_DIR", n.Dir, "POD_NETWORK", PodCIDRDataplane,
		"FLANNEL_CNI_IMAGE", imageRef(binDir, "flannel-cni-plugin"), "FLANNEL_IMAGE", imageRef(binDir, "flannel"),
	).Replace(flannelManifest)
	return n.deploy(ctx, c, client, "flannel", manifest, "kube-flannel", "app=flannel")
}

// addEnforcer deploys kube-router, when it enforces NetworkPolicy on the node, and waits until
// its pod is Ready.
func (n *node) addEnforcer(ctx context.Context, c *Cluster, client kubernetes.Interface, binDir string) error {
	if !n.enforced() {
		return nil
	}
	manifest := strings.NewReplacer("KUBE_ROUTER_IMAGE", imageRef(binDir, "kube-router"), "SERVICE_CIDR", serviceCIDR).Replace(kubeRouterManifest)
	return n.deploy(ctx, c, client, "kube-router", manifest, metav1.NamespaceSystem, "k8s-app=kube-router")
}

// addCoreDNS deploys CoreDNS (ServiceAccount, RBAC, Corefile, Deployment, the kube-dns Service)
// and waits until it answers.
func (n *node) addCoreDNS(ctx context.Context, c *Cluster, client kubernetes.Interface, binDir string) error {
	manifest := strings.NewReplacer("CLUSTER_DNS_IP", ClusterDNSIP, "COREDNS_IMAGE", imageRef(binDir, "coredns")).Replace(corednsManifest)
	return n.deploy(ctx, c, client, "CoreDNS", manifest, metav1.NamespaceSystem, "k8s-app=kube-dns")
}

// deploy applies a manifest with the real kubectl, as a cluster's administrator would, and
// waits until a pod of namespace matching selector is Ready.
func (n *node) deploy(ctx context.Context, c *Cluster, client kubernetes.Interface, what, manifest, namespace, selector string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "kubectl"), "--kubeconfig", c.Kubeconfig, "apply", "--server-side", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("applying %s: %v: %s", what, err, out)
	}
	return c.waitPods(ctx, client, 120*time.Second, namespace, selector, what+" to become Ready", func(pods []corev1.Pod) bool {
		return slices.ContainsFunc(pods, func(p corev1.Pod) bool { return PodReady(&p) })
	})
}

// imageRef is the name hack/nodebin.sh gave an image of the node (it carries the version).
func imageRef(binDir, image string) string {
	data, err := os.ReadFile(filepath.Join(binDir, "images", image+".ref"))
	if err != nil {
		return "missing.invalid/" + image + " (no " + image + ".ref: rebuild with hack/nodebin.sh)"
	}
	return strings.TrimSpace(string(data))
}

// teardown removes everything the node made on this machine: its processes and containers,
// mounts, cgroups, and the two network namespaces (with them go their interfaces, routes,
// iptables rules and ipsets; the host's end of the link goes with its peer). It is safe to call
// on a half-built node and more than once.
func (n *node) teardown() {
	// Containers and their shims outlive containerd: find them by the cgroups the kubelet made
	// and by the shims' containerd address, and kill them first.
	killCgroup(n.CgroupRoot)
	killMatching(filepath.Join(n.Dir, "containerd"))
	unmountUnder(n.Dir)
	forgetCNIResults(n.Dir)
	removeCgroup(n.CgroupRoot)
	for _, ns := range []string{n.NetNS, n.InternetNS} {
		_ = ip("netns", "del", ns)
	}
	_ = ip("link", "del", n.HostLink) // gone with the namespace already, unless the namespace never got its end
	_ = os.Remove(n.record())
}

func (n *node) record() string { return filepath.Join(registry, n.NetNS) }

// cniResults is where containerd's CNI library caches each pod network's result, outside the
// node's folder.
const cniResults = "/var/lib/cni/results"

// forgetCNIResults removes the cached CNI results of the node's pods, which a node torn down
// without a CNI DEL for each pod leaves behind. A pod's result for the node's network carries
// the node's folder (its IPAM and flannel paths are there) and its container ID; every cached
// result of that container (its loopback's too) goes. Nothing of another node's or of the
// machine's own is touched.
func forgetCNIResults(nodeDir string) {
	entries, _ := os.ReadDir(cniResults)
	var ids []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(cniResults, e.Name()))
		if err != nil || !bytes.Contains(data, []byte(nodeDir+"/")) {
			continue
		}
		var cached struct {
			ContainerID string `json:"containerId"`
		}
		if json.Unmarshal(data, &cached) == nil && cached.ContainerID != "" {
			ids = append(ids, cached.ContainerID)
		}
	}
	for _, e := range entries {
		for _, id := range ids {
			if strings.Contains(e.Name(), "-"+id+"-") {
				_ = os.Remove(filepath.Join(cniResults, e.Name()))
			}
		}
	}
}

// reclaimStale tears down the nodes whose cluster has no live process left (a test binary that
// was killed), found through the registry; a node without a record is left alone.
func reclaimStale() {
	entries, _ := os.ReadDir(registry)
	for _, e := range entries {
		var i int
		if _, err := fmt.Sscanf(e.Name(), "knp-node-%d", &i); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(registry, e.Name()))
		if err != nil {
			continue
		}
		dir := string(data)
		if anyAlive(dir) {
			continue
		}
		layout(i, dir).teardown()
	}
}

// anyAlive reports whether a process recorded in dir's pid files still runs.
func anyAlive(dir string) bool {
	pids, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	for _, f := range pids {
		if pid, err := readPID(f); err == nil && alive(pid) {
			return true
		}
	}
	return false
}

func readNode(dir string) (*node, error) {
	data, err := os.ReadFile(filepath.Join(dir, "node.json"))
	if err != nil {
		return nil, err
	}
	n := &node{}
	return n, json.Unmarshal(data, n)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func ip(args ...string) error { return run("ip", args...) }

func run(name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

var cgroupControllers = []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "hugetlb", "net_cls", "perf_event"}

// killCgroup kills every process in the cgroup tree under root, in each v1 hierarchy.
func killCgroup(root string) {
	for range 3 { // processes may fork while we kill; a few rounds catch them
		for _, ctrl := range cgroupControllers {
			_ = filepath.Walk(filepath.Join("/sys/fs/cgroup", ctrl, root), func(path string, info os.FileInfo, err error) error {
				if err != nil || info.Name() != "cgroup.procs" {
					return nil
				}
				data, _ := os.ReadFile(path)
				for _, f := range strings.Fields(string(data)) {
					if pid, err := strconv.Atoi(f); err == nil {
						if p, err := os.FindProcess(pid); err == nil {
							_ = p.Kill()
						}
					}
				}
				return nil
			})
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// makeCgroup creates the cgroup root in every v1 hierarchy (the kubelet wants it there), with
// the parent's CPUs and memory nodes for cpuset, whose new groups start with none.
func makeCgroup(root string) error {
	for _, ctrl := range cgroupControllers {
		base := filepath.Join("/sys/fs/cgroup", ctrl)
		if _, err := os.Stat(base); err != nil {
			continue
		}
		if err := os.MkdirAll(filepath.Join(base, root), 0o755); err != nil {
			return err
		}
		if ctrl != "cpuset" {
			continue
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := os.ReadFile(filepath.Join(base, f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(base, root, f), v, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeCgroup removes the (now empty) cgroup tree under root, deepest first.
func removeCgroup(root string) {
	for _, ctrl := range cgroupControllers {
		base := filepath.Join("/sys/fs/cgroup", ctrl, root)
		var dirs []string
		_ = filepath.Walk(base, func(path string, info os.FileInfo, err error) error {
			if err == nil && info.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = os.Remove(dirs[i])
		}
	}
}

// killMatching kills processes whose command line mentions marker (the node's containerd
// folder): the runc shims, which leave containerd's process tree.
func killMatching(marker string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(marker)) {
			continue
		}
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
}

// unmountUnder lazily unmounts every mount point under dir (container root filesystems, the
// kubelet's volumes, the pods' network namespace files), deepest first.
func unmountUnder(dir string) {
	for range 3 {
		data, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return
		}
		var points []string
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
				points = append(points, f[4])
			}
		}
		if len(points) == 0 {
			return
		}
		for i := len(points) - 1; i >= 0; i-- {
			_ = unmount(points[i])
		}
	}
}

// PodReady reports whether the pod's Ready condition is true.
func PodReady(pod *corev1.Pod) bool {
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// ConnectFromInternet opens a TCP connection from the internet namespace, from one of the
// addresses it owns (InternetRanges), to dst:port, as a client outside the cluster would: with
// BusyBox nc, whose words the plugin's probes read too. It reports whether the connection
// opened, and nc's last words. Only the node's own namespaces are involved: nothing leaves the
// machine.
func (c *Cluster) ConnectFromInternet(ctx context.Context, src, dst string, port int, timeout time.Duration) (bool, string, error) {
	if c.Node == nil {
		return false, "", errors.New("no real node")
	}
	owned := false
	if a, err := netip.ParseAddr(src); err == nil {
		for _, r := range InternetRanges {
			owned = owned || netip.MustParsePrefix(r).Contains(a)
		}
	}
	if !owned {
		return false, "", fmt.Errorf("%s is not an address of the internet namespace (%s)", src, strings.Join(InternetRanges, ", "))
	}
	secs := strconv.Itoa(max(1, int(timeout.Seconds())))
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", c.Node.InternetNS, filepath.Join(c.NodeBinDir, "busybox"),
		"nc", "-v", "-v", "-z", "-w", secs, "-s", src, dst, strconv.Itoa(port))
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err == nil {
		return true, text, nil
	}
	lower := strings.ToLower(text)
	if strings.Contains(lower, "refused") || strings.Contains(lower, "timed out") || strings.Contains(lower, "unreachable") {
		return false, text, nil
	}
	return false, text, fmt.Errorf("nc from %s in %s: %v: %s", src, c.Node.InternetNS, err, text)
}
