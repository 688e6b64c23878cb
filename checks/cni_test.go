package checks

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// Fixtures: the shapes the plugins' own manifests give their DaemonSets.

func cniDS(ns, name string, labels map[string]string, containers ...corev1.Container) appsv1.DaemonSet {
	sel := map[string]string{"cni-test": name}
	tmpl := map[string]string{"cni-test": name}
	for k, v := range labels {
		tmpl[k] = v
	}
	return appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: tmpl},
				Spec:       corev1.PodSpec{HostNetwork: true, Containers: containers},
			},
		},
	}
}

func cniCtr(name, image string, args ...string) corev1.Container {
	return corev1.Container{Name: name, Image: image, Args: args}
}

func cniCM(ns, name string, data map[string]string) corev1.ConfigMap {
	return corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

func cniNode(name string, annotations map[string]string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
}

func flannelDS(ns, name string, extra ...corev1.Container) appsv1.DaemonSet {
	cs := append([]corev1.Container{cniCtr("kube-flannel", "ghcr.io/flannel-io/flannel:v0.26.1", "--ip-masq", "--kube-subnet-mgr")}, extra...)
	return cniDS(ns, name, map[string]string{"app": "flannel", "tier": "node", "k8s-app": "flannel"}, cs...)
}

func kubeRouterDS() appsv1.DaemonSet {
	return cniDS("kube-system", "kube-router", map[string]string{"k8s-app": "kube-router"},
		cniCtr("kube-router", "docker.io/cloudnativelabs/kube-router:v2.1.0", "--run-router=false", "--run-firewall=true", "--run-service-proxy=false"))
}

// withStatus gives a DaemonSet the status its controller writes: on how many nodes it should run,
// and on how many its pod is ready.
func withStatus(d appsv1.DaemonSet, desired, ready int32) appsv1.DaemonSet {
	d.Status = appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: desired, CurrentNumberScheduled: desired, NumberReady: ready}
	return d
}

func kindnetDS(image string, args ...string) appsv1.DaemonSet {
	return cniDS("kube-system", "kindnet", map[string]string{"app": "kindnet", "k8s-app": "kindnet", "tier": "node"}, cniCtr("kindnet-cni", image, args...))
}

// awsNodeDS is the VPC CNI's DaemonSet; agentArg is the node agent's --enable-network-policy
// argument, "" for no agent container (VPC CNI before v1.14).
func awsNodeDS(agentArg string) appsv1.DaemonSet {
	cs := []corev1.Container{cniCtr("aws-node", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2")}
	if agentArg != "" {
		cs = append(cs, cniCtr("aws-eks-nodeagent", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.6",
			"--enable-ipv6=false", agentArg, "--enable-cloudwatch-logs=false", "--metrics-bind-addr=:8162"))
	}
	return cniDS("kube-system", "aws-node", map[string]string{"k8s-app": "aws-node", "app.kubernetes.io/name": "aws-node"}, cs...)
}

func ciliumDS() appsv1.DaemonSet {
	return cniDS("kube-system", "cilium", map[string]string{"k8s-app": "cilium"}, cniCtr("cilium-agent", "quay.io/cilium/cilium:v1.16.4", "--config-dir=/tmp/cilium/config-map"))
}

func calicoDS(ns string) appsv1.DaemonSet {
	return cniDS(ns, "calico-node", map[string]string{"k8s-app": "calico-node"}, cniCtr("calico-node", "docker.io/calico/node:v3.29.1"))
}

func kubeProxyDS() appsv1.DaemonSet {
	c := cniCtr("kube-proxy", "registry.k8s.io/kube-proxy:v1.31.0")
	c.SecurityContext = &corev1.SecurityContext{Privileged: new(bool)}
	return cniDS("kube-system", "kube-proxy", map[string]string{"k8s-app": "kube-proxy"}, c)
}

var cniErrForbidden = apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "daemonsets"}, "", errors.New(`User "viewer" cannot list resource "daemonsets" in API group "apps" at the cluster scope`))

// want is one expected finding: its ID and status, the resource when it matters, and text its
// message (and remediation) must contain.
type cniWant struct {
	id       string
	status   Status
	resource string
	msg      []string
	fix      []string
}

func TestCNIDetection(t *testing.T) {
	const activeHint = "kubectl netpol doctor --active"
	live := func(in Input) *Input { in.Live = true; return &in }
	ds := func(d ...appsv1.DaemonSet) []appsv1.DaemonSet { return d }

	tests := []struct {
		name string
		in   *Input
		want []cniWant
	}{
		// flannel: routing only, unless a kube-network-policies container rides along.
		{"flannel in kube-flannel", live(Input{DaemonSets: ds(flannelDS("kube-flannel", "kube-flannel-ds"), kubeProxyDS())}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-flannel/kube-flannel-ds", msg: []string{"flannel", "does not enforce"},
				fix: []string{"helm upgrade flannel flannel/flannel -n kube-flannel --reuse-values --set netpol.enabled=true", "kube-network-policies", "canal", activeHint}}}},
		{"flannel in kube-system, older layout", live(Input{DaemonSets: ds(cniDS("kube-system", "kube-flannel-ds-amd64", map[string]string{"app": "flannel", "tier": "node"}, cniCtr("kube-flannel", "quay.io/coreos/flannel:v0.12.0-amd64")))}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/kube-flannel-ds-amd64"}}},
		{"flannel found by its label only", live(Input{DaemonSets: ds(cniDS("net", "my-overlay", map[string]string{"app": "flannel"}, cniCtr("flanneld", "ghcr.io/flannel-io/flannel:v0.26.1")))}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/net/my-overlay"}}},
		{"flannel with a kube-network-policies container", live(Input{DaemonSets: ds(flannelDS("kube-flannel", "kube-flannel-ds", cniCtr("kube-network-policies", "registry.k8s.io/networking/kube-network-policies:v0.6.1")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-flannel/kube-flannel-ds", msg: []string{"flannel", "kube-network-policies"}}}},
		{"flannel with kube-network-policies as its own DaemonSet", live(Input{DaemonSets: ds(flannelDS("kube-flannel", "kube-flannel-ds"),
			cniDS("kube-system", "kube-network-policies", map[string]string{"app": "kube-network-policies"}, cniCtr("kube-network-policies", "registry.k8s.io/networking/kube-network-policies:v0.9.1")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/kube-network-policies", msg: []string{"also found", "flannel"}}}},
		{"canal", live(Input{DaemonSets: ds(cniDS("kube-system", "canal", map[string]string{"k8s-app": "canal"},
			cniCtr("calico-node", "docker.io/calico/node:v3.29.1"), cniCtr("kube-flannel", "quay.io/coreos/flannel:v0.15.1")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/canal", msg: []string{"canal"}}}},
		{"rke2-canal", live(Input{DaemonSets: ds(cniDS("kube-system", "rke2-canal", map[string]string{"k8s-app": "canal"},
			cniCtr("calico-node", "rancher/hardened-calico:v3.28.1"), cniCtr("kube-flannel", "rancher/hardened-flannel:v0.25.6")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/rke2-canal"}}},
		{"calico and flannel as separate DaemonSets", live(Input{DaemonSets: ds(flannelDS("kube-flannel", "kube-flannel-ds"), calicoDS("kube-system"))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/calico-node"}}},

		// Calico, under the operator or not.
		{"calico in calico-system (operator)", live(Input{DaemonSets: ds(calicoDS("calico-system")),
			Deployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Namespace: "tigera-operator", Name: "tigera-operator"}}}}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/calico-system/calico-node", msg: []string{"Calico"}}}},
		{"calico in kube-system (manifest)", live(Input{DaemonSets: ds(calicoDS("kube-system"))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/calico-node"}}},
		{"tigera-operator without calico-node", live(Input{DaemonSets: ds(),
			Deployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Namespace: "tigera-operator", Name: "tigera-operator"}}}}),
			[]cniWant{{id: "NP1002", status: StatusFail, resource: "Deployment/tigera-operator/tigera-operator", msg: []string{"no calico-node DaemonSet"}, fix: []string{activeHint}}}},

		// Cilium and its enable-policy; GKE Dataplane V2 is Cilium-based and labelled so.
		{"cilium, enable-policy never", live(Input{DaemonSets: ds(ciliumDS()), ConfigMaps: []corev1.ConfigMap{cniCM("kube-system", "cilium-config", map[string]string{"enable-policy": "never"})}}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/cilium", msg: []string{"enable-policy: never"},
				fix: []string{`kubectl patch configmap cilium-config -n kube-system --type merge -p '{"data":{"enable-policy":"default"}}'`, "kubectl rollout restart daemonset cilium -n kube-system", activeHint}}}},
		{"cilium, enable-policy default", live(Input{DaemonSets: ds(ciliumDS()), ConfigMaps: []corev1.ConfigMap{cniCM("kube-system", "cilium-config", map[string]string{"enable-policy": "default"})}}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/cilium", msg: []string{"Cilium"}}}},
		{"cilium, enable-policy always", live(Input{DaemonSets: ds(ciliumDS()), ConfigMaps: []corev1.ConfigMap{cniCM("kube-system", "cilium-config", map[string]string{"enable-policy": "always"})}}),
			[]cniWant{{id: "NP1003", status: StatusPass}}},
		{"cilium without its ConfigMap (default)", live(Input{DaemonSets: ds(ciliumDS())}),
			[]cniWant{{id: "NP1003", status: StatusPass}}},
		{"cilium, ConfigMaps forbidden", live(Input{DaemonSets: ds(ciliumDS()), Forbidden: map[string]error{"configmaps": cniErrForbidden}}),
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"could not be read"}}}},
		{"GKE Dataplane V2 (anetd)", live(Input{DaemonSets: ds(cniDS("kube-system", "anetd", map[string]string{"k8s-app": "cilium"}, cniCtr("cilium-agent", "gke.gcr.io/cilium/cilium:v1.14.4-gke.15")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/anetd", msg: []string{"GKE Dataplane V2"}}}},

		// The other engines of the table.
		{"antrea", live(Input{DaemonSets: ds(cniDS("kube-system", "antrea-agent", map[string]string{"app": "antrea", "component": "antrea-agent"}, cniCtr("antrea-agent", "antrea/antrea-agent-ubuntu:v2.2.0")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"Antrea"}}}},
		{"azure npm", live(Input{DaemonSets: ds(cniDS("kube-system", "azure-npm", map[string]string{"k8s-app": "azure-npm"}, cniCtr("azure-npm", "mcr.microsoft.com/containernetworking/azure-npm:v1.5.45")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"Azure NPM"}}}},
		{"ovn-kubernetes by its label", live(Input{DaemonSets: ds(cniDS("openshift-ovn-kubernetes", "ovnkube-node-x", map[string]string{"app": "ovnkube-node"}, cniCtr("ovnkube-controller", "quay.io/openshift/ovn-kubernetes:4.17")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"OVN-Kubernetes"}}}},
		{"weave with weave-npc", live(Input{DaemonSets: ds(cniDS("kube-system", "weave-net", map[string]string{"name": "weave-net"},
			cniCtr("weave", "weaveworks/weave-kube:2.8.1"), cniCtr("weave-npc", "weaveworks/weave-npc:2.8.1")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"Weave Net"}}}},
		{"weave without weave-npc", live(Input{DaemonSets: ds(cniDS("kube-system", "weave-net", map[string]string{"name": "weave-net"}, cniCtr("weave", "weaveworks/weave-kube:2.8.1")))}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/weave-net", msg: []string{"weave-npc"}, fix: []string{"weave-npc", activeHint}}}},
		{"kube-router, firewall on by default", live(Input{DaemonSets: ds(cniDS("kube-system", "kube-router", map[string]string{"k8s-app": "kube-router"},
			cniCtr("kube-router", "docker.io/cloudnativelabs/kube-router", "--run-router=true", "--run-service-proxy=false")))}),
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"kube-router"}}}},
		{"kube-router --run-firewall=true", live(Input{DaemonSets: ds(cniDS("kube-system", "kube-router", map[string]string{"k8s-app": "kube-router"},
			cniCtr("kube-router", "docker.io/cloudnativelabs/kube-router", "--run-router=true", "--run-firewall=true")))}),
			[]cniWant{{id: "NP1003", status: StatusPass}}},
		{"kube-router --run-firewall=false", live(Input{DaemonSets: ds(cniDS("kube-system", "kube-router", map[string]string{"k8s-app": "kube-router"},
			cniCtr("kube-router", "docker.io/cloudnativelabs/kube-router", "--run-router=true", "--run-firewall=false", "--run-service-proxy=true")))}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/kube-router", msg: []string{"--run-firewall=false"},
				fix: []string{`kubectl patch daemonset kube-router -n kube-system --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/args/1","value":"--run-firewall=true"}]'`, activeHint}}}},

		// An engine enforces only where its pods run: the DaemonSet controller's status says where.
		{"kube-router scheduled on no node", live(Input{DaemonSets: ds(withStatus(kubeRouterDS(), 0, 0), flannelDS("kube-flannel", "kube-flannel-ds"))}),
			[]cniWant{
				{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/kube-router", msg: []string{"kube-router", "runs no pod", "schedules it on no node"},
					fix: []string{"kubectl describe daemonset kube-router -n kube-system", activeHint}},
				{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-flannel/kube-flannel-ds", msg: []string{"flannel"}}}},
		{"kube-router ready on some nodes", live(Input{DaemonSets: ds(withStatus(kubeRouterDS(), 3, 1))}),
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"kube-router", "1 of its 3 pods are ready", "may go unenforced"}}}},
		{"kube-router ready everywhere", live(Input{DaemonSets: ds(withStatus(kubeRouterDS(), 3, 3))}),
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"kube-router"}}}},
		{"kube-router in files, with a status of no pod", &Input{DaemonSets: ds(withStatus(kubeRouterDS(), 0, 0))},
			[]cniWant{{id: "NP1003", status: StatusPass, msg: []string{"kube-router", "in the files"}}}},

		// kindnet: enforces from kindnetd 20240719 (kind v0.24.0).
		{"kindnet 20240513 (kind v0.23)", live(Input{DaemonSets: ds(kindnetDS("docker.io/kindest/kindnetd:v20240513-cd2ac642"))}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/kindnet", msg: []string{"20240513", "20240719"}, fix: []string{"kind v0.24.0", activeHint}}}},
		{"kindnet 20240813 (kind v0.24)", live(Input{DaemonSets: ds(kindnetDS("docker.io/kindest/kindnetd:v20240813-c6f155d6"))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/kindnet", msg: []string{"kindnet"}}}},
		{"kindnet 20240813 pinned by digest", live(Input{DaemonSets: ds(kindnetDS("docker.io/kindest/kindnetd:v20240813-c6f155d6@sha256:" + strings.Repeat("ab", 32)))}),
			[]cniWant{{id: "NP1003", status: StatusPass}}},
		{"kindnet 20240719, the first", live(Input{DaemonSets: ds(kindnetDS("kindest/kindnetd:v20240719-abcdef12"))}),
			[]cniWant{{id: "NP1003", status: StatusPass}}},
		{"kindnet 20240718", live(Input{DaemonSets: ds(kindnetDS("kindest/kindnetd:v20240718-abcdef12"))}),
			[]cniWant{{id: "NP1001", status: StatusFail}}},
		{"kindnet 20230511", live(Input{DaemonSets: ds(kindnetDS("kindest/kindnetd:v20230511-dc714da8"))}),
			[]cniWant{{id: "NP1001", status: StatusFail}}},
		{"kindnet 0.5.4", live(Input{DaemonSets: ds(kindnetDS("kindest/kindnetd:0.5.4"))}),
			[]cniWant{{id: "NP1001", status: StatusFail, msg: []string{"0.5.4"}}}},
		{"kindnet standalone v1", live(Input{DaemonSets: ds(kindnetDS("ghcr.io/aojea/kindnetd:v1.8.5", "--network-policy=true"))}),
			[]cniWant{{id: "NP1003", status: StatusPass}}},
		{"kindnet standalone v1 with --network-policy=false", live(Input{DaemonSets: ds(kindnetDS("ghcr.io/aojea/kindnetd:v1.8.5", "--hostname-override=$(NODE_NAME)", "--network-policy=false"))}),
			[]cniWant{{id: "NP1001", status: StatusFail, msg: []string{"--network-policy=false"}, fix: []string{`"path":"/spec/template/spec/containers/0/args/1","value":"--network-policy=true"`}}}},
		{"kindnet without a readable tag", live(Input{DaemonSets: ds(kindnetDS("localhost:5000/kindnetd@sha256:" + strings.Repeat("cd", 32)))}),
			[]cniWant{{id: "NP1002", status: StatusFail, resource: "DaemonSet/kube-system/kindnet", fix: []string{activeHint}}}},
		// A plugin that does not enforce beside one whose enforcement is unknown: the error
		// stands, but "nothing enforces" is no longer certain.
		{"flannel beside kindnet without a readable tag", live(Input{DaemonSets: ds(flannelDS("kube-flannel", "kube-flannel-ds"), kindnetDS("localhost:5000/kindnetd@sha256:"+strings.Repeat("cd", 32)))}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-flannel/kube-flannel-ds", msg: []string{"Unless the other plugin found"}},
				{id: "NP1002", status: StatusFail, resource: "DaemonSet/kube-system/kindnet"}}},

		// k3s: its node annotation.
		{"k3s with --disable-network-policy", live(Input{DaemonSets: ds(), Nodes: []corev1.Node{
			cniNode("server-0", map[string]string{"k3s.io/node-args": `["server","--disable-network-policy","--write-kubeconfig-mode","644"]`}),
			cniNode("agent-0", map[string]string{"k3s.io/node-args": `["agent"]`})}}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "Node/server-0", msg: []string{"--disable-network-policy"}, fix: []string{"--disable-network-policy", "systemctl restart k3s", activeHint}}}},
		// k3s records --flag=value as two items.
		{"k3s with --disable-network-policy false", live(Input{DaemonSets: ds(), Nodes: []corev1.Node{
			cniNode("server-0", map[string]string{"k3s.io/node-args": `["server","--disable-network-policy","false"]`})}}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "Node/server-0", msg: []string{"k3s"}}}},
		{"k3s with --disable-network-policy true", live(Input{DaemonSets: ds(), Nodes: []corev1.Node{
			cniNode("server-0", map[string]string{"k3s.io/node-args": `["server","--disable-network-policy","true","--node-name","x"]`})}}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "Node/server-0", msg: []string{"--disable-network-policy"}}}},
		{"k3s without the flag", live(Input{DaemonSets: ds(), Nodes: []corev1.Node{
			cniNode("server-0", map[string]string{"k3s.io/node-args": `["server","--write-kubeconfig-mode","644"]`})}}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "Node/server-0", msg: []string{"k3s"}}}},
		{"k3s with --disable-network-policy and Cilium", live(Input{DaemonSets: ds(ciliumDS()), Nodes: []corev1.Node{
			cniNode("server-0", map[string]string{"k3s.io/node-args": `["server","--flannel-backend","none","--disable-network-policy"]`})}}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/cilium", msg: []string{"also found", "k3s"}}}},

		// AWS VPC CNI: only with the controller flag in ConfigMap amazon-vpc-cni.
		{"aws-node without the ConfigMap", live(Input{DaemonSets: ds(awsNodeDS("--enable-network-policy=true"))}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/aws-node", msg: []string{"enable-network-policy-controller"},
				fix: []string{`aws eks update-addon --cluster-name CLUSTER --addon-name vpc-cni --configuration-values '{"enableNetworkPolicy":"true"}'`,
					"kubectl create configmap amazon-vpc-cni -n kube-system --from-literal=enable-network-policy-controller=true", activeHint}}}},
		{"aws-node, ConfigMap without the flag", live(Input{DaemonSets: ds(awsNodeDS("--enable-network-policy=true")),
			ConfigMaps: []corev1.ConfigMap{cniCM("kube-system", "amazon-vpc-cni", map[string]string{"enable-windows-ipam": "false"})}}),
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/aws-node",
				fix: []string{`kubectl patch configmap amazon-vpc-cni -n kube-system --type merge -p '{"data":{"enable-network-policy-controller":"true"}}'`, activeHint}}}},
		{"aws-node with the flag", live(Input{DaemonSets: ds(awsNodeDS("--enable-network-policy=true")),
			ConfigMaps: []corev1.ConfigMap{cniCM("kube-system", "amazon-vpc-cni", map[string]string{"enable-network-policy-controller": "true"})}}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/aws-node", msg: []string{"AWS VPC CNI"}}}},
		{"aws-node with the flag, node agent off", live(Input{DaemonSets: ds(awsNodeDS("--enable-network-policy=false")),
			ConfigMaps: []corev1.ConfigMap{cniCM("kube-system", "amazon-vpc-cni", map[string]string{"enable-network-policy-controller": "true"})}}),
			[]cniWant{{id: "NP1001", status: StatusFail, msg: []string{"--enable-network-policy=false"},
				fix: []string{`kubectl patch daemonset aws-node -n kube-system --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/1/args/1","value":"--enable-network-policy=true"}]'`}}}},
		{"aws-node before v1.14 (no agent)", live(Input{DaemonSets: ds(awsNodeDS("")),
			ConfigMaps: []corev1.ConfigMap{cniCM("kube-system", "amazon-vpc-cni", map[string]string{"enable-network-policy-controller": "true"})}}),
			[]cniWant{{id: "NP1001", status: StatusFail, msg: []string{"v1.14"}}}},
		{"aws-node, ConfigMaps forbidden", live(Input{DaemonSets: ds(awsNodeDS("--enable-network-policy=true")), Forbidden: map[string]error{"configmaps": cniErrForbidden}}),
			[]cniWant{{id: "NP1004", status: StatusSkipped, resource: "DaemonSet/kube-system/aws-node", msg: []string{"cannot read configmaps"}, fix: []string{"--resource-name=amazon-vpc-cni"}}}},
		{"aws-node chained with calico", live(Input{DaemonSets: ds(awsNodeDS("--enable-network-policy=false"), calicoDS("kube-system"))}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/calico-node", msg: []string{"AWS VPC CNI"}}}},

		// Nothing known.
		{"nothing", live(Input{DaemonSets: ds(kubeProxyDS())}),
			[]cniWant{{id: "NP1002", status: StatusFail, msg: []string{"no known network plugin", "No DaemonSet looks network-related"}, fix: []string{activeHint}}}},
		{"nothing known, one network-ish DaemonSet", live(Input{DaemonSets: ds(kubeProxyDS(),
			cniDS("kube-system", "azure-cns", nil, corev1.Container{Name: "cns", Image: "mcr.microsoft.com/containernetworking/azure-cns:v1.6.13",
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}}}))}),
			[]cniWant{{id: "NP1002", status: StatusFail, msg: []string{"DaemonSet/kube-system/azure-cns"}}}},
		{"nothing, and nodes forbidden", live(Input{DaemonSets: ds(), Forbidden: map[string]error{"nodes": cniErrForbidden}}),
			[]cniWant{{id: "NP1002", status: StatusFail}, {id: "NP1004", status: StatusSkipped, msg: []string{"cannot list nodes"}}}},

		// RBAC and files.
		{"daemonsets forbidden", live(Input{Forbidden: map[string]error{"daemonsets": cniErrForbidden, "deployments": cniErrForbidden, "nodes": cniErrForbidden, "configmaps": cniErrForbidden}}),
			[]cniWant{{id: "NP1004", status: StatusSkipped, msg: []string{"cannot list daemonsets: CNI detection skipped", "daemonsets.apps"}, fix: []string{"kubectl create clusterrole", "--resource=daemonsets.apps"}}}},
		{"daemonsets forbidden, k3s node without policy", live(Input{Forbidden: map[string]error{"daemonsets": cniErrForbidden}, Nodes: []corev1.Node{
			cniNode("server-0", map[string]string{"k3s.io/node-args": `["server","--disable-network-policy"]`})}}),
			[]cniWant{{id: "NP1004", status: StatusSkipped, msg: []string{"cannot list daemonsets", "k3s (Node/server-0)"}}}},
		{"daemonsets forbidden, tigera-operator runs", live(Input{Forbidden: map[string]error{"daemonsets": cniErrForbidden},
			Deployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Namespace: "tigera-operator", Name: "tigera-operator"}}}}),
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "Deployment/tigera-operator/tigera-operator"}}},
		{"empty live input", &Input{Live: true},
			[]cniWant{{id: "NP1002", status: StatusFail}}},
	}

	// The same table on files (doctor -f): the same objects give the same findings, except
	// where a missing object only means that the files lack it. Cases with Forbidden reads are
	// a cluster's only.
	notInFiles := []cniWant{{id: "NP1004", status: StatusSkipped, msg: []string{"no network plugin (CNI) found in the files", "cluster"}, fix: []string{"kubectl netpol doctor"}}}
	filesWant := map[string][]cniWant{
		// The operator creates calico-node at run time: files never hold it.
		"tigera-operator without calico-node": {{id: "NP1003", status: StatusPass, resource: "Deployment/tigera-operator/tigera-operator", msg: []string{"Calico", "Installation"}}},
		// The ConfigMap may be in the cluster and not in the files: the verdict stays open.
		"aws-node without the ConfigMap": {{id: "NP1004", status: StatusSkipped, resource: "DaemonSet/kube-system/aws-node",
			msg: []string{"ConfigMap kube-system/amazon-vpc-cni is not in the files", "AWS VPC CNI"}, fix: []string{"kubectl get configmap amazon-vpc-cni -n kube-system -o yaml", activeHint}}},
		"cilium without its ConfigMap (default)": {{id: "NP1003", status: StatusPass, msg: []string{"cilium-config is not in the files"}}},
		// No signature: the files are not the cluster.
		"nothing": notInFiles,
		"nothing known, one network-ish DaemonSet": {{id: "NP1004", status: StatusSkipped, msg: []string{"no network plugin (CNI) found in the files", "DaemonSet/kube-system/azure-cns"}}},
		"empty live input":                         notInFiles,
		// Where a DaemonSet's pods run is the cluster's to say: files carry no such status.
		"kube-router scheduled on no node": {{id: "NP1003", status: StatusPass, msg: []string{"kube-router", "also found, not enforcing by itself: flannel"}}},
		"kube-router ready on some nodes":  {{id: "NP1003", status: StatusPass, msg: []string{"--run-firewall is on (detected from its signature in the files"}}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cniCheck.Run(tt.in)
			checkCNIFindings(t, got, tt.want)
			checkTranslated(t, tt.in, got)
		})
		if len(tt.in.Forbidden) > 0 {
			continue
		}
		t.Run("files/"+tt.name, func(t *testing.T) {
			in := *tt.in
			in.Live = false
			want, ok := filesWant[tt.name]
			if !ok {
				want = tt.want
			}
			got := cniCheck.Run(&in)
			checkCNIFindings(t, got, want)
			checkCNIFilesWording(t, got)
			checkTranslated(t, &in, got)
		})
	}
}

// checkCNIFilesWording: on files every finding says that it comes from the files, and a fix
// that patches a running cluster says to change the manifests too.
func checkCNIFilesWording(t *testing.T, got []Finding) {
	t.Helper()
	for i, f := range got {
		if !strings.Contains(f.Message, "in the files") {
			t.Errorf("finding %d (files) does not say it comes from the files:\n%s", i, f.Message)
		}
		if strings.Contains(f.Remediation, "kubectl patch") && !strings.Contains(f.Remediation, "the same change in the manifest in the files") {
			t.Errorf("finding %d (files): a cluster patch without the manifest:\n%s", i, f.Remediation)
		}
		if strings.Contains(f.Remediation, cniActiveHint.String()) {
			t.Errorf("finding %d (files): --active needs the cluster:\n%s", i, f.Remediation)
		}
	}
}

// TestCNIManifests reads the plugins' own manifests (trimmed copies in testdata/cni) as doctor
// -f would, and runs the check on them as files and, the same objects, as a cluster.
func TestCNIManifests(t *testing.T) {
	const activeHint = "kubectl netpol doctor --active"
	tests := []struct {
		file  string
		live  []cniWant
		files []cniWant // nil: as live
	}{
		{"flannel.yaml", []cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-flannel/kube-flannel-ds", msg: []string{"flannel", "kube-network-policies"},
			fix: []string{"helm upgrade flannel flannel/flannel -n kube-flannel", activeHint}}}, nil},
		{"kindnet-v0.23.yaml", []cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/kindnet", msg: []string{"20240513", "20240719"}, fix: []string{"kind v0.24.0"}}}, nil},
		{"kindnet-v0.24.yaml", []cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/kindnet", msg: []string{"kindnetd image docker.io/kindest/kindnetd:v20240813-c6f155d6"}}}, nil},
		{"calico.yaml", []cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/calico-node", msg: []string{"Calico"}}}, nil},
		{"tigera-operator.yaml",
			[]cniWant{{id: "NP1002", status: StatusFail, resource: "Deployment/tigera-operator/tigera-operator", msg: []string{"no calico-node DaemonSet"}}},
			[]cniWant{{id: "NP1003", status: StatusPass, resource: "Deployment/tigera-operator/tigera-operator", msg: []string{"Installation", "in the files"}}}},
		{"cilium-never.yaml", []cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/cilium", msg: []string{"ConfigMap kube-system/cilium-config sets enable-policy: never"},
			fix: []string{"kubectl patch configmap cilium-config -n kube-system", "kubectl rollout restart daemonset cilium -n kube-system"}}}, nil},
		// Cilium's Helm release elsewhere: its cilium-config is beside it.
		{"cilium-own-namespace.yaml", []cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/cilium/cilium", msg: []string{"ConfigMap cilium/cilium-config sets enable-policy: never"},
			fix: []string{"kubectl patch configmap cilium-config -n cilium", "kubectl rollout restart daemonset cilium -n cilium"}}}, nil},
		{"aws-k8s-cni.yaml", []cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/aws-node",
			msg: []string{`ConfigMap kube-system/amazon-vpc-cni does not set enable-network-policy-controller: "true"`, "runs with --enable-network-policy=false"},
			fix: []string{"kubectl patch configmap amazon-vpc-cni -n kube-system", `"path":"/spec/template/spec/containers/1/args/1","value":"--enable-network-policy=true"`}}}, nil},
		{"aws-k8s-cni-netpol.yaml", []cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/aws-node", msg: []string{"AWS VPC CNI", "enable-network-policy-controller"}}}, nil},
		{"aws-node-only.yaml",
			[]cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/aws-node", msg: []string{"ConfigMap kube-system/amazon-vpc-cni does not exist"}}},
			[]cniWant{{id: "NP1004", status: StatusSkipped, resource: "DaemonSet/kube-system/aws-node", msg: []string{"ConfigMap kube-system/amazon-vpc-cni is not in the files"}}}},
		{"app.yaml",
			[]cniWant{{id: "NP1002", status: StatusFail, msg: []string{"no known network plugin"}}},
			[]cniWant{{id: "NP1004", status: StatusSkipped, msg: []string{"no network plugin (CNI) found in the files", "cluster"}}}},
	}
	for _, tt := range tests {
		in := readCNIManifest(t, filepath.Join("testdata", "cni", tt.file))
		t.Run("files/"+tt.file, func(t *testing.T) {
			want := tt.files
			if want == nil {
				want = tt.live
			}
			got := cniCheck.Run(&in)
			checkCNIFindings(t, got, want)
			checkCNIFilesWording(t, got)
			checkTranslated(t, &in, got)
		})
		t.Run("cluster/"+tt.file, func(t *testing.T) {
			live := in
			live.Live = true
			got := cniCheck.Run(&live)
			checkCNIFindings(t, got, tt.live)
			checkTranslated(t, &live, got)
		})
	}
}

// readCNIManifest reads the objects the CNI check looks at from a multi-document YAML file:
// DaemonSets, Deployments, Nodes and ConfigMaps, as doctor -f fills them.
func readCNIManifest(t *testing.T, path string) Input {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var in Input
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var into any
		switch meta.Kind {
		case "DaemonSet":
			in.DaemonSets = append(in.DaemonSets, appsv1.DaemonSet{})
			into = &in.DaemonSets[len(in.DaemonSets)-1]
		case "Deployment":
			in.Deployments = append(in.Deployments, appsv1.Deployment{})
			into = &in.Deployments[len(in.Deployments)-1]
		case "Node":
			in.Nodes = append(in.Nodes, corev1.Node{})
			into = &in.Nodes[len(in.Nodes)-1]
		case "ConfigMap":
			in.ConfigMaps = append(in.ConfigMaps, corev1.ConfigMap{})
			into = &in.ConfigMaps[len(in.ConfigMaps)-1]
		default:
			continue
		}
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Fatalf("%s: %s: %v", path, meta.Kind, err)
		}
	}
	return in
}

func checkCNIFindings(t *testing.T, got []Finding, want []cniWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d: %s", len(got), len(want), describeFindings(got))
	}
	for i, w := range want {
		f := got[i]
		if f.ID != w.id || f.Status != w.status {
			t.Errorf("finding %d: got %s/%s, want %s/%s: %s", i, f.ID, f.Status, w.id, w.status, describeFindings(got))
		}
		if f.Check != "cni" || f.Docs != DocsBase+"#"+strings.ToLower(w.id) {
			t.Errorf("finding %d: check %q docs %q", i, f.Check, f.Docs)
		}
		if w.id == "NP1001" && f.Severity != SeverityError || w.id == "NP1002" && f.Severity != SeverityWarning {
			t.Errorf("finding %d: severity %s for %s", i, f.Severity, w.id)
		}
		if w.resource != "" && f.Resource != w.resource {
			t.Errorf("finding %d: resource %q, want %q", i, f.Resource, w.resource)
		}
		for _, s := range w.msg {
			if !strings.Contains(f.Message, s) {
				t.Errorf("finding %d: message lacks %q:\n%s", i, s, f.Message)
			}
		}
		for _, s := range w.fix {
			if !strings.Contains(f.Remediation, s) {
				t.Errorf("finding %d: remediation lacks %q:\n%s", i, s, f.Remediation)
			}
		}
	}
}

func describeFindings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  " + f.ID + " " + string(f.Status) + " " + f.Resource + ": " + f.Message)
	}
	return b.String()
}

func TestCNIKindnetdVersion(t *testing.T) {
	tests := []struct {
		image string
		date  string
		major int
		ok    bool
	}{
		{"docker.io/kindest/kindnetd:v20240813-c6f155d6", "20240813", 0, true},
		{"kindest/kindnetd:v20230511-dc714da8", "20230511", 0, true},
		{"docker.io/kindest/kindnetd:v20250214-acbabc1a@sha256:0123", "20250214", 0, true},
		{"kindest/kindnetd:0.5.4", "", 0, true},
		{"ghcr.io/aojea/kindnetd:v1.8.5", "", 1, true},
		{"localhost:5000/kindnetd", "", 0, false},
		{"kindest/kindnetd@sha256:0123", "", 0, false},
		{"kindest/kindnetd:latest", "", 0, false},
	}
	for _, tt := range tests {
		date, major, ok := kindnetdVersion(tt.image)
		if date != tt.date || major != tt.major || ok != tt.ok {
			t.Errorf("kindnetdVersion(%q) = %q, %d, %v; want %q, %d, %v", tt.image, date, major, ok, tt.date, tt.major, tt.ok)
		}
	}
}

// TestCNIIntegration creates the fixtures through the API of the local control plane, reads
// them back with Gather (as doctor does), and runs the check on what it read.
func TestCNIIntegration(t *testing.T) {
	c := localcluster.ForTest(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T) []Finding {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		in, err := Gather(ctx, cs, "")
		if err != nil {
			t.Fatalf("Gather: %v", err)
		}
		return cniCheck.Run(in)
	}

	t.Run("no plugin", func(t *testing.T) {
		checkCNIFindings(t, run(t), []cniWant{{id: "NP1002", status: StatusFail, msg: []string{"no known network plugin"}}})
	})
	t.Run("flannel in kube-flannel", func(t *testing.T) {
		cniCreateNamespace(t, cs, "kube-flannel")
		cniCreateDS(t, cs, flannelDS("kube-flannel", "kube-flannel-ds"))
		checkCNIFindings(t, run(t), []cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-flannel/kube-flannel-ds", fix: []string{"-n kube-flannel"}}})
	})
	t.Run("kindnet 20240513", func(t *testing.T) {
		cniCreateDS(t, cs, kindnetDS("docker.io/kindest/kindnetd:v20240513-cd2ac642"))
		checkCNIFindings(t, run(t), []cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/kindnet", msg: []string{"20240513"}}})
	})
	t.Run("kindnet 20240813", func(t *testing.T) {
		cniCreateDS(t, cs, kindnetDS("docker.io/kindest/kindnetd:v20240813-c6f155d6"))
		checkCNIFindings(t, run(t), []cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/kindnet"}})
	})
	t.Run("k3s with --disable-network-policy", func(t *testing.T) {
		cniCreateNode(t, cs, cniNode("cni-k3s-server-off", map[string]string{"k3s.io/node-args": `["server","--disable-network-policy"]`}))
		checkCNIFindings(t, run(t), []cniWant{{id: "NP1001", status: StatusFail, resource: "Node/cni-k3s-server-off"}})
	})
	t.Run("k3s without the flag", func(t *testing.T) {
		cniCreateNode(t, cs, cniNode("cni-k3s-server-on", map[string]string{"k3s.io/node-args": `["server","--write-kubeconfig-mode","644"]`}))
		checkCNIFindings(t, run(t), []cniWant{{id: "NP1003", status: StatusPass, resource: "Node/cni-k3s-server-on"}})
	})
	t.Run("aws-node without the controller flag", func(t *testing.T) {
		cniCreateDS(t, cs, awsNodeDS("--enable-network-policy=true"))
		checkCNIFindings(t, run(t), []cniWant{{id: "NP1001", status: StatusFail, resource: "DaemonSet/kube-system/aws-node", msg: []string{"amazon-vpc-cni"}}})

		t.Run("with the flag", func(t *testing.T) {
			cniCreateConfigMap(t, cs, cniCM("kube-system", "amazon-vpc-cni", map[string]string{"enable-network-policy-controller": "true"}))
			checkCNIFindings(t, run(t), []cniWant{{id: "NP1003", status: StatusPass, resource: "DaemonSet/kube-system/aws-node"}})
		})
	})
	t.Run("clean again", func(t *testing.T) {
		checkCNIFindings(t, run(t), []cniWant{{id: "NP1002", status: StatusFail}})
	})
}

// The helpers below create one object and register its deletion, which waits until the
// object is gone: the next fixture must not see it.

func cniCreateNamespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cniDeleteAndWait(t, "namespace "+name,
			func(ctx context.Context) error {
				return cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
			},
			func(ctx context.Context) error {
				_, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
				return err
			})
	})
}

func cniCreateDS(t *testing.T, cs kubernetes.Interface, ds appsv1.DaemonSet) {
	t.Helper()
	ctx := context.Background()
	ds.Spec.Template.Spec.TerminationGracePeriodSeconds = new(int64)
	if _, err := cs.AppsV1().DaemonSets(ds.Namespace).Create(ctx, &ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cniDeleteAndWait(t, "daemonset "+ds.Namespace+"/"+ds.Name,
			func(ctx context.Context) error {
				return cs.AppsV1().DaemonSets(ds.Namespace).Delete(ctx, ds.Name, metav1.DeleteOptions{})
			},
			func(ctx context.Context) error {
				_, err := cs.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
				return err
			})
	})
}

func cniCreateNode(t *testing.T, cs kubernetes.Interface, node corev1.Node) {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Nodes().Create(ctx, &node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cniDeleteAndWait(t, "node "+node.Name,
			func(ctx context.Context) error {
				return cs.CoreV1().Nodes().Delete(ctx, node.Name, metav1.DeleteOptions{})
			},
			func(ctx context.Context) error {
				_, err := cs.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
				return err
			})
	})
}

func cniCreateConfigMap(t *testing.T, cs kubernetes.Interface, cm corev1.ConfigMap) {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, &cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cniDeleteAndWait(t, "configmap "+cm.Namespace+"/"+cm.Name,
			func(ctx context.Context) error {
				return cs.CoreV1().ConfigMaps(cm.Namespace).Delete(ctx, cm.Name, metav1.DeleteOptions{})
			},
			func(ctx context.Context) error {
				_, err := cs.CoreV1().ConfigMaps(cm.Namespace).Get(ctx, cm.Name, metav1.GetOptions{})
				return err
			})
	})
}

// cniDeleteAndWait deletes, then polls get until it answers NotFound (a namespace takes a few
// seconds: the namespace controller empties it first).
func cniDeleteAndWait(t *testing.T, what string, del, get func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := del(ctx); err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("deleting %s: %v", what, err)
		return
	}
	for {
		err := get(ctx)
		if apierrors.IsNotFound(err) {
			return
		}
		if ctx.Err() != nil {
			t.Errorf("%s still there after deletion: %v", what, err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
