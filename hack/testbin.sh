#!/usr/bin/env bash
# Builds the local control plane's binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl from one pinned Kubernetes release; kwok from its own) from the Go
# module proxy into a cache folder outside the clone, once per set of pinned versions.
# Prints the folder on stdout; progress goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/hack/testbin"

KWOK_VERSION=v0.8.0
kube_version=$(cat ../KUBE_VERSION)
cache=${KUBECTL_NETPOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netpol}
# The folder name changes whenever anything that goes into the binaries does.
key=$( { cat go.mod go.sum etcd/main.go ../testbin.sh ../kube-stamp.sh; echo "$KWOK_VERSION"; go version; } | sha256sum | cut -c1-12)
dir="$cache/testbin/$kube_version-$key"

if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi

echo "building the local control plane ($kube_version, kwok $KWOK_VERSION) into $dir;" \
     "the first build takes about 10 minutes on 2 cores" >&2
tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
start=$SECONDS
export GOFLAGS="-trimpath -buildvcs=false"
# What Kubernetes' own build stamps in, so that `kubectl version` and /version tell the release.
source "$root/hack/kube-stamp.sh"
stamp=$(kube_stamp "$kube_version")
# One go build for all five: the packages they share compile once.
go build -ldflags "-s -w$stamp" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl \
  ./etcd
# kwok has its own module graph; go install pkg@version resolves it from kwok's go.mod.
GOBIN="$tmp" go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
touch "$tmp/.complete"
rm -rf "$dir"
mv "$tmp" "$dir"
# Builds for older pins are dead weight (each set is ~500 MB).
for old in "$cache"/testbin/*; do
  [ "$old" = "$dir" ] || rm -rf "$old"
done
echo "built in $((SECONDS - start))s" >&2
echo "$dir"
