#!/usr/bin/env bash
# Revocation on a live network: the authority (Polda, run as an auditor node so its
# records replicate live) and three nodes, Polres Jember (hq), Polsek Umbulsari and Polsek
# Durenan (precinct), all `ronda run` daemons on loopback.
#
#   bash tests/net/revoke_test.sh RONDA_BIN
#
# 1. Records at all three nodes converge everywhere.
# 2. The authority revokes Durenan (`ronda authority revoke` on the running authority
#    node). The revoke record reaches the others; their daemons drop Durenan: the logs
#    show their connections to it closed and its messages on open connections dropped.
# 3. A record written at the revoked node does not reach the others. (The running Durenan
#    knows it is revoked and refuses to write, so this uses Durenan's directory as it was
#    before the revoke, i.e. a node that was offline or ignores the revocation: same keys,
#    same endpoint. Its daemon is refused by every peer; their record counts stay.)
# 4. Records between the remaining two still flow; `ronda verify` passes.
TEST=net_revoke
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
NO_CHECKPOINTS=1 # exact record counts: no checkpoints or cosigns (lib.sh start)
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}

port=$(pick_ports 5)
say "work $WORK, ports $port.."
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
r authority admit --dir "$WORK/polda" --request "$WORK/polda/join-request.json" --role auditor \
  --endpoint "tcp://127.0.0.1:$port" >/dev/null
# name dir role polres polsek
nodes=(
  "Polres Jember|hq-jember|hq|Jember|"
  "Polsek Umbulsari|umbulsari|precinct|Jember|Umbulsari"
  "Polsek Durenan|durenan|precinct|Trenggalek|Durenan"
)
i=0
for n in "${nodes[@]}"; do
  IFS='|' read -r name dir role polres polsek <<<"$n"
  i=$((i + 1))
  r init --dir "$WORK/$dir" --authority "$auth_key" --name "$name" >/dev/null
  args=(--dir "$WORK/polda" --request "$WORK/$dir/join-request.json" --role "$role" --polres "$polres"
        --endpoint "tcp://127.0.0.1:$((port + i))")
  [ -n "$polsek" ] && args+=(--polsek "$polsek")
  r authority admit "${args[@]}" >/dev/null
done
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null
for dir in hq-jember umbulsari durenan; do r join --dir "$WORK/$dir" "$WORK/roster.bundle" >/dev/null; done
ALL=(polda hq-jember umbulsari durenan)
REST=(polda hq-jember umbulsari)
durenan_key=$(sed -n 's/.*"sign_key": *"\([0-9a-f]*\)".*/\1/p' "$WORK/durenan/join-request.json")
[ ${#durenan_key} -eq 64 ] || fail "no signing key in durenan/join-request.json"

for n in "${ALL[@]}"; do start "$n"; done
sleep 1
say "1. records at the three nodes"
d_um=$(dialogue umbulsari umbulsari-1)
d_du=$(dialogue durenan durenan-1)
dialogue hq-jember jember-1 >/dev/null
wait_has durenan "$d_um" "$DEADLINE" || fail "umbulsari's dialogue never reached durenan"
resolution durenan "$d_um" "durenan-for-umbulsari"
ms=$(wait_equal "$DEADLINE" "${ALL[@]}") || fail "no convergence before the revocation"
n0=$(assert_counts_equal "${ALL[@]}")
say "4 nodes converged in $ms ms: $n0 records"

# Durenan as it is now (before the revoke): saved to play the revoked node that goes on.
stop durenan
cp -a "$WORK/durenan" "$WORK/durenan-rogue"
start durenan
sleep 1

say "2. the authority revokes Durenan"
r authority revoke --dir "$WORK/polda" --member "$durenan_key" --reason "Perangkat hilang (uji pencabutan)" >/dev/null
n1=$((n0 + 1))
for n in hq-jember umbulsari; do
  t0=$(now_ms)
  until [ "$(status_json "$n" | field revoked)" = 1 ]; do
    [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "the revocation never reached $n"
    sleep 0.2
  done
done
say "the revoke record reached hq-jember and umbulsari"
# Their daemons drop Durenan within a refresh: dealers to it closed, and the HELLOs it
# keeps sending on its open connections to them dropped as unauthorised.
for n in hq-jember umbulsari polda; do
  t0=$(now_ms)
  until grep -q "peer [0-9a-f]\{12\}: dropped, no longer a live member" "$LOGS/$n.log" &&
        grep -q "peer [0-9a-f]\{12\}: no longer a live member, dropped" "$LOGS/$n.log"; do
    [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "$n's log does not show Durenan dropped"
    sleep 0.2
  done
  grep -h "no longer a live member" "$LOGS/$n.log" | sed "s/^/  $n: /"
done
for n in "${REST[@]}"; do
  [ "$(records "$n")" -eq "$n1" ] || fail "$n has $(records "$n") records, expected $n1"
  r show --dir "$WORK/$n" "$d_du" >/dev/null || fail "$n lost Durenan's record from before the revoke"
done
if r record dialogue --dir "$WORK/durenan" --programme warkop --title x --venue y --topic other:z >/dev/null 2>&1; then
  say "note: the running Durenan still accepted a write of its own"
fi

say "3. the revoked node writes and runs on (Durenan's directory from before the revoke)"
stop durenan
rogue_rec=$(dialogue durenan-rogue durenan-after-revoke)
start durenan-rogue
t_rogue=$(now_ms)
# Several sync rounds and allowlist refreshes: long enough for a record to cross.
sleep 8
alive durenan-rogue || fail "the revoked node's daemon died"
for n in "${REST[@]}"; do
  if r show --dir "$WORK/$n" "$rogue_rec" >/dev/null 2>&1; then fail "the revoked node's record reached $n"; fi
  [ "$(records "$n")" -eq "$n1" ] || fail "$n's record count changed to $(records "$n") (expected $n1)"
done
if grep -q "connected to us" <(sed -n "/started pid ${PID[durenan-rogue]}/,\$p" "$LOGS/durenan-rogue.log"); then
  fail "a peer connected to the revoked node"
fi
say "after $(($(now_ms) - t_rogue)) ms the revoked node's record is at none of the others; counts stay at $n1"

say "4. records between the remaining nodes still flow"
a=$(dialogue hq-jember jember-after)
b=$(dialogue umbulsari umbulsari-after)
resolution hq-jember "$b" "jember-for-umbulsari-after" 2>/dev/null || {
  wait_has hq-jember "$b" "$DEADLINE" || fail "umbulsari's record never reached hq-jember"
  resolution hq-jember "$b" "jember-for-umbulsari-after"
}
ms=$(wait_equal "$DEADLINE" "${REST[@]}") || fail "the remaining nodes did not converge"
n2=$(assert_counts_equal "${REST[@]}")
[ "$n2" -eq $((n1 + 3)) ] || fail "expected $((n1 + 3)) records, have $n2"
r show --dir "$WORK/umbulsari" "$a" >/dev/null || fail "hq-jember's record is missing at umbulsari"
r show --dir "$WORK/hq-jember" "$rogue_rec" >/dev/null 2>&1 && fail "the revoked node's record arrived late"
# Nor does anything reach the revoked node: every handshake it tries is refused.
r show --dir "$WORK/durenan-rogue" "$a" >/dev/null 2>&1 && fail "a record reached the revoked node"
say "the remaining nodes converged in $ms ms: $n2 records each"

for n in polda hq-jember umbulsari durenan-rogue; do stop "$n"; done
for n in polda hq-jember umbulsari durenan; do
  r verify --dir "$WORK/$n" >"$WORK/verify-$n.txt" 2>&1 || { cat "$WORK/verify-$n.txt" >&2; fail "verify failed at $n"; }
done
check_logs
say "PASS: revocation took effect on the live network; verify passed"
