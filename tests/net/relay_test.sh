#!/usr/bin/env bash
# A big batch is relayed hop by hop (proto/sync.md, "Push"): five real `ronda run` daemons
# in a line, each connected to its neighbours only (--fanout 0, --peer the next one), so a
# record written at one end reaches the other only if every node in between relays it.
#
#   bash tests/net/relay_test.sh RONDA_BIN [RONDA_FILL]   (default: ronda-fill beside RONDA_BIN)
#
# 1. Durenan (one end) writes 200 dialogues in one transaction (ronda-fill, a separate
#    process on the daemon's database, as `ronda import` would); the far end (Sekar, four
#    hops away) must hold them within 3 x what the first hop took (each further hop checks
#    and stores the same records again) plus RELAY_EXTRA_MS (1 s): less than the anti-entropy
#    rounds (SYNC_ROUND_MS, 2 s) the three further hops waited for before, when a batch of
#    more than 64 records reached only the first neighbour at once (2.7-5 s more here).
# 2. Every node ends with the same digest, and `ronda verify` passes at each.
# 3. Compression (proto/sync.md, "Compression") over real sockets, in a mixed line: Pogalan
#    runs with `--compress none`, the others with zstd. Hq-trenggalek received the batch
#    as ZSTD messages, in fewer bytes than the RECORDS they held; Pogalan received and sent
#    none (it announced none), and the line converged through it all the same. Read from
#    the two daemons' stats lines (debug level, every 5 s).
# (A batch of thousands, more than a push queue holds at once, is the simulator's:
# tests/sim, "a big batch is relayed hop by hop".)
TEST=net_relay
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FILL=${2:-$(dirname "$RONDA")/ronda-fill}
. "$(dirname "$0")/lib.sh"
[ -x "$FILL" ] || fail "no ronda-fill at $FILL"
RELAY_EXTRA_MS=${RONDA_RELAY_EXTRA_MS:-1000} # beyond 3 x the first hop; the figures are printed

port=$(pick_ports 6)
say "work $WORK, ports $port.."
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
LINE=(durenan hq-trenggalek pogalan hq-bojonegoro sekar)
nodes=(
  "Polsek Durenan|durenan|precinct|Trenggalek|Durenan"
  "Polres Trenggalek|hq-trenggalek|hq|Trenggalek|"
  "Polsek Pogalan|pogalan|precinct|Trenggalek|Pogalan"
  "Polres Bojonegoro|hq-bojonegoro|hq|Bojonegoro|"
  "Polsek Sekar|sekar|precinct|Bojonegoro|Sekar"
)
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
for dir in "${LINE[@]}"; do r join --dir "$WORK/$dir" "$WORK/roster.bundle" >/dev/null; done

# Started from the far end: each link comes up when its dialing node starts, so the links'
# rounds run in descending phase along the line and a batch carried by rounds alone waits
# most of a round at every hop (started the other way, one round could carry it all along).
say "starting 5 daemons in a line: ${LINE[*]}"
for k in 4 3 2 1 0; do
  dir=${LINE[$k]}
  peer=()
  [ $k -lt 4 ] && peer=(--peer "${EP[${LINE[$((k + 1))]}]}")
  extra=()
  case $dir in
    hq-trenggalek) extra=(--log-level debug) ;;
    pogalan) extra=(--log-level debug --compress none) ;;
  esac
  start "$dir" --listen "${EP[$dir]}" --fanout 0 "${peer[@]}" "${extra[@]}" ${RELAY_LOG:+--log-level $RELAY_LOG}
  sleep 0.4
done
wait_equal 30 "${LINE[@]}" >/dev/null || fail "the line did not start in sync"
sleep 1

# has NODE N: ms until the node holds N records (or fails after 60 s).
has() {
  local want=$2 t0
  t0=$(now_ms)
  until [ "$(records "$1")" -ge "$want" ]; do
    [ $(($(now_ms) - t0)) -gt 60000 ] && fail "$1 holds $(records "$1") records, not $want, after 60 s"
    sleep 0.05
  done
  echo $(($(now_ms) - t0))
}

base=$(records sekar)
"$FILL" "$WORK/durenan" 200 >/dev/null || fail "ronda-fill failed"
t0=$(now_ms)
first=$(has hq-trenggalek $((base + 200)))
far=$(($(has sekar $((base + 200))) + first))
say "200 records written at durenan in one transaction: the first neighbour holds them in $first ms," \
    "sekar, 4 hops away, in $far ms"
# What the first hop took (checking and storing 200 records, slower on a loaded machine or
# under the sanitizers) is not the relay's; each further hop may take as much again, but
# never wait for a round.
limit=$((3 * first + RELAY_EXTRA_MS))
[ $((far - first)) -le "$limit" ] ||
  fail "the 3 further hops took $((far - first)) ms (at most 3 x $first + $RELAY_EXTRA_MS ms: relayed, not left to rounds)"
conv=$(wait_equal 30 "${LINE[@]}") || fail "the line did not converge"
say "all 5 nodes hold the same ledger ($(records sekar) records), $conv ms after the far end had them"
# stat NODE FIELD: the field of the node's last stats line
stat() { grep 'stats:' "$LOGS/$1.log" | tail -n 1 | sed -n "s/.* $2 \([0-9]*\).*/\1/p"; }
sleep 5.5 # a stats line after the batch
hw=$(stat hq-trenggalek records_wire_in) hr=$(stat hq-trenggalek records_raw_in) hz=$(stat hq-trenggalek zstd_in)
pz=$(stat pogalan zstd_in) pzo=$(stat pogalan zstd_out) pr=$(stat pogalan records_raw_in)
[ -n "$hw" ] && [ -n "$hr" ] && [ -n "$pz" ] || fail "no stats lines with RECORDS bytes in the debug logs"
say "hq-trenggalek received $hz ZSTD messages: RECORDS $hw bytes on the wire for $hr bytes" \
    "($((100 * hw / (hr > 0 ? hr : 1)))%); pogalan (--compress none) $pz in, $pzo out, $pr bytes of RECORDS in"
[ "$hz" -gt 0 ] && [ $((hw * 100)) -lt $((hr * 70)) ] ||
  fail "hq-trenggalek did not receive the batch compressed ($hz ZSTD messages, $hw of $hr bytes)"
[ "$pz" = 0 ] && [ "$pzo" = 0 ] && [ "$pr" -gt 0 ] ||
  fail "pogalan, which announced no zstd, received $pz or sent $pzo ZSTD messages"
check_logs
stop_all
for dir in "${LINE[@]}"; do r verify --dir "$WORK/$dir" >/dev/null || fail "verify failed at $dir"; done
say "PASS"
