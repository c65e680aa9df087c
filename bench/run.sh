#!/bin/sh
# bench/run.sh: builds the benchmarks (Release, own build dir) and runs
# them all, printing one table per benchmark.
#   bench/run.sh [build-dir]        (default: build-bench at the repo root)
# Scratch stores go to $WEIR_BENCH_DIR, else $TMPDIR, else /tmp.
# Takes a few minutes on 2 cores; at most 2 compile jobs.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_store_kv bench_store_restore \
  bench_store_memory >/dev/null
echo "weir statestore benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
"$build/bench/bench_store_kv"
"$build/bench/bench_store_restore"
"$build/bench/bench_store_memory"
