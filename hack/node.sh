#!/usr/bin/env bash
# A real single-node Kubernetes cluster — etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# containerd, kubelet, kube-proxy (iptables) and kube-router (NetworkPolicy firewall only) — running real Pods
# from locally built images, with NetworkPolicies enforced. Needs root.
#
# The whole node lives in ONE network namespace (wsop-node) that holds only loopback and the pod bridge wsop0
# (10.244.0.1/24, the node IP): no packet can leave the machine, and Pods get no default route. Every process is
# started with `nsenter --net=…` only (not `ip netns exec`, which would also give it its own mount namespace and
# hide the kubelet's volume mounts from containerd). The API server is therefore reachable only from inside:
#
#   eval "$(hack/node.sh env)"; $WSOP_NSENTER bin/kubectl get nodes
#
# Usage: hack/node.sh up|down|status|env|import IMAGE.tar...
#   up      build what is missing, start the node, wait until it is Ready (a second `up` is a no-op)
#   down    stop everything and put the host back as it was; also cleans after a run killed half-way
#   status  each component's state and the node's; exit 1 when the node is not running
#   env     shell exports for tests and scripts: KUBECONFIG, WSOP_NETNS, WSOP_NSENTER, …
#   import  load docker-archive/OCI image tarballs into the node's containerd (namespace k8s.io)
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"
# shellcheck source=hack/node/lib.sh
source "$root/hack/node/lib.sh"

KUBE_ROUTER_BIN=$KUBE_ROUTER_DIR/kube-router
KUBECTL=$ASSETS_DIR/kubectl

need_root() {
  require_root "the real node needs root: it creates a network namespace, mounts, cgroups and runs containerd and the kubelet (try: sudo $0 $*)"
}

kubectl_admin() { "${NSENTER[@]}" "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# start NAME CMD...: run CMD inside the node's network namespace, in its own session, logging to LOGS/NAME.log.
start() {
  local name=$1; shift
  setsid "${NSENTER[@]}" "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/pids/$name"
}

# failed NAME WHAT: a component did not come up — name it, show its log's tail, tear everything down.
failed() {
  local name=$1 what=$2
  component_alive "$name" || what+=" (its process exited)"
  say "$name failed to start: $what"
  if [ -f "$LOGS/$name.log" ]; then
    say "last lines of $LOGS/$name.log:"
    tail -n 25 "$LOGS/$name.log" | sed 's/^/    /' >&2
  fi
  exit 1 # the EXIT trap of `up` tears down
}

# ---- preparation (host side) --------------------------------------------------------------------------------------
build_binaries() {
  hack/ensure-packages.sh node
  hack/build-tools.sh control-plane node
}

# build_image NAME: hack/node/NAME (a static Go program) as image wsop.local/NAME:v1 in LOCAL/images/NAME.tar,
# rebuilt when its source or the image builder changed.
build_image() {
  local name=$1 ref=wsop.local/$1:v1 out=$LOCAL/images/$1.tar
  if [ -f "$out" ] && [ -z "$(find "hack/node/$name" hack/image -newer "$out" -name '*.go' | head -1)" ]; then
    return 0
  fi
  say "building image $ref"
  mkdir -p "$LOCAL/images"
  CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$LOCAL/images/$name" "./hack/node/$name"
  go run ./hack/image --binary "$LOCAL/images/$name" --ref "$ref" --out "$out.tmp" --entrypoint "/$name" >/dev/null
  mv "$out.tmp" "$out"
}

# record_host: which of HOST_PATHS are missing now (down removes those), the network namespaces present now (down
# leaves them), and the sysctls the kubelet is about to rewrite.
record_host() {
  local p k
  for p in "${HOST_PATHS[@]}"; do [ -e "$p" ] || echo "$p"; done >"$STATE/host-paths-created"
  ls /run/netns 2>/dev/null >"$STATE/netns-before" || true
  for k in "${HOST_SYSCTLS[@]}"; do echo "$k=$(sysctl -n "$k")"; done >"$STATE/host-sysctls"
}

restore_sysctls() {
  local kv
  [ -f "$STATE/host-sysctls" ] || return 0
  while IFS= read -r kv; do
    [ "$(sysctl -n "${kv%%=*}")" = "${kv#*=}" ] || sysctl -qw "$kv" >/dev/null || warn "could not restore $kv"
  done <"$STATE/host-sysctls"
}

# ---- the network namespace ------------------------------------------------------------------------------------------
setup_netns() {
  say "creating network namespace $NETNS: lo + bridge $BRIDGE $NODE_IP/24, no default route"
  ip netns add "$NETNS"
  local ns=("${NSENTER[@]}")
  "${ns[@]}" ip link set lo up
  "${ns[@]}" ip link add "$BRIDGE" type bridge
  "${ns[@]}" ip addr add "$NODE_IP/24" dev "$BRIDGE"
  "${ns[@]}" ip link set "$BRIDGE" up
  # Service IPs are DNATed by kube-proxy; a route lets the node's own processes reach them too.
  "${ns[@]}" ip route add "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
  # Per network namespace: the host's values stay as they are.
  "${ns[@]}" sysctl -qw net.ipv4.ip_forward=1
  if "${ns[@]}" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
    "${ns[@]}" sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  else
    modprobe br_netfilter 2>/dev/null || true
    if "${ns[@]}" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
      "${ns[@]}" sysctl -qw net.bridge.bridge-nf-call-iptables=1
    else
      warn "br_netfilter is not available: NetworkPolicies between Pods on the bridge will not be enforced"
    fi
  fi
}

# ---- PKI and configuration ------------------------------------------------------------------------------------------
write_pki() {
  say "writing the cluster's CA, certificates and kubeconfigs"
  mkdir -p "$PKI" && chmod 700 "$PKI"
  pki_ca
  pki_cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:$NODE_IP,IP:$KUBERNETES_SVC_IP,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  pki_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  pki_cert admin "/O=system:masters/CN=wsop-admin" clientAuth
  pki_cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  pki_cert scheduler "/CN=system:kube-scheduler" clientAuth
  pki_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  pki_cert kube-proxy "/CN=system:kube-proxy" clientAuth
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  kubeconfig "$STATE/admin.kubeconfig" wsop-admin admin
  kubeconfig "$STATE/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
  kubeconfig "$STATE/scheduler.kubeconfig" system:kube-scheduler scheduler
  kubeconfig "$STATE/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet
  kubeconfig "$STATE/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
  mkdir -p "$LOCAL"
  cp "$STATE/admin.kubeconfig" "$KUBECONFIG_FILE.tmp" && mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
}

write_cni_config() {
  mkdir -p "$STATE/cni/net.d" "$STATE/cni/networks"
  # bridge + host-local: Pods get an address in POD_CIDR and routes to the pod and service ranges and the test
  # hosts only — no default route, no masquerading. The bridge's address (the gateway) is set by setup_netns.
  cat >"$STATE/cni/net.d/10-wsop.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "wsop",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": false,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/networks",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "${POD_CIDR%.*}.10", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "$SERVICE_CIDR", "gw": "$NODE_IP"}, {"dst": "$TEST_HOSTS_CIDR", "gw": "$NODE_IP"}]
      }
    }
  ]
}
EOF
}

write_containerd_config() {
  mkdir -p "$STATE/containerd" "$RUN/containerd" "$RUN/runc"
  cat >"$STATE/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd"
state = "$RUN/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
    max_conf_num = 1
EOF
}

write_kubelet_config() {
  mkdir -p "$KUBELET_DIR" "$POD_LOGS" "$STATE/volume-plugins"
  cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 hosts: still allowed when asked for; containerd 1.6 does not report its cgroup driver.
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
failSwapOn: false
protectKernelDefaults: false
# No DNS server runs: Pods get an empty resolv.conf instead of the host's.
resolvConf: ""
podLogsDir: $POD_LOGS
volumePluginDir: $STATE/volume-plugins
serializeImagePulls: false
# Imported images cannot be pulled again: never collect them, and do not evict on a fairly full disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
EOF
}

write_kube_proxy_config() {
  cat >"$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: $POD_CIDR
# Leave host sysctls alone: no nf_conntrack_max, no conntrack timeouts, no route_localnet.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
nodePortAddresses: [primary]
EOF
}

# ---- components ---------------------------------------------------------------------------------------------------
start_etcd() {
  say "starting etcd"
  start etcd "$ASSETS_DIR/etcd" --name "$NODE_NAME" --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" \
    --log-level warn --unsafe-no-fsync
  wait_until 30 etcd "${NSENTER[@]}" bash -c 'exec 3<>/dev/tcp/127.0.0.1/2379' || failed etcd "not serving on 127.0.0.1:2379"
}

start_apiserver() {
  say "starting kube-apiserver on https://$NODE_IP:6443"
  start kube-apiserver "$ASSETS_DIR/kube-apiserver" \
    --etcd-servers http://127.0.0.1:2379 \
    --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port 6443 \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction,PodSecurity,ValidatingAdmissionPolicy \
    --allow-privileged=true --profiling=false --event-ttl 1h
  wait_until 60 kube-apiserver kubectl_admin get --raw /readyz || failed kube-apiserver "/readyz not ok"
}

start_controller_manager() {
  say "starting kube-controller-manager"
  start kube-controller-manager "$ASSETS_DIR/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr "$POD_CIDR" --node-cidr-mask-size "${POD_CIDR#*/}" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --leader-elect=false --secure-port 0 --profiling=false
}

start_scheduler() {
  say "starting kube-scheduler"
  start kube-scheduler "$NODE_DIR/kube-scheduler" --kubeconfig "$STATE/scheduler.kubeconfig" \
    --leader-elect=false --secure-port 0 --profiling=false
}

start_containerd() {
  say "starting containerd ($(containerd --version | awk '{print $3}'))"
  start containerd containerd --config "$STATE/containerd.toml" --log-level warn
  wait_until 30 containerd ctr --address "$CONTAINERD_SOCK" version || failed containerd "no answer on $CONTAINERD_SOCK"
}

import_images() { # import_images TAR...
  local t
  for t in "$@"; do
    ctr --address "$CONTAINERD_SOCK" -n k8s.io images import "$t" >/dev/null ||
      { say "could not import $t"; return 1; }
  done
}

start_kubelet() {
  say "starting kubelet (node $NODE_NAME, node IP $NODE_IP)"
  start kubelet "$NODE_DIR/kubelet" --config "$STATE/kubelet.yaml" --kubeconfig "$STATE/kubelet.kubeconfig" \
    --root-dir "$KUBELET_DIR" --cert-dir "$KUBELET_DIR/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --node-labels "topology.kubernetes.io/region=$REGION" --v 1
  wait_until 60 kubelet kubectl_admin get node "$NODE_NAME" || failed kubelet "node $NODE_NAME never registered"
}

start_kube_proxy() {
  say "starting kube-proxy (iptables)"
  start kube-proxy "$NODE_DIR/kube-proxy" --config "$STATE/kube-proxy.yaml"
}

# kube-router runs as its own ServiceAccount with a read-only ClusterRole; its token comes from a
# service-account-token Secret that the controller-manager's token controller fills.
start_kube_router() {
  say "starting kube-router (NetworkPolicy firewall only)"
  kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: kube-router, namespace: kube-system}
---
apiVersion: v1
kind: Secret
metadata:
  name: kube-router-token
  namespace: kube-system
  annotations: {kubernetes.io/service-account.name: kube-router}
type: kubernetes.io/service-account-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: wsop:kube-router}
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, nodes, endpoints]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: wsop:kube-router}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wsop:kube-router}
subjects:
- {kind: ServiceAccount, name: kube-router, namespace: kube-system}
EOF
  local token=""
  wait_until 60 kube-controller-manager kube_router_token_ready || failed kube-controller-manager "the token controller never filled kube-system/kube-router-token"
  token=$(kubectl_admin -n kube-system get secret kube-router-token -o jsonpath='{.data.token}' | base64 -d)
  kubeconfig "$STATE/kube-router.kubeconfig" kube-router "" "$token"
  start kube-router "$KUBE_ROUTER_BIN" --kubeconfig "$STATE/kube-router.kubeconfig" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --hostname-override "$NODE_NAME" --service-cluster-ip-range "$SERVICE_CIDR" --metrics-port 0
}
kube_router_token_ready() {
  [ -n "$(kubectl_admin -n kube-system get secret kube-router-token -o jsonpath='{.data.token}')" ]
}

# ---- readiness ------------------------------------------------------------------------------------------------------
node_ready() {
  [ "$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
kube_router_healthy() {
  "${NSENTER[@]}" "$LOCAL/images/probe" probe -timeout 1s -http -path /healthz 127.0.0.1:20244
}
all_alive() {
  local c
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy kube-router; do
    component_alive "$c" || { echo "$c"; return 1; }
  done
}

running() { [ -e "/run/netns/$NETNS" ] && all_alive >/dev/null && [ -f "$KUBECONFIG_FILE" ]; }

# ---- up -------------------------------------------------------------------------------------------------------------
up_done=""
on_up_exit() {
  local rc=$?
  [ -n "$up_done" ] && return 0
  trap - EXIT INT TERM
  say "up did not finish (exit $rc): tearing the node down"
  teardown || true
  exit "$rc"
}

up() {
  need_root up
  if running; then
    say "the node is already running (nothing to do)"
    print_usage
    return 0
  fi
  if leftovers; then
    say "found leftovers of an earlier run: cleaning up first"
    teardown
  fi
  build_binaries
  build_image pause
  build_image probe

  trap on_up_exit EXIT
  trap 'exit 130' INT TERM
  local t0ns t_api t_ready
  t0ns=$(date +%s%N)
  mkdir -p "$STATE" "$RUN/pids" "$LOGS"
  rm -f "$LOGS"/*.log
  record_host
  setup_netns
  write_pki
  write_cni_config
  write_containerd_config
  write_kubelet_config
  write_kube_proxy_config

  start_etcd
  start_apiserver
  t_api=$(elapsed_since "$t0ns")
  start_controller_manager
  start_scheduler
  start_containerd
  say "importing images $PAUSE_IMAGE and $PROBE_IMAGE"
  import_images "$LOCAL/images/pause.tar" "$LOCAL/images/probe.tar" || failed containerd "image import failed"
  start_kubelet
  start_kube_proxy
  start_kube_router

  say "waiting for the node to be Ready, the default ServiceAccount and kube-router"
  wait_until 120 kubelet node_ready || failed kubelet "node $NODE_NAME not Ready after 120s"
  t_ready=$(elapsed_since "$t0ns")
  wait_until 60 kube-controller-manager kubectl_admin -n default get serviceaccount default ||
    failed kube-controller-manager "no default ServiceAccount in namespace default"
  wait_until 60 kube-router kube_router_healthy || failed kube-router "not healthy on 127.0.0.1:20244/healthz"
  local c
  c=$(all_alive) || failed "$c" "exited"
  restore_sysctls
  up_done=1
  trap - EXIT INT TERM
  say "node $NODE_NAME Ready: API server ready after ${t_api}s, node Ready after ${t_ready}s, all up after $(elapsed_since "$t0ns")s (from the creation of the network namespace)"
  print_usage
}

elapsed_since() { # elapsed_since START_NS: seconds with one decimal
  local d=$(($(date +%s%N) - $1))
  printf '%d.%d' $((d / 1000000000)) $((d / 100000000 % 10))
}

print_usage() {
  cat >&2 <<EOF
==> kubeconfig (admin, system:masters): $KUBECONFIG_FILE — the API server (https://$NODE_IP:6443) is reachable
    only inside network namespace $NETNS:
      nsenter --net=/run/netns/$NETNS bin/kubectl --kubeconfig $KUBECONFIG_FILE get nodes
    or: eval "\$(hack/node.sh env)"; \$WSOP_NSENTER bin/kubectl get pods -A
    images: $PAUSE_IMAGE, $PROBE_IMAGE (imagePullPolicy: Never); more: hack/node.sh import IMAGE.tar
    logs: $LOGS/; stop: hack/node.sh down
EOF
}

# ---- down -----------------------------------------------------------------------------------------------------------
# stop_pids SIGNAL_WAIT PID...: SIGTERM, wait up to SIGNAL_WAIT seconds, then SIGKILL what is left.
stop_pids() {
  local wait=$1 pid left; shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for _ in $(seq 1 $((wait * 4))); do
    left=""
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ -n "$left" ] || return 0
    sleep 0.25
  done
  kill -KILL "$@" 2>/dev/null || true
  sleep 0.25
}

# pids_named NAME...: node processes whose executable is NAME.
pids_named() {
  local pid exe n
  for pid in $(node_pids); do
    exe=$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)" 2>/dev/null) || continue
    for n in "$@"; do [ "$exe" = "$n" ] && echo "$pid"; done
  done
  return 0
}

# Runs in a subshell without errexit: every step is tried even when an earlier one failed.
teardown() (
  set +e
  local t0=$SECONDS
  # 1. the node agents first, so nothing restarts containers or rewrites rules while the rest goes
  say "stopping kubelet, kube-proxy, kube-router, kube-scheduler, kube-controller-manager"
  # shellcheck disable=SC2046
  stop_pids 10 $(pids_named kubelet kube-proxy kube-router kube-scheduler kube-controller-manager)
  # 2. the containers (in their Pods' namespaces, found by the kubelet's cgroups), then containerd and its shims
  say "stopping the containers, containerd and its shims"
  # shellcheck disable=SC2046
  kill -KILL $(kubepods_pids) 2>/dev/null || true
  # shellcheck disable=SC2046
  stop_pids 10 $(pids_named containerd containerd-shim-runc-v2 containerd-shim)
  # 3. everything else of the node: API server, etcd, leftovers
  say "stopping kube-apiserver, etcd and anything else left in $NETNS"
  # (the API server before etcd: it removes its endpoint from the kubernetes Service on the way out)
  # shellcheck disable=SC2046
  stop_pids 5 $(pids_named kube-apiserver)
  # shellcheck disable=SC2046
  stop_pids 5 $(node_pids)
  local left
  left=$(node_pids | tr '\n' ' ')
  [ -z "$left" ] || warn "processes still running: $left"

  # 4. mounts: the kubelet's (volumes, the bind mount of its root dir), containerd's (rootfs, shm), Pod netns files
  say "unmounting, removing cgroups, the network namespace and host files"
  local keep=" " m
  [ -f "$STATE/netns-before" ] && keep=" $(sed "s|^|/run/netns/|" "$STATE/netns-before" | tr '\n' ' ') "
  for _ in 1 2 3; do
    for m in $(node_mounts "$keep"); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    [ -n "$(node_mounts "$keep")" ] || break
  done
  for m in /run/netns/cni-*; do
    [ -e "$m" ] || continue
    case "$keep" in *" $m "*) ;; *) rm -f "$m" ;; esac
  done
  # containerd's shims keep their sockets in /run/containerd/s (wherever containerd's state is), each named by
  # sha256(<containerd socket>/<namespace>/<sandbox id>): a killed shim leaves its socket behind.
  local task
  for task in "$RUN"/containerd/io.containerd.runtime.v2.task/*/*; do
    [ -d "$task" ] || continue
    rm -f "/run/containerd/s/$(printf '%s' "$CONTAINERD_SOCK/${task#"$RUN"/containerd/io.containerd.runtime.v2.task/}" |
      sha256sum | cut -d' ' -f1)"
  done

  # 5. the kubelet's cgroups, deepest first, in every hierarchy
  local d
  for _ in $(seq 1 20); do
    for d in $(kubepods_dirs); do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
    [ -n "$(kubepods_dirs)" ] || break
    # shellcheck disable=SC2046
    kill -KILL $(kubepods_pids) 2>/dev/null || true
    sleep 0.5
  done
  [ -z "$(kubepods_dirs)" ] || warn "cgroups left: $(kubepods_dirs | tr '\n' ' ')"

  # 6. the namespace (its iptables rules, ipsets, bridge and routes go with it)
  if [ -e "/run/netns/$NETNS" ]; then
    ip netns del "$NETNS" 2>/dev/null || { umount -l "/run/netns/$NETNS" 2>/dev/null; rm -f "/run/netns/$NETNS"; }
  fi

  # 7. host files: the kubelet's /var/log/containers links, the host paths this run created, sysctls
  if [ -d /var/log/containers ]; then
    find /var/log/containers -maxdepth 1 -type l -lname "$POD_LOGS/*" -delete 2>/dev/null || true
  fi
  restore_sysctls
  local p
  if [ -f "$STATE/host-paths-created" ]; then
    while IFS= read -r p; do
      [ -e "$p" ] || continue
      if [ "$p" = /run/netns ]; then
        [ -z "$(ls -A /run/netns)" ] || continue
        umount /run/netns 2>/dev/null || true
      fi
      rm -rf --one-file-system "$p"
    done <"$STATE/host-paths-created"
  fi

  # 8. state and run directories — only once nothing is mounted below them
  # shellcheck disable=SC2143 # (grep -q could end the pipe early: pipefail would hide a match)
  if [ -n "$(node_mounts "$keep" | grep -v '^/run/netns/')" ]; then
    warn "mounts left, keeping $STATE and $RUN: $(node_mounts "$keep" | tr '\n' ' ')"
    return 1
  fi
  rm -rf --one-file-system "$STATE" "$RUN"
  rm -f "$KUBECONFIG_FILE"
  say "node stopped and cleaned up in $((SECONDS - t0))s"
)

down() {
  need_root down
  if ! leftovers && [ ! -f "$KUBECONFIG_FILE" ]; then
    say "no node running, nothing left to clean"
    return 0
  fi
  say "stopping the node"
  teardown
}

# ---- status, env, import --------------------------------------------------------------------------------------------
status() {
  local c st ok=0
  need_root status
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy kube-router; do
    if component_alive "$c"; then st="running (pid $(cat "$RUN/pids/$c"))"; else st="not running"; ok=1; fi
    printf '%-24s %s\n' "$c" "$st"
  done
  if [ -e "/run/netns/$NETNS" ] && [ -f "$KUBECONFIG_FILE" ]; then
    kubectl_admin get nodes -o wide 2>/dev/null || ok=1
  else
    echo "network namespace $NETNS: absent"; ok=1
  fi
  return $ok
}

env_cmd() {
  cat <<EOF
export KUBECONFIG=$KUBECONFIG_FILE
export WSOP_NETNS=$NETNS
export WSOP_NSENTER="nsenter --net=/run/netns/$NETNS --"
export WSOP_NODE_NAME=$NODE_NAME
export WSOP_NODE_IP=$NODE_IP
export WSOP_PAUSE_IMAGE=$PAUSE_IMAGE
export WSOP_PROBE_IMAGE=$PROBE_IMAGE
export WSOP_CONTAINERD_SOCK=$CONTAINERD_SOCK
EOF
}

import_cmd() {
  need_root import
  [ $# -gt 0 ] || die_usage "$0 import IMAGE.tar..."
  component_alive containerd || die "the node is not running (hack/node.sh up)"
  local t
  for t in "$@"; do
    say "importing $t"
    import_images "$t"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_cmd ;;
  import) shift; import_cmd "$@" ;;
  *) die_usage "$0 up|down|status|env|import IMAGE.tar..." ;;
esac
