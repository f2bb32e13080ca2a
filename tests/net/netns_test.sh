#!/usr/bin/env bash
# A real multi-host network: every node in its own network namespace, joined by veth pairs
# to a bridge (in a namespace of its own, so the host's network is never touched), and
# nftables drop rules to partition it:
#
#   bash tests/net/netns_test.sh RONDA_BIN
#
# Nine hosts: the authority (Polda), four Polres HQ and their four Polsek, one `ronda run`
# each, on 10.77.0.0/24 port 7401. Every Polsek dials its HQ, every HQ the Polda, and all
# three more random members.
# 1. Connected: a dialogue at each Polsek; all nine converge.
# 2. HQ cut off from its Polsek (Trenggalek / Durenan, both ways): Durenan writes; after
#    healing, all converge.
# 3. The network split in halves: each half writes; a record of one half must not reach the
#    other while split; after healing all converge (the time is printed).
# 4. 10% random packet loss on every host (nft numgen): writes everywhere; all converge
#    under loss (the time is printed).
# Nothing is lost (every record written is held by all nine), no fork, verify passes.
#
# Needs root, `ip` (iproute2) and `nft` (nftables), and a kernel that lets us create
# namespaces, veth pairs and bridges; otherwise it says why and exits 77 (ctest: skipped).
TEST=net_netns
skip() { echo "$TEST: SKIPPED: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null || skip "no ip command (Debian package iproute2)"
command -v nft >/dev/null || skip "no nft command (Debian package nftables)"
probe=ronda-probe-$$
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace here (ip netns add failed)"
if ! ip netns exec "$probe" nft add table inet probe 2>/dev/null ||
   ! ip -n "$probe" link add probe0 type veth peer name probe1 2>/dev/null ||
   ! ip -n "$probe" link add probebr type bridge 2>/dev/null; then
  ip netns del "$probe" 2>/dev/null
  skip "namespaces work, but nftables, veth or bridges do not"
fi
ip netns del "$probe"

RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
NO_CHECKPOINTS=1 # exact record counts: no checkpoints or cosigns (lib.sh start)
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-90}
NS=ronda$$        # namespace prefix: $NS-sw (the bridge), $NS-<host>
SUBNET=10.77.0

# Namespaces go on exit, after lib.sh has stopped the daemons.
cleanup_ns() {
  local n
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NS-" || true); do ip netns del "$n" 2>/dev/null || true; done
}
ns_exit() {
  local rc=$?
  stop_all
  cleanup_ns
  (exit $rc)
  on_exit
}
trap ns_exit EXIT

# host name role polres polsek ip
hosts=(
  "polda|Polda Jawa Timur|auditor|||1"
  "hq-trenggalek|Polres Trenggalek|hq|Trenggalek||2"
  "hq-jember|Polres Jember|hq|Jember||3"
  "hq-pasuruan|Polres Pasuruan|hq|Pasuruan||4"
  "hq-bojonegoro|Polres Bojonegoro|hq|Bojonegoro||5"
  "durenan|Polsek Durenan|precinct|Trenggalek|Durenan|11"
  "umbulsari|Polsek Umbulsari|precinct|Jember|Umbulsari|12"
  "lumbang|Polsek Lumbang|precinct|Pasuruan|Lumbang|13"
  "sekar|Polsek Sekar|precinct|Bojonegoro|Sekar|14"
)
ALL=(polda hq-trenggalek hq-jember hq-pasuruan hq-bojonegoro durenan umbulsari lumbang sekar)
POLSEK=(durenan umbulsari lumbang sekar)
declare -A IP=() HQ_OF=([durenan]=hq-trenggalek [umbulsari]=hq-jember [lumbang]=hq-pasuruan [sekar]=hq-bojonegoro)

say "building 9 hosts: namespaces, veth pairs, a bridge, nftables"
ip netns add "$NS-sw"
ip -n "$NS-sw" link add br0 type bridge
ip -n "$NS-sw" link set br0 up
i=0
for h in "${hosts[@]}"; do
  IFS='|' read -r dir _ _ _ _ last <<<"$h"
  i=$((i + 1))
  IP[$dir]=$SUBNET.$last
  ip netns add "$NS-$dir"
  ip -n "$NS-sw" link add "p$i" type veth peer name eth0 netns "$NS-$dir"
  ip -n "$NS-sw" link set "p$i" master br0 up
  ip -n "$NS-$dir" addr add "${IP[$dir]}/24" dev eth0
  ip -n "$NS-$dir" link set eth0 up
  ip -n "$NS-$dir" link set lo up
  ip netns exec "$NS-$dir" nft -f - <<'NFT'
table inet ronda {
  set blocked { type ipv4_addr; }
  chain input { type filter hook input priority 0; policy accept; ip saddr @blocked drop; }
  chain output { type filter hook output priority 0; policy accept; ip daddr @blocked drop; }
  chain loss { type filter hook input priority 10; policy accept; }
}
NFT
done

# block A B: A and B cannot exchange packets (both directions, at both ends).
block() {
  ip netns exec "$NS-$1" nft add element inet ronda blocked "{ ${IP[$2]} }"
  ip netns exec "$NS-$2" nft add element inet ronda blocked "{ ${IP[$1]} }"
}
heal() { local d; for d in "${ALL[@]}"; do ip netns exec "$NS-$d" nft flush set inet ronda blocked; done; }
loss_on() { local d; for d in "${ALL[@]}"; do ip netns exec "$NS-$d" nft add rule inet ronda loss numgen random mod 10 0 drop; done; }
loss_off() { local d; for d in "${ALL[@]}"; do ip netns exec "$NS-$d" nft flush chain inet ronda loss; done; }

say "init -> admit -> join"
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
for h in "${hosts[@]}"; do
  IFS='|' read -r dir name role polres polsek _ <<<"$h"
  [ "$dir" = polda ] || r init --dir "$WORK/$dir" --authority "$auth_key" --name "$name" >/dev/null
  args=(--dir "$WORK/polda" --request "$WORK/$dir/join-request.json" --role "$role" --endpoint "tcp://${IP[$dir]}:7401")
  [ -n "$polres" ] && args+=(--polres "$polres")
  [ -n "$polsek" ] && args+=(--polsek "$polsek")
  r authority admit "${args[@]}" >/dev/null
done
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null
for d in "${ALL[@]}"; do [ "$d" = polda ] || r join --dir "$WORK/$d" "$WORK/roster.bundle" >/dev/null; done

start_ns() {
  local d=$1 peer=()
  case $d in
    polda) ;;
    hq-*) peer=(--peer "tcp://${IP[polda]}:7401") ;;
    *) peer=(--peer "tcp://${IP[${HQ_OF[$d]}]}:7401") ;;
  esac
  ip netns exec "$NS-$d" "$RONDA" run --dir "$WORK/$d" --listen "tcp://${IP[$d]}:7401" "${peer[@]}" \
    --log-level info >>"$LOGS/$d.log" 2>&1 &
  PID[$d]=$!
  echo "${PID[$d]}" >>"$WORK/pids"
}
for d in "${ALL[@]}"; do start_ns "$d"; done
sleep 1
for d in "${ALL[@]}"; do alive "$d" || fail "$d did not start"; done

# write NODE TAG: a dialogue at NODE; its id is printed and kept in $WORK/written.
write() { local id; id=$(dialogue "$1" "$2") || fail "ronda record at $1 failed"; echo "$id" >>"$WORK/written"; echo "$id"; }

say "1. connected: a dialogue at each Polsek"
for d in "${POLSEK[@]}"; do write "$d" "$d-1" >/dev/null; done
t=$(wait_equal "$DEADLINE" "${ALL[@]}") || fail "no convergence on the connected network"
say "   converged in $t ms"

say "2. Polres Trenggalek cut off from Polsek Durenan"
block hq-trenggalek durenan
cut_id=$(write durenan "durenan-cut")
write hq-trenggalek "trenggalek-cut" >/dev/null
if wait_has hq-trenggalek "$cut_id" 15; then
  say "   Durenan's dialogue reached its HQ around the cut, by relays"
else
  say "   Durenan's dialogue did not reach its HQ during the cut"
fi
heal
t0=$(now_ms)
wait_equal "$DEADLINE" "${ALL[@]}" >/dev/null || fail "no convergence after healing the HQ/Polsek cut"
say "   healed: converged $(($(now_ms) - t0)) ms after healing"

say "3. the network split in halves"
A=(polda hq-trenggalek hq-jember durenan umbulsari)
B=(hq-pasuruan hq-bojonegoro lumbang sekar)
for a in "${A[@]}"; do for b in "${B[@]}"; do block "$a" "$b"; done; done
ida=$(write umbulsari "umbulsari-split")
idb=$(write lumbang "lumbang-split")
write hq-jember "jember-split" >/dev/null
write sekar "sekar-split" >/dev/null
wait_has hq-jember "$ida" 30 || fail "a record did not spread within half A"
wait_has hq-pasuruan "$idb" 30 || fail "a record did not spread within half B"
sleep 3
r show --dir "$WORK/hq-trenggalek" "$idb" >/dev/null 2>&1 && fail "a record crossed the split"
r show --dir "$WORK/sekar" "$ida" >/dev/null 2>&1 && fail "a record crossed the split"
heal
t0=$(now_ms)
wait_equal "$DEADLINE" "${ALL[@]}" >/dev/null || fail "no convergence after healing the split"
split_ms=$(($(now_ms) - t0))
say "   healed: all nine converged $split_ms ms after healing the split"

say "4. 10% random packet loss on every host"
loss_on
for d in "${POLSEK[@]}"; do write "$d" "$d-loss" >/dev/null; done
write hq-bojonegoro "bojonegoro-loss" >/dev/null
t0=$(now_ms)
wait_equal "$DEADLINE" "${ALL[@]}" >/dev/null || fail "no convergence under 10% loss"
loss_ms=$(($(now_ms) - t0))
loss_off
say "   converged under 10% loss in $loss_ms ms"

say "nothing lost, no fork"
nwritten=$(wc -l <"$WORK/written")
[ "$nwritten" -eq 15 ] || fail "expected 15 records written, counted $nwritten"
n=""
for d in "${ALL[@]}"; do
  st=$(status_json "$d")
  [ "$(field forks <<<"$st")" = 0 ] || fail "$d holds fork evidence"
  c=$(field records <<<"$st")
  [ -z "$n" ] && n=$c
  [ "$c" = "$n" ] || fail "record counts differ: ${ALL[0]} has $n, $d has $c"
  r log --dir "$WORK/$d" --json --limit 100000 >"$WORK/log-$d.json"
  while read -r id; do grep -q "$id" "$WORK/log-$d.json" || fail "$d lacks record $id"; done <"$WORK/written"
done
r verify --dir "$WORK/hq-trenggalek" >/dev/null || fail "verify failed at Polres Trenggalek"
stop_all
check_logs
say "PASS: $nwritten records written through partitions, $n held by all nine; convergence after" \
    "healing the split $split_ms ms, under 10% loss $loss_ms ms"
