#!/usr/bin/env bash
# bench/suite.sh: the end-to-end benchmark (issue 12): the recommendation
# app in weir, the same topology in Kafka Streams (the peer, when
# bench/kstreams-peer/run.sh exists) and a raw librdkafka
# consume-transform-produce loop under EOS (the limit), one after the
# other on the same broker and the same input, measured from outside,
# their outputs checked, and a report with charts written.
#
# Each contender runs alone on the same input with a fresh application
# id, output topic and state dir; weir-bench-measure times it from
# outside (wall, CPU and peak RSS of its whole process tree); the
# outputs of weir and the peer are checked against the generator's clicks
# and against each other. The report goes to bench/results/<date>-<mode>.md
# with the raw rows (.tsv) and charts (-throughput, -cpu, -latency .png);
# the exit status is 1 when a check failed. The peer runs when
# bench/kstreams-peer/run.sh exists and is skipped, saying so, otherwise.
#
#   bench/suite.sh [--quick | --full] [OPTIONS]
#
# Modes (sizes; every one can be overridden below):
#   --quick   (default) backlog 200 k records, steady 20 s, restore 300 k
#             entries, 1 repeat: a few minutes on 2 cores
#   --full    backlog 5.05 M records, steady 60 s, restore 5.2 M entries,
#             the seed's rate too, 3 repeats
#
# Options:
#   --workloads LIST      backlog,steady,restore,seed (default: quick
#                         backlog,steady,restore; full all four)
#   --threads LIST        stream threads per run (default 1,2)
#   --repeats N           runs of each case (quick 1, full 3)
#   --contenders LIST     weir,peer,limit (default all three); weir-idle
#                         and peer-idle are weir and the peer with
#                         idle.timeout.ms=$WEIR_BENCH_LOW_IDLE_MS (default
#                         1000), added by themselves to the seed workload
#   --backlog-records N   backlog size (clicks : sales = 1 : 100)
#   --steady-rate R       records/s of the steady load (default 20000)
#   --steady-seconds S    its duration
#   --restore-entries N   purchases changelog entries to restore
#   --out DIR             where the report goes (default bench/results)
#   --work DIR            scratch folder (default: a new one in $TMPDIR,
#                         removed at the end unless --keep-work)
#   --keep-work           keep the scratch folder (logs, outputs)
#   --no-build            use the binaries already in the build folder
#   --latency-cross-check in the steady runs, also read the output with
#                         the Java client (bench/tools/LatencyCheck.java,
#                         kafka-clients of the broker's libs) and compare
#                         its latencies with the C probe's, window by window
#   -h, --help            this text
#
# Environment: WEIR_BENCH_BOOTSTRAP=host:port and WEIR_BENCH_REGISTRY=URL
# (the registry's base URL or its ccompat API) use existing services
# instead of starting a broker and a registry with scripts/kafka.sh and
# scripts/registry.sh; the suite then deletes the topics it made
# (all named weirbench-<time>-...). WEIR_BENCH_WEIR_PROPS=FILE appends
# FILE's properties to weir's (to compare a setting). WEIR_BENCH_BUILD
# is the build folder
# (default build-bench, Release, as bench/run.sh). Builds with at most 2
# jobs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prog=suite.sh

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
log() { printf '[%s %s] %s\n' "$prog" "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

mode=quick
workloads= threads=1,2 repeats= contenders=weir,peer,limit
backlog_records= steady_rate=20000 steady_seconds= restore_entries=
out_dir=$root/bench/results work= keep_work=0 build_it=1 cross_check=0
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --workloads) workloads=${2:?--workloads needs a list}; shift ;;
    --threads) threads=${2:?--threads needs a list}; shift ;;
    --repeats) repeats=${2:?--repeats needs a number}; shift ;;
    --contenders) contenders=${2:?--contenders needs a list}; shift ;;
    --backlog-records) backlog_records=${2:?}; shift ;;
    --steady-rate) steady_rate=${2:?}; shift ;;
    --steady-seconds) steady_seconds=${2:?}; shift ;;
    --restore-entries) restore_entries=${2:?}; shift ;;
    --out) out_dir=${2:?}; shift ;;
    --work) work=${2:?}; shift ;;
    --keep-work) keep_work=1 ;;
    --no-build) build_it=0 ;;
    --latency-cross-check) cross_check=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
if [ "$mode" = quick ]; then
    : "${workloads:=backlog,steady,restore}" "${repeats:=1}"
    : "${backlog_records:=200000}" "${steady_seconds:=20}"
    : "${restore_entries:=300000}"
else
    : "${workloads:=backlog,steady,restore,seed}" "${repeats:=3}"
    : "${backlog_records:=5050000}" "${steady_seconds:=60}"
    : "${restore_entries:=5200000}"
fi
for n in "$repeats" "$backlog_records" "$steady_rate" "$steady_seconds" \
    "$restore_entries"; do
    case "$n" in '' | *[!0-9]*) die "'$n' is not a number" ;; esac
done
IFS=, read -r -a workload_list <<<"$workloads"
IFS=, read -r -a thread_list <<<"$threads"
IFS=, read -r -a contender_list <<<"$contenders"
for w in "${workload_list[@]}"; do
    case "$w" in backlog | steady | restore | seed) ;;
    *) die "unknown workload '$w' (backlog, steady, restore, seed)" ;; esac
done
for c in "${contender_list[@]}"; do
    case "$c" in weir | weir-idle | peer | peer-idle | limit) ;;
    *) die "unknown contender '$c' (weir, weir-idle, peer, peer-idle, limit)" ;; esac
done

kafka_version=$(sed -n 's/^KAFKA_VERSION=\${KAFKA_VERSION:-\(.*\)}$/\1/p' "$root/scripts/lib.sh")
kafka_libs=${WEIR_CACHE_DIR:-$root/.cache}/kafka-$kafka_version/libs
if [ "$cross_check" = 1 ] && [ ! -d "$kafka_libs" ]; then
    "$root/scripts/fetch-kafka.sh" >&2 || die "--latency-cross-check needs kafka-clients: scripts/fetch-kafka.sh failed"
fi
command -v kcat >/dev/null 2>&1 || die "kcat not found: install it (scripts/install-deps.sh does)"
command -v python3 >/dev/null 2>&1 || die "python3 not found (scripts/install-deps.sh --with-java installs it)"

# ---- the peer: a contender when its runner exists ----
peer_run=$root/bench/kstreams-peer/run.sh
peer_skipped=
has() { # has CONTENDER: true when it is in the list
    local c
    for c in "${contender_list[@]}"; do [ "$c" = "$1" ] && return 0; done
    return 1
}
if { has peer || has peer-idle; } && [ ! -x "$peer_run" ]; then
    peer_skipped="the Kafka Streams peer was skipped: bench/kstreams-peer/run.sh does not exist (or is not executable) in this checkout"
    log "$peer_skipped; the suite runs it when it does"
    new=()
    for c in "${contender_list[@]}"; do
        case "$c" in peer | peer-idle) ;; *) new+=("$c") ;; esac
    done
    contender_list=("${new[@]}")
fi
[ ${#contender_list[@]} -gt 0 ] || die "no contender left to run"

# ---- build ----
build=${WEIR_BENCH_BUILD:-$root/build-bench}
if [ "$build_it" = 1 ]; then
    log "building (Release) in $build"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j2 --target bench-suite >/dev/null ||
        die "the build failed (run: cmake --build $build --target bench-suite)"
fi
bin=$build/bench
app_bin=$build/apps/recommendation
for b in "$bin/weir-bench-limit" "$bin/weir-bench-measure" \
    "$bin/weir-bench-latency" "$bin/weir-bench-topics" \
    "$app_bin/weir-recommend" "$app_bin/weir-datagen"; do
    [ -x "$b" ] || die "$b is missing (build the bench-suite target)"
done
peer_idle_flag=0
if has peer || has peer-idle; then
    # Builds the peer's jar now if it needs it, so that no run counts it.
    log "preparing the peer ($peer_run --help)"
    peer_help=$("$peer_run" --help 2>"${TMPDIR:-/tmp}/weir-bench-peer-help.log") ||
        die "$peer_run --help failed (see ${TMPDIR:-/tmp}/weir-bench-peer-help.log)"
    case "$peer_help" in *--idle-timeout-ms*) peer_idle_flag=1 ;; esac
fi

# ---- scratch, services, cleanup ----
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/weir-bench-XXXXXX")
else
    mkdir -p "$work"
fi
mkdir -p "$work/logs" "$work/out" "$work/lat" "$work/state"
pfx=weirbench-$(date +%s)
results=$work/results.tsv
checks=$work/checks.txt
: >"$checks"
printf 'workload\tcontender\tthreads\trepeat\tstatus\twall_s\tcpu_s\trss_mb\trecords\trecords_per_s\tcpu_s_per_m\tout_records\tlat_count\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tentries\trestore_per_s\tfirst_s\n' >"$results"

running=()         # process groups of contenders still running
helpers=()         # pids of tools still running
own_kafka= own_registry= created_topics=()
cleanup() {
    local rc=$? p
    for p in "${running[@]}"; do stop_group "$p" || true; done
    for p in "${helpers[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "$own_registry" ]; then
        "$root/scripts/registry.sh" stop --dir "$work/registry" >/dev/null 2>&1 || true
    fi
    if [ -n "$own_kafka" ]; then
        "$root/scripts/kafka.sh" stop --dir "$work/kafka" >/dev/null 2>&1 || true
    elif [ ${#created_topics[@]} -gt 0 ] && [ -n "${bootstrap:-}" ]; then
        drop_own_topics || true
    fi
    if [ "$keep_work" = 1 ] || [ $rc != 0 ]; then
        log "scratch folder kept: $work"
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bootstrap=${WEIR_BENCH_BOOTSTRAP:-}
registry=${WEIR_BENCH_REGISTRY:-}
if [ -z "$bootstrap" ]; then
    log "starting a Kafka broker in $work/kafka"
    own_kafka=1
    "$root/scripts/kafka.sh" start --dir "$work/kafka" >&2
    bootstrap=$(sed -n 's/^KAFKA_BOOTSTRAP=//p' "$work/kafka/kafka.env")
fi
if [ -z "$registry" ]; then
    log "starting Apicurio Registry in $work/registry"
    own_registry=1
    "$root/scripts/registry.sh" start --dir "$work/registry" >&2
    registry=$(sed -n 's/^REGISTRY_URL=//p' "$work/registry/registry.env")
fi
case "$registry" in */apis/*) ;; *) registry=${registry%/}/apis/ccompat/v7 ;; esac
log "broker $bootstrap, registry $registry, topics $pfx-*"

topics_tool() { "$bin/weir-bench-topics" -b "$bootstrap" "$@"; }
create_topics() { # create_topics TOPIC...: 6 partitions, kept forever
    topics_tool create -p 6 -c retention.ms=-1 "$@" >/dev/null
    created_topics+=("$@")
}
# Every topic of this run: ours, and the contenders' internal topics,
# all named after $pfx.
drop_own_topics() {
    local all
    all=$(kcat -b "$bootstrap" -L 2>/dev/null |
        sed -n "s/^  topic \"\($pfx-[^\"]*\)\".*/\1/p")
    [ -z "$all" ] || topics_tool delete $all >/dev/null 2>&1
}

# stop_group PGID: SIGTERM to the contender's process group (it runs in a
# session of its own, so a script and the JVM it starts stop together),
# SIGKILL after 60 s.
stop_group() {
    local pg=$1 i
    kill -TERM -- "-$pg" 2>/dev/null || return 0
    for i in $(seq 1 120); do
        kill -0 -- "-$pg" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 -- "-$pg" 2>/dev/null; then
        log "process group $pg did not stop in 60 s: killing it"
        kill -KILL -- "-$pg" 2>/dev/null || true
    fi
    wait "$pg" 2>/dev/null || true
    local new=() p
    for p in "${running[@]}"; do [ "$p" = "$pg" ] || new+=("$p"); done
    running=("${new[@]}")
}

# start_contender NAME APP THREADS CLICKS SALES OUT STATE LOG: starts it
# in a session of its own; sets cpid (= its process group).
start_contender() {
    local name=$1 app=$2 threads=$3 clicks=$4 sales=$5 out=$6 state=$7 logf=$8
    case "$name" in
    weir | weir-idle)
        local props=$work/logs/$app.properties
        cat >"$props" <<EOF
bootstrap.servers=$bootstrap
schema.registry.url=$registry
application.id=$app
topic.clicks=$clicks
topic.sales=$sales
topic.recommendations=$out
state.dir=$state
num.stream.threads=$threads
EOF
        [ "$name" = weir ] ||
            echo "idle.timeout.ms=${WEIR_BENCH_LOW_IDLE_MS:-1000}" >>"$props"
        # Extra weir properties for an A/B run (not used by default).
        [ -z "${WEIR_BENCH_WEIR_PROPS:-}" ] ||
            cat "$WEIR_BENCH_WEIR_PROPS" >>"$props"
        setsid "$app_bin/weir-recommend" -c "$props" -q \
            --progress-interval 0 </dev/null >"$logf" 2>&1 &
        ;;
    peer | peer-idle)
        local extra=()
        [ "$name" = peer ] ||
            extra=(--idle-timeout-ms "${WEIR_BENCH_LOW_IDLE_MS:-1000}")
        setsid "$peer_run" --bootstrap "$bootstrap" --registry "$registry" \
            --application-id "$app" --threads "$threads" \
            --clicks-topic "$clicks" --sales-topic "$sales" \
            --output-topic "$out" --state-dir "$state" \
            --commit-interval-ms 100 "${extra[@]}" </dev/null >"$logf" 2>&1 &
        ;;
    limit)
        setsid "$bin/weir-bench-limit" -b "$bootstrap" -g "$app" \
            -i "$clicks,$sales" -o "$out" -t "$threads" \
            -c 100 </dev/null >"$logf" 2>&1 &
        ;;
    esac
    cpid=$!
    running+=("$cpid")
}

# parse_kv PREFIX LINE: sets PREFIX<key>=<value> for each key=value.
parse_kv() {
    local pfx_=$1 kv
    shift
    for kv in $*; do
        case "$kv" in *=*) printf -v "$pfx_${kv%%=*}" '%s' "${kv#*=}" ;; esac
    done
}

check() { # check OK|FAIL TEXT
    printf '%s: %s\n' "$1" "$2" >>"$checks"
    log "check $1: $2"
}

# row WORKLOAD CONTENDER THREADS REPEAT then the other columns, '-' for
# none.
row() {
    local IFS=$'\t'
    echo "$*" >>"$results"
}

datagen() {
    "$app_bin/weir-datagen" -b "$bootstrap" -r "$registry" -q "$@"
}

per_m() { # per_m CPU RECORDS: CPU seconds per million records
    awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.2f", c * 1e6 / n; else print "-" }'
}

t0_ms=1719579600000 # the backlog's event time starts 2024-06-28 13:00 UTC

# ---- backlog ----
run_backlog() {
    local clicks=$pfx-backlog-clicks sales=$pfx-backlog-sales
    log "backlog: loading $backlog_records records (1 click : 100 sales, 6 partitions)"
    local t_load=$SECONDS
    datagen --topic-clicks "$clicks" --topic-sales "$sales" -p 6 -s 42 \
        --event-time-start $t0_ms --speedup 0 --count "$backlog_records" \
        -g >(awk -F'\t' -v t="$clicks" '$1 == t' >"$work/backlog-clicks.tsv")
    created_topics+=("$clicks" "$sales")
    sleep 1 # the ground-truth filter finishes
    log "backlog: loaded in $((SECONDS - t_load)) s"
    local timeout=$((600 + backlog_records / 5000))
    local c t r
    for t in "${thread_list[@]}"; do
        for r in $(seq 1 "$repeats"); do
            for c in "${contender_list[@]}"; do
                case "$c" in *-idle) continue ;; esac
                local app=$pfx-$c-b-t$t-r$r out=$pfx-out-$c-b-t$t-r$r
                create_topics "$out"
                log "backlog: $c, $t thread(s), run $r"
                start_contender "$c" "$app" "$t" "$clicks" "$sales" "$out" \
                    "$work/state/$app" "$work/logs/$app.log"
                local line prefix_args=()
                [ "$c" = limit ] || prefix_args=(-p "$app-")
                line=$("$bin/weir-bench-measure" --pid "$cpid" -b "$bootstrap" \
                    -g "$app" -i "$clicks,$sales" "${prefix_args[@]}" \
                    --timeout "$timeout" 2>>"$work/logs/$app.measure") || true
                sleep 2
                stop_group "$cpid"
                local m_status=failed m_wall_s=- m_cpu_s=- m_rss_peak_mb=- m_records=- m_records_per_s=-
                parse_kv m_ "$line"
                local n_out
                n_out=$(topics_tool count "$out" | awk '{print $2}')
                log "backlog: $c t$t r$r: $line, $n_out out"
                row backlog "$c" "$t" "$r" "$m_status" "$m_wall_s" "$m_cpu_s" \
                    "$m_rss_peak_mb" "$m_records" "$m_records_per_s" \
                    "$(per_m "$m_cpu_s" "$m_records")" "$n_out" - - - - - - - -
                [ "$m_status" = done ] ||
                    check FAIL "backlog $c, $t thread(s), run $r did not finish ($m_status; log $work/logs/$app.log)"
                if [ "$c" = limit ]; then
                    [ "$n_out" = "$m_records" ] &&
                        check OK "backlog limit, $t thread(s), run $r: $n_out records out for $m_records in" ||
                        check FAIL "backlog limit, $t thread(s), run $r: $n_out records out for $m_records in"
                    continue
                fi
                local dump=$work/out/$c-t$t-r$r.txt verdict
                topics_tool dump "$out" | LC_ALL=C sort >"$dump"
                if verdict=$(python3 "$root/bench/check_output.py" \
                    "$work/backlog-clicks.tsv" "$dump"); then
                    check OK "backlog $c, $t thread(s), run $r: $verdict"
                else
                    check FAIL "backlog $c, $t thread(s), run $r: $verdict"
                fi
            done
        done
    done
    # The same input gives the same output: every run of weir and of the
    # peer, whatever the threads, against weir's first.
    local ref=
    for t in "${thread_list[@]}"; do
        [ -f "$work/out/weir-t$t-r1.txt" ] && { ref=$work/out/weir-t$t-r1.txt; break; }
    done
    [ -n "$ref" ] || return 0
    local f same=() a
    a=$(basename "$ref" .txt)
    for f in "$work"/out/*-t*-r*.txt; do
        [ "$f" != "$ref" ] || continue
        local b
        b=$(basename "$f" .txt)
        if cmp -s "$ref" "$f"; then
            same+=("$b")
        else
            local d
            d=$(LC_ALL=C comm -3 "$ref" "$f" | wc -l)
            check FAIL "backlog outputs of $a ($(wc -l <"$ref") records) and $b ($(wc -l <"$f")) differ in $d records"
        fi
    done
    [ ${#same[@]} -eq 0 ] ||
        check OK "backlog outputs identical to $a ($(wc -l <"$ref") records, read_committed, sorted): ${same[*]}"
}

# ---- steady load (and the seed's rate) ----
# run_steady WORKLOAD CLICKS_PER_S SALES_PER_S SECONDS
run_steady() {
    local wl=$1 cps=$2 sps=$3 secs=$4
    local warmup=$((secs / 4 < 15 ? secs / 4 : 15))
    local rate=$((cps + sps))
    local list=("${contender_list[@]}")
    if [ "$wl" = seed ] && has weir && ! has weir-idle; then
        list+=(weir-idle)
    fi
    if [ "$wl" = seed ] && has peer && ! has peer-idle &&
        [ "$peer_idle_flag" = 1 ]; then
        list+=(peer-idle)
    fi
    local c t r
    for t in "${thread_list[@]}"; do
        for r in $(seq 1 "$repeats"); do
            for c in "${list[@]}"; do
                local app=$pfx-$c-$wl-t$t-r$r
                local clicks=$app-in-clicks sales=$app-in-sales out=$pfx-out-$c-$wl-t$t-r$r
                create_topics "$clicks" "$sales" "$out"
                log "$wl: $c, $t thread(s), run $r: $rate records/s for $secs s"
                start_contender "$c" "$app" "$t" "$clicks" "$sales" "$out" \
                    "$work/state/$app" "$work/logs/$app.log"
                local line
                line=$("$bin/weir-bench-measure" --pid "$cpid" -b "$bootstrap" \
                    --ready "$app" --members "$t" --timeout 180 \
                    2>>"$work/logs/$app.measure") ||
                    log "$wl: $c did not become ready: $line"
                local latpid= jpid=
                local raw=$work/lat/$wl-$c-t$t-r$r.tsv
                local jraw=$work/lat/java-$wl-$c-t$t-r$r.tsv
                if [ "$cross_check" = 1 ] && [ "$c" != limit ]; then
                    java -cp "$kafka_libs/*" "$root/bench/tools/LatencyCheck.java" \
                        "$bootstrap" "$out" 1000 "$jraw" \
                        2>>"$work/logs/$app.measure" &
                    jpid=$!
                    helpers+=("$jpid")
                    sleep 5 # compiled and assigned before the load starts
                fi
                if [ "$c" != limit ]; then
                    "$bin/weir-bench-latency" -b "$bootstrap" -t "$out" \
                        --from-ms $(($(date +%s%3N) + warmup * 1000)) \
                        --raw "$raw" >"$work/lat/$wl-$c-t$t-r$r.out" \
                        2>>"$work/logs/$app.measure" &
                    latpid=$!
                    helpers+=("$latpid")
                fi
                datagen --topic-clicks "$clicks" --topic-sales "$sales" \
                    -s "$r" --clicks-per-sec "$cps" --sales-per-sec "$sps" \
                    --duration "$secs" &
                local dgpid=$!
                helpers+=("$dgpid")
                line=$("$bin/weir-bench-measure" --pid "$cpid" \
                    --duration "$secs" 2>>"$work/logs/$app.measure") || true
                wait "$dgpid" || log "$wl: weir-datagen failed"
                sleep 5 # the last closed windows' results
                local n_in
                n_in=$(topics_tool size "$clicks" "$sales" | awk '{s += $2} END {print s}')
                local m_status=failed m_cpu_s=- m_rss_peak_mb=-
                parse_kv m_ "$line"
                local l_count=- l_p50_ms=- l_p90_ms=- l_p99_ms=- l_max_ms=-
                if [ -n "$latpid" ]; then
                    kill -TERM "$latpid" 2>/dev/null || true
                    wait "$latpid" || true
                    parse_kv l_ "$(cat "$work/lat/$wl-$c-t$t-r$r.out")"
                fi
                if [ -n "$jpid" ]; then
                    kill -TERM "$jpid" 2>/dev/null || true
                    wait "$jpid" || true
                    cross_compare "$wl $c, $t thread(s), run $r" "$raw" "$jraw"
                fi
                stop_group "$cpid"
                log "$wl: $c t$t r$r: $n_in in, cpu $m_cpu_s s, rss $m_rss_peak_mb MB, latency p50 $l_p50_ms p99 $l_p99_ms max $l_max_ms ms ($l_count)"
                row "$wl" "$c" "$t" "$r" "$m_status" "$secs" "$m_cpu_s" \
                    "$m_rss_peak_mb" "$n_in" \
                    "$(awk -v n="$n_in" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')" \
                    "$(per_m "$m_cpu_s" "$n_in")" - "$l_count" "$l_p50_ms" \
                    "$l_p90_ms" "$l_p99_ms" "$l_max_ms" - - -
                if [ "$c" != limit ] && [ "$l_count" = - -o "$l_count" = 0 ]; then
                    check FAIL "$wl $c, $t thread(s), run $r: no result read after the warm-up"
                fi
            done
        done
    done
}

# cross_compare WHAT C_RAW JAVA_RAW: the two probes' median latency per
# window (counted windows only), and the largest difference.
cross_compare() {
    local verdict
    verdict=$(awk -F'\t' '
        FILENAME == ARGV[1] { if ($3 == 1) { c[$1] = c[$1] " " $2; keep[$1] = 1 } next }
        { j[$1] = j[$1] " " $2 }
        function median(s,   a, n, i, k, t) {
            n = split(s, a, " ")
            for (i = 2; i <= n; i++) { t = a[i] + 0; for (k = i - 1; k >= 1 && a[k] + 0 > t; k--) a[k + 1] = a[k]; a[k + 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        END { worst = 0; n = 0
              for (w in keep) if (w in j) { d = median(c[w]) - median(j[w]); if (d < 0) d = -d; if (d > worst) worst = d; n++ }
              printf "%d %.0f\n", n, worst }' "$2" "$3")
    local n=${verdict% *} worst=${verdict#* }
    if [ "$n" -gt 0 ] && [ "$worst" -le 100 ]; then
        check OK "latency cross-check, $1: per-window medians of the librdkafka and Java probes differ by at most $worst ms ($n windows)"
    else
        check FAIL "latency cross-check, $1: per-window medians differ by up to $worst ms ($n windows compared)"
    fi
}

# ---- restore ----
run_restore() {
    local clicks=$pfx-restore-clicks sales=$pfx-restore-sales
    # Sales of a million users over 200 products: nearly every sale is a
    # new (user, product), so the purchases store gets about one entry per
    # sale. 1000 sales per second of event time.
    log "restore: loading $restore_entries sales of 1 M users"
    datagen --topic-clicks "$clicks" --topic-sales "$sales" -p 6 -s 7 \
        --users 1000000 --clicks-per-sec 0 --sales-per-sec 1000 \
        --event-time-start $t0_ms --speedup 0 --count "$restore_entries"
    created_topics+=("$clicks" "$sales")
    local next_t=$((t0_ms + restore_entries + 60000)) trigger=0
    local c t r
    declare -A entries pending
    for c in "${contender_list[@]}"; do
        case "$c" in limit | *-idle) continue ;; esac
        local app=$pfx-$c-r out=$pfx-out-$c-r-fill
        create_topics "$out"
        log "restore: $c fills its changelogs (2 threads)"
        start_contender "$c" "$app" 2 "$clicks" "$sales" "$out" \
            "$work/state/$app-fill" "$work/logs/$app-fill.log"
        local line
        line=$("$bin/weir-bench-measure" --pid "$cpid" -b "$bootstrap" \
            -g "$app" -i "$clicks,$sales" -p "$app-" \
            --timeout $((900 + restore_entries / 2000)) \
            2>>"$work/logs/$app.measure") || true
        sleep 2
        stop_group "$cpid"
        log "restore: $c filled: $line"
        local cl
        cl=$(kcat -b "$bootstrap" -L 2>/dev/null |
            sed -n "s/^  topic \"\($app-[^\"]*-changelog\)\".*/\1/p")
        entries[$c]=$( [ -z "$cl" ] && echo 0 || topics_tool count $cl | awk '{s += $2} END {print s}')
        log "restore: $c changelogs $(echo $cl): ${entries[$c]} entries"
        pending[$c]=
    done
    for t in "${thread_list[@]}"; do
        for r in $(seq 1 "$repeats"); do
            for c in "${contender_list[@]}"; do
                case "$c" in limit | *-idle) continue ;; esac
                local app=$pfx-$c-r out=$pfx-out-$c-r-t$t-r$r
                # New clicks (and a few sales) after what the app has
                # read, 60 s of event time: a task answers them only once
                # its stores are restored, so the app has restored all
                # once it has answered every user of a window that surely
                # closed (of every trigger it has not read yet, as the
                # other contenders' triggers land in the same topics).
                trigger=$((trigger + 1))
                local tf=$work/trigger-$trigger.tsv
                datagen --topic-clicks "$clicks" --topic-sales "$sales" \
                    -s $((100 + trigger)) --users 1000000 --clicks-per-sec 10 \
                    --sales-per-sec 100 --event-time-start "$next_t" \
                    --speedup 0 --duration 60 \
                    -g >(awk -F'\t' -v t="$clicks" '$1 == t' >"$tf")
                sleep 1 # the ground-truth filter finishes
                next_t=$((next_t + 120000))
                local k
                for k in "${!pending[@]}"; do pending[$k]="${pending[$k]} $tf"; done
                local want=$work/want-$c-t$t-r$r.txt
                python3 "$root/bench/check_output.py" --closed-keys ${pending[$c]} >"$want"
                pending[$c]=
                create_topics "$out"
                # The last instance must have left the group: Kafka Streams
                # does not leave it when it closes, and a new member would
                # wait for the old one's session to time out (not restore).
                "$bin/weir-bench-measure" --pid 0 -b "$bootstrap" \
                    --empty "$app" --timeout 120 >/dev/null \
                    2>>"$work/logs/$app.measure" ||
                    log "restore: group $app still has members after 120 s"
                rm -rf "$work/state/$app"
                log "restore: $c, $t thread(s), run $r: ${entries[$c]} entries into an empty state dir"
                start_contender "$c" "$app" "$t" "$clicks" "$sales" "$out" \
                    "$work/state/$app" "$work/logs/$app-t$t-r$r.log"
                local line
                line=$("$bin/weir-bench-measure" --pid "$cpid" -b "$bootstrap" \
                    --first-output "$out" --keys "$want" --timeout 900 \
                    2>>"$work/logs/$app.measure") || true
                stop_group "$cpid"
                local m_status=failed m_wall_s=- m_cpu_s=- m_rss_peak_mb=- m_first_s=- m_outputs=0 m_keys_missing=-
                parse_kv m_ "$line"
                log "restore: $c t$t r$r: $line (waited for $(wc -l <"$want") users)"
                local rate=-
                [ "$m_status" != done ] ||
                    rate=$(awk -v n="${entries[$c]}" -v s="$m_wall_s" 'BEGIN { printf "%.0f", n / s }')
                row restore "$c" "$t" "$r" "$m_status" "$m_wall_s" "$m_cpu_s" \
                    "$m_rss_peak_mb" - - "$(per_m "$m_cpu_s" "${entries[$c]}")" \
                    "$m_outputs" - - - - - "${entries[$c]}" "$rate" "$m_first_s"
                if [ "$m_status" = done ]; then
                    check OK "restore $c, $t thread(s), run $r: ${entries[$c]} entries restored, results for all $(wc -l <"$want") users of the new clicks' closed windows"
                else
                    check FAIL "restore $c, $t thread(s), run $r: results for $(wc -l <"$want") users expected, $m_keys_missing missing ($m_status)"
                fi
            done
        done
    done
    if [ "${entries[weir]:-0}" -lt "$restore_entries" ] 2>/dev/null && has weir; then
        log "restore: weir's changelogs hold ${entries[weir]:-0} entries, fewer than the $restore_entries sales (repeated user/product pairs)"
    fi
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t_start=$SECONDS
for w in "${workload_list[@]}"; do
    case "$w" in
    backlog) run_backlog ;;
    steady)
        cps=$(((steady_rate + 50) / 101))
        run_steady steady "$cps" $((steady_rate - cps)) "$steady_seconds" ;;
    restore) run_restore ;;
    seed) run_steady seed 1 100 "$steady_seconds" ;;
    esac
done
elapsed=$((SECONDS - t_start))

# ---- the report ----
registry_version=$(sed -n 's/^APICURIO_VERSION=\${APICURIO_VERSION:-\(.*\)}$/\1/p' "$root/scripts/lib.sh")
streams_version=-
if has peer && [ -f "$root/bench/kstreams-peer/pom.xml" ]; then
    streams_version=$(grep -A2 '<artifactId>kafka-streams</artifactId>' \
        "$root/bench/kstreams-peer/pom.xml" | sed -n 's/.*<version>\(.*\)<\/version>.*/\1/p' | head -1)
    case "$streams_version" in '$'*)
        prop=$(echo "$streams_version" | sed 's/^\${\(.*\)}$/\1/')
        streams_version=$(sed -n "s/.*<$prop>\(.*\)<\/$prop>.*/\1/p" \
            "$root/bench/kstreams-peer/pom.xml" | head -1) ;;
    esac
fi
{
    echo "started=$started"
    echo "mode=$mode"
    echo "elapsed_s=$elapsed"
    echo "contenders=$(IFS=,; echo "${contender_list[*]}")"
    echo "workloads=$workloads"
    echo "threads=$threads"
    echo "repeats=$repeats"
    echo "backlog_records=$backlog_records"
    echo "steady_rate=$steady_rate"
    echo "steady_seconds=$steady_seconds"
    echo "restore_entries=$restore_entries"
    echo "nproc=$(nproc)"
    echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "memory=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "weir=$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- . ':!bench/results' || echo '+changes')"
    echo "librdkafka=$(pkg-config --modversion rdkafka)"
    echo "kafka=${WEIR_BENCH_BOOTSTRAP:+an existing broker at }${WEIR_BENCH_BOOTSTRAP:-$kafka_version, single node, KRaft}"
    echo "registry=${WEIR_BENCH_REGISTRY:+an existing registry at }${WEIR_BENCH_REGISTRY:-Apicurio $registry_version, in memory}"
    echo "java=$(java -version 2>&1 | head -1)"
    echo "kafka_streams=$streams_version"
    peer_src=-
    if has peer; then
        if git -C "$root" ls-files --error-unmatch bench/kstreams-peer/run.sh >/dev/null 2>&1; then
            peer_src="bench/kstreams-peer at $(git -C "$root" log -1 --format=%h -- bench/kstreams-peer)"
            git -C "$root" diff --quiet HEAD -- bench/kstreams-peer || peer_src="$peer_src+changes"
        else
            peer_src="bench/kstreams-peer not committed in this checkout (a work in progress)"
        fi
    fi
    echo "peer_source=$peer_src"
    echo "peer_skipped=$peer_skipped"
} >"$work/meta.env"

py=${WEIR_CACHE_DIR:-$root/.cache}/bench-pyenv
"$root/scripts/python-env.sh" --dir "$py" \
    --requirements "$root/bench/requirements.txt" >&2 ||
    die "no Python environment for the charts (results kept in $work)"
mkdir -p "$out_dir"
name=$(date -u +%Y-%m-%d)-$mode
i=2
while [ -e "$out_dir/$name.md" ]; do
    name=$(date -u +%Y-%m-%d)-$mode-$i
    i=$((i + 1))
done
cp "$results" "$out_dir/$name.tsv"
"$py/bin/python" "$root/bench/report.py" --results "$results" \
    --meta "$work/meta.env" --checks "$checks" --latency "$work/lat" \
    --out "$out_dir/$name.md"
log "report: $out_dir/$name.md ($elapsed s of runs)"
cat "$out_dir/$name.md"
if grep -q '^FAIL' "$checks"; then
    log "some checks failed (see the report)"
    exit 1
fi
