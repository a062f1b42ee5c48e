#!/usr/bin/env bash
# render.sh CASE: renders example/CASE through the real Crossplane CLI and
# core, against the function (bin/function, see `make build`) served on
# localhost:9443, and prints the result. The function is stopped on any exit.
set -euo pipefail

case="${1:?usage: render.sh CASE}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/example/$case"
[ -f "$dir/xr.yaml" ] || { echo "render.sh: no $dir/xr.yaml" >&2; exit 1; }

cli="$("$root/hack/tool.sh" crossplane-cli)/crossplane"
core="$("$root/hack/tool.sh" crossplane-core)/crossplane"

# The legacy XR (behind a claim) has its own XRD and Composition.
api=configuration
if grep -q '^kind: *XDittoServer' "$dir/xr.yaml"; then api=legacy; fi

args=()
[ -f "$dir/observed.yaml" ] && args+=(--observed-resources="$dir/observed.yaml")
[ -f "$dir/required.yaml" ] && args+=(--required-resources="$dir/required.yaml")
[ -d "$dir/schemas" ] && args+=(--required-schemas="$dir/schemas")

"$root/bin/function" --insecure --address=localhost:9443 --metrics-address="" &
fn=$!
trap 'kill "$fn" 2>/dev/null || true' EXIT

for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/9443) 2>/dev/null && break
  kill -0 "$fn" 2>/dev/null || { echo "render.sh: the function exited" >&2; exit 1; }
  sleep 0.1
done

"$cli" composition render "$dir/xr.yaml" "$root/apis/$api/composition.yaml" "$root/example/functions.yaml" \
  --xrd="$root/apis/$api/definition.yaml" \
  --crossplane-binary="$core" \
  --include-function-results \
  --include-full-xr \
  "${args[@]}"
