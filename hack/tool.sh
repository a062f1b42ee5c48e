#!/usr/bin/env bash
# tool.sh NAME: builds one of the real programs the tests drive from its
# pinned module under tools/NAME, once, into a cache outside the clone keyed
# by the module versions (a hash of tools/NAME/go.mod and go.sum), and prints
# the directory holding the binaries. A fresh clone on the same machine reuses
# the cache; a new machine builds it.
set -euo pipefail

name="${1:?usage: tool.sh NAME}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/tools/$name"
[ -f "$dir/go.mod" ] || { echo "tool.sh: no module at tools/$name" >&2; exit 1; }

# build.sh is optional; a missing one must not fail the pipe under pipefail.
key="$({ cat "$dir/go.mod" "$dir/go.sum"; cat "$dir/build.sh" 2>/dev/null || true; } | sha256sum | cut -c1-16)"
cache="${FUNCTION_DITTOFS_CACHE:-$HOME/.cache/function-dittofs}"
out="$cache/$name-$key"

mkdir -p "$cache"
# Several test packages (and people) may ask for the same tool at once; the
# lock makes the second caller wait for the first build instead of racing it.
exec 9>"$out.lock"
flock 9

if [ ! -f "$out/.done" ]; then
  mkdir -p "$out/bin"
  echo "tool.sh: building $name into $out (once; this takes minutes on 2 cores)" >&2
  (
    cd "$dir"
    export GOFLAGS=-mod=mod CGO_ENABLED="${CGO_ENABLED:-0}"
    if [ -x build.sh ]; then
      OUT="$out/bin" ./build.sh
    else
      # Each line of tools/NAME/programs is "binary-name import/path".
      while read -r bin pkg; do
        [ -n "$bin" ] || continue
        go build -trimpath -o "$out/bin/$bin" "$pkg"
      done < programs
    fi
  ) >&2
  touch "$out/.done"
fi
echo "$out/bin"
