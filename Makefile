# workspace-operator. Tool versions live in hack/tools.env; every tool is built into bin/ by hack/build-tools.sh.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
include hack/tools.env

BIN := $(CURDIR)/bin
CONTROLLER_GEN := $(BIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
# golangci-lint with kube-api-linter compiled in; build-tools.sh knows its versioned folder (read only when used).
GOLANGCI_LINT = $(shell hack/build-tools.sh lint-dir)/golangci-lint
CONFIG ?= config/manager/config.yaml

.PHONY: all
all: build

##@ Development

$(CONTROLLER_GEN):
	hack/build-tools.sh controller-gen

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code from the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and the operator's ClusterRole from markers, into config/ and the chart.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=charts/workspace-operator/files/crds
	$(CONTROLLER_GEN) rbac:roleName=workspace-operator paths="./controllers/...;./internal/metricsserving/..." output:rbac:artifacts:config=config/rbac
	cp config/rbac/role.yaml config/rbac/tenant_roles.yaml charts/workspace-operator/files/

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -l -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: ## Run golangci-lint (.golangci.yml), with kube-api-linter on api/; builds the linter on first use.
	@hack/build-tools.sh lint
	$(GOLANGCI_LINT) run ./...

.PHONY: verify
verify: generate manifests ## Fail when generated files are stale or code is not gofmt-clean.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed on:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	@git diff --exit-code -- api config charts || { echo "generated files are stale: run 'make generate manifests' and commit"; exit 1; }
	@test -z "$$(git ls-files --others --exclude-standard -- api config charts)" || { echo "untracked generated files:"; git ls-files --others --exclude-standard -- api config charts; exit 1; }

.PHONY: helm-check
helm-check: ## Lint and render the Helm chart, and check its RBAC and admission policies equal config/.
	hack/helm-check.sh

.PHONY: test
test: ## Build the control plane if needed, then run vet, lint, verify and every test (the README's test command).
	hack/test.sh

.PHONY: build
build: ## Build the operator binary into bin/.
	go build -o $(BIN)/workspace-operator .

.PHONY: run
run: ## Run the operator against the cluster of $KUBECONFIG.
	go run . manager --config $(CONFIG)

##@ Image

# The image's tag: the chart's appVersion, so the chart and the image name the same version.
VERSION ?= $(shell source hack/lib.sh && chart_app_version)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
IMAGE_REPO ?= ghcr.io/alitok/workspace-operator
# PEM files of CA certificates to add to the image's bundle (a private CA, an egress proxy).
EXTRA_CA ?=
IMAGE_ENV = VERSION=$(VERSION) COMMIT=$(COMMIT) IMAGE_REPO=$(IMAGE_REPO)

.PHONY: image
image: ## Build bin/workspace-operator (linux, static) and the image bin/image/workspace-operator-$(VERSION).tar, no engine.
	$(IMAGE_ENV) hack/image.sh $(addprefix --extra-ca ,$(EXTRA_CA))

.PHONY: image-push
image-push: ## Build the image and push it to $(IMAGE_REPO):$(VERSION) (the release path).
	$(IMAGE_ENV) hack/image.sh --push $(addprefix --extra-ca ,$(EXTRA_CA))

.PHONY: krew
krew: ## Build the kubectl plugin's release archives and its krew manifest into bin/release (hack/krew.sh).
	VERSION=$(VERSION) COMMIT=$(COMMIT) hack/krew.sh

##@ Local control plane

.PHONY: local-up
local-up: ## Start etcd, kube-apiserver and kube-controller-manager on loopback, with the CRDs installed.
	hack/local-cluster.sh up

.PHONY: local-down
local-down: ## Stop the local control plane (and an operator the demo started).
	hack/local-cluster.sh down

.PHONY: demo
demo: ## The main job on a local control plane: start it, run the operator, apply the samples, show the result.
	hack/demo.sh

##@ Benchmark

TENANTS ?= 100,1000
.PHONY: bench
bench: ## Provision TENANTS (default 100,1000) workspaces on a local control plane; print time vs floor, requests, RSS.
	hack/bench.sh --tenants $(TENANTS)

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-12s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)
