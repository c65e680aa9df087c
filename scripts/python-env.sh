#!/usr/bin/env bash
# scripts/python-env.sh [--dir DIR] [--requirements FILE]: a Python virtual
# environment with the packages of FILE (default
# tests/python/requirements.txt, the wire-compatibility test's independent
# producer; bench/requirements.txt has the benchmark report's) from PyPI.
# Idempotent: does nothing when DIR (default .cache/pyenv) already has
# exactly those requirements.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir="$WEIR_CACHE_DIR/pyenv"
req="$WEIR_ROOT/tests/python/requirements.txt"
while [ $# -gt 0 ]; do
    case "$1" in
    --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
    --requirements) req=${2:?--requirements needs a file}; shift 2 ;;
    -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[ -f "$req" ] || die "no requirements file $req"

if [ -x "$dir/bin/python" ] && cmp -s "$req" "$dir/.requirements" 2>/dev/null; then
    exit 0
fi
need_cmd python3 "install Python 3 (scripts/install-deps.sh --with-java does)"
python3 -c 'import venv, ensurepip' 2>/dev/null ||
    die "python3 cannot make virtual environments: install python3-venv (scripts/install-deps.sh --with-java does)"
rm -rf "$dir"
python3 -m venv "$dir" || die "python3 -m venv $dir failed"
info "installing $(grep -v '^#' "$req" | tr '\n' ' ')from PyPI into $dir"
timeout "${WEIR_FETCH_TIMEOUT:-900}" "$dir/bin/pip" install -q --disable-pip-version-check -r "$req" ||
    die "pip could not install $req (is PyPI reachable?)"
cp "$req" "$dir/.requirements"
