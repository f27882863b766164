#!/usr/bin/env bash
# Builds the operator's image without a container engine (README "Image"): the static Linux binary
# bin/workspace-operator with its version stamped, then hack/image assembles the image around it (nothing pulled)
# and writes the docker-archive bin/image/workspace-operator-$VERSION.tar, tagged $IMAGE_REPO:$VERSION.
#
# Usage: hack/image.sh [--push | --check-reproducible] [--extra-ca FILE]...
#   --push                 also push to $IMAGE_REPO:$VERSION (credentials of ~/.docker/config.json): the release path
#   --check-reproducible   build twice into a temporary folder, print both digests, fail if they differ
#   --extra-ca FILE        append a PEM CA certificate to the image's bundle (a private CA, an egress proxy)
# Environment: VERSION (default: the chart's appVersion), COMMIT (default: HEAD's short hash),
# IMAGE_REPO (default ghcr.io/alitok/workspace-operator), GOARCH (default: the host's), SOURCE_DATE_EPOCH
# (default: HEAD's commit time).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$root"

mode=build
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --push) mode=push ;;
    --check-reproducible) mode=check ;;
    --extra-ca) [ $# -ge 2 ] || { echo "--extra-ca needs a file" >&2; exit 2; }; extra+=(--extra-ca "$2"); shift ;;
    *) die_usage "$0 [--push | --check-reproducible] [--extra-ca FILE]..." ;;
  esac
  shift
done

# One source of truth for the version: the chart's appVersion, which the chart's Deployment also defaults to.
VERSION=${VERSION:-$(chart_app_version)}
[ -n "$VERSION" ] || die "no appVersion in charts/workspace-operator/Chart.yaml"
COMMIT=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
IMAGE_REPO=${IMAGE_REPO:-ghcr.io/alitok/workspace-operator}
GOARCH=${GOARCH:-$(go env GOARCH)}
# Fixed once for the run, so that both builds of --check-reproducible agree even if HEAD moves meanwhile.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
ref="$IMAGE_REPO:$VERSION"

# The image's CA bundle is the host's, from Debian's ca-certificates.
if [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then
  say "installing the Debian package ca-certificates (the image's CA bundle)"
  apt_install ca-certificates
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# build_binary OUT: the static, stripped, path- and build-id-free binary, so the same source gives the same bytes.
build_binary() {
  local pkg=github.com/alitok/workspace-operator/internal/version start=$SECONDS
  say "building $1: workspace-operator $VERSION (commit $COMMIT) for linux/$GOARCH"
  CGO_ENABLED=0 GOOS=linux GOARCH="$GOARCH" go build -trimpath -buildvcs=false \
    -ldflags "-s -w -buildid= -X $pkg.Version=$VERSION -X $pkg.Commit=$COMMIT" -o "$1" .
  say "built $1 in $((SECONDS - start))s ($(du -h "$1" | cut -f1))"
}

say "building hack/image"
go build -o "$tmp/image" ./hack/image

case "$mode" in
  build | push)
    build_binary bin/workspace-operator
    mkdir -p bin/image
    out="bin/image/workspace-operator-$VERSION.tar"
    push=(); [ "$mode" = build ] || push=(--push)
    say "building the image $ref (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
    start=$SECONDS
    "$tmp/image" --binary bin/workspace-operator --ref "$ref" --out "$out" "${extra[@]}" "${push[@]}"
    say "image built in $((SECONDS - start))s; into containerd: ctr -n k8s.io images import $out"
    ;;
  check)
    # The second build runs in another time zone, with another umask and a binary of another mtime: none of
    # them may show in the image. (Its compile reuses Go's build cache; Go's builds are reproducible by design,
    # this checks the link, the stamping and the image's assembly.)
    for i in 1 2; do
      mkdir -p "$tmp/$i"
      build_binary "$tmp/$i/workspace-operator"
      [ "$i" = 1 ] || touch "$tmp/$i/workspace-operator"
      say "building image $i of 2"
      (if [ "$i" = 2 ]; then umask 077; export TZ=Pacific/Kiritimati; fi
        "$tmp/image" --binary "$tmp/$i/workspace-operator" --ref "$ref" --out "$tmp/$i/image.tar" "${extra[@]}") \
        | tee "$tmp/$i/report"
    done
    d1=$(awk '$1 == "digest" {print $2}' "$tmp/1/report")
    d2=$(awk '$1 == "digest" {print $2}' "$tmp/2/report")
    say "binary  1: $(sha256sum <"$tmp/1/workspace-operator" | cut -d' ' -f1)"
    say "binary  2: $(sha256sum <"$tmp/2/workspace-operator" | cut -d' ' -f1)"
    say "tarball 1: $(sha256sum <"$tmp/1/image.tar" | cut -d' ' -f1)"
    say "tarball 2: $(sha256sum <"$tmp/2/image.tar" | cut -d' ' -f1)"
    say "digest  1: $d1"
    say "digest  2: $d2"
    if [ -z "$d1" ] || [ "$d1" != "$d2" ]; then
      die "NOT reproducible: the two builds differ"
    fi
    say "reproducible: both builds are $d1"
    ;;
esac
