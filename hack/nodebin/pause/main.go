// Command pause is the pod sandbox's process on the local node: it holds the pod's namespaces
// and exits on SIGTERM or SIGINT, as registry.k8s.io/pause does. Built here because the node
// pulls nothing from a registry.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}
