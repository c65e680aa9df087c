#!/usr/bin/env bash
# scripts/tsan.sh: runs tests under ThreadSanitizer (the runtime's threads:
# stream threads, state updaters, the HTTP server, librdkafka's own).
#
#   scripts/tsan.sh                  the runtime's integration tests
#   scripts/tsan.sh TEST...          these test binaries (e.g. test_http)
#
# Builds build-tsan (WEIR_SANITIZE=thread), starts a broker unless
# WEIR_TEST_BOOTSTRAP names one, and runs each test in one process
# (CK_FORK=no) with TSan reporting every race. librdkafka itself is not
# instrumented: its C11 threads and locks are routed through pthreads by
# tests/support/tsan_threads.c, and the reports that remain inside it
# (races between two librdkafka frames) are not weir's. A test fails when
# it fails, or when a report has weir code (framework/, statestore/,
# base/) in the top two frames of either access; the full log is kept.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
-h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
    # Stream threads and rebalancing, restores and standbys, global
    # stores and dead letters, the HTTP server scraped while records flow.
    tests=(test_runtime_eos test_runtime_scale test_runtime_restore
           test_runtime_standby test_runtime_static test_runtime_event_time
           test_runtime_errors test_runtime_metrics)
fi
build=$WEIR_ROOT/build-tsan
WEIR_SANITIZE=thread "$WEIR_ROOT/scripts/build.sh" "$build"

kafka_dir=
if [ -z "${WEIR_TEST_BOOTSTRAP:-}" ]; then
    "$WEIR_ROOT/scripts/fetch-kafka.sh"
    kafka_dir=$(mktemp -d "${TMPDIR:-/tmp}/weir-tsan-kafka-XXXXXX")
    trap '"$WEIR_ROOT/scripts/kafka.sh" stop --dir "$kafka_dir" >/dev/null 2>&1 || true' EXIT
    "$WEIR_ROOT/scripts/kafka.sh" start --dir "$kafka_dir"
    WEIR_TEST_BOOTSTRAP=$(sed -n 's/^KAFKA_BOOTSTRAP=//p' "$kafka_dir/kafka.env")
    export WEIR_TEST_BOOTSTRAP
fi

export CK_FORK=no
# exitcode=0 and die_after_fork=0: children of the crash tests (forked
# after librdkafka started threads) run on, and their races are judged
# from the log like the parent's.
export TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0 exitcode=0 die_after_fork=0"
failed=0
for t in "${tests[@]}"; do
    bin=$(find "$build/tests" -name "$t" -type f -perm -u+x | head -1)
    [ -n "$bin" ] || die "no test binary named $t in $build/tests"
    log=$build/tsan-$t.log
    status=ok
    "$bin" >"$log" 2>&1 || status="failed (exit $?)"
    # Frames #0 and #1 of both accesses of each report. A report whose
    # one access is librdkafka freeing its own buffer (free called from
    # librdkafka) is not counted: the consumed message it frees was read
    # by a stream thread before the message was destroyed, and the
    # reference count that orders the two is an atomic in uninstrumented
    # librdkafka, which TSan cannot see. A real use after free there is
    # ASan's to find.
    ours=$(awk '/WARNING: ThreadSanitizer/ { r = 1; n = 0; reclaim = 0 }
                /^  (Location is|Mutex|Thread T)/ { r = 0 }
                /^  [A-Z].* of size / { prev0 = "" }
                r && /^    #0 / { prev0 = $2 }
                r && /^    #1 / && prev0 == "free" && /librdkafka\.so/ { reclaim = 1 }
                r && /^    #[01] / && /\/(framework|statestore|base)\// { n++ }
                /^SUMMARY/ { if (!reclaim) c += n; r = 0; n = 0 }
                END { print c + 0 }' "$log")
    [ "$ours" = 0 ] || status="$ours race frame(s) in weir code"
    all=$(grep -c 'WARNING: ThreadSanitizer' "$log" || true)
    info "$t: $status ($all report(s) in all, log $log)"
    [ "$status" = ok ] || failed=1
done
exit $failed
