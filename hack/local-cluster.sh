#!/usr/bin/env bash
# Starts or stops the local control plane: etcd + kube-apiserver + kube-controller-manager on loopback, built
# from source, CRDs and tenant ClusterRoles installed. The kubeconfig is written to .local/kubeconfig.
#
# Usage: hack/local-cluster.sh up|down|status
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"
local_dir="$root/.local"
kubeconfig="$local_dir/kubeconfig"
pidfile="$local_dir/cluster.pid"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

stop_pid() { # stop_pid FILE NAME
  local file=$1 name=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping $name (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$file"
}

up() {
  if running && [ -f "$kubeconfig" ]; then
    say "local control plane already running (pid $(cat "$pidfile")); KUBECONFIG=$kubeconfig"
    return 0
  fi
  hack/ensure-packages.sh
  hack/build-tools.sh control-plane eso
  mkdir -p "$local_dir"
  say "building the local cluster launcher"
  go build -o bin/localcluster ./hack/localcluster
  rm -f "$kubeconfig"
  say "starting etcd, kube-apiserver and kube-controller-manager (log: .local/cluster.log)"
  nohup bin/localcluster --dir "$local_dir" >"$local_dir/cluster.log" 2>&1 &
  echo $! >"$pidfile"
  for i in $(seq 1 240); do
    [ -f "$kubeconfig" ] && break
    if ! running; then
      say "the control plane failed to start:"; tail -20 "$local_dir/cluster.log" >&2; exit 1
    fi
    [ $((i % 10)) -eq 0 ] && say "still starting ($((i / 2))s)"
    sleep 0.5
  done
  [ -f "$kubeconfig" ] || die "timed out waiting for the control plane"
  say "installing the tenant ClusterRoles"
  bin/kubectl --kubeconfig "$kubeconfig" apply -f config/rbac/tenant_roles.yaml >/dev/null
  say "local control plane up: export KUBECONFIG=$kubeconfig  (kubectl: bin/kubectl)"
}

down() {
  stop_pid "$local_dir/operator.pid" "the operator"
  stop_pid "$pidfile" "the local control plane"
  rm -f "$kubeconfig"
  say "local control plane stopped"
  # The real node of `make demo` as root, if one runs.
  if [ -e /run/netns/wsop-node ]; then
    "$root/hack/node.sh" down
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if running; then echo "running (pid $(cat "$pidfile")), KUBECONFIG=$kubeconfig"; else echo "not running"; exit 1; fi ;;
  *) die_usage "$0 up|down|status" ;;
esac
