# scripts/lib.sh: helpers shared by weir's set-up scripts. Sourced, not run.
#
# Every failure goes through die(): one clear line saying what failed and
# what to do about it, and a non-zero exit. Waits are always bounded.

WEIR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WEIR_CACHE_DIR=${WEIR_CACHE_DIR:-$WEIR_ROOT/.cache}

# Pinned versions of the services the tests run against. Kafka 4.1.1 works
# with Debian's librdkafka 2.0.2 (groups and transactions are tested by
# tests/integration/test_harness_*.c); see README "Services".
KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_LOG4J_VERSION=${KAFKA_LOG4J_VERSION:-2.24.3}
# Apicurio 2.6.x runs on Java 17 (Debian bookworm's); 3.x needs Java 21.
APICURIO_VERSION=${APICURIO_VERSION:-2.6.13.Final}
MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

script_name=$(basename "$0")

info() { printf '%s: %s\n' "$script_name" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$script_name" "$*" >&2
    exit 1
}

need_cmd() { # need_cmd CMD HINT
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found: $2"
}

# need_java: Kafka 4.x and Apicurio 3.x need Java 17 or newer.
need_java() {
    need_cmd java "install a Java 17+ runtime (scripts/install-deps.sh --with-java does)"
    local v
    v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
    [ -n "$v" ] || die "could not read the version of 'java' ($(command -v java))"
    [ "$v" -ge 17 ] || die "Java $v found at $(command -v java); Kafka $KAFKA_VERSION and Apicurio need Java 17 or newer"
}

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port: prints a port on 127.0.0.1 that nothing listens on. Random in
# 20000-59999 so concurrent runs rarely collide; the caller still checks that
# its service did bind.
free_port() {
    local i p
    for i in $(seq 1 50); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
    done
    die "found no free port on 127.0.0.1 after 50 tries"
}

# pid_is PID PATTERN: true when PID is alive and its command line contains
# PATTERN (guards against a reused pid before we signal it).
pid_is() {
    [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] &&
        tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}

# env_get FILE KEY: value of KEY=VALUE in FILE, or nothing.
env_get() {
    [ -f "$1" ] && sed -n "s/^$2=//p" "$1" | head -1
}

# stop_pid PID PATTERN WHAT: SIGTERM, bounded wait, then SIGKILL. Only ever
# by pid, and only if the pid still runs what we started.
stop_pid() {
    local pid=$1 pattern=$2 what=$3 i
    if ! pid_is "$pid" "$pattern"; then
        info "$what (pid $pid) is not running"
        return 0
    fi
    kill -CONT "$pid" 2>/dev/null # a test may have paused it
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 60); do
        pid_is "$pid" "$pattern" || { info "stopped $what (pid $pid)"; return 0; }
        sleep 0.5
    done
    info "$what (pid $pid) did not stop in 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null
    sleep 0.5
}

# parse_dir_args DEFAULT "$@": sets SVC_DIR and SVC_PORT from --dir/--port.
parse_service_args() {
    SVC_DIR=$1
    SVC_PORT=
    shift
    while [ $# -gt 0 ]; do
        case "$1" in
        --dir) SVC_DIR=${2:?--dir needs a folder}; shift 2 ;;
        --port) SVC_PORT=${2:?--port needs a number}; shift 2 ;;
        *) die "unknown argument '$1' (see --help)" ;;
        esac
    done
    case "$SVC_PORT" in
    "" | [0-9]*) ;;
    *) die "--port must be a number, not '$SVC_PORT'" ;;
    esac
}

# service_prepare NAME LABEL PATTERN ADDR_KEY "$@": what kafka.sh and
# registry.sh share. Parses "start|stop|status [--dir DIR] [--port PORT]",
# answers status and stop itself (by pid, never by name), and for start
# returns with SVC_DIR, SVC_PORT, SVC_PIDFILE and SVC_ENVFILE set, after
# clearing a stale pid file, or exits 0 when the service already runs.
# The caller defines usage().
service_prepare() {
    local name=$1 label=$2 pattern=$3 addr_key=$4
    shift 4
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    case "$cmd" in
    -h | --help | "") usage; [ -n "$cmd" ]; exit $? ;;
    start | stop | status) ;;
    *) die "unknown command '$cmd' (start, stop or status)" ;;
    esac
    parse_service_args "$WEIR_CACHE_DIR/services/$name" "$@"
    SVC_PIDFILE="$SVC_DIR/$name.pid"
    SVC_ENVFILE="$SVC_DIR/$name.env"
    local pid running=
    pid=$(cat "$SVC_PIDFILE" 2>/dev/null || true)
    if pid_is "$pid" "$pattern"; then running=$pid; fi
    case "$cmd" in
    status)
        if [ -n "$running" ]; then
            echo "$label running, pid $running, $(env_get "$SVC_ENVFILE" "$addr_key")"
            exit 0
        fi
        echo "$label not running (dir $SVC_DIR)"
        exit 3
        ;;
    stop)
        if [ -z "$pid" ]; then
            info "no $label started in $SVC_DIR"
            exit 0
        fi
        stop_pid "$pid" "$pattern" "$label"
        rm -f "$SVC_PIDFILE" "$SVC_ENVFILE"
        exit 0
        ;;
    esac
    mkdir -p "$SVC_DIR"
    if [ -n "$running" ]; then
        info "$label already running in $SVC_DIR (pid $running) at $(env_get "$SVC_ENVFILE" "$addr_key")"
        exit 0
    fi
    if [ -n "$pid" ]; then
        info "removing stale pid file $SVC_PIDFILE (pid $pid is not a running $label)"
        rm -f "$SVC_PIDFILE" "$SVC_ENVFILE"
    fi
}
