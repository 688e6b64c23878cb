#!/usr/bin/env bash
# Installs what `make test` needs and a fresh machine may lack; `make test` runs it first (`make
# test-deps`), in CI as anywhere. Go itself comes with the machine (go.mod says which release);
# the control plane and the real node are built from the Go module proxy by the Makefile, and
# `make nodebin` installs the real node's Debian packages (hack/node-deps.sh). As root on Debian
# or Ubuntu this installs what is missing with apt-get; elsewhere it says in one line what is
# missing and how to install it, and exits 1, since make test would fail without it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "make test needs Go $(sed -n 's/^go //p' go.mod) or newer: https://go.dev/dl/" >&2; exit 1; }
missing=()
# wget: the probe tests exec into pods of the local control plane, and those execs run
# on this machine (kwok), so the probe client is this machine's wget.
for tool in git make gcc tar wget; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
# Chromium: the -o html pages are loaded in a real headless browser by the tests (plugin), which
# make test requires (NETPOL_BROWSER_TESTS=required): without it they fail.
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
packages=("${missing[@]/gcc/build-essential}")
if [ "$(uname -s)" != Linux ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "make test needs ${missing[*]} on PATH: on Debian or Ubuntu run 'sudo bash hack/ci-deps.sh' (or 'sudo apt-get install ${packages[*]}'); elsewhere install them with your system's package manager" >&2
  exit 1
fi
echo "installing: ${packages[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
