#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds
# ronda twice (a release build with -Werror, and the suite's build with -Werror and
# -fsanitize=address,undefined), then runs every test with ctest. ctest's summary is the
# last thing printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/install-deps.sh" test

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DRONDA_WERROR=ON -DRONDA_SANITIZE=OFF -DRONDA_TESTS=OFF >/dev/null
cmake --build "$root/build" -j "$jobs" >/dev/null
cmake -S "$root" -B "$root/build-test" -DCMAKE_BUILD_TYPE=Debug -DRONDA_WERROR=ON -DRONDA_SANITIZE=ON >/dev/null
cmake --build "$root/build-test" -j "$jobs" >/dev/null

cd "$root/build-test"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec ctest --output-on-failure -j "$jobs"
