#!/usr/bin/env bash
# Clocks that are off, with real `ronda run` daemons on loopback, each PC's clock set with
# libfaketime (FAKETIME, monotonic clock left alone): the authority (run as an auditor node)
# and Polsek Umbulsari keep true time, Polsek Lumbang runs 15 minutes behind, Polsek Sekar
# 3 hours behind, Polsek Durenan 300 days fast.
#
#   bash tests/net/clock_test.sh RONDA_BIN
#
# 1. Lumbang and Sekar (within RONDA_CLOCK_AHEAD_MAX_MS) connect and sync: their records
#    and the others' converge at all four nodes.
# 2. Durenan learns from its peers' HELLOs that its clock is off: `ronda status` (text and
#    --json) says so, its log warns, and `ronda record` refuses (exit 3) naming the fix.
# 3. The others keep writing and converging meanwhile.
TEST=net_clock
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
NO_CHECKPOINTS=1 # exact record counts: no checkpoints or cosigns (lib.sh start)
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}

FAKETIME_LIB=""
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1 \
  /usr/lib/faketime/libfaketime.so.1; do
  [ -e "$f" ] && FAKETIME_LIB=$f && break
done
[ -n "$FAKETIME_LIB" ] || fail "libfaketime is not installed (deploy/install-deps.sh test)"

# at OFFSET CMD...: CMD with this PC's wall clock OFFSET off (libfaketime: -15m, -3h, +300d).
# The sanitizer runtime need not come first in the library list for this.
at() {
  local off=$1
  shift
  LD_PRELOAD=$FAKETIME_LIB FAKETIME="$off" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}
declare -A OFF=([polda]="+0" [umbulsari]="+0" [lumbang]="-15m" [sekar]="-3h" [durenan]="+300d")
# A simple command put in the background, not the function `at`: then $! is the daemon
# itself, which stop and stop_all signal (a function in the background is a subshell whose
# child would outlive its kill).
start_at() {
  local n=$1
  LD_PRELOAD=$FAKETIME_LIB FAKETIME="${OFF[$n]}" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$RONDA" run --dir "$WORK/$n" --log-level info >>"$LOGS/$n.log" 2>&1 &
  PID[$n]=$!
  echo "${PID[$n]}" >>"$WORK/pids"
}
rec() { # rec NODE TAG: a dialogue written at the node with its clock
  at "${OFF[$1]}" "$RONDA" record dialogue --dir "$WORK/$1" --programme warkop --title "Warkop $2" \
    --venue "Warung kopi $2" --officer "Bhabinkamtibmas $2" --topic "aspiration:Aspirasi warga ($2)"
}
status_at() { at "${OFF[$1]}" "$RONDA" status --dir "$WORK/$1" "${@:2}"; }

[ "$(at -3h date +%s)" -lt $(($(date +%s) - 3 * 3600 + 60)) ] || fail "libfaketime does not set the clock back"

port=$(pick_ports 5)
say "work $WORK, ports $port.."
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
r authority admit --dir "$WORK/polda" --request "$WORK/polda/join-request.json" --role auditor \
  --endpoint "tcp://127.0.0.1:$port" >/dev/null
i=0
for n in umbulsari lumbang sekar durenan; do
  i=$((i + 1))
  r init --dir "$WORK/$n" --authority "$auth_key" --name "Polsek ${n^}" >/dev/null
  r authority admit --dir "$WORK/polda" --request "$WORK/$n/join-request.json" --role precinct --polres Trenggalek \
    --polsek "${n^}" --endpoint "tcp://127.0.0.1:$((port + i))" >/dev/null
done
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null
for n in umbulsari lumbang sekar durenan; do r join --dir "$WORK/$n" "$WORK/roster.bundle" >/dev/null; done
SYNCED=(polda umbulsari lumbang sekar)
for n in "${SYNCED[@]}" durenan; do start_at "$n"; done

say "1. nodes 15 min and 3 h behind connect and sync"
rec umbulsari umbulsari-1 >/dev/null
rec lumbang lumbang-1 >/dev/null
rec sekar sekar-1 >/dev/null
ms=$(wait_equal "$DEADLINE" "${SYNCED[@]}") || fail "nodes whose clocks are 15 min and 3 h behind did not sync"
n0=$(assert_counts_equal "${SYNCED[@]}")
say "4 nodes converged in $ms ms: $n0 records"

say "2. the node 300 days fast is told"
t0=$(now_ms)
until status_at durenan --json | grep -q '"off": *true'; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && { status_at durenan --json >&2; fail "durenan's status never said its clock is off"; }
  sleep 0.3
done
status_at durenan | grep -q "^clock .*ahead of peers'.*OFF BY MORE THAN THE BOUND" || fail "status text shows no clock warning"
rc=0
out=$(rec durenan durenan-1 2>&1) || rc=$?
[ $rc -eq 3 ] || fail "ronda record at a clock 300 days fast exited $rc, not 3: $out"
echo "$out" | grep -q "clock is .* ahead of its peers'" || fail "no clock message: $out"
echo "$out" | grep -q "NTP" || fail "the message names no fix: $out"
grep -q "this node's clock is .* ahead of its .* peer(s)'" "$LOGS/durenan.log" || fail "durenan's log has no clock warning"
[ "$(grep -c "this node's clock is .* ahead of" "$LOGS/durenan.log")" -eq 1 ] || fail "the clock warning is logged more than once"
say "durenan: status and log say its clock is off; ronda record refused: $(echo "$out" | head -n 1)"

say "3. the others keep writing"
rec umbulsari umbulsari-2 >/dev/null
rec sekar sekar-2 >/dev/null
ms=$(wait_equal "$DEADLINE" "${SYNCED[@]}") || fail "no convergence after durenan came"
n1=$(assert_counts_equal "${SYNCED[@]}")
[ "$n1" -eq $((n0 + 2)) ] || fail "expected $((n0 + 2)) records, have $n1"
check_logs
say "ok: 4 nodes at true time, -15 min and -3 h converge ($n1 records); the node 300 days fast is told and writes nothing"
