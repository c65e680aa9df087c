#!/usr/bin/env bash
# scripts/format.sh: lays out weir's C sources with clang-format
# (.clang-format at the top of the tree).
#
#   scripts/format.sh            rewrites every tracked .c and .h file
#   scripts/format.sh --check    changes nothing; lists the files that
#                                differ and fails if there are any
#   scripts/format.sh FILE...    rewrites these files only
#
# CI checks with Debian 12's clang-format 14 (scripts/install-deps.sh
# --with-java installs it); another major version may lay out some lines
# differently, so the check insists on 14. Blocks that are laid out by
# hand (usage texts) sit between /* clang-format off */ and on.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

check=0
case "${1:-}" in
-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
--check) check=1; shift ;;
esac

cf=
for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null 2>&1; then cf=$c; break; fi
done
[ -n "$cf" ] || die "clang-format not found: scripts/install-deps.sh --with-java installs it"
major=$("$cf" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$major" != 14 ]; then
    [ $check = 0 ] || die "$cf is version $major; the check needs clang-format 14 (Debian 12's), which CI uses"
    info "warning: $cf is version $major, CI checks with 14: some lines may differ"
fi

cd "$WEIR_ROOT"
if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(git ls-files '*.c' '*.h')
fi
[ ${#files[@]} -gt 0 ] || exit 0

if [ $check = 0 ]; then
    "$cf" -i --style=file "${files[@]}"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    "$cf" --style=file --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    printf '  %s\n' "${bad[@]}" >&2
    die "${#bad[@]} file(s) not laid out as .clang-format says: run scripts/format.sh and commit"
fi
info "${#files[@]} files laid out as .clang-format says"
