#!/usr/bin/env bash
# End-to-end check of a running real node (hack/node.sh up): in a fresh namespace (PodSecurity "restricted"),
# a Pod reaches another Pod, a default-deny NetworkPolicy then blocks it (kube-router), a policy allowing the
# client's label lets the client through again but not a Pod without that label, a Pod reaches the `kubernetes`
# Service ClusterIP (kube-proxy), and Pods have no default route. Each probe is `kubectl exec … /probe probe` in
# a long-running Pod: ONE new TCP connection per probe (hack/node/probe).
#
# Usage: hack/node/smoke.sh   (as root, with the node up; exits non-zero on the first unexpected result)
#        WSOP_SMOKE_KEEP=1 keeps the namespace wsop-smoke afterwards, to look at Pods, rules and ipsets.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/../lib.sh"
cd "$root"
eval "$(hack/node.sh env)"
ns=wsop-smoke
k() { $WSOP_NSENTER bin/kubectl --kubeconfig "$KUBECONFIG" "$@"; }

pod() { # pod NAME: a restricted-compliant Pod labelled app=NAME, serving HTTP on :8080 (probe serve)
  cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: $ns, labels: {app: $1}}
spec:
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: probe
    image: $WSOP_PROBE_IMAGE
    imagePullPolicy: Never
    args: [serve]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
}

# check FROM TARGET EXPECT(OK|FAIL) [-http]: probe TARGET from Pod FROM until the verdict is EXPECT, for at most
# 10 s (a policy takes effect once kube-router has synced it); each try is ONE new connection.
check() {
  local from=$1 target=$2 expect=$3 flags=${4:-} got out start=$SECONDS tries=0
  while :; do
    tries=$((tries + 1))
    # shellcheck disable=SC2086
    if out=$(k -n "$ns" exec "$from" -- /probe probe -timeout 2s $flags "$target" 2>&1); then got=OK; else got=FAIL; fi
    [ "$got" = "$expect" ] && break
    [ $((SECONDS - start)) -lt 10 ] || break
    sleep 0.5
  done
  say "$from -> $target: $(grep -E "^(OK|FAIL)" <<<"$out" | tail -1) — expected $expect, got $got (try $tries, $((SECONDS - start))s)"
  [ "$got" = "$expect" ] || die UNEXPECTED
}

policy() { # policy NAME SPEC: apply a NetworkPolicy in the test namespace
  printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: %s}\nspec: %s\n' \
    "$1" "$ns" "$2" | k apply -f - >/dev/null
}

t0=$SECONDS
k delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
k create namespace "$ns" >/dev/null
k label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
for _ in $(seq 1 40); do k -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.25; done

say "starting Pods server, client and other (each: probe serve on :8080)"
for p in server client other; do pod "$p" | k apply -f - >/dev/null; done
k -n "$ns" wait --for=condition=Ready pod/server pod/client pod/other --timeout=60s >/dev/null
server_ip=$(k -n "$ns" get pod server -o jsonpath='{.status.podIP}')
say "Pods ready after $((SECONDS - t0))s; server Pod IP $server_ip"

check client "$server_ip:8080" OK -http
check other "$server_ip:8080" OK -http
check client 10.96.0.1:443 OK

say "applying NetworkPolicy default-deny (all ingress in $ns)"
policy default-deny '{podSelector: {}, policyTypes: [Ingress]}'
check client "$server_ip:8080" FAIL -http
check other "$server_ip:8080" FAIL -http
check client 10.96.0.1:443 OK

say "applying NetworkPolicy allow-client (ingress to app=server from app=client on 8080)"
policy allow-client '{podSelector: {matchLabels: {app: server}}, policyTypes: [Ingress], ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: 8080, protocol: TCP}]}]}'
check client "$server_ip:8080" OK -http
check other "$server_ip:8080" FAIL -http

say "routes inside the server Pod's network namespace (no default route expected):"
netns=""
for n in /run/netns/cni-*; do
  if ip -n "$(basename "$n")" -o addr 2>/dev/null | grep -q "inet $server_ip/"; then netns=$(basename "$n"); fi
done
[ -n "$netns" ] || die "UNEXPECTED: no network namespace holds $server_ip"
ip -n "$netns" route | sed 's/^/    /' >&2
if ip -n "$netns" route | grep -q '^default'; then die "UNEXPECTED: a default route"; fi

[ -n "${WSOP_SMOKE_KEEP:-}" ] || k delete namespace "$ns" --wait=false >/dev/null
say "smoke test passed in $((SECONDS - t0))s"
