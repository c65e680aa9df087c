#!/usr/bin/env bash
# bench/python-env.sh [--dir DIR]: a Python virtual environment with the
# packages of bench/requirements.txt (from PyPI), for the charts of the
# end-to-end benchmark's report (bench/report.py). Idempotent: does
# nothing when DIR (default .cache/bench-pyenv) already has exactly those
# requirements. The same pattern as scripts/python-env.sh.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

dir="$WEIR_CACHE_DIR/bench-pyenv"
case "${1:-}" in
--dir) dir=${2:?--dir needs a folder} ;;
-h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) die "unknown argument '$1' (see --help)" ;;
esac
req="$WEIR_ROOT/bench/requirements.txt"

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
