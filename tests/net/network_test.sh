#!/usr/bin/env bash
# A live network on loopback: an authority, four Polres HQ and four Polsek, each a real
# `ronda run` daemon gossiping over CurveZMQ.
#
#   bash tests/net/network_test.sh RONDA_BIN
#
# 1. init -> admit (--endpoint tcp://127.0.0.1:PORT) -> export roster -> join; start all 8.
# 2. Records at several nodes (separate `ronda record` processes on the daemons' dirs);
#    every digest becomes equal; record counts equal.
# 3. A burst of writes; one Polsek is SIGKILLed while it syncs and others keep writing; it
#    restarts and catches up; its record count never decreases; nothing it wrote is lost.
# 4. A ninth node (Durenan 2) with --fanout 0 --peer <one Polsek> and no endpoint of its
#    own converges, and a record it writes reaches every HQ.
# 5. The daemons stop cleanly on SIGTERM and `ronda verify` passes on every node.
# Prints the convergence and catch-up times. Every daemon is stopped on exit.
TEST=net_network
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
NO_CHECKPOINTS=1 # exact record counts: no checkpoints or cosigns (lib.sh start)
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}

port=$(pick_ports 10)
say "work $WORK, ports $port.."
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"

# name dir role polres polsek
nodes=(
  "Polres Trenggalek|hq-trenggalek|hq|Trenggalek|"
  "Polres Jember|hq-jember|hq|Jember|"
  "Polres Pasuruan|hq-pasuruan|hq|Pasuruan|"
  "Polres Bojonegoro|hq-bojonegoro|hq|Bojonegoro|"
  "Polsek Durenan|durenan|precinct|Trenggalek|Durenan"
  "Polsek Umbulsari|umbulsari|precinct|Jember|Umbulsari"
  "Polsek Lumbang|lumbang|precinct|Pasuruan|Lumbang"
  "Polsek Sekar|sekar|precinct|Bojonegoro|Sekar"
)
HQ=(hq-trenggalek hq-jember hq-pasuruan hq-bojonegoro)
ALL=(hq-trenggalek hq-jember hq-pasuruan hq-bojonegoro durenan umbulsari lumbang sekar)
declare -A EP=()
i=0
for n in "${nodes[@]}"; do
  IFS='|' read -r name dir role polres polsek <<<"$n"
  i=$((i + 1))
  EP[$dir]="tcp://127.0.0.1:$((port + i))"
  r init --dir "$WORK/$dir" --authority "$auth_key" --name "$name" >/dev/null
  args=(--dir "$WORK/polda" --request "$WORK/$dir/join-request.json" --role "$role" --polres "$polres"
        --endpoint "${EP[$dir]}")
  [ -n "$polsek" ] && args+=(--polsek "$polsek")
  r authority admit "${args[@]}" >/dev/null
done
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null
for dir in "${ALL[@]}"; do r join --dir "$WORK/$dir" "$WORK/roster.bundle" >/dev/null; done

say "starting 8 daemons"
for dir in "${ALL[@]}"; do start "$dir"; done
sleep 1
for dir in "${ALL[@]}"; do alive "$dir" || fail "$dir did not start"; done

say "initial writes at six nodes"
t_write=$(now_ms)
declare -A D=()
for dir in durenan umbulsari lumbang sekar hq-trenggalek hq-jember; do
  for k in 1 2; do D[$dir.$k]=$(dialogue "$dir" "$dir-$k"); done
done
# Follow-ups across nodes: a Polres answers its Polsek's topic once the dialogue reached it.
wait_has hq-jember "${D[umbulsari.1]}" "$DEADLINE" || fail "umbulsari's dialogue never reached hq-jember"
resolution hq-jember "${D[umbulsari.1]}" "jember-for-umbulsari"
wait_has hq-bojonegoro "${D[sekar.1]}" "$DEADLINE" || fail "sekar's dialogue never reached hq-bojonegoro"
resolution hq-bojonegoro "${D[sekar.1]}" "bojonegoro-for-sekar"
resolution durenan "${D[durenan.1]}" "durenan-own"
t_last=$(now_ms)
conv=$(wait_equal "$DEADLINE" "${ALL[@]}") || fail "8 nodes did not converge within ${DEADLINE}s"
n_records=$(assert_counts_equal "${ALL[@]}")
say "8 nodes converged: $n_records records each; ${conv} ms after the last write" \
    "($((t_last - t_write)) ms of writing, incl. waiting for dialogues to reach their Polres)"
CONV_MS=$conv

# ---- SIGKILL one Polsek while it syncs -------------------------------------------------
victim=umbulsari
say "burst of writes at four nodes; SIGKILL $victim while it syncs"
own_before=()
for k in 1 2 3; do own_before+=("$(dialogue "$victim" "$victim-pre-$k")"); done
burst() { # NODE COUNT TAG
  for k in $(seq "$2"); do dialogue "$1" "$3-$k" >/dev/null; done
}
bpids=()
for dir in hq-trenggalek durenan lumbang sekar; do burst "$dir" 15 "$dir-burst" & bpids+=($!); done
# Kill once the victim has begun receiving the burst.
base=$(records "$victim")
t0=$(now_ms)
while [ "$(records "$victim")" -le "$base" ] && [ $(($(now_ms) - t0)) -lt 20000 ]; do sleep 0.05; done
before_kill=$(records "$victim")
kill -9 "${PID[$victim]}"
wait "${PID[$victim]}" 2>/dev/null || true
unset "PID[$victim]"
after_kill=$(records "$victim")
say "$victim killed with $before_kill records (had $base before the burst); $after_kill after the kill"
[ "$after_kill" -ge "$before_kill" ] || fail "$victim lost records in the kill: $before_kill -> $after_kill"
for p in "${bpids[@]}"; do wait "$p" || fail "a burst writer failed"; done
# The others keep writing while it is down.
for dir in hq-jember hq-pasuruan durenan; do dialogue "$dir" "$dir-while-down" >/dev/null; done
down_count=$(records "$victim")
[ "$down_count" -ge "$after_kill" ] || fail "$victim's count fell while it was down"

say "restarting $victim"
start "$victim"
t_restart=$(now_ms)
# Its count never decreases while it catches up.
prev=$down_count
others_digest=""
t0=$(now_ms)
while :; do
  c=$(records "$victim")
  [ "$c" -ge "$prev" ] || fail "$victim's record count decreased: $prev -> $c"
  prev=$c
  others_digest=$(digest hq-trenggalek)
  [ "$(digest "$victim")" = "$others_digest" ] && break
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "$victim did not catch up within ${DEADLINE}s ($c records)"
  sleep 0.1
done
CATCHUP_MS=$(($(now_ms) - t_restart))
prev=$(records "$victim")
say "$victim caught up in $CATCHUP_MS ms after its restart ($prev records; $down_count when it restarted)"
alive "$victim" || fail "$victim died after its restart"
for id in "${own_before[@]}"; do
  r show --dir "$WORK/$victim" "$id" >/dev/null || fail "$victim lost its own record $id"
  wait_has hq-jember "$id" "$DEADLINE" || fail "$victim's record $id never reached hq-jember"
done
say "writes after the restart"
post=$(dialogue "$victim" "$victim-post")
for dir in sekar hq-bojonegoro; do dialogue "$dir" "$dir-post" >/dev/null; done
t_last=$(now_ms)
conv2=$(wait_equal "$DEADLINE" "${ALL[@]}") || fail "no convergence after the restart"
n_records=$(assert_counts_equal "${ALL[@]}")
[ "$(records "$victim")" -ge "$prev" ] || fail "$victim's count decreased"
r show --dir "$WORK/hq-trenggalek" "$post" >/dev/null || fail "the post-restart record is missing"
expected=$((8 + 12 + 3 + 3 + 60 + 3 + 3)) # members, dialogues, resolutions, pre, burst, down, post
[ "$n_records" -eq "$expected" ] || fail "expected $expected records at every node, have $n_records"
say "8 nodes converged again: $n_records records each (as expected), ${conv2} ms after the last write"

# ---- a ninth node whose only peer is one Polsek --------------------------------------
ninth=durenan2
via=lumbang
say "ninth node $ninth: --fanout 0 --peer ${EP[$via]} ($via), no endpoint of its own"
r init --dir "$WORK/$ninth" --authority "$auth_key" --name "Polsek Durenan 2" >/dev/null
r authority admit --dir "$WORK/polda" --request "$WORK/$ninth/join-request.json" --role precinct \
  --polres Trenggalek --polsek Durenan >/dev/null
r export --dir "$WORK/polda" "$WORK/roster2.bundle" >/dev/null
r join --dir "$WORK/$ninth" "$WORK/roster2.bundle" >/dev/null
# It starts before its admission has reached the network, so $via refuses its first
# handshakes (ZAP: not a live member); it must keep trying.
start "$ninth" --fanout 0 --peer "${EP[$via]}" --listen none
sleep 2
alive "$ninth" || fail "$ninth did not start"
# The admission reaches the running network through one node (the authority's bundle
# imported into its directory while its daemon runs); sync carries it to the others.
r import --dir "$WORK/$via" "$WORK/roster2.bundle" >/dev/null
NINE=("${ALL[@]}" "$ninth")
conv3=$(wait_equal "$DEADLINE" "${NINE[@]}") || fail "the ninth node did not converge"
say "9 nodes converged in $conv3 ms after its admission was imported at $via"
grep -q "connecting to ${EP[$via]}" "$LOGS/$ninth.log" || fail "$ninth did not connect to $via"
if grep "connecting to" "$LOGS/$ninth.log" | grep -v "${EP[$via]}" | grep -q .; then
  fail "$ninth connected to a peer other than $via"
fi
rec9=$(dialogue "$ninth" "$ninth-1")
t0=$(now_ms)
for hq in "${HQ[@]}"; do
  wait_has "$hq" "$rec9" "$DEADLINE" || fail "the ninth node's record never reached $hq"
done
say "the ninth node's record reached all four HQ in $(($(now_ms) - t0)) ms"
conv4=$(wait_equal "$DEADLINE" "${NINE[@]}") || fail "9 nodes did not converge after the ninth's write"
n9=$(assert_counts_equal "${NINE[@]}")
[ "$n9" -eq $((expected + 2)) ] || fail "expected $((expected + 2)) records, have $n9"

# ---- clean stop, then verify everywhere ------------------------------------------------
say "stopping the daemons (SIGTERM, exit 0)"
for n in "${NINE[@]}"; do stop "$n"; done
for n in "${NINE[@]}"; do
  r verify --dir "$WORK/$n" >"$WORK/verify-$n.txt" 2>&1 || { cat "$WORK/verify-$n.txt" >&2; fail "verify failed at $n"; }
done
check_logs
say "verify passed on all 9 nodes"
echo "RESULT convergence_8_nodes_ms=$CONV_MS catchup_after_sigkill_ms=$CATCHUP_MS" \
     "reconverge_ms=$conv2 ninth_node_ms=$conv3 records=$n9"
