#!/usr/bin/env bash
# scripts/registry.sh: starts and stops Apicurio Registry (in-memory storage)
# on 127.0.0.1 for tests and the --kafka demo. Its Confluent-compatible API
# is at <url>/apis/ccompat/v7.
#
#   registry.sh start [--dir DIR] [--port PORT]   start, wait until the
#                                                 ccompat API answers
#   registry.sh stop  [--dir DIR]
#   registry.sh status [--dir DIR]
#
# DIR (default .cache/services/registry) holds the pid file, the log, and
# registry.env with REGISTRY_URL=http://127.0.0.1:PORT and REGISTRY_PID.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

PATTERN="-Dweir.service=registry"
service_prepare registry "Apicurio Registry" "$PATTERN" REGISTRY_URL "$@"
dir=$SVC_DIR
pidfile=$SVC_PIDFILE
envfile=$SVC_ENVFILE

need_java
need_cmd curl "install curl (scripts/install-deps.sh does)"
"$WEIR_ROOT/scripts/fetch-registry.sh"
home="$WEIR_CACHE_DIR/apicurio-$APICURIO_VERSION/app"
runjar="$home/$(cat "$WEIR_CACHE_DIR/apicurio-$APICURIO_VERSION/runjar")"

port=${SVC_PORT:-$(free_port)}
if port_in_use "$port"; then
    die "port $port on 127.0.0.1 is in use; pick another with --port or leave it out for a free one"
fi

# Quarkus resolves lib/ relative to the jar; run from its folder.
(
    cd "$(dirname "$runjar")"
    exec nohup java ${REGISTRY_HEAP_OPTS:--Xms128m -Xmx512m} -XX:+UseSerialGC \
        -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
        -Dweir.service=registry -Dquarkus.log.level=WARN -Dquarkus.banner.enabled=false \
        -jar "$runjar" </dev/null >"$dir/registry.log" 2>&1
) &
pid=$!
echo "$pid" >"$pidfile"

url="http://127.0.0.1:$port"
timeout_s=${WEIR_REGISTRY_START_TIMEOUT:-120}
deadline=$((SECONDS + timeout_s))
while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 30 "$dir/registry.log" >&2
        rm -f "$pidfile"
        die "the registry exited during start-up (log above, whole log in $dir/registry.log)"
    fi
    if curl -sf -m 2 "$url/apis/ccompat/v7/subjects" >/dev/null 2>&1; then
        break
    fi
    if [ $SECONDS -ge $deadline ]; then
        tail -n 30 "$dir/registry.log" >&2
        stop_pid "$pid" "$PATTERN" "Apicurio Registry"
        rm -f "$pidfile"
        die "the registry's ccompat API did not answer within $timeout_s s (WEIR_REGISTRY_START_TIMEOUT); log above"
    fi
    sleep 0.5
done

cat >"$envfile" <<ENV
REGISTRY_URL=$url
REGISTRY_PID=$pid
REGISTRY_VERSION=$APICURIO_VERSION
ENV
info "Apicurio Registry $APICURIO_VERSION (in-memory) ready at $url (ccompat: $url/apis/ccompat/v7), pid $pid, log $dir/registry.log"
