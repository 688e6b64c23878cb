// Package localcluster runs a real Kubernetes control plane on this machine for kubectl-netpol's
// integration tests and demo: etcd, kube-apiserver, kube-controller-manager and kube-scheduler
// from one pinned release, and one node of one of two kinds:
//   - the API-only node (default): kwok plays the kubelet of a fake node, so that pods become
//     Running and Ready with IPs at once; there is no container runtime and no pod network;
//   - the real node (Options.Dataplane, Linux and root only; see node.go): containerd, runc and a
//     real kubelet run the pods in network namespaces of their own, kube-proxy serves Service
//     IPs, CoreDNS answers cluster names, and a network plugin runs as on a cluster (Options.CNI):
//     kube-router enforcing NetworkPolicy, or flannel enforcing none.
package localcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

//go:embed kwok-stages.yaml
var kwokStages []byte

// NodeName is the fake node that kwok manages; every pod is scheduled onto it.
const NodeName = "netpol-node"

// ContextName is the kubeconfig context of the local control plane.
const ContextName = "kubectl-netpol-local"

// Options configure Start.
type Options struct {
	// Dir holds certificates, etcd's data, logs and the kubeconfig; empty means a new temporary
	// folder that Stop removes.
	Dir string
	// Detach lets the components outlive this process (for `make cluster-up`).
	Detach bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// HostExec makes `kubectl exec` into any pod run the command on this machine (kwok has no
	// containers to run it in), through the real API server and kubelet API. Tests of exec
	// probes need it; a cluster for people leaves it off, since it hands whoever may exec into
	// pods a shell on the host.
	HostExec bool
	// Dataplane runs the real node instead of kwok's fake one (see node.go); DataplaneSupported
	// says whether this machine can.
	Dataplane bool
	// CNI is the real node's network plugin: CNIKubeRouter (the default, for ""), CNIFlannel or
	// CNIFlannelKubeRouter.
	CNI string
}

// PodCIDRHostExec is where pod IPs come from when exec runs on the host.
const PodCIDRHostExec = "127.1.0.0/16"

// hostExecConfig is the kwok configuration that runs every pod's exec on the host.
const hostExecConfig = `
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: exec-on-host
spec:
  execs:
  - local: {}
`

// Cluster is a running local control plane.
type Cluster struct {
	Dir        string
	Kubeconfig string       // admin (system:masters) kubeconfig
	RESTConfig *rest.Config // the same credentials, for clients in tests
	BinDir     string       // where kubectl and the other components are

	// NodeBinDir holds the real node's binaries and images; Node its network layout (nil on
	// the API-only node).
	NodeBinDir string
	Node       *node

	pki       *pki
	server    string
	procs     []*process
	removeDir bool
}

// Start builds the binaries if needed, starts every component and returns once the node is Ready
// and the controllers run (and, on the real node, CoreDNS answers). On failure it stops what it
// started.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	binDir, err := EnsureBinaries(ctx, log)
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: opts.Dir, BinDir: binDir}
	if opts.Dataplane {
		if err := DataplaneSupported(); err != nil {
			return nil, err
		}
		if c.NodeBinDir, err = EnsureNodeBinaries(ctx, log); err != nil {
			return nil, err
		}
	}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "kubectl-netpol-cluster-"); err != nil {
			return nil, err
		}
		c.removeDir = true
	}
	started := time.Now()
	if err := c.start(ctx, opts); err != nil {
		if os.Getenv("KUBECTL_NETPOL_KEEP_FAILED") != "" {
			return nil, fmt.Errorf("%w\n(kept for inspection in %s: KUBECTL_NETPOL_KEEP_FAILED is set)", err, c.Dir)
		}
		c.Stop()
		return nil, err
	}
	fmt.Fprintf(log, "local control plane ready in %.1fs: KUBECONFIG=%s\n", time.Since(started).Seconds(), c.Kubeconfig)
	return c, nil
}

func (c *Cluster) start(ctx context.Context, opts Options) error {
	detach := opts.Detach
	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	etcdPort, peerPort, apiPort, kubeletPort := ports[0], ports[1], ports[2], ports[3]
	// The apiserver listens on loopback; with the real node, on the host's end of the link to
	// the node instead, which only this machine and the node reach.
	apiAddress, nodeIP := "127.0.0.1", "127.0.0.1"
	if opts.Dataplane {
		cni, err := ParseCNI(opts.CNI)
		if err != nil {
			return err
		}
		if c.Node, err = newNode(c.Dir, cni); err != nil {
			return err
		}
		apiAddress, nodeIP = c.Node.HostIP, c.Node.NodeIP
	}
	c.server = "https://" + net.JoinHostPort(apiAddress, strconv.Itoa(apiPort))

	if c.pki, err = newPKI(filepath.Join(c.Dir, "pki")); err != nil {
		return err
	}
	serving, err := c.pki.serving("apiserver", apiAddress, "localhost", "10.96.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc")
	if err != nil {
		return err
	}
	kubelet, err := c.pki.serving("kubelet", nodeIP, "localhost", NodeName)
	if err != nil {
		return err
	}
	admin, err := c.pki.client("admin", "kubectl-netpol-admin", "system:masters")
	if err != nil {
		return err
	}
	sa, err := c.pki.serviceAccountKey()
	if err != nil {
		return err
	}
	if c.Kubeconfig, err = c.writeKubeconfig("admin.kubeconfig", admin); err != nil {
		return err
	}

	// etcd first: the apiserver will not start without it.
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	etcd, err := c.run(detach, "etcd",
		"--name=local", "--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=local="+peerURL,
		"--unsafe-no-fsync=true", // test data: speed over durability
		"--log-level=warn")
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, etcd, http.DefaultClient, etcdURL+"/health", 30*time.Second); err != nil {
		return err
	}

	apiserver, err := c.run(detach, "kube-apiserver",
		"--etcd-servers="+etcdURL,
		"--bind-address="+apiAddress, "--advertise-address="+apiAddress, "--secure-port="+strconv.Itoa(apiPort),
		"--tls-cert-file="+serving.Cert, "--tls-private-key-file="+serving.Key,
		"--client-ca-file="+c.pki.caPath(),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+sa.Cert, "--service-account-signing-key-file="+sa.Key,
		"--service-cluster-ip-range="+serviceCIDR,
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		// Exec and logs go to the node's InternalIP, where kwok serves the kubelet API.
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--kubelet-client-certificate="+admin.Cert, "--kubelet-client-key="+admin.Key,
		"--profiling=false")
	if err != nil {
		return err
	}
	adminTLS, err := c.tlsClient(admin)
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, apiserver, adminTLS, c.server+"/readyz", 90*time.Second); err != nil {
		return err
	}

	if c.RESTConfig, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return err
	}
	// As the plugin does: client-go's default 5 requests a second would make tests wait on
	// client-side throttling rather than on the cluster.
	c.RESTConfig.QPS, c.RESTConfig.Burst = 50, 100
	client, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		return err
	}
	controllerArgs := []string{"--kubeconfig=" + c.Kubeconfig,
		"--secure-port=0", "--leader-elect=false",
		"--service-account-private-key-file=" + sa.Key, "--root-ca-file=" + c.pki.caPath(),
		"--use-service-account-credentials=false"}
	if opts.Dataplane {
		// The node's podCIDR, which its CNI range matches, as on a kubeadm cluster.
		controllerArgs = append(controllerArgs, "--allocate-node-cidrs=true", "--cluster-cidr="+PodCIDRDataplane, "--node-cidr-mask-size=24")
	}
	controllers, err := c.run(detach, "kube-controller-manager", controllerArgs...)
	if err != nil {
		return err
	}
	scheduler, err := c.run(detach, "kube-scheduler",
		"--kubeconfig="+c.Kubeconfig, "--secure-port=0", "--leader-elect=false")
	if err != nil {
		return err
	}
	if opts.Dataplane {
		return c.startNode(ctx, client, detach, kubelet, []*process{controllers, scheduler})
	}
	// Register the node before kwok starts, so kwok finds it at once.
	if err := createNode(ctx, client); err != nil {
		return err
	}
	stagesPath := filepath.Join(c.Dir, "kwok-stages.yaml")
	kwokConfig := kwokStages
	podCIDR := "10.244.0.0/16"
	if opts.HostExec {
		kwokConfig = append(append([]byte{}, kwokStages...), hostExecConfig...)
		// Exec runs on this machine, so pod IPs are made loopback addresses (Linux routes all
		// of 127/8 to lo): a probe from a "pod" to another pod's IP reaches whatever the test
		// listens on at that address, and never leaves the machine. (Endpoint validation refuses
		// loopback addresses, so Services there get no endpoints: tests write EndpointSlices.)
		podCIDR = PodCIDRHostExec
	}
	if err := os.WriteFile(stagesPath, kwokConfig, 0o644); err != nil {
		return err
	}
	kwok, err := c.run(detach, "kwok",
		"--kubeconfig="+c.Kubeconfig, "--config="+stagesPath,
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--node-ip=127.0.0.1", "--node-port="+strconv.Itoa(kubeletPort),
		"--server-address=127.0.0.1:"+strconv.Itoa(kubeletPort),
		"--tls-cert-file="+kubelet.Cert, "--tls-private-key-file="+kubelet.Key,
		"--cidr="+podCIDR, "--node-lease-duration-seconds=40")
	if err != nil {
		return err
	}

	return c.waitNodeReady(ctx, client, "the fake node", []*process{controllers, scheduler, kwok})
}

// waitNodeReady waits until the node is Ready and kube-controller-manager created the default
// ServiceAccount (pods cannot be created in a namespace before it exists).
func (c *Cluster) waitNodeReady(ctx context.Context, client kubernetes.Interface, what string, procs []*process) error {
	return waitFor(ctx, 90*time.Second, procs, what+" to become Ready and the controllers to start", func() (bool, error) {
		node, err := client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil || !nodeReady(node) {
			return false, nil
		}
		_, err = client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

// startNode starts the real node with its own kubeconfig (the Node authorizer's identity),
// deploys its network plugin, waits until it is Ready, and adds CoreDNS.
func (c *Cluster) startNode(ctx context.Context, client kubernetes.Interface, detach bool, kubelet certPaths, controlPlane []*process) error {
	cert, err := c.pki.client("node", "system:node:"+NodeName, "system:nodes")
	if err != nil {
		return err
	}
	kubeconfig, err := c.writeKubeconfig("node.kubeconfig", cert)
	if err != nil {
		return err
	}
	if err := c.Node.start(c, detach, c.NodeBinDir, kubeconfig, kubelet); err != nil {
		return err
	}
	if err := waitFor(ctx, 60*time.Second, c.procs, "the kubelet to register the node", func() (bool, error) {
		_, err := client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		return err
	}
	if err := c.Node.startServices(c, detach, c.NodeBinDir); err != nil {
		return err
	}
	if err := c.Node.addNetwork(ctx, c, client, c.NodeBinDir); err != nil {
		return err
	}
	if err := c.waitNodeReady(ctx, client, "the node", c.procs); err != nil {
		return err
	}
	if err := c.Node.addEnforcer(ctx, c, client, c.NodeBinDir); err != nil {
		return err
	}
	return c.Node.addCoreDNS(ctx, c, client, c.NodeBinDir)
}

func (c *Cluster) run(detach bool, name string, args ...string) (*process, error) {
	return c.runArgv(detach, name, append([]string{filepath.Join(c.BinDir, name)}, args...))
}

func (c *Cluster) runArgv(detach bool, name string, argv []string) (*process, error) {
	p, err := startProcess(c.Dir, name, detach, argv)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

// Stop ends every component (the last started first), removes the real node's namespaces,
// containers, mounts and cgroups, and removes a temporary folder.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].stop()
	}
	c.procs = nil
	if c.Node != nil {
		c.Node.teardown()
	}
	if c.removeDir {
		_ = os.RemoveAll(c.Dir)
	}
}

// StopDetached stops a control plane that `Start` with Detach left running in dir, and removes
// its real node if it has one.
func StopDetached(dir string) (stopped int, err error) {
	names := append(append([]string{}, Components...), nodeComponents...)
	for i := len(names) - 1; i >= 0; i-- {
		pidFile := filepath.Join(dir, names[i]+".pid")
		pid, err := readPID(pidFile)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return stopped, err
		}
		stopPID(pid, nil)
		_ = os.Remove(pidFile)
		stopped++
	}
	if n, err := readNode(dir); err == nil {
		n.teardown()
	}
	return stopped, nil
}

// AddUser writes a kubeconfig for a user with the given groups (client certificate, no RBAC
// bindings): tests use it for read-only and forbidden cases.
func (c *Cluster) AddUser(user string, groups ...string) (string, error) {
	cert, err := c.pki.client("user-"+user, user, groups...)
	if err != nil {
		return "", err
	}
	return c.writeKubeconfig(user+".kubeconfig", cert)
}

func (c *Cluster) writeKubeconfig(name string, cert certPaths) (string, error) {
	ca, err := os.ReadFile(c.pki.caPath())
	if err != nil {
		return "", err
	}
	crt, err := os.ReadFile(cert.Cert)
	if err != nil {
		return "", err
	}
	key, err := os.ReadFile(cert.Key)
	if err != nil {
		return "", err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: c.server, CertificateAuthorityData: ca}
	cfg.AuthInfos[ContextName] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName, Namespace: metav1.NamespaceDefault}
	cfg.CurrentContext = ContextName
	path := filepath.Join(c.Dir, name)
	return path, clientcmd.WriteToFile(*cfg, path)
}

func (c *Cluster) tlsClient(cert certPaths) (*http.Client, error) {
	pair, err := tls.LoadX509KeyPair(cert.Cert, cert.Key)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.pki.caCert)
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool}},
	}, nil
}

func createNode(ctx context.Context, client kubernetes.Interface) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: NodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname": NodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
			// kwok manages only nodes carrying this annotation (its --manage-nodes-with-annotation-selector).
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
		},
	}
	_, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func nodeReady(node *corev1.Node) bool {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitHTTP waits until url answers 200, or fails early when the component has died.
func waitHTTP(ctx context.Context, p *process, client *http.Client, url string, timeout time.Duration) error {
	return waitFor(ctx, timeout, []*process{p}, p.name+" to answer "+url, func() (bool, error) {
		resp, err := client.Get(url)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// waitFor polls cond until it holds. Polling is right here: there is nothing to watch before
// the apiserver runs, and each wait lasts seconds once.
func waitFor(ctx context.Context, timeout time.Duration, procs []*process, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, p := range procs {
			if p.exited() {
				return p.failure()
			}
		}
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			logs := ""
			for _, p := range procs {
				logs += "\n" + p.log + ":\n" + tail(p.log, 8)
			}
			return fmt.Errorf("timed out after %s waiting for %s%s", timeout, what, logs)
		case <-tick.C:
		}
	}
}

// freePorts asks the kernel for n unused loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// DetachedCNI is the network plugin of a detached control plane's real node in dir ("" when it
// has none).
func DetachedCNI(dir string) string {
	if n, err := readNode(dir); err == nil {
		return n.CNI
	}
	return ""
}

// DetachedRunning reports whether every component of a detached control plane in dir is alive.
func DetachedRunning(dir string) bool {
	names := []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}
	if _, err := readNode(dir); err == nil {
		names = append(names[:4], nodeComponents...)
	}
	for _, name := range names {
		pid, err := readPID(filepath.Join(dir, name+".pid"))
		if err != nil || !alive(pid) {
			return false
		}
	}
	return true
}
