// Command etcd is etcd's own server main, built from the same module graph as kube-apiserver so
// that the local control plane runs the etcd release Kubernetes itself is tested against.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
