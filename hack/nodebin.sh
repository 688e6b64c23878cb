#!/usr/bin/env bash
# Builds the local node's dataplane into a cache folder outside the clone, once per set of pinned
# versions: kubelet and kube-proxy (the control plane's Kubernetes release), containerd 2 with its
# runc shim and ctr, kube-router (the NetworkPolicy enforcer), flannel (the pod network of the
# flannel node), CoreDNS, BusyBox from Debian's source package (the lab image's applets, with the
# full `nc`), and the node's images as tarballs (kube-router's and flannel's carry this machine's
# iptables and ipset). runc, the CNI plugins, iptables and ipset are Debian packages
# (hack/node-deps.sh).
# Prints the folder on stdout; progress goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

CONTAINERD_VERSION=v2.2.9
KUBE_ROUTER_VERSION=v2.1.0 # the only release the Go module proxy serves
COREDNS_VERSION=v1.15.0
FLANNEL_VERSION=v0.28.10

bash "$root/hack/node-deps.sh"
kube_version=$(cat "$root/hack/KUBE_VERSION")
cache=${KUBECTL_NETPOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netpol}
key=$( { cat "$root/hack/testbin/go.mod" "$root/hack/testbin/go.sum" "$0" "$root/hack/kube-stamp.sh" "$root"/hack/nodebin/go.* \
         "$root"/hack/nodebin/*/main.go; echo "$CONTAINERD_VERSION $KUBE_ROUTER_VERSION $COREDNS_VERSION $FLANNEL_VERSION"; go version; } \
       | sha256sum | cut -c1-12)
dir="$cache/nodebin/$kube_version-$key"
if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi

echo "building the local node's dataplane into $dir; the first build takes about 10 minutes on 2 cores" >&2
tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/images"
start=$SECONDS
export GOFLAGS="-trimpath -buildvcs=false"

# kubelet and kube-proxy from the control plane's module graph, stamped like the control plane.
source "$root/hack/kube-stamp.sh"
stamp=$(kube_stamp "$kube_version")
(cd "$root/hack/testbin" && go build -ldflags "-s -w$stamp" -o "$tmp/" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)

# The rest from their own module graphs (go install pkg@version reads each one's go.mod).
export CGO_ENABLED=0
GOBIN="$tmp" go install -ldflags "-s -w" \
  "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
  "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
  "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION"
GOBIN="$tmp" go install -ldflags "-s -w" "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
GOBIN="$tmp" go install -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
(cd "$root/hack/nodebin" && go build -ldflags "-s -w" -o "$tmp/pause" ./pause && go build -o "$tmp/make-images" ./images \
  && go build -ldflags "-s -w" -o "$tmp/flannel-cni" ./flannelcni)

# flanneld and install-conf from flannel's own source, built as its Makefile builds them (cgo
# and static on amd64, for the UDP backend). One import goes: the tencentvpc backend, a cloud
# backend whose SDK the Go module proxy does not serve; main.go imports each backend only to
# register it, and this node uses host-gw.
flannel_src=$(cd "$root/hack/nodebin" && go mod download -json "github.com/flannel-io/flannel@$FLANNEL_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -r "$flannel_src" "$tmp/flannel-src"
chmod -R u+w "$tmp/flannel-src"
sed -i '/"github.com\/flannel-io\/flannel\/pkg\/backend\/tencentvpc"/d' "$tmp/flannel-src/main.go"
(cd "$tmp/flannel-src" \
  && CGO_ENABLED=$([ "$(go env GOARCH)" = amd64 ] && echo 1 || echo 0) go build -o "$tmp/flanneld" \
       -ldflags "-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION -extldflags -static" . \
  && go build -ldflags "-s -w" -o "$tmp/install-conf" ./cmd/install_conf)
rm -rf "$tmp/flannel-src"

# BusyBox: Debian's binary packages use a reduced configuration (their nc has no -z, -u or -v);
# the lab image is built from upstream's defconfig, so build the Debian source that way, static.
# CONFIG_TC is off: it does not build against recent kernel headers.
src="$tmp/busybox-src"
mkdir -p "$src"
if ! (cd "$src" && apt-get source --download-only busybox >/dev/null 2>&1); then
  # No deb-src entry yet: add one beside the machine's Debian sources, same mirrors and suites.
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      > /etc/apt/sources.list.d/kubectl-netpol-deb-src.sources
  else
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/kubectl-netpol-deb-src.list
  fi
  apt-get update -qq
  (cd "$src" && apt-get source --download-only busybox >/dev/null 2>&1)
fi
(
  cd "$src"
  dpkg-source -x busybox_*.dsc tree >/dev/null
  cd tree
  make defconfig >/dev/null
  sed -i -e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' -e 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' .config
  make -j"$(nproc)" busybox >"$src/build.log" 2>&1 || { tail -20 "$src/build.log" >&2; exit 1; }
  cp busybox "$tmp/busybox"
)
rm -rf "$src"

"$tmp/make-images" -out "$tmp/images" -busybox "$tmp/busybox" -pause "$tmp/pause" -coredns "$tmp/coredns" \
  -coredns-ref "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" \
  -kube-router "$tmp/kube-router" -kube-router-ref "docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_VERSION" \
  -flanneld "$tmp/flanneld" -install-conf "$tmp/install-conf" -flannel-ref "ghcr.io/flannel-io/flannel:$FLANNEL_VERSION" \
  -flannel-cni "$tmp/flannel-cni" -flannel-cni-ref "localhost/kubectl-netpol/flannel-cni-plugin:stand-in"
echo "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" >"$tmp/images/coredns.ref"
echo "docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_VERSION" >"$tmp/images/kube-router.ref"
echo "ghcr.io/flannel-io/flannel:$FLANNEL_VERSION" >"$tmp/images/flannel.ref"
echo "localhost/kubectl-netpol/flannel-cni-plugin:stand-in" >"$tmp/images/flannel-cni-plugin.ref"
touch "$tmp/.complete"
rm -rf "$dir"
mv "$tmp" "$dir"
for old in "$cache"/nodebin/*; do
  [ "$old" = "$dir" ] || rm -rf "$old"
done
echo "built in $((SECONDS - start))s" >&2
echo "$dir"
