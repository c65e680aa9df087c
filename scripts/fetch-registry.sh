#!/usr/bin/env bash
# scripts/fetch-registry.sh: puts Apicurio Registry $APICURIO_VERSION (the
# runnable archive io.apicurio:apicurio-registry-app:tar.gz:all, in-memory
# storage) from Maven Central into .cache/apicurio-$APICURIO_VERSION, with
# the machine's Maven. Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
-h | --help)
    echo "usage: $0    fetch Apicurio Registry $APICURIO_VERSION into $WEIR_CACHE_DIR"
    exit 0 ;;
"") ;;
*) die "unknown argument '$1'" ;;
esac

dest="$WEIR_CACHE_DIR/apicurio-$APICURIO_VERSION"
if [ -f "$dest/.complete" ]; then
    exit 0
fi
need_java
need_cmd mvn "install Maven (scripts/install-deps.sh --with-java does)"
need_cmd tar "install tar"

mkdir -p "$WEIR_CACHE_DIR"
tmp=$(mktemp -d "$WEIR_CACHE_DIR/apicurio-fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
info "fetching Apicurio Registry $APICURIO_VERSION from Maven Central (about 160 MB)..."
if ! timeout "${WEIR_FETCH_TIMEOUT:-900}" mvn -B -q \
    "$MAVEN_DEPENDENCY_PLUGIN:copy" \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
    -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1; then
    tail -n 15 "$tmp/mvn.log" >&2
    die "could not fetch Apicurio Registry $APICURIO_VERSION with Maven (is Maven Central reachable? the Maven output is above)"
fi
mkdir -p "$tmp/app"
tar -xzf "$tmp/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$tmp/app" ||
    die "the Apicurio archive did not unpack"
# 3.x archives hold a Quarkus fast-jar (quarkus-run.jar), 2.6.x a legacy
# runner jar with lib/ beside it.
runjar=$(find "$tmp/app" -name quarkus-run.jar -o -name '*-runner.jar' | head -1)
[ -n "$runjar" ] || die "no runnable jar (quarkus-run.jar or *-runner.jar) in the Apicurio $APICURIO_VERSION archive"
rm -rf "$dest"
mkdir -p "$dest"
mv "$tmp/app" "$dest/app"
echo "${runjar#"$tmp/app/"}" >"$dest/runjar"
touch "$dest/.complete"
info "Apicurio Registry $APICURIO_VERSION is in $dest/app"
