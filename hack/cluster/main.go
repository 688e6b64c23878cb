// Command cluster starts and stops the local control plane for people (`make cluster-up`,
// `make cluster-down`, `make demo`). Tests start their own through package localcluster.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

const usage = `usage: local-cluster up|down|kubeconfig|bindir   (make cluster-up builds it into bin/)

  up          start the local control plane in the background (state in $KUBECTL_NETPOL_CLUSTER_DIR,
              default $KUBECTL_NETPOL_CACHE/cluster, or cluster-PLUGIN for another network plugin,
              where the cache defaults to ~/.cache/kubectl-netpol) and print its kubeconfig path;
              its node is the real one (pods in network namespaces, kube-proxy, CoreDNS, and a
              network plugin as DaemonSets) where this machine can run it (Linux, root),
              else kwok's API-only node; KUBECTL_NETPOL_NODE=api-only asks for that one;
              KUBECTL_NETPOL_CNI picks the real node's network plugin: kube-router (default:
              the CNI bridge connects pods, kube-router enforces NetworkPolicy), flannel
              (connects pods, enforces nothing), or flannel+kube-router
  down        stop it and delete its state (without $KUBECTL_NETPOL_CLUSTER_DIR: every plugin's)
  kubeconfig  print the kubeconfig path
  bindir      print the folder with kubectl and the other control-plane binaries (builds them if needed)
`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, verb string) error {
	cni, err := localcluster.ParseCNI(os.Getenv("KUBECTL_NETPOL_CNI"))
	if err != nil {
		return fmt.Errorf("KUBECTL_NETPOL_CNI: %w", err)
	}
	dir := stateDir(cni)
	kubeconfig := filepath.Join(dir, "admin.kubeconfig")
	switch verb {
	case "up":
		if localcluster.DetachedRunning(dir) {
			if running := localcluster.DetachedCNI(dir); running != "" && running != cni {
				return fmt.Errorf("the local cluster is running with %s, not %s: run 'make cluster-down' first", running, cni)
			}
			fmt.Fprintln(os.Stderr, "the local control plane is already running")
			fmt.Println(kubeconfig)
			return nil
		}
		if _, err := localcluster.StopDetached(dir); err != nil { // leftovers of a half-dead one
			return err
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		opts := localcluster.Options{Dir: dir, Detach: true, Log: os.Stderr, CNI: cni}
		if os.Getenv("KUBECTL_NETPOL_NODE") != "api-only" {
			if err := localcluster.DataplaneSupported(); err != nil {
				fmt.Fprintf(os.Stderr, "API-only node (kwok): %v\n", err)
			} else {
				opts.Dataplane = true
			}
		}
		c, err := localcluster.Start(ctx, opts)
		if err != nil {
			return err
		}
		fmt.Println(c.Kubeconfig)
	case "down":
		// Every local cluster this tool keeps, whichever plugin it runs, unless one folder is named.
		dirs := []string{dir}
		if os.Getenv("KUBECTL_NETPOL_CLUSTER_DIR") == "" {
			dirs = nil
			for _, cni := range localcluster.CNIs {
				dirs = append(dirs, stateDir(cni))
			}
		}
		for _, dir := range dirs {
			if _, err := os.Stat(dir); err != nil {
				continue
			}
			n, err := localcluster.StopDetached(dir)
			if err != nil {
				return err
			}
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "stopped %d components; removed %s\n", n, dir)
		}
	case "kubeconfig":
		if !localcluster.DetachedRunning(dir) {
			return fmt.Errorf("the local control plane is not running; start it with 'make cluster-up'")
		}
		fmt.Println(kubeconfig)
	case "bindir":
		bin, err := localcluster.EnsureBinaries(ctx, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Println(bin)
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	return nil
}

// stateDir is the folder of the local cluster whose node runs the network plugin cni: each
// plugin has its own, so that the flannel cluster can run beside the default one.
func stateDir(cni string) string {
	if dir := os.Getenv("KUBECTL_NETPOL_CLUSTER_DIR"); dir != "" {
		return dir
	}
	if cni == localcluster.CNIKubeRouter {
		return filepath.Join(localcluster.CacheDir(), "cluster")
	}
	return filepath.Join(localcluster.CacheDir(), "cluster-"+cni)
}
