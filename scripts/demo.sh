#!/usr/bin/env bash
# scripts/demo.sh: sets up and runs weir's main job on a fresh machine: the
# product-recommendation application on the embedded default (librdkafka's
# mock cluster and the in-process schema registry, no Java needed).
#
#   scripts/demo.sh [weir-recommend options...]   e.g. --duration 60
#                                                 (default: until Ctrl-C)
#   scripts/demo.sh --kafka [options...]          the same against the local
#                                                 real broker and registry
#                                                 (started and stopped here)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
-h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
kafka=0
if [ "${1:-}" = "--kafka" ]; then
    kafka=1
    shift
fi

if [ $kafka = 1 ]; then
    "$WEIR_ROOT/scripts/install-deps.sh" --with-java
else
    "$WEIR_ROOT/scripts/install-deps.sh"
fi
"$WEIR_ROOT/scripts/build.sh" "$WEIR_ROOT/build"

app="$WEIR_ROOT/build/apps/recommendation/weir-recommend"
[ -x "$app" ] || die "the build did not produce $app"

if [ $kafka = 0 ]; then
    exec "$app" --embedded "$@"
fi

services="$WEIR_CACHE_DIR/services/demo"
cleanup() {
    "$WEIR_ROOT/scripts/registry.sh" stop --dir "$services/registry" || true
    "$WEIR_ROOT/scripts/kafka.sh" stop --dir "$services/kafka" || true
}
trap cleanup EXIT
"$WEIR_ROOT/scripts/kafka.sh" start --dir "$services/kafka"
"$WEIR_ROOT/scripts/registry.sh" start --dir "$services/registry"
"$app" --bootstrap-servers "$(env_get "$services/kafka/kafka.env" KAFKA_BOOTSTRAP)" \
    --schema-registry "$(env_get "$services/registry/registry.env" REGISTRY_URL)/apis/ccompat/v7" \
    --with-datagen "$@"
