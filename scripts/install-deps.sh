#!/usr/bin/env bash
# scripts/install-deps.sh: installs the Debian packages weir needs, when
# missing. Idempotent: installs nothing when everything is there.
#
#   install-deps.sh              build and run (compiler, CMake, libraries)
#   install-deps.sh --with-java  also what the tests need: a Java 17 runtime
#                                and Maven (for Kafka and the registry), kcat,
#                                Python 3 with venv, clang-format (the
#                                layout check)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

with_java=0
case "${1:-}" in
--with-java) with_java=1 ;;
-h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) die "unknown argument '$1' (see --help)" ;;
esac

pkgs=(build-essential cmake pkg-config git curl ca-certificates
    librdkafka-dev libavro-dev libjansson-dev librocksdb-dev
    libprotobuf-c-dev protobuf-c-compiler libcurl4-openssl-dev
    check libsubunit-dev libmicrohttpd-dev uthash-dev libcsv-dev)
if [ $with_java = 1 ]; then
    pkgs+=(kcat clang-format)
    # The machine's own Java and Maven are fine when present.
    command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
    # The wire-compatibility test's producer runs in a Python venv.
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
        pkgs+=(python3 python3-venv)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

need_cmd apt-get "weir's set-up expects Debian 12 (bookworm) or a derivative; install these packages by hand: ${missing[*]}"
sudo=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 ||
        die "not root and no sudo: install these packages as root: ${missing[*]}"
    sudo=(sudo)
fi
info "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || die "apt-get update failed (is the package mirror reachable?)"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install failed for: ${missing[*]}"
info "installed ${#missing[@]} packages"
