#!/usr/bin/env bash
# render.sh CASE: renders example/CASE through the real Crossplane CLI and
# core, against the function ($FUNCTION, default bin/function from `make build`) served on
# localhost:$PORT (9443), and prints the result. The function is stopped on
# any exit.
set -euo pipefail

case="${1:?usage: render.sh CASE}"
port="${PORT:-9443}" # example/functions.yaml's; the render points the function there
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

# Required schemas tell the function which kinds the simulated cluster has:
# the case's own schemas/, or those of the real CRDs (Percona, ServiceMonitor,
# Crossplane's Usages) less any a no-percona-crd or no-servicemonitor-crd
# marker removes. The same rule as test/render (installedSchemas), whose
# prometheus-operator version this repeats.
tmp="$(mktemp -d)"
fn=""
trap 'if [ -n "$fn" ]; then kill "$fn" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
if [ -d "$dir/schemas" ]; then
  schemas="$dir/schemas"
else
  schemas="$tmp/schemas"
  modir() { (cd "$1" && go mod download -json "$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'); }
  crds=("$(modir "$root/tools/crossplane-core" github.com/crossplane/crossplane/v2)"/cluster/crds/protection.crossplane.io_{usages,clusterusages}.yaml)
  [ -f "$dir/no-percona-crd" ] ||
    crds+=("$(modir "$root" github.com/percona/percona-postgresql-operator/v2)/config/crd/bases/pgv2.percona.com_perconapgclusters.yaml")
  [ -f "$dir/no-servicemonitor-crd" ] ||
    crds+=("$(modir "$tmp" github.com/prometheus-operator/prometheus-operator@v0.94.0)/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml")
  (cd "$root" && go run ./hack/crdschema -o "$schemas" "${crds[@]}")
fi
args+=(--required-schemas="$schemas")

# Refuse a busy port: render would talk to whatever already listens there.
if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
  echo "render.sh: something already listens on port $port; choose another with PORT=..." >&2
  exit 1
fi
"${FUNCTION:-$root/bin/function}" --insecure --address=localhost:"$port" --metrics-address="" &
fn=$!

for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
  kill -0 "$fn" 2>/dev/null || { echo "render.sh: the function exited" >&2; exit 1; }
  sleep 0.1
done

"$cli" composition render "$dir/xr.yaml" "$root/apis/$api/composition.yaml" "$root/example/functions.yaml" \
  --xrd="$root/apis/$api/definition.yaml" \
  --crossplane-binary="$core" \
  --include-function-results \
  --include-full-xr \
  --function-annotations=render.crossplane.io/runtime-development-target=localhost:"$port" \
  "${args[@]}"
