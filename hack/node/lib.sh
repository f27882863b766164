# shellcheck shell=bash disable=SC2034,SC2154  # names used by hack/node.sh; root, say and warn come from hack/lib.sh
# Helpers of hack/node.sh: names and paths of the real single-node cluster, its PKI and kubeconfigs, and the
# finders its teardown uses. Sourced, not run, after hack/lib.sh.

# ---- names and paths --------------------------------------------------------------------------------------------
NETNS=wsop-node                       # the one network namespace the whole node lives in
NSENTER=(nsenter "--net=/run/netns/$NETNS" --)
NODE_NAME=wsop-node
BRIDGE=wsop0                          # the pod bridge; its address is the node IP
NODE_IP=10.244.0.1
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SVC_IP=10.96.0.1
# The test hosts' range (TEST-NET-1): addresses the e2e suite gives its fake platforms and database inside the
# node's namespace. Pods get a route to it through the node, as they would to hosts outside a real cluster.
TEST_HOSTS_CIDR=192.0.2.0/24
REGION=eu-central-1
PAUSE_IMAGE=wsop.local/pause:v1
PROBE_IMAGE=wsop.local/probe:v1

STATE=/var/lib/wsop-node              # etcd, PKI, configs, containerd root, kubelet root: gone after `down`
RUN=/run/wsop-node                    # containerd state and socket, runc root, pid files
CONTAINERD_SOCK=$RUN/containerd/containerd.sock
KUBELET_DIR=$STATE/kubelet
POD_LOGS=$STATE/pod-logs
PKI=$STATE/pki
LOCAL=$root/.local/node               # what outlives `down`: the admin kubeconfig, logs, images
KUBECONFIG_FILE=$LOCAL/kubeconfig
LOGS=$LOCAL/logs

# Host paths the node's programs create when missing, whatever their configuration says (kubelet:
# /var/log/containers and /var/lib/kubelet/device-plugins; libcni's cache: /var/lib/cni; containerd's shims:
# /run/containerd/s; ip netns: /run/netns). `up` records the ones that were missing, `down` removes exactly those.
HOST_PATHS=(/var/log/containers /var/lib/kubelet /var/lib/cni /run/containerd /run/netns /opt/containerd
  /usr/libexec/kubernetes)
# Host sysctls the kubelet rewrites at start (protectKernelDefaults: false). Restored once the node is Ready.
HOST_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes)

# ---- waiting ----------------------------------------------------------------------------------------------------
# wait_until SECONDS NAME CMD...: run CMD every 0.25 s until it succeeds. Fails (return 1) after SECONDS or as soon
# as component NAME's process is gone (NAME may be "-" for none).
wait_until() {
  local limit=$1 name=$2; shift 2
  local deadline=$((SECONDS + limit))
  while ! "$@" >/dev/null 2>&1; do
    if [ "$name" != - ] && ! component_alive "$name"; then
      return 1
    fi
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.25
  done
}

component_alive() { # component_alive NAME: its recorded process still runs
  local f=$RUN/pids/$1 pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# ---- PKI (openssl, EC P-256 keys, valid 30 days) ----------------------------------------------------------------
pki_ca() {
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 30 \
    -subj "/CN=wsop-node-ca" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
}

# pki_cert NAME SUBJECT USAGE [SANS]: NAME.{key,crt} signed by the CA; USAGE clientAuth, serverAuth or both.
pki_cert() {
  local name=$1 subj=$2 usage=$3 sans=${4:-} ext
  ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$usage"
  [ -z "$sans" ] || ext+=$'\n'"subjectAltName=$sans"
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "$subj" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 \
    -extfile <(printf '%s\n' "$ext") -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr"
}

# kubeconfig FILE USER CERT_NAME|"" [TOKEN]: a kubeconfig for https://NODE_IP:6443, authenticating with the
# client certificate PKI/CERT_NAME.{crt,key} or with TOKEN.
kubeconfig() {
  local file=$1 user=$2 cert=$3 token=${4:-} auth
  if [ -n "$cert" ]; then
    auth="    client-certificate-data: $(base64 -w0 "$PKI/$cert.crt")
    client-key-data: $(base64 -w0 "$PKI/$cert.key")"
  else
    auth="    token: $token"
  fi
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $NODE_NAME
  cluster:
    server: https://$NODE_IP:6443
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $user
  user:
$auth
contexts:
- name: $NODE_NAME
  context: {cluster: $NODE_NAME, user: $user}
current-context: $NODE_NAME
EOF
  chmod 600 "$file"
}

# ---- finding what a run left behind (no state file needed) -------------------------------------------------------
# node_pids: every process of the node — those in its network namespace and those whose command line names its
# state or run directory (which covers a namespace already deleted). Never this script or its parents.
node_pids() {
  local pid cmd self=$$ parent=$PPID
  {
    ip netns pids "$NETNS" 2>/dev/null || true
    for pid in /proc/[0-9]*; do
      pid=${pid#/proc/}
      cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
      case "$cmd" in *"$STATE/"* | *"$RUN/"*) echo "$pid" ;; esac
    done
  } | sort -un | grep -vxE "$self|$parent|${BASHPID:-$self}" || true
}

# kubepods_dirs: the kubelet's cgroup trees in every cgroup hierarchy (v1 controllers, name=systemd, unified).
kubepods_dirs() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$d" ] && echo "$d"
  done
  return 0
}

# kubepods_pids: the processes of the node's containers (they live in their Pods' own network namespaces).
kubepods_pids() {
  local d
  for d in $(kubepods_dirs); do
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# node_mounts: mount points under the state and run directories and the namespace files under /run/netns that
# the node made, deepest first (so a mount inside the kubelet's bind mount of its root dir comes before it).
node_mounts() {
  findmnt -rn -o TARGET | awk -v s="$STATE" -v r="$RUN" -v n="/run/netns/$NETNS" -v keep="$1" '
    $0 == s || index($0, s "/") == 1 || $0 == r || index($0, r "/") == 1 || $0 == n { print; next }
    index($0, "/run/netns/cni-") == 1 && index(keep, " " $0 " ") == 0 { print }
  ' | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-
}

leftovers() { # something of a node run is still there
  [ -e "/run/netns/$NETNS" ] || [ -d "$STATE" ] || [ -d "$RUN" ] || [ -n "$(kubepods_dirs)" ] ||
    [ -n "$(node_pids)" ]
}
