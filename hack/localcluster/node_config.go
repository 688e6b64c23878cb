package localcluster

// The real node's configuration files, filled in by node.start. Each keeps everything it can
// inside the cluster's folder, so that nothing of the machine's own (a system containerd, /etc,
// /var/lib/kubelet) is read or changed.

// containerdConfig: root and state dirs, socket, sandbox image, runc's state dir, CNI conf dir,
// the node's own CNI plugin folder (where flannel's DaemonSet installs its plugin) after Debian's.
// restrict_oom_score_adj: a sandbox here may lack CAP_SYS_RESOURCE (this machine's root does), so
// containers must not ask for an OOM score below containerd's own, which the pause container
// (-998) does by default.
const containerdConfig = `version = 3
root = '%[1]s/root'
state = '%[1]s/state'
imports = []
[grpc]
  address = '%[2]s'
[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '%[3]s'
  [plugins.'io.containerd.cri.v1.runtime']
    netns_mounts_under_state_dir = true
    restrict_oom_score_adj = true
    enable_cdi = false
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = 'runc'
          Root = '%[4]s/runc'
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['/usr/lib/cni', '%[6]s']
      conf_dir = '%[5]s'
  [plugins.'io.containerd.internal.v1.opt']
    path = '%[1]s/opt'
`

// cniConfig: one bridge with the node's pod range; the bridge is the pods' gateway. No IP
// masquerade: the node's own rules decide what leaves it. host-local keeps its address
// reservations in the node's folder (its default, /var/lib/cni/networks, would outlive a killed
// node and fill the range over many runs).
const cniConfig = `{
  "cniVersion": "1.0.0",
  "name": "netpol-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "%s",
        "ranges": [[{"subnet": "%s"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`

// kubeletConfig: cgroup v1 allowed explicitly (this machine has no other), client certificates
// and webhook authorization as on a real node, eviction thresholds that a busy test machine
// does not reach, pod logs in the cluster's folder.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: %s
containerRuntimeEndpoint: unix://%s
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %s}
authorization: {mode: Webhook}
tlsCertFile: %s
tlsPrivateKeyFile: %s
clusterDNS: [%s]
clusterDomain: cluster.local
resolvConf: %s
podLogsDir: %s
failSwapOn: false
evictionHard: {memory.available: "1Mi", nodefs.available: "1%%", imagefs.available: "1%%", nodefs.inodesFree: "1%%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
fileCheckFrequency: 1m
nodeStatusReportFrequency: 1m
`

// kubeProxyConfig: iptables mode in the node's namespace; conntrack sizing left to the kernel
// (a network namespace may not change it).
const kubeProxyConfig = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: %s}
mode: iptables
clusterCIDR: %s
hostnameOverride: %s
conntrack: {maxPerCore: 0, min: 0}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
`
