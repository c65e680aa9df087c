#!/usr/bin/env bash
# scripts/test.sh: sets up and runs weir's whole test suite on a fresh
# machine: installs the Debian packages, fetches Kafka and Apicurio Registry
# from Maven Central, builds, and runs every test — the unit tests under
# AddressSanitizer + UBSan, then the whole suite (unit and integration,
# against the real broker and registry that CTest starts and stops).
#
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only what matches these ctest arguments
#                              (skips the sanitizer pass)
#
# Extra ctest arguments are passed on. Exits non-zero on any failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

"$WEIR_ROOT/scripts/install-deps.sh" --with-java
"$WEIR_ROOT/scripts/fetch-kafka.sh"
"$WEIR_ROOT/scripts/fetch-registry.sh"

if [ $# -eq 0 ]; then
    info "sanitizer pass: unit tests built with AddressSanitizer + UBSan"
    WEIR_SANITIZE=address,undefined "$WEIR_ROOT/scripts/build.sh" "$WEIR_ROOT/build-asan"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$WEIR_ROOT/build-asan" -L unit -LE integration \
        --output-on-failure -j "$(nproc)"
fi

"$WEIR_ROOT/scripts/build.sh" "$WEIR_ROOT/build"
# The summary line of this run is the last thing printed.
ctest --test-dir "$WEIR_ROOT/build" --output-on-failure -j "$(nproc)" "$@"
