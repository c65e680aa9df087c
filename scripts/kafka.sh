#!/usr/bin/env bash
# scripts/kafka.sh: starts and stops a single-node Apache Kafka broker
# (KRaft, combined broker + controller) on 127.0.0.1 for tests, benchmarks
# and the --kafka demo. The one way weir gets a real broker.
#
#   kafka.sh start [--dir DIR] [--port PORT]   start, wait until a real
#                                              Metadata request succeeds
#   kafka.sh stop  [--dir DIR]                 stop the broker started in DIR
#   kafka.sh status [--dir DIR]
#
# DIR (default .cache/services/kafka) holds the pid file, the config, the
# log and the data (wiped at each start), and kafka.env with
# KAFKA_BOOTSTRAP=127.0.0.1:PORT for clients. Topics are never created
# automatically (auto.create.topics.enable=false): weir creates what it needs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

PATTERN="kafka.Kafka"
service_prepare kafka "Kafka broker" "$PATTERN" KAFKA_BOOTSTRAP "$@"
dir=$SVC_DIR
pidfile=$SVC_PIDFILE
envfile=$SVC_ENVFILE

need_java
need_cmd kcat "install kcat (scripts/install-deps.sh does); it checks that the broker answers Metadata requests"
"$WEIR_ROOT/scripts/fetch-kafka.sh"
libs="$WEIR_CACHE_DIR/kafka-$KAFKA_VERSION/libs"

port=${SVC_PORT:-$(free_port)}
if port_in_use "$port"; then
    die "port $port on 127.0.0.1 is in use; pick another with --port or leave it out for a free one"
fi
cport=$(free_port)
[ "$cport" != "$port" ] || cport=$(free_port)

rm -rf "$dir/data"
mkdir -p "$dir/data"
cat >"$dir/server.properties" <<PROPS
# Written by scripts/kafka.sh: a single-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Quick compaction and segment rolls, so changelog tests see compaction.
log.cleaner.backoff.ms=1000
log.segment.bytes=16777216
PROPS

jopts=(${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} -XX:+UseG1GC -Djava.awt.headless=true
    "-Dkafka.logs.dir=$dir/logs"
    "-Dlog4j2.configurationFile=$WEIR_ROOT/tools/kafka/log4j2.properties")
cp="$libs/*"

cluster_id=$(java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid 2>"$dir/format.log") ||
    { tail -n 20 "$dir/format.log" >&2; die "kafka.tools.StorageTool random-uuid failed (log above)"; }
java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" \
    -c "$dir/server.properties" >>"$dir/format.log" 2>&1 ||
    { tail -n 20 "$dir/format.log" >&2; die "formatting the broker's storage failed (log above)"; }

# stdin/stdout/stderr away from the caller: ctest waits for its pipes.
nohup java "${jopts[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties" \
    </dev/null >"$dir/broker.log" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

bootstrap="127.0.0.1:$port"
timeout_s=${WEIR_KAFKA_START_TIMEOUT:-120}
deadline=$((SECONDS + timeout_s))
while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 30 "$dir/broker.log" >&2
        rm -f "$pidfile"
        die "the broker exited during start-up (log above, whole log in $dir/broker.log)"
    fi
    # Ready means a real Metadata request is answered with our broker in it.
    if kcat -b "$bootstrap" -L -m 2 2>/dev/null | grep -q "broker 1 at 127.0.0.1:$port"; then
        break
    fi
    if [ $SECONDS -ge $deadline ]; then
        tail -n 30 "$dir/broker.log" >&2
        stop_pid "$pid" "$PATTERN" "Kafka broker"
        rm -f "$pidfile"
        die "the broker did not answer Metadata requests within $timeout_s s (WEIR_KAFKA_START_TIMEOUT); log above"
    fi
    sleep 0.5
done

cat >"$envfile" <<ENV
KAFKA_BOOTSTRAP=$bootstrap
KAFKA_PID=$pid
KAFKA_VERSION=$KAFKA_VERSION
KAFKA_DATA=$dir/data
ENV
info "Kafka $KAFKA_VERSION (KRaft) ready at $bootstrap, pid $pid, data $dir/data, log $dir/broker.log"
