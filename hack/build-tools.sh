#!/usr/bin/env bash
# Builds the tools this project runs — the Kubernetes control plane (kube-apiserver, etcd,
# kube-controller-manager, kubectl), controller-gen, and on request the ESO controller, helm, kwok, golangci-lint
# with kube-api-linter (make lint), the chart checkers kubeconform, kube-score and promtool (hack/helm-check.sh)
# and the node components of the real single-node cluster (kubelet, kube-scheduler, kube-proxy, kube-router;
# hack/node.sh) —
# from the Go module proxy into bin/, keyed by version. A tool already built is skipped, so a second run costs
# nothing.
#
# Usage: hack/build-tools.sh [control-plane] [controller-gen] [eso] [helm] [kwok] [lint] [node]
#        [kubeconform] [kube-score] [promtool]
#        (no argument: the first two)
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
bin="$root/bin"
mkdir -p "$bin"

# build_in MODULE_DIR OUTPUT PACKAGE [LDFLAGS]: go build PACKAGE inside a tool module, unless OUTPUT exists.
build_in() {
  local dir=$1 out=$2 pkg=$3 ldflags=${4:-}
  if [ -x "$out" ]; then
    return 0
  fi
  say "building $(basename "$out") from $pkg (first build takes minutes; later runs skip it)"
  local start=$SECONDS
  mkdir -p "$(dirname "$out")"
  (cd "$root/hack/tools/$dir" && CGO_ENABLED=0 go build -trimpath ${ldflags:+-ldflags "$ldflags"} -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  say "built $(basename "$out") in $((SECONDS - start))s"
}

# go_install NAME MODULE VERSION: go install into a versioned folder, then link bin/NAME to it.
go_install() {
  local name=$1 pkg=$2 version=$3
  local out="$bin/$name-$version"
  if [ ! -x "$out" ]; then
    say "installing $name $version"
    local start=$SECONDS tmp
    tmp=$(mktemp -d)
    GOBIN="$tmp" CGO_ENABLED=0 go install "$pkg@$version"
    mv "$tmp/$name" "$out"
    rm -rf "$tmp"
    say "installed $name in $((SECONDS - start))s"
  fi
  ln -sfn "$name-$version" "$bin/$name"
}

# kube_ldflags stamps the Kubernetes version into a binary: without it the binaries report v0.0.0-master, which
# kubectl, Helm (a chart's kubeVersion) and the node's status show.
kube_ldflags() {
  local minor=${KUBE_VERSION#v*.}; minor=${minor%%.*}
  local major=${KUBE_VERSION#v}; major=${major%%.*}
  local pkg flags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  echo "${flags# }"
}

control_plane() {
  build_in etcd "$ASSETS_DIR/etcd" .
  build_in kube "$ASSETS_DIR/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver "$(kube_ldflags)"
  build_in kube "$ASSETS_DIR/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager "$(kube_ldflags)"
  build_in kube "$ASSETS_DIR/kubectl" k8s.io/kubernetes/cmd/kubectl "$(kube_ldflags)"
  ln -sfn "$(basename "$ASSETS_DIR")/kubectl" "$bin/kubectl"
}

# The node components of hack/node.sh, and kube-router (NetworkPolicy enforcement).
node() {
  build_in kube "$NODE_DIR/kubelet" k8s.io/kubernetes/cmd/kubelet "$(kube_ldflags)"
  build_in kube "$NODE_DIR/kube-scheduler" k8s.io/kubernetes/cmd/kube-scheduler "$(kube_ldflags)"
  build_in kube "$NODE_DIR/kube-proxy" k8s.io/kubernetes/cmd/kube-proxy "$(kube_ldflags)"
  build_in kube-router "$KUBE_ROUTER_DIR/kube-router" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router \
    "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION"
}

# tool_module_requires DIR MODULE VERSION fails unless hack/tools/DIR/go.mod requires MODULE at VERSION: a bump
# edits tools.env and the tool module together, and a mismatch stops here.
tool_module_requires() {
  local got
  got=$(cd "$root/hack/tools/$1" && go list -m -f '{{.Version}}' "$2")
  if [ "$got" != "$3" ]; then
    echo "hack/tools/$1/go.mod requires $2 $got, but hack/tools.env says $3" >&2
    exit 1
  fi
}

# golangci-lint with kube-api-linter compiled in (hack/tools/golangci-lint), keyed by both versions.
LINT_DIR="$bin/golangci-lint-${GOLANGCI_LINT_VERSION}-kal-${KUBE_API_LINTER_VERSION}"
lint() {
  tool_module_requires golangci-lint github.com/golangci/golangci-lint/v2 "$GOLANGCI_LINT_VERSION"
  tool_module_requires golangci-lint sigs.k8s.io/kube-api-linter "$KUBE_API_LINTER_VERSION"
  build_in golangci-lint "$LINT_DIR/golangci-lint" . \
    "-X main.version=${GOLANGCI_LINT_VERSION#v}+kube-api-linter-$KUBE_API_LINTER_VERSION"
}

main() {
  local what=("$@")
  [ ${#what[@]} -gt 0 ] || what=(control-plane controller-gen)
  for w in "${what[@]}"; do
    case "$w" in
      control-plane) control_plane ;;
      controller-gen) go_install controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_GEN_VERSION" ;;
      helm) go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" ;;
      kubeconform) go_install kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" ;;
      kube-score) go_install kube-score github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" ;;
      promtool) go_install promtool github.com/prometheus/prometheus/cmd/promtool "$PROMETHEUS_VERSION" ;;
      kwok) go_install kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION" ;;
      lint) lint ;;
      lint-dir) echo "$LINT_DIR" ;;
      node) node ;;
      node-dir) echo "$NODE_DIR" ;;
      kube-router-dir) echo "$KUBE_ROUTER_DIR" ;;
      eso) build_in eso "$ESO_BINARY" github.com/external-secrets/external-secrets ;;
      assets-dir) echo "$ASSETS_DIR" ;;
      *) echo "unknown tool: $w" >&2; exit 2 ;;
    esac
  done
}

main "$@"
