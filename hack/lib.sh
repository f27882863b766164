# shellcheck shell=bash disable=SC2034  # names used by the scripts that source it
# The steps the hack/*.sh scripts share. Sourced, not run, right after `set -euo pipefail`:
#
#   # shellcheck source=hack/lib.sh
#   source "$(dirname "$0")/lib.sh"
#
# It sets root (the repository) and reads the tool versions of hack/tools.env. The working directory and the
# shell's options stay the script's own.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/tools.env
source "$root/hack/tools.env"

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
