#!/usr/bin/env bash
# Builds the kubectl plugin's release archives (kubectl-workspace_<version>_<os>_<arch>.tar.gz, each holding the
# binary named kubectl-workspace and the README) and the krew manifest with their SHA-256s, from
# plugins/krew/workspace.yaml, into OUT (default bin/release; git-ignored: archives are never committed).
#
#   hack/krew.sh                                   # every platform of the manifest
#   PLATFORMS=linux_amd64 OUT=/tmp/krew hack/krew.sh
#   kubectl krew install --manifest=bin/release/workspace.yaml --archive=bin/release/kubectl-workspace_<version>_linux_amd64.tar.gz
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

VERSION=${VERSION:-$(chart_app_version)}
COMMIT=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
OUT=${OUT:-$root/bin/release}
PLATFORMS=${PLATFORMS:-linux_amd64 linux_arm64 darwin_amd64 darwin_arm64}
pkg=github.com/alitok/workspace-operator/internal/version

mkdir -p "$OUT"
manifest=$(cat plugins/krew/workspace.yaml)
manifest=${manifest//'${VERSION}'/$VERSION}
for platform in $PLATFORMS; do
  goos=${platform%_*} goarch=${platform#*_}
  archive=kubectl-workspace_${VERSION}_${platform}.tar.gz
  stage=$(mktemp -d)
  say "building $archive"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -buildid= -X $pkg.Version=$VERSION -X $pkg.Commit=$COMMIT" -o "$stage/kubectl-workspace" .
  cp README.md "$stage/"
  # Reproducible: fixed order, owner and time.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - kubectl-workspace README.md | gzip -n >"$OUT/$archive"
  rm -rf "$stage"
  sum=$(sha256sum "$OUT/$archive" | cut -d' ' -f1)
  manifest=${manifest//"\${SHA256_${platform}}"/$sum}
done
if grep -q '\${SHA256_' <<<"$manifest"; then
  # Platforms not built keep no placeholder: krew refuses a manifest whose archive it cannot check.
  manifest=$(awk '
    /^  - selector:/ { if (block != "" && block !~ /\$\{SHA256_/) printf "%s", block; block = $0 "\n"; inplat = 1; next }
    inplat && /^    / { block = block $0 "\n"; next }
    { if (block != "" && block !~ /\$\{SHA256_/) printf "%s", block; block = ""; inplat = 0; print }
    END { if (block != "" && block !~ /\$\{SHA256_/) printf "%s", block }
  ' <<<"$manifest")
fi
printf '%s\n' "$manifest" >"$OUT/workspace.yaml"
say "wrote $OUT/workspace.yaml"
