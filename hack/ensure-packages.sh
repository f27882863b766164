#!/usr/bin/env bash
# Installs the Debian packages the project's scripts and tests need, when missing: make and git, and PostgreSQL
# (the storage tests start a throwaway server from its initdb and pg_ctl). Go itself comes with the machine.
set -euo pipefail
say() { printf '==> %s\n' "$*" >&2; }
command -v go >/dev/null || { say "Go is required (go1.26 or newer) and is not on PATH"; exit 1; }
missing=()
command -v make >/dev/null || missing+=(make)
command -v git >/dev/null || missing+=(git)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
