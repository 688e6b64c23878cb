#!/usr/bin/env bash
# `make demo`: the plugin, called through a real kubectl, against the local control plane that
# `make cluster-up` started. Each step prints the command it runs. With KUBECTL_NETPOL_CNI=flannel
# (`make demo-flannel`), the same lab on the cluster whose pods flannel connects: the static
# check passes, the packets the policies deny get through, and doctor names flannel.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
KUBECONFIG=$(bin/local-cluster kubeconfig)
bindir=$(bin/local-cluster bindir 2>/dev/null)
# kubectl warns about every PATH entry that does not exist; keep only those that do.
path="$root/bin:$bindir"
IFS=: read -ra entries <<<"$PATH"
for entry in "${entries[@]}"; do
  [ -d "$entry" ] && path+=":$entry"
done
export KUBECONFIG PATH="$path"

# Commands in bold on a terminal, plain when piped or when NO_COLOR is set.
bold=$'\033[1m' plain=$'\033[0m'
if [ ! -t 1 ] || [ -n "${NO_COLOR:-}" ]; then bold="" plain=""; fi
step() {
  printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"
  "$@"
}

# The real node runs containers (CONTAINER-RUNTIME containerd); kwok's API-only node has none,
# so there the checks stay static and nothing is probed.
runtime=$(kubectl get node netpol-node -o jsonpath='{.status.nodeInfo.containerRuntimeVersion}')
live=true
[[ $runtime == containerd* ]] || live=false

step kubectl plugin list --name-only
step kubectl netpol version
step kubectl get nodes -o wide
if [ "${KUBECTL_NETPOL_CNI:-}" = flannel ]; then
  if ! $live; then
    echo "the flannel lesson needs the real node (Linux and root): this is kwok's API-only node" >&2
    exit 1
  fi
  # flannel connects the pods and enforces nothing: the solution is right, and ignored.
  step kubectl get daemonsets -A
  step kubectl netpol lab up three-tier --solution
  step kubectl netpol lab check three-tier --static-only
  step kubectl netpol lab check three-tier || true
  # doctor exits 1 on errors: here the error is the lesson.
  step kubectl netpol doctor -n web || true
  step kubectl netpol doctor --active --check active || true
  cat <<EOM

The lab and the flannel cluster keep running. Remove the lab with
'kubectl netpol lab down three-tier'. Use the cluster from this shell with:
  export KUBECONFIG=$KUBECONFIG PATH="$root/bin:$bindir:\$PATH"
Stop it (and the default cluster) with: make cluster-down
EOM
  exit 0
fi
step kubectl netpol lab list
if $live; then
  step kubectl get pods -n kube-system -l k8s-app=kube-dns -o wide
  # The lab without its policies: the live half probes from inside the pods, on real packets.
  step kubectl netpol lab up three-tier
  step kubectl netpol lab check three-tier || true
  # With the solution, kube-router enforces it: the same probes now agree with the goal.
  step kubectl netpol lab up three-tier --solution
  step kubectl get networkpolicy -n web
  step kubectl netpol lab check three-tier
  step kubectl netpol probe -A --from web --from was --from db --to web --to was --to db
else
  echo "(API-only node: the checks below are static; 'make cluster-up' as root on Linux runs the real node)"
  step kubectl netpol lab up three-tier --solution
  step kubectl netpol lab status three-tier
  step kubectl get networkpolicy -n web
  step kubectl netpol lab check three-tier --static-only
fi
step kubectl netpol explain -A --from web --from was --from db --port 8080 --port 3306
step kubectl netpol explain --why web/web db/db --port 3306
if $live; then
  # kube-router runs as its DaemonSet, as on a cluster: doctor finds it by that (NP1003).
  step kubectl get daemonsets -n kube-system
  step kubectl netpol doctor -n web
else
  # doctor exits 1 on errors: the API-only node has no network plugin and no CoreDNS to find.
  step kubectl netpol doctor -n web || true
fi
cat <<EOM

The lab and the local control plane keep running. Remove the lab with
'kubectl netpol lab down three-tier'. Use the cluster from this shell with:
  export KUBECONFIG=$KUBECONFIG PATH="$root/bin:$bindir:\$PATH"
Stop it with: make cluster-down ('make demo-flannel' shows the same lab where flannel enforces nothing)
EOM
