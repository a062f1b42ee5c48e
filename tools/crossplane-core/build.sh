#!/usr/bin/env bash
# Builds Crossplane core v2.4.0 into $OUT as `crossplane`. hack/tool.sh runs
# this with GOFLAGS=-mod=mod.
#
# The version is stamped the way Crossplane's release build does: without
# it the binary reports an empty version, and the package manager refuses
# every package that declares spec.crossplane.version ("incompatible
# Crossplane version: ... invalid semantic version"), as ours do.
set -euo pipefail
version="$(go list -m -f '{{.Version}}' github.com/crossplane/crossplane/v2)"
go build -trimpath \
  -ldflags "-X github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$version" \
  -o "$OUT/crossplane" github.com/crossplane/crossplane/v2/cmd/crossplane
