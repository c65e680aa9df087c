#!/usr/bin/env bash
# scripts/fetch-kafka.sh: puts the jars of Apache Kafka $KAFKA_VERSION (the
# kafka_2.13 server and its dependencies, plus an SLF4J binding) from Maven
# Central into .cache/kafka-$KAFKA_VERSION/libs, with the machine's Maven.
# Idempotent: does nothing when the jars are already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
-h | --help)
    echo "usage: $0    fetch Kafka $KAFKA_VERSION jars into $WEIR_CACHE_DIR"
    exit 0 ;;
"") ;;
*) die "unknown argument '$1'" ;;
esac

dest="$WEIR_CACHE_DIR/kafka-$KAFKA_VERSION"
if [ -f "$dest/libs/.complete" ]; then
    exit 0
fi
need_java
need_cmd mvn "install Maven (scripts/install-deps.sh --with-java does)"

mkdir -p "$WEIR_CACHE_DIR"
tmp=$(mktemp -d "$WEIR_CACHE_DIR/kafka-fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
info "fetching Kafka $KAFKA_VERSION from Maven Central (about 45 MB)..."
# A bounded wait: Maven's own network timeouts are long.
if ! timeout "${WEIR_FETCH_TIMEOUT:-900}" mvn -B -q -f "$WEIR_ROOT/tools/kafka/pom.xml" \
    -Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$KAFKA_LOG4J_VERSION" \
    "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1; then
    tail -n 15 "$tmp/mvn.log" >&2
    die "could not fetch Kafka $KAFKA_VERSION with Maven (is Maven Central reachable? the Maven output is above)"
fi
for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-server-$KAFKA_VERSION.jar" \
    "log4j-slf4j-impl-$KAFKA_LOG4J_VERSION.jar"; do
    [ -f "$tmp/libs/$jar" ] || die "Maven finished but $jar is missing from the Kafka classpath"
done
touch "$tmp/libs/.complete"
rm -rf "$dest"
mkdir -p "$dest"
mv "$tmp/libs" "$dest/libs"
info "Kafka $KAFKA_VERSION jars are in $dest/libs"
