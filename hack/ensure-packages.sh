#!/usr/bin/env bash
# Installs the Debian packages the project's scripts and tests need, when missing: make and git, and PostgreSQL
# (the storage tests start a throwaway server from its initdb and pg_ctl). Go itself comes with the machine.
#
# Usage: hack/ensure-packages.sh [node]
#   node: also the packages the real single-node cluster (hack/node.sh) runs on — containerd, runc, the CNI
#         plugins (bridge, host-local), iptables, ipset, conntrack, iproute2 and openssl (its certificates).
#         Installed only when asked.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null || die "Go is required (go1.26 or newer) and is not on PATH"
missing=()
command -v make >/dev/null || missing+=(make)
command -v git >/dev/null || missing+=(git)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
for set in "$@"; do
  case "$set" in
    node)
      # package:file-it-provides — checked by file, so a package installed another way counts too.
      for pf in containerd:/usr/bin/containerd runc:/usr/sbin/runc \
        containernetworking-plugins:/usr/lib/cni/bridge iptables:/usr/sbin/iptables ipset:/usr/sbin/ipset \
        conntrack:/usr/sbin/conntrack iproute2:/usr/sbin/ip openssl:/usr/bin/openssl; do
        [ -e "${pf#*:}" ] || missing+=("${pf%%:*}")
      done
      ;;
    *) say "unknown package set: $set (known: node)"; exit 2 ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  apt_install "${missing[@]}"
fi
