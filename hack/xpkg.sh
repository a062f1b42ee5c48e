#!/usr/bin/env bash
# xpkg.sh image|build|push: the function's runtime images and the Crossplane
# packages, without a Docker engine. `make image`, `make xpkg` and
# `make xpkg-push` call it, and so does test/packages, so the test covers
# the path users take.
#
#   image  _output/images/function-dittofs-<arch>.tar (hack/image, go-containerregistry)
#   build  _output/xpkg/function-dittofs-<arch>.xpkg, configuration-dittofs.xpkg,
#          configuration-dittofs-legacy.xpkg (the real Crossplane CLI from tools/)
#   push   REGISTRY/function-dittofs:VERSION (one multi-arch index) and
#          REGISTRY/configuration-dittofs[-legacy]:VERSION
#
# Environment: OUT (default _output), ARCHES (default "amd64 arm64"),
# VERSION (default git describe; push needs a semver tag such as v0.1.0),
# REGISTRY (push only, e.g. ghcr.io/dittofs).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${OUT:-_output}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
arches="${ARCHES:-amd64 arm64}"
version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)}"

crossplane() { "$(hack/tool.sh crossplane-cli)/crossplane" "$@"; }

image() {
  go -C hack/image run . -source "$root" -out "$out/images" -version "$version" -arches "${arches// /,}"
}

# examples copies example/*/xr.yaml into one directory per package, because
# example/ also holds what `crossplane render` needs (observed and required
# resources, a Function with render annotations), which are not examples of
# using the package. A case marked expect-fatal shows bad input: left out.
examples() {
  rm -rf "$out/examples"
  mkdir -p "$out/examples/function" "$out/examples/configuration" "$out/examples/legacy"
  local xr case
  for xr in example/*/xr.yaml; do
    case="$(basename "$(dirname "$xr")")"
    [ -e "example/$case/expect-fatal" ] && continue
    cp "$xr" "$out/examples/function/$case.yaml"
    # The legacy Configuration's XR is the cluster-scoped XDittoServer.
    if grep -q '^kind: XDittoServer' "$xr"; then
      cp "$xr" "$out/examples/legacy/$case.yaml"
    else
      cp "$xr" "$out/examples/configuration/$case.yaml"
    fi
  done
}

build() {
  examples
  mkdir -p "$out/xpkg"
  local arch
  for arch in $arches; do
    crossplane xpkg build --package-root=package --examples-root="$out/examples/function" \
      --embed-runtime-image-tarball="$out/images/function-dittofs-$arch.tar" \
      --package-file="$out/xpkg/function-dittofs-$arch.xpkg"
  done
  crossplane xpkg build --package-root=apis/configuration --examples-root="$out/examples/configuration" \
    --package-file="$out/xpkg/configuration-dittofs.xpkg"
  crossplane xpkg build --package-root=apis/legacy --examples-root="$out/examples/legacy" \
    --package-file="$out/xpkg/configuration-dittofs-legacy.xpkg"
}

push() {
  local registry="${REGISTRY:?push needs REGISTRY, e.g. REGISTRY=ghcr.io/dittofs}"
  local files=() arch
  for arch in $arches; do files+=("$out/xpkg/function-dittofs-$arch.xpkg"); done
  local IFS=,
  crossplane xpkg push --package-files="${files[*]}" "$registry/function-dittofs:$version"
  crossplane xpkg push --package-files="$out/xpkg/configuration-dittofs.xpkg" "$registry/configuration-dittofs:$version"
  crossplane xpkg push --package-files="$out/xpkg/configuration-dittofs-legacy.xpkg" "$registry/configuration-dittofs-legacy:$version"
}

case "${1:-}" in
  image|build|push) "$1" ;;
  *) echo "usage: $0 image|build|push" >&2; exit 2 ;;
esac
