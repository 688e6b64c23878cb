//go:build tools

// Package testbin pins the control-plane commands built by hack/controlplane.sh, so that
// `go mod tidy` keeps their dependencies.
package testbin

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
