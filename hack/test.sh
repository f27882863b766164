#!/usr/bin/env bash
# The project's test command (make test): installs what is missing, builds the real control plane and the linter
# into bin/ (minutes the first time, nothing after), then runs vet, the linters, the generated-files check and every
# test against a real kube-apiserver, etcd and kube-controller-manager, and last the end-to-end suite on a real node
# (hack/e2e.sh: needs root; WORKSPACE_E2E=off leaves it out, and says so).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

hack/ensure-packages.sh
hack/build-tools.sh control-plane controller-gen eso lint
export KUBEBUILDER_ASSETS=$ASSETS_DIR

say "go vet"
go vet ./...
go vet -tags e2e ./test/e2e
say "make lint (golangci-lint; kube-api-linter on api/)"
make --no-print-directory lint
say "make verify (generated files fresh, gofmt clean)"
make --no-print-directory verify
hack/helm-check.sh
say "go test (envtest: real kube-apiserver, etcd and kube-controller-manager from $KUBEBUILDER_ASSETS)"
go test -count=1 "$@" ./...
if [ "${WORKSPACE_E2E:-}" = off ]; then
  say "the real-node e2e suite was LEFT OUT (WORKSPACE_E2E=off): no Job ran on a real node"
else
  say "e2e suite on a real node (hack/e2e.sh)"
  hack/e2e.sh
fi
