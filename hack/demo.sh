#!/usr/bin/env bash
# The operator's main job, no cluster needed. As root: on a real local node (hack/e2e.sh --demo). Otherwise, or
# with DEMO_NODE=off, on a local control plane: start etcd, kube-apiserver and
# kube-controller-manager and the External Secrets Operator (built from source on first use), install the CRDs,
# run the operator, apply config/samples, and show the workspace and integrations it builds. The control plane and operator keep running afterwards,
# for a look with bin/kubectl; `make local-down` stops both.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

# As root, the main job for real: a real node, the chart installed, orders synced from the local fake platform
# into PostgreSQL, an Erasure answered (hack/e2e.sh --demo). DEMO_NODE=off keeps to the control plane below.
if [ "${DEMO_NODE:-}" != off ]; then
  if is_root; then
    exec hack/e2e.sh --demo
  fi
  say "not root: the demo on a real node (Pods, NetworkPolicies, PostgreSQL) needs root; showing the control-plane demo instead"
fi

hack/local-cluster.sh up
export KUBECONFIG="$root/.local/kubeconfig"
kubectl="bin/kubectl"

build_operator
if [ -f .local/operator.pid ] && kill -0 "$(cat .local/operator.pid)" 2>/dev/null; then
  kill "$(cat .local/operator.pid)"; sleep 1
fi
say "starting the operator (log: .local/operator.log)"
nohup bin/workspace-operator manager --config config/local/config.yaml \
  --metrics-bind-address=127.0.0.1:18080 --metrics-secure=false --health-probe-bind-address=127.0.0.1:18081 \
  >.local/operator.log 2>&1 &
echo $! >.local/operator.pid

say "applying the sample Tenant (config/samples)"
$kubectl apply -f config/samples/workspaces_v1alpha1_tenant.yaml
say "waiting for the sample Tenant to be Ready"
if ! $kubectl wait --for=condition=Ready tenant/acme --timeout=120s; then
  $kubectl get tenant acme -o yaml; tail -30 .local/operator.log; exit 1
fi
say "applying the sample Integrations into its namespace"
$kubectl apply -k config/samples
say "waiting for the Integrations to be Ready (credentials fetched by the External Secrets Operator)"
if ! $kubectl wait --for=condition=Ready integrations --all -n tenant-acme --timeout=120s; then
  $kubectl get integrations -n tenant-acme -o yaml; tail -30 .local/operator.log; exit 1
fi

say "filing a sample DataRequest as the privacy officer does (an Objection: no Job, the restriction list is updated at once)"
$kubectl create namespace privacy --dry-run=client -o yaml | $kubectl apply -f - >/dev/null
if ! $kubectl get dr req-2026-0042 >/dev/null 2>&1; then
  echo '$ bin/workspace-operator request create --name req-2026-0042 --tenant acme --type Objection --jurisdiction GDPR -n privacy < subject.yaml'
  bin/workspace-operator request create --name req-2026-0042 --tenant acme --type Objection --jurisdiction GDPR -n privacy <<'SUBJECT'
email: jane.doe@buyer.example
buyer_ids: ["TikTokShop:7000123456789"]
SUBJECT
fi
if ! $kubectl wait --for=jsonpath='{.status.phase}'=Completed dr/req-2026-0042 --timeout=60s; then
  $kubectl get dr req-2026-0042 -o yaml; tail -30 .local/operator.log; exit 1
fi

echo; say "Tenants"
$kubectl get tenants -o wide
echo; say "the workspace: namespace tenant-acme and what isolates it"
$kubectl get namespace tenant-acme --show-labels
$kubectl get networkpolicies,resourcequotas,limitranges,rolebindings,secrets,secretstores -n tenant-acme
echo; say "Integrations, their credentials and sync CronJobs"
$kubectl get integrations -n tenant-acme -o wide
$kubectl get externalsecrets,cronjobs -n tenant-acme
echo; say "DataRequests (privacy team's view) and the restriction list every sync reads"
$kubectl get datarequests -o wide
bin/workspace-operator request status req-2026-0042
$kubectl get configmap restriction-list -n tenant-acme -o jsonpath='{.data}'; echo
echo; say "conditions of Tenant acme"
$kubectl get tenant acme -o jsonpath='{range .status.conditions[*]}{.type}={.status} ({.reason}): {.message}{"\n"}{end}'
echo
say "running: the operator (pid $(cat .local/operator.pid)) and the control plane. Look around with:"
echo "    export KUBECONFIG=$KUBECONFIG; bin/kubectl get tenants"
echo "  stop both with: make local-down"
