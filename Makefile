# kubectl-netpol. `make help` lists the targets.
SHELL := bash
.DEFAULT_GOAL := build

GO      ?= go
VERSION ?= $(shell git describe --tags --match 'v*' --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/kubectl-netpol/kubectl-netpol/plugin.buildVersion=$(VERSION) \
           -X github.com/kubectl-netpol/kubectl-netpol/plugin.buildCommit=$(COMMIT)
BIN     := bin/kubectl-netpol
# The local control plane's own tool (hack/cluster), built like the plugin so that both share
# compiled packages.
CLUSTER := bin/local-cluster

.PHONY: help build install test test-quick test-deps test-short vet fmt-check testbin nodebin cluster-tool cluster-up cluster-down demo demo-flannel dist clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

build: ## build bin/kubectl-netpol and its completion helper
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kubectl-netpol
	ln -sf kubectl-netpol bin/kubectl_complete-netpol

install: ## install kubectl-netpol and kubectl_complete-netpol into $(GOBIN) or ~/go/bin
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags "$(LDFLAGS)" ./cmd/kubectl-netpol
	install -m 0755 hack/kubectl_complete-netpol "$$($(GO) env GOPATH)/bin/kubectl_complete-netpol"

# test-deps comes first: the builds after it need what it installs. The timeout is per package:
# the e2e package alone runs about 11 minutes of real packets on 2 cores (25 before the learner
# corpus kept its labs up between attempts), and a loaded machine may double that. CI (.ci/run) adds
# NETPOL_REAL_NODE_TESTS=required (where the real node cannot run, its tests fail, not skip)
# and then runs make dist once: the six release cross-compiles, checked against krew's rules.
test: test-deps vet fmt-check testbin nodebin ## unit, integration and real-packet tests (starts local clusters; builds them once)
	NETPOL_BROWSER_TESTS=required $(GO) test -count=1 -timeout 75m ./...

test-deps: ## install what make test needs and this machine lacks (Chromium, wget, a C compiler), or say what is missing
	@bash hack/ci-deps.sh

# -short is the line: every test that needs a local cluster (control plane, real node, browser)
# or builds the plugin skips under it, saying so.
test-quick: ## every test that needs no local cluster and no build of the plugin (about a minute warm)
	$(GO) test -short ./...

test-short: test-quick ## the same as test-quick

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

testbin: ## build the control-plane binaries into ~/.cache/kubectl-netpol (once; about 10 minutes cold)
	@bash hack/testbin.sh >/dev/null

# The real node runs on Linux as root only; elsewhere its tests skip and the demo uses the API-only
# node, each saying so in one line; with NETPOL_REAL_NODE_TESTS=required (CI) its tests would
# fail, and so does this.
nodebin: ## build the real node (kubelet, containerd, kube-router, CoreDNS, BusyBox) into the cache (once; about 10 minutes cold)
	@if [ "$$(uname -s)" = Linux ] && [ "$$(id -u)" = 0 ]; then bash hack/nodebin.sh >/dev/null; \
	elif [ "$${NETPOL_REAL_NODE_TESTS-}" = required ]; then echo "the real node needs Linux and root, and NETPOL_REAL_NODE_TESTS=required: its tests would fail" >&2; exit 1; \
	else echo "the real node needs Linux and root: skipping its build (its tests skip, make demo uses the API-only node)"; fi

cluster-tool:
	@CGO_ENABLED=0 $(GO) build -trimpath -o $(CLUSTER) ./hack/cluster

# KUBECTL_NETPOL_CNI picks the real node's network plugin: kube-router (default), flannel, or
# flannel+kube-router; each has a cluster of its own, and cluster-down stops them all.
cluster-up: testbin nodebin cluster-tool ## start the local cluster (the real node where it can run) in the background
	@$(CLUSTER) up >/dev/null
	@echo "export KUBECONFIG=$$($(CLUSTER) kubeconfig)"

cluster-down: cluster-tool ## stop the local clusters and delete their state
	@$(CLUSTER) down

demo: build cluster-up ## start the local control plane and run the plugin against it through kubectl
	@bash hack/demo.sh

demo-flannel: ## the same lab on a second local cluster whose pods flannel connects: static PASS, live leaks, doctor NP1001
	@KUBECTL_NETPOL_CNI=flannel $(MAKE) --no-print-directory demo

dist: ## cross-compile release archives and render the krew manifest into dist/
	$(GO) run ./hack/dist -version $(VERSION) -commit $(COMMIT) -out dist

clean: ## remove build output (not the control-plane cache)
	rm -rf bin dist
