# shellcheck shell=bash disable=SC2034  # names used by the scripts that source it
# The steps the hack/*.sh scripts share. Sourced, not run, right after `set -euo pipefail`:
#
#   # shellcheck source=hack/lib.sh
#   source "$(dirname "$0")/lib.sh"
#
# It sets root (the repository), reads the tool versions of hack/tools.env and names the folders
# hack/build-tools.sh builds them into. The working directory and the shell's options stay the script's own.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/tools.env
source "$root/hack/tools.env"

# Where hack/build-tools.sh puts the tools, each folder keyed by the versions it holds: ASSETS_DIR the control
# plane (etcd, kube-apiserver, kube-controller-manager, kubectl; envtest's KUBEBUILDER_ASSETS), NODE_DIR the node
# components of hack/node.sh (kubelet, kube-scheduler, kube-proxy).
ASSETS_DIR=$root/bin/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}
NODE_DIR=$root/bin/node-${KUBE_VERSION}
KUBE_ROUTER_DIR=$root/bin/kube-router-${KUBE_ROUTER_VERSION}
ESO_BINARY=$root/bin/eso-${ESO_VERSION}/external-secrets

# say MESSAGE...: a progress line on stderr.
say() { printf '==> %s\n' "$*" >&2; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }

# die MESSAGE...: say it, exit 1.
die() {
  say "$@"
  exit 1
}

# die_usage USAGE: "usage: USAGE" on stderr, exit 2.
die_usage() {
  echo "usage: $*" >&2
  exit 2
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# require_root WHY: exit 3, saying WHY, unless running as root.
require_root() {
  is_root && return 0
  say "$@"
  exit 3
}

# apt_install PACKAGE...: installs Debian packages quietly, through sudo unless root.
apt_install() {
  local sudo=""
  is_root || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# chart_app_version: the chart's appVersion, the project's one version (the image's tag; the Makefile's VERSION).
chart_app_version() {
  sed -n 's/^appVersion:[[:space:]]*//p' "$root/charts/workspace-operator/Chart.yaml" | tr -d "\"'"
}

# build_operator: bin/workspace-operator from this checkout, for the host.
build_operator() {
  say "building the operator"
  (cd "$root" && go build -o bin/workspace-operator .)
}
