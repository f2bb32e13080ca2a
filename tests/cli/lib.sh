# Shared set-up of the CLI tests (sourced): the ronda binary as an absolute path in $RONDA,
# a scratch directory $W (removed on exit, and the current directory), sanitizer exit codes
# that an ordinary refusal (exit 1) can never be mistaken for, and pass/fail/check counters.
#
#   source lib.sh NAME RONDA      (NAME: the script, for its usage message)
RONDA=${2:?usage: $1 RONDA}
case $RONDA in */*) RONDA=$(cd "$(dirname "$RONDA")" && pwd)/$(basename "$RONDA") ;; esac
command -v "$RONDA" >/dev/null || { echo "$1: $RONDA is not executable" >&2; exit 2; }
PY=/usr/bin/python3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=87"
export RONDA_TZ=+07:00
unset RONDA_DIR
cd "$W"

PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
# check DESC COMMAND...: passes when the command succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then pass "$desc"; else fail "$desc"; fi
}
# records DIR: how many records the node holds.
records() { "$RONDA" status --dir "$1" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["records"])'; }
