#!/usr/bin/env bash
# The end-to-end suite on a real node (test/e2e): builds the images the suite installs (the operator's through
# hack/image.sh, ESO's from the ESO binary), starts the node of hack/node.sh (real kubelet, containerd, kube-proxy
# and kube-router enforcing NetworkPolicies, all inside one network namespace), imports the images and runs the
# suite inside that network namespace, where it serves the fake platforms and PostgreSQL on test-host addresses. The node is torn
# down at the end (E2E_KEEP_NODE=1 keeps it for a look). Needs root.
#
# Usage: hack/e2e.sh [go test flags, e.g. -test.run TestIsolation]
#        hack/e2e.sh --demo   the main job on that node instead (make demo as root): hack/nodedemo; the node is
#                             left running for a look (hack/node.sh down stops it)
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

demo=""
if [ "${1:-}" = --demo ]; then
  demo=1
  shift
fi
require_root "the real-node suite needs root (network namespace, containerd, kubelet): run as root, or set WORKSPACE_E2E=off to leave it out knowingly"

start=$SECONDS
hack/build-tools.sh control-plane eso helm
out=$root/bin/e2e
mkdir -p "$out"

# The fake platforms' TLS: a CA of the suite's own and one certificate for both platforms' addresses (the test
# hosts, test/e2e). The operator's image is built as `make image` builds it, with that CA added to its bundle, as a
# user with a private CA or a TLS-intercepting egress proxy would.
say "making the suite's CA and the fake platforms' certificate"
ca=$out/ca
mkdir -p "$ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=workspace-operator e2e CA" \
  -keyout "$ca/ca.key" -out "$ca/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=fake platforms" \
  -keyout "$ca/platforms.key" -out "$ca/platforms.csr" 2>/dev/null
openssl x509 -req -in "$ca/platforms.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial -days 2 \
  -extfile <(printf 'subjectAltName=IP:192.0.2.10,IP:192.0.2.11\nextendedKeyUsage=serverAuth\n') \
  -out "$ca/platforms.pem" 2>/dev/null

version=$(chart_app_version)
operator_tar=bin/image/workspace-operator-$version-e2e.tar
VERSION=$version-e2e hack/image.sh --extra-ca "$ca/ca.pem"
say "building ESO's image from the ESO binary, the same way"
eso_tar=$out/eso-$ESO_VERSION.tar
go run ./hack/image --binary "$ESO_BINARY" --entrypoint /bin/external-secrets \
  --ref "oci.external-secrets.io/external-secrets/external-secrets:$ESO_VERSION" --out "$eso_tar" >/dev/null

# The suite runs where no module can be downloaded (inside the node's network namespace): build it here.
if [ -n "$demo" ]; then
  say "building the demo"
  go build -o "$out/nodedemo" ./hack/nodedemo
else
  say "building the e2e test binary"
  go test -tags e2e -c -o "$out/e2e.test" ./test/e2e
fi
eso_dir=$(cd hack/tools/eso && go list -m -f '{{.Dir}}' github.com/external-secrets/external-secrets)

# A running node this run did not start is someone else's (a demo, a kept node, another run): never reuse or
# stop it. Leftovers of a run killed half-way are cleaned by `up`.
if hack/node.sh status 2>/dev/null | grep -q 'running (pid'; then
  die "a real node is already running (a demo, E2E_KEEP_NODE or another run): stop it first with hack/node.sh down"
fi
hack/node.sh up
if [ -z "$demo" ] && [ "${E2E_KEEP_NODE:-}" != 1 ]; then
  trap 'hack/node.sh down' EXIT
fi
eval "$(hack/node.sh env)"
hack/node.sh import "$operator_tar" "$eso_tar"

export E2E_REPO=$root E2E_OPERATOR_TAG=$version-e2e E2E_CA_DIR=$ca E2E_ESO_DIR=$eso_dir E2E_ESO_VERSION=$ESO_VERSION \
  E2E_HELM=$root/bin/helm E2E_KUBECTL=$root/bin/kubectl E2E_OPERATOR_BINARY=$root/bin/workspace-operator
if [ -n "$demo" ]; then
  say "running the demo inside the node's network namespace"
  # shellcheck disable=SC2086 # WSOP_NSENTER is a command with its arguments
  $WSOP_NSENTER "$out/nodedemo"
  say "demo done in $((SECONDS - start))s. The node is still running (the fake platforms and the database stopped with the demo):"
  say "  eval \"\$(hack/node.sh env)\"; \$WSOP_NSENTER bin/kubectl get tenants,datarequests; integrations: -n tenant-acme"
  say "  stop it: hack/node.sh down (or make local-down)"
  exit 0
fi
say "running the e2e suite inside the node's network namespace"
# shellcheck disable=SC2086 # WSOP_NSENTER is a command with its arguments
(cd test/e2e && $WSOP_NSENTER "$out/e2e.test" -test.v -test.count=1 -test.timeout=40m "$@")
say "e2e suite passed in $((SECONDS - start))s (node, builds and suite)"
