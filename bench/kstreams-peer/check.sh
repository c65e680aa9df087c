#!/usr/bin/env bash
# check.sh: the Kafka Streams peer's output must equal weir's, record for
# record, on the same input.
#
# On a real broker and registry (KAFKA_BOOTSTRAP=host:port and
# REGISTRY_URL=http://host:port in the environment, as scripts/kafka.sh
# and scripts/registry.sh write them to kafka.env and registry.env), it:
#   1. makes fresh input topics (a prefix of its own, peer-chk-<time>-<pid>)
#      with --partitions partitions and fills them with weir-datagen, a
#      finite backlog (--duration seconds of event time, --speedup 0);
#   2. runs weir-recommend on it, then the peer (once per --peer-threads
#      entry), one after the other, each with its own application id and
#      output topic, all from the start of the backlog (a catch-up);
#   3. waits for each until its consumer group has committed all of its
#      inputs and repartition topics and its output has not grown for
#      the idle timeout + 5 s (the last windows close when the inputs have
#      been quiet for idle.timeout.ms), then stops it with SIGTERM;
#   4. reads every output read_committed with kcat ('%k %s %T': key,
#      value, timestamp) and with the Java client (which must agree, and
#      hold as many records as the app's own count says it wrote), sorts,
#      and compares with weir's: identical and non-empty, or it fails.
# Output topics are made with retention.ms=-1, as weir-datagen makes the
# inputs: the records carry 2024 timestamps, which the broker's time
# retention (7 days by default) would delete within minutes.
# It prints, per contender, the wall time from the start of the process
# until it had caught up, its CPU seconds then and its peak RSS.
#
#   bench/kstreams-peer/check.sh [--partitions 3] [--duration 500]
#       [--clicks-per-sec 1] [--sales-per-sec 100] [--seed 42]
#       [--peer-threads 1[,2...]] [--weir-threads 1]
#       [--idle-timeout-ms 5000] [--datagen-args "ARGS"]
#       [--peer-args "ARGS"] [--keep] [--work DIR]
#
# --datagen-args adds weir-datagen flags (e.g. "--unknown-product-every
# 50"); --peer-args adds peer flags: "--event-time task" runs the peer
# on Kafka Streams' own stream time instead of weir's watermarks, and the
# check then fails on a catch-up, which shows that it can.
#
# WEIR_BUILD_DIR (default: <repo>/build) holds weir's Release build
# (apps/recommendation/weir-recommend and weir-datagen). --keep leaves
# the run's topics and files; otherwise its topics (and only its own, by
# its prefix) are deleted at the end. Exit status 0: every output equal.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${WEIR_BUILD_DIR:-$root/build}"

partitions=3 duration=500 cps=1 sps=100 seed=42 peer_threads=1 weir_threads=1
idle_ms=5000 keep=0 work="" datagen_args="" peer_args=""
while [[ $# -gt 0 ]]; do
    case "$1" in
    --partitions) partitions="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --clicks-per-sec) cps="$2"; shift 2 ;;
    --sales-per-sec) sps="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --peer-threads) peer_threads="$2"; shift 2 ;;
    --weir-threads) weir_threads="$2"; shift 2 ;;
    --idle-timeout-ms) idle_ms="$2"; shift 2 ;;
    --datagen-args) datagen_args="$2"; shift 2 ;;
    --peer-args) peer_args="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --work) work="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
: "${KAFKA_BOOTSTRAP:?set KAFKA_BOOTSTRAP (scripts/kafka.sh start writes it to kafka.env)}"
: "${REGISTRY_URL:?set REGISTRY_URL (scripts/registry.sh start writes it to registry.env)}"
for b in weir-recommend weir-datagen; do
    [[ -x "$build/apps/recommendation/$b" ]] || {
        echo "check.sh: $build/apps/recommendation/$b missing: build weir (Release) or set WEIR_BUILD_DIR" >&2
        exit 2
    }
done
command -v kcat >/dev/null || { echo "check.sh: kcat is needed" >&2; exit 2; }

jar="$here/target/kstreams-peer.jar"
if [[ ! -f "$jar" ]] || [[ -n "$(find "$here/pom.xml" "$here/src" -newer "$jar" -type f | head -1)" ]]; then
    mvn -q -f "$here/pom.xml" -DskipTests package
fi
tool() { java -cp "$jar" weir.peer.Tool "$@"; }

id="peer-chk-$(date +%s)-$$"
work="${work:-/tmp/$id}"
mkdir -p "$work"
ccompat="$REGISTRY_URL/apis/ccompat/v7"
clicks="$id-clicks" sales="$id-sales"
app_pid=""

cleanup() {
    local rc=$?
    if [[ -n "$app_pid" ]] && kill -0 "$app_pid" 2>/dev/null; then
        kill -TERM "$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
    fi
    if [[ $keep == 0 ]]; then
        tool delete "$KAFKA_BOOTSTRAP" "$id-" >/dev/null 2>&1 || true
        rm -rf "$work"
    else
        echo "kept: topics $id-*, files $work"
    fi
    exit $rc
}
trap cleanup EXIT

echo "== $id: $partitions partitions, $duration s of event time at $cps clicks/s and $sps sales/s (seed $seed)"
"$build/apps/recommendation/weir-datagen" -b "$KAFKA_BOOTSTRAP" -r "$ccompat" \
    --topic-clicks "$clicks" --topic-sales "$sales" -p "$partitions" \
    --clicks-per-sec "$cps" --sales-per-sec "$sps" --seed "$seed" \
    --event-time-start 1719579600000 --speedup 0 -d "$duration" -q $datagen_args
n_clicks=$(tool end "$KAFKA_BOOTSTRAP" "$clicks")
n_sales=$(tool end "$KAFKA_BOOTSTRAP" "$sales")
echo "input: $n_clicks clicks, $n_sales sales"
[[ $((n_clicks + n_sales)) -gt 0 ]] || { echo "FAIL: no input" >&2; exit 1; }

# run NAME APP_ID OUT_TOPIC CMD...: runs a contender on the backlog until
# it is done, then stops it; its output goes to $work/NAME.txt.
summary=()
run() {
    local name="$1" app="$2" out="$3"
    shift 3
    tool create "$KAFKA_BOOTSTRAP" "$partitions" "$out"
    echo "-- $name: $*" | cut -c1-200
    "$@" >"$work/$name.stdout" 2>"$work/$name.log" &
    app_pid=$!
    local res
    if ! res=$(tool watch "$KAFKA_BOOTSTRAP" "$app" "$app_pid" $((idle_ms + 5000)) 1800 "$out" \
        "$clicks" "$sales" 2>"$work/$name.watch"); then
        echo "FAIL: $name did not finish: $res" >&2
        tail -5 "$work/$name.watch" "$work/$name.log" >&2
        exit 1
    fi
    kill -TERM "$app_pid"
    local waited=0
    while kill -0 "$app_pid" 2>/dev/null && [[ $waited -lt 120 ]]; do
        sleep 0.5
        waited=$((waited + 1))
    done
    if kill -0 "$app_pid" 2>/dev/null; then
        echo "FAIL: $name did not stop within 60 s of SIGTERM" >&2
        kill -KILL "$app_pid"
        exit 1
    fi
    local st=0
    wait "$app_pid" || st=$?
    # 143: the JVM after a clean close on SIGTERM
    if [[ $st != 0 && $st != 143 ]]; then
        echo "FAIL: $name exited with status $st" >&2
        tail -5 "$work/$name.log" >&2
        exit 1
    fi
    app_pid=""
    kcat -C -b "$KAFKA_BOOTSTRAP" -t "$out" -X isolation.level=read_committed -e -q \
        -f '%k %s %T\n' | LC_ALL=C sort >"$work/$name.txt"
    # A second reader (the Java client) must see the same records, and
    # their number must be what the app says it wrote.
    tool read "$KAFKA_BOOTSTRAP" "$out" | LC_ALL=C sort >"$work/$name.java.txt"
    if ! cmp -s "$work/$name.txt" "$work/$name.java.txt"; then
        echo "FAIL: kcat and the Java consumer read $name's output differently" \
            "($(wc -l <"$work/$name.txt") vs $(wc -l <"$work/$name.java.txt") records)" >&2
        exit 1
    fi
    local n said
    n=$(wc -l <"$work/$name.txt")
    said=$(grep -o 'recommendations out [0-9]*' "$work/$name.log" | tail -1 | grep -o '[0-9]*$' || true)
    if [[ "$said" != "$n" ]]; then
        echo "FAIL: $name says it wrote ${said:-?} recommendations, its output topic holds $n" >&2
        exit 1
    fi
    echo "   $res records=$n"
    summary+=("$name $res records=$n")
}

run weir "$id-weir" "$id-out-weir" \
    "$build/apps/recommendation/weir-recommend" -b "$KAFKA_BOOTSTRAP" -r "$ccompat" \
    --set "application.id=$id-weir" --set "topic.clicks=$clicks" --set "topic.sales=$sales" \
    --set "topic.recommendations=$id-out-weir" --set "num.stream.threads=$weir_threads" \
    --set "idle.timeout.ms=$idle_ms" --set "state.dir=$work/weir-state" -q --progress-interval 5

[[ -s "$work/weir.txt" ]] || { echo "FAIL: weir wrote no recommendation" >&2; exit 1; }

failed=0
for t in ${peer_threads//,/ }; do
    run "peer-t$t" "$id-peer-t$t" "$id-out-peer-t$t" \
        "$here/run.sh" --bootstrap "$KAFKA_BOOTSTRAP" --registry "$ccompat" \
        --application-id "$id-peer-t$t" --threads "$t" --clicks-topic "$clicks" \
        --sales-topic "$sales" --output-topic "$id-out-peer-t$t" \
        --idle-timeout-ms "$idle_ms" --state-dir "$work/peer-t$t-state" $peer_args
    if cmp -s "$work/weir.txt" "$work/peer-t$t.txt"; then
        echo "   peer ($t thread(s)): IDENTICAL to weir ($(wc -l <"$work/weir.txt") records)"
    else
        failed=1
        echo "FAIL: peer ($t thread(s)) differs from weir: $(wc -l <"$work/peer-t$t.txt") vs $(wc -l <"$work/weir.txt") records" >&2
        diff "$work/weir.txt" "$work/peer-t$t.txt" | head -10 >&2 || true
    fi
done

echo "== summary ($id: $partitions partitions, $n_clicks clicks + $n_sales sales)"
printf '   %s\n' "${summary[@]}"
if [[ $failed == 0 ]]; then
    echo "PASS: every peer output equals weir's"
else
    echo "FAIL: outputs differ" >&2
    exit 1
fi
