#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds
# ronda three times (a release build with -Werror, the suite's build with -Werror and
# -fsanitize=address,undefined, and the fuzz build: clang, libFuzzer, address and undefined),
# then runs every test with ctest, and then each fuzz harness for RONDA_FUZZ_SECONDS (60) on
# its seed corpus (tests/fuzz/README.md). The fuzz tests' ctest summary is the last thing
# printed; the exit status is non-zero when either run failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/install-deps.sh" test

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DRONDA_WERROR=ON -DRONDA_SANITIZE=OFF -DRONDA_TESTS=OFF >/dev/null
cmake --build "$root/build" -j "$jobs" >/dev/null
cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DRONDA_WERROR=ON \
      -DRONDA_FUZZ=ON -DRONDA_TESTS=OFF -DRONDA_FUZZ_SECONDS="${RONDA_FUZZ_SECONDS:-60}" >/dev/null
cmake --build "$root/build-fuzz" -j "$jobs" >/dev/null
# The suite's build registers one fuzz_* test per harness of build-fuzz, so that one ctest
# run (and its summary line) covers everything.
cmake -S "$root" -B "$root/build-test" -DCMAKE_BUILD_TYPE=Debug -DRONDA_WERROR=ON -DRONDA_SANITIZE=ON \
      -DRONDA_FUZZ_BUILD="$root/build-fuzz" -DRONDA_FUZZ_SECONDS="${RONDA_FUZZ_SECONDS:-60}" >/dev/null
cmake --build "$root/build-test" -j "$jobs" >/dev/null

cd "$root/build-test"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec ctest --output-on-failure -j "$jobs"
