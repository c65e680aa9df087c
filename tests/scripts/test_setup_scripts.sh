#!/usr/bin/env bash
# test_setup_scripts.sh: bad set-up gets one clear error line and a non-zero
# exit, never a hang: no Java, Maven Central unreachable, a port in use, a
# stale pid file, a broker that does not come up in time.
#
# Each case runs a script in a sandboxed environment (a PATH without java,
# a fake mvn that fails like an unreachable network, an empty cache) and
# checks its exit code and message. Runs in seconds; needs no network.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/weir-setup-test.XXXXXX")
listener_pid=
cleanup() {
    [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null
    # A broker a failed case might have left behind, by pid only.
    for f in "$work"/*/kafka.pid; do
        [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
# expect NAME WANT_RC PATTERN -- CMD...: runs CMD (bounded to 60 s), checks
# its exit code is WANT_RC ("nonzero" for any failure) and its output matches
# PATTERN.
expect() {
    local name=$1 want=$2 pattern=$3
    shift 4
    local out rc
    out=$(timeout 60 "$@" 2>&1)
    rc=$?
    local ok=1
    if [ "$want" = nonzero ]; then
        [ $rc -ne 0 ] && [ $rc -ne 124 ] || ok=0
    else
        [ $rc -eq "$want" ] || ok=0
    fi
    printf '%s\n' "$out" | grep -qE -- "$pattern" || ok=0
    if [ $ok = 1 ]; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name (exit $rc, wanted $want and /$pattern/); output:"
        printf '%s\n' "$out" | sed 's/^/    /'
    fi
}

# A PATH with every command of the machine except java and mvn.
nojava="$work/nojava-bin"
mkdir -p "$nojava"
for d in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
        b=$(basename "$f")
        case "$b" in java | mvn | javac) continue ;; esac
        [ -e "$nojava/$b" ] || ln -s "$f" "$nojava/$b" 2>/dev/null
    done
done

# A fake mvn that fails the way Maven does when the network is down.
fakemvn="$work/fakemvn-bin"
mkdir -p "$fakemvn"
cat >"$fakemvn/mvn" <<'MVN'
#!/bin/sh
echo "[ERROR] Failed to execute goal: Could not transfer artifact org.apache.kafka:kafka_2.13:pom:4.1.1 from/to central (https://repo.maven.apache.org/maven2): Network is unreachable"
exit 1
MVN
chmod +x "$fakemvn/mvn"

# 1. No Java.
expect "kafka start without java" nonzero "'java' not found" -- \
    env PATH="$nojava" WEIR_CACHE_DIR="$work/cache1" \
    "$root/scripts/kafka.sh" start --dir "$work/k1"
expect "registry start without java" nonzero "'java' not found" -- \
    env PATH="$nojava" WEIR_CACHE_DIR="$work/cache1" \
    "$root/scripts/registry.sh" start --dir "$work/r1"
expect "fetch kafka without java" nonzero "'java' not found" -- \
    env PATH="$nojava" WEIR_CACHE_DIR="$work/cache1" \
    "$root/scripts/fetch-kafka.sh"

# 2. Maven Central unreachable (only when java exists to get that far).
if command -v java >/dev/null 2>&1; then
    expect "fetch kafka with maven central unreachable" nonzero \
        "could not fetch Kafka .*Maven Central reachable" -- \
        env PATH="$fakemvn:$PATH" WEIR_CACHE_DIR="$work/cache2" \
        "$root/scripts/fetch-kafka.sh"
    expect "fetch registry with maven central unreachable" nonzero \
        "could not fetch Apicurio .*Maven Central reachable" -- \
        env PATH="$fakemvn:$PATH" WEIR_CACHE_DIR="$work/cache2" \
        "$root/scripts/fetch-registry.sh"
fi

# 3. A port in use (perl is part of every Debian system).
port=$((30000 + RANDOM % 20000))
perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
                                  Listen => 5, ReuseAddr => 1) or die "listen: $!";
    sleep 120;' "$port" &
listener_pid=$!
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
expect "kafka start on a port in use" nonzero "port $port on 127.0.0.1 is in use" -- \
    "$root/scripts/kafka.sh" start --dir "$work/k3" --port "$port"
expect "registry start on a port in use" nonzero "port $port on 127.0.0.1 is in use" -- \
    "$root/scripts/registry.sh" start --dir "$work/r3" --port "$port"

# 4. Stale pid files: stop says so and succeeds; start removes it first.
mkdir -p "$work/k4" "$work/r4"
echo 999999 >"$work/k4/kafka.pid"
expect "kafka stop with a stale pid file" 0 "pid 999999.* not running" -- \
    "$root/scripts/kafka.sh" stop --dir "$work/k4"
echo 999999 >"$work/k4/kafka.pid"
expect "kafka start with a stale pid file" nonzero "removing stale pid file" -- \
    env PATH="$nojava" "$root/scripts/kafka.sh" start --dir "$work/k4"
echo $$ >"$work/r4/registry.pid" # alive, but not a registry: never signalled
expect "registry stop with a reused pid" 0 "not running" -- \
    "$root/scripts/registry.sh" stop --dir "$work/r4"

# 5. Bad arguments.
expect "kafka unknown command" nonzero "unknown command 'launch'" -- \
    "$root/scripts/kafka.sh" launch
expect "kafka bad port" nonzero "--port must be a number" -- \
    "$root/scripts/kafka.sh" start --port abc --dir "$work/k5"

# 6. A broker that does not come up in time: bounded wait, then stopped.
if command -v java >/dev/null 2>&1 && [ -f "$root/.cache/kafka-4.1.1/libs/.complete" ]; then
    expect "kafka start timeout" nonzero "did not answer Metadata requests within 1 s" -- \
        env WEIR_KAFKA_START_TIMEOUT=1 "$root/scripts/kafka.sh" start --dir "$work/k6"
    if [ -f "$work/k6/kafka.pid" ]; then
        echo "FAIL kafka start timeout left a pid file behind"
        failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
