#!/usr/bin/env bash
# Installs what `make test` needs and a fresh machine may lack. Go itself comes with the machine
# (go.mod says which release); everything else is built from the Go module proxy by the Makefile.
set -euo pipefail
missing=()
# wget: the probe tests exec into pods of the local control plane, and those execs run
# on this machine (kwok), so the probe client is this machine's wget.
for tool in git make gcc tar wget; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]/gcc/build-essential}"
fi
# Chromium: the -o html pages are loaded in a real headless browser by the tests (plugin).
if ! command -v chromium >/dev/null; then
  echo "installing: chromium" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# The real node's Debian packages (runc, CNI plugins, iptables, ipset, a C compiler for BusyBox).
bash "$(dirname "$0")/node-deps.sh"
command -v go >/dev/null || { echo "Go is not installed; install Go $(sed -n 's/^go //p' go.mod) or newer" >&2; exit 1; }
go version
