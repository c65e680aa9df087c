#!/usr/bin/env bash
# scripts/build.sh [BUILD_DIR] [cmake options...]: configures and builds
# weir (default build/, warnings are errors). WEIR_SANITIZE=address,undefined
# in the environment builds with sanitizers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=${1:-$WEIR_ROOT/build}
[ $# -gt 0 ] && shift
opts=(-DWEIR_WERROR=ON)
if [ -n "${WEIR_SANITIZE:-}" ]; then
    opts+=("-DWEIR_SANITIZE=$WEIR_SANITIZE")
fi
mkdir -p "$dir"
cmake -S "$WEIR_ROOT" -B "$dir" "${opts[@]}" "$@" >"$dir/configure.log" 2>&1 ||
    { cat "$dir/configure.log" >&2; die "CMake configuration failed (output above)"; }
set +e
cmake --build "$dir" -j "$(nproc)" 2>&1 | grep -vE '^\[ *[0-9]+%\] (Building|Linking|Built)'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || die "the build failed (errors above)"
info "built in $dir"
