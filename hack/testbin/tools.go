//go:build tools

// Package testbin pins the commands built by hack/testbin.sh (the control plane) and
// hack/nodebin.sh (the real node's kubelet and kube-proxy), so that `go mod tidy` keeps their
// dependencies.
package testbin

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
