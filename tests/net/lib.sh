# Shared helpers for the network tests (sourced, not run): a private work directory, free
# loopback ports, background `ronda run` daemons that are always stopped on exit, and
# polling of `ronda status --json`.
#
# The sourcing script sets RONDA (the binary) and TEST (its name) first.

set -euo pipefail
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ronda-$TEST.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS"
declare -A PID=()    # node dir name -> daemon pid
FAILED=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }
say() { printf '%s [%s] %s\n' "$(date +%H:%M:%S.%3N)" "$TEST" "$*"; }
r() { "$RONDA" "$@"; }

show_logs() {
  local f
  for f in "$LOGS"/*.log; do
    [ -e "$f" ] || continue
    echo "---- tail of $(basename "$f")" >&2
    tail -n "${1:-25}" "$f" >&2
  done
}

# Every daemon this test started is stopped: SIGTERM, a grace period, then SIGKILL.
stop_all() {
  local n p
  for n in "${!PID[@]}"; do kill -TERM "${PID[$n]}" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for n in "${!PID[@]}"; do kill -0 "${PID[$n]}" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for n in "${!PID[@]}"; do
    p=${PID[$n]}
    if kill -0 "$p" 2>/dev/null; then
      echo "$TEST: $n (pid $p) ignored SIGTERM; killing it" >&2
      kill -9 "$p" 2>/dev/null || true
    fi
    wait "$p" 2>/dev/null || true
  done
  PID=()
}

on_exit() {
  local rc=$?
  [ $rc -ne 0 ] && FAILED=1
  if [ $FAILED -ne 0 ]; then
    echo "$TEST: FAILED (exit $rc); logs follow" >&2
    show_logs 30
  fi
  stop_all
  # Any stragglers (background writers; by exact pid only), then the watchdog.
  local p
  for p in $(jobs -p); do [ "$p" = "${WATCHDOG:-}" ] || kill -9 "$p" 2>/dev/null || true; done
  [ -n "${WATCHDOG:-}" ] && { kill "$WATCHDOG" 2>/dev/null || true; wait "$WATCHDOG" 2>/dev/null || true; }
  if { [ $FAILED -ne 0 ] && [ -n "${KEEP_WORK:-}" ]; } || [ "${KEEP_WORK:-}" = always ]; then
    echo "$TEST: work kept in $WORK" >&2
  else rm -rf "$WORK"; fi
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# A watchdog for when this script is killed without running its EXIT trap (SIGKILL, e.g.
# a harness timeout): it then kills every daemon it recorded whose command line still names
# this work directory (so a recycled pid is never hit), and removes the directory.
: >"$WORK/pids"
(
  sp=""
  trap '[ -n "$sp" ] && kill "$sp"; exit 0' TERM
  trap '' INT
  while kill -0 $$ 2>/dev/null; do sleep 1 & sp=$!; wait "$sp"; done
  [ -d "$WORK" ] || exit 0
  while read -r p; do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$WORK/" && kill -9 "$p" 2>/dev/null
  done <"$WORK/pids"
  rm -rf "$WORK"
) >/dev/null 2>&1 &
WATCHDOG=$!

fail() {
  echo "$TEST: FAIL: $*" >&2
  FAILED=1
  exit 1
}

# A base port with `count` free TCP ports above it on 127.0.0.1, below the kernel's
# ephemeral range (ip_local_port_range, 32768.. by default): a port in that range can be
# taken between the check and the daemon's bind by any outgoing connection on the machine.
port_free() { ! ss -Htan "sport = :$1" 2>/dev/null | grep -q .; }
pick_ports() {
  local count=$1 base ok low=32768
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] 2>/dev/null || low=32768
  for _ in $(seq 50); do
    base=$((10000 + RANDOM % (low - 10000 - count - 1)))
    ok=1
    for i in $(seq 0 "$count"); do port_free $((base + i)) || { ok=0; break; }; done
    [ $ok -eq 1 ] && { echo "$base"; return 0; }
  done
  fail "no free ports"
}

# start NAME [run options...]: the daemon for node directory $WORK/NAME, logging to a file.
# With NO_CHECKPOINTS=1 (tests that count records exactly), hq nodes write no checkpoints
# (at start, after catch-ups, hourly) and so no cosignatures: `--checkpoint-every 0`.
start() {
  local n=$1 ck=()
  shift
  [ "${NO_CHECKPOINTS:-0}" = 1 ] && ck=(--checkpoint-every 0)
  "$RONDA" run --dir "$WORK/$n" --log-level info "${ck[@]}" "$@" >>"$LOGS/$n.log" 2>&1 &
  PID[$n]=$!
  echo "${PID[$n]}" >>"$WORK/pids"
  echo "=== started pid ${PID[$n]} at $(date +%T.%3N): run $*" >>"$LOGS/$n.log"
}

# stop NAME: SIGTERM; the daemon must exit 0 within 10 s.
stop() {
  local n=$1 p=${PID[$1]} rc=0
  kill -TERM "$p"
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && fail "$n (pid $p) did not stop within 10 s of SIGTERM"
  wait "$p" || rc=$?
  unset "PID[$n]"
  [ $rc -eq 0 ] || fail "$n exited with status $rc after SIGTERM"
}

alive() { kill -0 "${PID[$1]}" 2>/dev/null; }

status_json() { r status --dir "$WORK/$1" --json; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
digest() { status_json "$1" | field digest; }
records() { status_json "$1" | field records; }

# wait_equal DEADLINE_S NAME...: until every named node has the same digest. Prints the
# milliseconds it took; returns 1 at the deadline (after printing every node's status).
wait_equal() {
  local deadline=$1 t0 n d first same
  shift
  t0=$(now_ms)
  while :; do
    same=1 first=""
    for n in "$@"; do
      d=$(digest "$n")
      [ -z "$first" ] && first=$d
      [ "$d" = "$first" ] || { same=0; break; }
    done
    [ $same -eq 1 ] && { echo $(($(now_ms) - t0)); return 0; }
    if [ $(($(now_ms) - t0)) -gt $((deadline * 1000)) ]; then
      echo "$TEST: no convergence within ${deadline}s:" >&2
      for n in "$@"; do printf '  %-14s records %-5s digest %s\n' "$n" "$(records "$n")" "$(digest "$n")" >&2; done
      return 1
    fi
    sleep 0.2
  done
}

# The same record count at every named node (after wait_equal).
assert_counts_equal() {
  local n c first=""
  for n in "$@"; do
    c=$(records "$n")
    [ -z "$first" ] && first=$c
    [ "$c" = "$first" ] || fail "record counts differ: $1 has $first, $n has $c"
  done
  echo "$first"
}

# dialogue NODE TAG: a dialogue recorded at the node (a separate process writing the
# database the running daemon uses); prints its id.
dialogue() {
  local n=$1 tag=$2 extra=()
  case "$n" in hq-*) extra=(--polsek "Semua Polsek") ;; esac
  r record dialogue --dir "$WORK/$n" "${extra[@]}" --programme warkop \
    --title "Warkop Kamtibmas $tag" --venue "Warung kopi $tag" --officer "Bhabinkamtibmas $tag" \
    --topic "aspiration:Aspirasi warga ($tag)" --topic "traffic:Lalu lintas pasar ($tag)" \
    --message "Jaga kamtibmas bersama ($tag)"
}
# resolution NODE DIALOGUE_ID TAG: a follow-up of topic 0 (the dialogue must be held).
resolution() {
  r record resolution --dir "$WORK/$1" --dialogue "$2" --topic 0 --status in_progress \
    --action "Tindak lanjut $3" >/dev/null
}
# wait_has NODE ID DEADLINE_S: until the node holds the record.
wait_has() {
  local t0
  t0=$(now_ms)
  until r show --dir "$WORK/$1" "$2" >/dev/null 2>&1; do
    [ $(($(now_ms) - t0)) -gt $(($3 * 1000)) ] && return 1
    sleep 0.2
  done
}

# No daemon log may hold a sanitizer report or an error-level line.
check_logs() {
  if grep -l "Sanitizer\|runtime error" "$LOGS"/*.log >/dev/null 2>&1; then
    grep -h -A 20 "Sanitizer\|runtime error" "$LOGS"/*.log | head -n 60 >&2
    fail "a sanitizer report in the daemon logs"
  fi
  if grep -h "too many peers" "$LOGS"/*.log >/dev/null 2>&1; then
    grep -h "too many peers" "$LOGS"/*.log | head -n 5 >&2
    fail "a daemon ran out of peer slots"
  fi
  if grep -h " error: " "$LOGS"/*.log >/dev/null 2>&1; then
    grep -h " error: " "$LOGS"/*.log | head -n 10 >&2
    fail "error-level lines in the daemon logs"
  fi
}
