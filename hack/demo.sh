#!/usr/bin/env bash
# `make demo`: the plugin, called through a real kubectl, against the local control plane that
# `make cluster-up` started. Each step prints the command it runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
KUBECONFIG=$(go run ./hack/cluster kubeconfig)
bindir=$(go run ./hack/cluster bindir 2>/dev/null)
export KUBECONFIG PATH="$root/bin:$bindir:$PATH"

step() {
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  "$@"
}
[ -n "${NO_COLOR:-}" ] && step() { printf '\n$ %s\n' "$*"; "$@"; }

step kubectl plugin list --name-only
step kubectl netpol version
step kubectl get nodes -o wide
cat <<EOM

The local control plane keeps running. Use it from this shell with:
  export KUBECONFIG=$KUBECONFIG PATH="$root/bin:$bindir:\$PATH"
Stop it with: make cluster-down
EOM
