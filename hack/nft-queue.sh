#!/usr/bin/env bash
# Says whether this machine's kernel can run kube-network-policies, the one ClusterNetworkPolicy
# enforcer that runs as the local node's network plugins do: it hands packets to user space with
# nftables' queue expression (CONFIG_NFT_QUEUE). The check adds such a rule in a network
# namespace of its own and removes the namespace; no packet is sent. Exit 0: it can; 1: it
# cannot (and why); 2: the check itself could not run (not root on Linux, or no nft: Debian's
# nftables package).
set -uo pipefail
if [ "$(uname -s)" != Linux ] || [ "$(id -u)" != 0 ]; then
  echo "needs root on Linux" >&2; exit 2
fi
command -v nft >/dev/null || { echo "needs nft (Debian package nftables)" >&2; exit 2; }
ns="netpol-nftq-$$"
ip netns add "$ns" || exit 2
trap 'ip netns del "$ns"' EXIT
nsnft() { ip netns exec "$ns" nft "$@"; }
nsnft add table inet netpol && nsnft add chain inet netpol check '{ type filter hook forward priority 0; }' || exit 2
if out=$(nsnft add rule inet netpol check queue num 100 bypass 2>&1); then
  echo "kernel $(uname -r): nftables queue works: kube-network-policies can run here"
  exit 0
fi
echo "kernel $(uname -r): nftables queue is not supported ($(echo "$out" | head -1)): kube-network-policies cannot run here" >&2
exit 1
