#!/usr/bin/env bash
# Installs the Debian packages the local node's dataplane needs (make cluster-up, make test):
# runc and the CNI plugins run the pods; iptables, ipset and conntrack serve kube-proxy and
# kube-router; nsenter puts the node's processes into its network namespace; dpkg-dev and a C
# compiler build BusyBox from Debian's source package (hack/nodebin.sh). Only root on Linux can
# run the dataplane, so elsewhere this says what is missing and exits 1.
set -euo pipefail
declare -A need=(
  [runc]=runc [/usr/lib/cni/bridge]=containernetworking-plugins [iptables]=iptables
  [ipset]=ipset [conntrack]=conntrack [ip]=iproute2 [nsenter]=util-linux
  [dpkg-source]=dpkg-dev [gcc]=build-essential [make]=make [bzip2]=bzip2 [xz]=xz-utils
)
missing=()
for tool in "${!need[@]}"; do
  if [[ $tool == /* ]]; then [ -e "$tool" ] && continue; else command -v "$tool" >/dev/null && continue; fi
  missing+=("${need[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(uname -s)" != Linux ] || [ "$(id -u)" != 0 ]; then
  echo "the local node's dataplane needs these Debian packages: ${missing[*]} (and root on Linux)" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
