#!/usr/bin/env bash
# Checks the Helm chart: builds helm (hack/tools.env's version) into bin/ if needed, runs helm lint, renders the
# chart with its defaults and with every toggle on, and runs the Go test that compares the rendered ClusterRole
# rules and admission policies with config/ (internal/admission TestChart*; `go test ./...` runs it too).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

hack/build-tools.sh helm
helm="$root/bin/helm"
chart=charts/workspace-operator
# The webhook receiver on, with the API server's address given: helm template cannot look it up.
webhook=(--set webhook.enabled=true --set webhook.tiktokShop.appCredentialsSecret=tiktokshop-app
  --set-json 'webhook.networkPolicy.apiServer=[{"to":[{"ipBlock":{"cidr":"10.0.0.1/32"}}],"ports":[{"protocol":"TCP","port":6443}]}]')

say "helm lint $chart"
"$helm" lint --strict "$chart"
"$helm" lint --strict "$chart" --set metrics.serviceMonitor.enabled=true --set admission.enabled=false "${webhook[@]}"

say "helm template $chart (defaults, and every toggle on)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$helm" template workspace-operator "$chart" --namespace workspace-operator-system --kube-version "$KUBE_VERSION" --include-crds >"$out/default.yaml"
"$helm" template workspace-operator "$chart" --namespace workspace-operator-system --kube-version "$KUBE_VERSION" --include-crds \
  --set metrics.serviceMonitor.enabled=true --set config.secretStore.name=acme-store "${webhook[@]}" \
  --set replicaCount=2 --set-json 'env=[{"name":"GOMEMLIMIT","value":"400MiB"}]' >"$out/toggles.yaml"
# As a user first tries it: without --kube-version (Helm then assumes an old cluster; the chart must not refuse).
"$helm" template workspace-operator "$chart" >/dev/null
say "rendered $(grep -c '^kind:' "$out/default.yaml") objects with the defaults, $(grep -c '^kind:' "$out/toggles.yaml") with every toggle on"

say "chart RBAC and admission policies equal config/"
go test -count=1 -run '^TestChart' ./internal/admission
