#!/usr/bin/env bash
# The Kafka Streams peer of weir-recommend: builds the jar if needed
# (mvn -q package), then runs it with the arguments given (--help lists
# them). The inventory defaults to this checkout's
# apps/recommendation/data/productInventory.csv.
#
#   bench/kstreams-peer/run.sh --bootstrap HOST:PORT \
#       --registry http://HOST:PORT/apis/ccompat/v7 \
#       --application-id peer-recommend --threads 1
#
# Environment: PEER_JAVA_OPTS adds JVM options (none by default: the
# JVM's own defaults, as Kafka Streams is usually run); JAVA picks the
# java binary.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$here/target/kstreams-peer.jar"

# Rebuild when a source is newer than the jar.
if [[ ! -f "$jar" ]] || [[ -n "$(find "$here/pom.xml" "$here/src" -newer "$jar" -type f 2>/dev/null | head -1)" ]]; then
    echo "run.sh: building $jar" >&2
    mvn -q -f "$here/pom.xml" -DskipTests package >&2
fi

args=("$@")
has_inventory=0
for a in "$@"; do
    [[ "$a" == --inventory ]] && has_inventory=1
done
if [[ $has_inventory == 0 ]]; then
    args+=(--inventory "$root/apps/recommendation/data/productInventory.csv")
fi
# exec: the JVM gets the signals (SIGTERM: a clean close).
# shellcheck disable=SC2086
exec "${JAVA:-java}" ${PEER_JAVA_OPTS:-} -jar "$jar" "${args[@]}"
