#!/usr/bin/env bash
# Installs the Debian 12 packages ronda needs, and only those that are missing.
#   deploy/install-deps.sh build   what building and running ronda needs
#   deploy/install-deps.sh test    that, plus what the test suite needs
# Runs `apt-get update` once, and only when something has to be installed.
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config libsodium-dev libsqlite3-dev libmsgpack-dev libzmq3-dev
            libjansson-dev libinih-dev libsystemd-dev libmicrohttpd-dev libzstd-dev)
# clang and libclang-rt-14-dev (libFuzzer's runtime, libclang_rt.fuzzer-x86_64.a, only
# recommended by clang): the fuzz build of tests/fuzz.
test_pkgs=(libcmocka-dev python3 python3-nacl python3-msgpack clang-format iproute2 nftables man-db curl chromium
           faketime clang libclang-rt-14-dev)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = test ]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root, or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
