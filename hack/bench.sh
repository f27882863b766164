#!/usr/bin/env bash
# The scale benchmark (README "Scale"): builds the control plane, ESO and the operator if needed, then runs
# hack/bench with the given flags (default: N = 100 and 1,000). Results go to .local/bench/results.md.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

hack/ensure-packages.sh
hack/build-tools.sh control-plane eso
build_operator
say "building the benchmark"
go build -o bin/bench ./hack/bench
say "running the benchmark (bin/bench $*)"
exec bin/bench "$@"
