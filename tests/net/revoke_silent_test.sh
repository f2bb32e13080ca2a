#!/usr/bin/env bash
# A revoked member that stays silent gets nothing more, in either direction, against real
# `ronda run` daemons on loopback: the authority (Polda, an auditor node) and Polres Jember
# (hq). Polsek Umbulsari is played by net_silent_peer with Umbulsari's real CURVE key: its
# DEALER to Jember's ROUTER says HELLO once and then only listens, and its ROUTER on
# Umbulsari's endpoint takes Jember's DEALER. Every byte it is sent is written down.
#
#   bash tests/net/revoke_silent_test.sh RONDA_BIN NET_SILENT_PEER
#
# 1. Before the revocation Jember syncs to Umbulsari both ways (HELLOs, frontier, pushes).
# 2. The authority revokes Umbulsari. Within a roster refresh of the revoke record reaching
#    Jember, both connections are closed (the silent peer sees them disconnected, and its
#    next handshake refused), and records Jember writes afterwards send it not one byte.
# 3. Jember's log names the refused handshake: address and reason.
# 4. A flood of handshakes with unknown keys is refused whole, and logged a bounded number
#    of times (NET_REFUSED_LOG_MAX a minute, src/net/net.h).
TEST=net_revoke_silent
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
PEER=$2
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}
REFRESH_MS=1000     # ALLOW_REFRESH_MS in src/cli/cmd_run.c
REFUSED_LOG_MAX=10  # NET_REFUSED_LOG_MAX in src/net/net.h
STRANGERS=40
[ -x "$PEER" ] || fail "no net_silent_peer at $PEER"

port=$(pick_ports 3)
say "work $WORK, ports $port.."
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
r authority admit --dir "$WORK/polda" --request "$WORK/polda/join-request.json" --role auditor \
  --endpoint "tcp://127.0.0.1:$port" >/dev/null
r init --dir "$WORK/hq-jember" --authority "$auth_key" --name "Polres Jember" >/dev/null
r init --dir "$WORK/umbulsari" --authority "$auth_key" --name "Polsek Umbulsari" >/dev/null
r authority admit --dir "$WORK/polda" --request "$WORK/hq-jember/join-request.json" --role hq --polres Jember \
  --endpoint "tcp://127.0.0.1:$((port + 1))" >/dev/null
r authority admit --dir "$WORK/polda" --request "$WORK/umbulsari/join-request.json" --role precinct \
  --polres Jember --polsek Umbulsari --endpoint "tcp://127.0.0.1:$((port + 2))" >/dev/null
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null
r join --dir "$WORK/hq-jember" "$WORK/roster.bundle" >/dev/null
key_of() { sed -n "s/.*\"$2\": *\"\([0-9a-f]*\)\".*/\1/p" "$WORK/$1/join-request.json"; }
umb_key=$(key_of umbulsari sign_key)
jember_curve=$(key_of hq-jember curve_key)
[ ${#umb_key} -eq 64 ] && [ ${#jember_curve} -eq 64 ] || fail "no keys in the join requests"

start polda --fanout 0 # only Jember dials the silent member
start hq-jember --peer "tcp://127.0.0.1:$port"
# The silent peer dials once Jember's allowlist holds the roster (a refused handshake is final
# for a plain libzmq DEALER).
t0=$(now_ms)
until grep -q "running" "$LOGS/hq-jember.log"; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "hq-jember never started"
  sleep 0.1
done
sleep 1.5
OUT=$WORK/silent.out
"$PEER" --key "$WORK/umbulsari/curve.key" --server "$jember_curve" --connect "tcp://127.0.0.1:$((port + 1))" \
  --listen "tcp://127.0.0.1:$((port + 2))" --hello "$auth_key" --seconds 45 >"$OUT" 2>"$WORK/silent.err" &
SILENT=$!

say "1. before the revocation: Jember syncs to the silent member both ways"
got() { awk -v d="$1" -v after="${2:-0}" '$2 == d && $3 == "recv" && $1 > after {s += $4} END {print s + 0}' "$OUT"; }
t0=$(now_ms)
until [ "$(got out)" -gt 0 ] && [ "$(got in)" -gt 0 ]; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && { cat "$OUT" >&2; fail "the silent member was never synced to"; }
  sleep 0.2
done
t0=$(now_ms)
dialogue hq-jember before-revoke >/dev/null
until [ "$(got out "$t0")" -gt 0 ]; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "a record written at Jember was not pushed to the member"
  sleep 0.2
done
say "the silent member received $(got out) bytes on its connection to Jember, $(got in) on Jember's to it"

say "2. the authority revokes Umbulsari"
r authority revoke --dir "$WORK/polda" --member "$umb_key" --reason "Perangkat hilang (uji senyap)" >/dev/null
t0=$(now_ms)
until [ "$(status_json hq-jember | field revoked)" = 1 ]; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "the revocation never reached hq-jember"
  sleep 0.1
done
t_seen=$(now_ms)
# The revoke record is stored before `ronda status` shows it: one refresh after that, every
# connection of the member is closed and nothing more is sent to it.
sleep "$(awk -v ms=$((REFRESH_MS + 500)) 'BEGIN {print ms / 1000}')"
t_mark=$(now_ms)
for i in 1 2 3; do dialogue hq-jember "after-revoke-$i" >/dev/null; done
sleep 6 # three HELLO rounds (2 s) and every push of those records
late_out=$(got out "$t_mark")
late_in=$(got in "$t_mark")
say "bytes to the member after the revocation + ${REFRESH_MS} ms: $late_out (its connection), $late_in (Jember's)"
[ "$late_out" -eq 0 ] || { cat "$OUT" >&2; fail "the revoked member received $late_out bytes on its open connection to Jember"; }
[ "$late_in" -eq 0 ] || fail "the revoked member received $late_in bytes on Jember's connection to it"
for d in out in; do
  t=$(awk -v d=$d '$2 == d && $3 == "disconnected" {print $1; exit}' "$OUT")
  [ -n "$t" ] || { cat "$OUT" >&2; fail "the $d connection of the revoked member was never closed"; }
  say "  $d connection closed $((t - t_seen)) ms after the revocation showed in hq-jember's status"
done
grep -q " out refused" "$OUT" || fail "the revoked member's reconnection was not refused"
grep -q "peer [0-9a-f]\{12\}: no longer a live member, dropped" "$LOGS/hq-jember.log" ||
  fail "hq-jember's log does not show the member's ROUTER peer dropped"
grep -q "peer [0-9a-f]\{12\}: dropped, no longer a live member" "$LOGS/hq-jember.log" ||
  fail "hq-jember's log does not show its dealer to the member dropped"

say "3. the refused handshake is in hq-jember's log"
line=$(grep -m1 "handshake from 127.0.0.1 refused: not a live member's key" "$LOGS/hq-jember.log") ||
  fail "hq-jember's log does not name the refused handshake's address and reason"
say "  $line"

say "4. a flood of $STRANGERS unknown keys"
before=$(grep -c "handshake from .* refused" "$LOGS/hq-jember.log" || true)
"$PEER" --strangers $STRANGERS --server "$jember_curve" --connect "tcp://127.0.0.1:$((port + 1))" --seconds 30 \
  >"$WORK/flood.out" 2>&1 || fail "the flood client failed"
refused=$(awk '$2 == "flood" {print $4}' "$WORK/flood.out")
[ "$refused" = $STRANGERS ] || { cat "$WORK/flood.out" >&2; fail "only ${refused:-0} of $STRANGERS strangers were refused"; }
sleep 0.5
lines=$(grep -c "handshake from .* refused" "$LOGS/hq-jember.log" || true)
say "  $refused of $STRANGERS refused; $((lines - before)) more log lines ($lines in all)"
# One window holds at most REFUSED_LOG_MAX; this test may span the start of a second.
[ "$lines" -le $((2 * REFUSED_LOG_MAX)) ] || fail "$lines refusal lines in hq-jember's log: not rate-limited"
[ "$lines" -gt "$before" ] || [ "$before" -ge "$REFUSED_LOG_MAX" ] || fail "the flood's refusals were not logged at all"

say "5. Jember still syncs with the authority"
ms=$(wait_equal "$DEADLINE" polda hq-jember) || fail "polda and hq-jember did not converge"
kill "$SILENT" 2>/dev/null || true
wait "$SILENT" 2>/dev/null || true
for n in polda hq-jember; do stop "$n"; done
for n in polda hq-jember; do
  r verify --dir "$WORK/$n" >"$WORK/verify-$n.txt" 2>&1 || { cat "$WORK/verify-$n.txt" >&2; fail "verify failed at $n"; }
done
check_logs
say "PASS: the silent revoked member got nothing after the revocation; refusals logged, bounded"
