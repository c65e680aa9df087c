#!/bin/sh
# bench/failover.sh: the failover benchmark (bench_failover.c) on a real
# broker: builds it (Release, own build dir), starts a local broker with
# scripts/kafka.sh unless WEIR_BENCH_BOOTSTRAP names one, runs it and
# stops the broker. Extra arguments go to bench_failover, e.g.
#   bench/failover.sh --keys 200000 --session-timeout-ms 10000
# With librdkafka's default session timeout (45 s) the two SIGKILL cases
# take about a minute each; the whole run about 3 minutes on 2 cores.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEIR_BENCH_BUILD:-$root/build-bench}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_failover >/dev/null
bootstrap=${WEIR_BENCH_BOOTSTRAP:-}
dir=
if [ -z "$bootstrap" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/weir-bench-kafka-XXXXXX")
    trap '"$root/scripts/kafka.sh" stop --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
    "$root/scripts/kafka.sh" start --dir "$dir" >&2
    bootstrap=$(sed -n 's/^KAFKA_BOOTSTRAP=//p' "$dir/kafka.env")
fi
echo "weir failover benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
"$build/bench/bench_failover" --bootstrap "$bootstrap" "$@"
