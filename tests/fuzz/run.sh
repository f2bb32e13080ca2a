#!/usr/bin/env bash
# Runs one libFuzzer harness (or all of them, one after another) on a copy of its seed corpus.
#   tests/fuzz/run.sh HARNESS [SECONDS]      HARNESS: record, body_dialogue, ..., sync, proof, ini, http, all
#   tests/fuzz/run.sh --bin PATH HARNESS [SECONDS]
# SECONDS defaults to $RONDA_FUZZ_SECONDS, else 60. The harnesses come from $RONDA_FUZZ_BUILD
# (default: build-fuzz beside tests/, configured with -DRONDA_FUZZ=ON). The corpus grows in
# a scratch directory, so the tree keeps its small seeds; a crash leaves that directory in
# place with the crashing input (crash-*) and the command that replays it, and exits non-zero.
# Further libFuzzer flags can be passed in $RONDA_FUZZ_FLAGS (e.g. "-jobs=4 -workers=4").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=
if [ "${1:-}" = --bin ]; then bin=$2; shift 2; fi
name=${1:?usage: run.sh [--bin PATH] HARNESS [SECONDS]}
seconds=${2:-${RONDA_FUZZ_SECONDS:-60}}
build=${RONDA_FUZZ_BUILD:-$root/build-fuzz}

if [ "$name" = all ]; then
  rc=0
  for h in record body_dialogue body_resolution body_amend body_member body_revoke body_checkpoint bundle sync proof ini http; do
    bash "$0" "$h" "$seconds" || rc=1
  done
  exit $rc
fi

[ -n "$bin" ] || bin=$build/fuzz_$name
[ -x "$bin" ] || { echo "run.sh: no harness $bin (configure with -DRONDA_FUZZ=ON and build)" >&2; exit 2; }
seeds=$here/corpus/$name
[ -d "$seeds" ] || { echo "run.sh: no seed corpus $seeds" >&2; exit 2; }
case $name in
  ini) dict=$here/dict/ini.dict ;;
  http) dict=$here/dict/http.dict ;;
  proof) dict=$here/dict/proof.dict ;;
  *) dict=$here/dict/record.dict ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/ronda-fuzz-$name-XXXXXX")
mkdir "$work/corpus"
cp "$seeds"/* "$work/corpus/"
# Leaks are findings too; UBSan already aborts (-fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
set +e
# shellcheck disable=SC2086
"$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="$dict" -artifact_prefix="$work/" ${RONDA_FUZZ_FLAGS:-} "$work/corpus" >"$work/log" 2>&1
rc=$?
set -e
# The last status line: coverage (cov: edges, ft: features), corpus size and exec/s.
summary=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1 || true)
echo "fuzz_$name: ${seconds}s: ${summary:-no status line}"
grep -E '^stat::' "$work/log" || true
if [ $rc -ne 0 ] || ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* >/dev/null 2>&1; then
  tail -n 60 "$work/log"
  for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [ -e "$f" ] && echo "replay: $bin $f"
  done
  echo "fuzz_$name: FAILED (exit $rc); inputs and log kept in $work" >&2
  exit 1
fi
rm -rf "$work"
