#!/usr/bin/env bash
# scripts/test.sh: sets up and runs weir's whole test suite on a fresh
# machine: installs the Debian packages, fetches Kafka and Apicurio Registry
# from Maven Central, builds, and runs every test:
#   1. the layout check (scripts/format.sh --check), in seconds;
#   2. the Release build (what users deploy) compiles without a warning;
#   3. the unit tests under AddressSanitizer + UBSan;
#   4. the whole suite: unit and integration, against the real broker and
#      registry that CTest starts and stops;
#   5. the runtime's integration tests under ThreadSanitizer
#      (scripts/tsan.sh), which fail on any race in weir's code.
#
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only what matches these ctest arguments
#                              (step 4 only)
#
# Extra ctest arguments are passed on. Exits non-zero on any failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
-h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

"$WEIR_ROOT/scripts/install-deps.sh" --with-java
"$WEIR_ROOT/scripts/fetch-kafka.sh"
"$WEIR_ROOT/scripts/fetch-registry.sh"

if [ $# -eq 0 ]; then
    "$WEIR_ROOT/scripts/format.sh" --check
    info "release build: -DCMAKE_BUILD_TYPE=Release, warnings are errors"
    "$WEIR_ROOT/scripts/build.sh" "$WEIR_ROOT/build-release" -DCMAKE_BUILD_TYPE=Release
    info "sanitizer pass: unit tests built with AddressSanitizer + UBSan"
    WEIR_SANITIZE=address,undefined "$WEIR_ROOT/scripts/build.sh" "$WEIR_ROOT/build-asan"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$WEIR_ROOT/build-asan" -L unit -LE integration \
        --output-on-failure -j "$(nproc)"
fi

"$WEIR_ROOT/scripts/build.sh" "$WEIR_ROOT/build"
if [ $# -gt 0 ]; then
    exec ctest --test-dir "$WEIR_ROOT/build" --output-on-failure -j "$(nproc)" "$@"
fi
suite=0
ctest --test-dir "$WEIR_ROOT/build" --output-on-failure -j "$(nproc)" || suite=$?
info "ThreadSanitizer pass: the runtime's integration tests"
tsan=0
"$WEIR_ROOT/scripts/tsan.sh" || tsan=$?
[ "$suite" = 0 ] || die "the test suite failed (ctest's summary above the ThreadSanitizer pass)"
[ "$tsan" = 0 ] || die "the ThreadSanitizer pass failed (its lines above)"
info "every step passed"
