#!/usr/bin/env bash
# Sync benchmark: a fresh node catching up N records from one peer over CurveZMQ on
# loopback (records/s, peak memory of both processes), then the cost of an anti-entropy
# round once the two are in sync (bytes each way per round, from the daemons' stats), and the
# bytes per record of the catch-up on the wire, compressed, beside their size uncompressed.
#
#   bash bench/sync_bench.sh [N] [BUILD_DIR]     (a Release build: ronda and ronda-fill)
set -euo pipefail
n=${1:-100000}
build=$(cd "${2:-build}" && pwd)
ronda=$build/ronda fill=$build/ronda-fill
work=$(mktemp -d)
pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
[ -n "${KEEP_LOGS:-}" ] && trap 'cp "$work"/n*.log "$KEEP_LOGS"/ 2>/dev/null; cleanup' EXIT
cd "$work"
port=$((10000 + RANDOM % 22000))
key=$("$ronda" authority init --dir auth | awk '/authority key:/ {print $3}')
for i in 1 2; do
  "$ronda" init --dir n$i --authority "$key" --name "Polsek $i" >/dev/null
  "$ronda" authority admit --dir auth --request n$i/join-request.json --role precinct --polres Bojonegoro \
    --polsek "Sekar $i" --endpoint tcp://127.0.0.1:$((port + i)) >/dev/null
done
"$ronda" export --dir auth roster.bundle 2>/dev/null
for i in 1 2; do "$ronda" join --dir n$i roster.bundle >/dev/null; done
t0=$(date +%s%N)
"$fill" n1 "$n"
t1=$(date +%s%N)
echo "fill: $n records signed and stored in $(( (t1 - t0) / 1000000 )) ms"
records() { "$ronda" status --dir "$1" --json | sed 's/.*"records":\([0-9]*\).*/\1/'; }
want=$(records n1)

"$ronda" run --dir n1 --fanout 0 --log-level debug 2>n1.log & pids+=($!); a=$!
sleep 0.5
t0=$(date +%s%N)
"$ronda" run --dir n2 --fanout 0 --peer tcp://127.0.0.1:$((port + 1)) --log-level debug 2>n2.log & pids+=($!); b=$!
# Each `ronda status` costs ~30 ms of CPU on a large ledger: polled every 50 ms it took a
# third of a core from the node it measures. Every 200 ms it costs ~1/20 of a core, and the
# figure is late by at most 200 ms.
while [ "$(records n2)" != "$want" ]; do sleep 0.2; done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
hwm() { awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' /proc/$1/status; }
echo "catch-up: $n records in $ms ms = $(( n * 1000 / (ms > 0 ? ms : 1) )) records/s (incl. startup and CURVE handshake)"
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f s", ($14 + $15) / hz}' /proc/$1/stat; }
echo "peak memory: serving node $(hwm $a), catching-up node $(hwm $b)"
echo "cpu time: serving node $(cpu $a), catching-up node $(cpu $b) (user+system, all threads)"
# In sync: two stats lines 5 s apart give the bytes of the rounds between them.
sleep 11
line() { grep 'stats:' "$1" | tail -n "$2" | head -n 1; }
field() { sed "s/.* $2 \([0-9]*\).*/\1/" <<<"$1"; }
l1=$(line n2.log 2) l2=$(line n2.log 1)
r1=$(field "$l1" rounds_in_sync) r2=$(field "$l2" rounds_in_sync)
o1=$(field "$l1" bytes_out) o2=$(field "$l2" bytes_out) i1=$(field "$l1" bytes_in) i2=$(field "$l2" bytes_in)
m1=$(field "$l1" msgs_out) m2=$(field "$l2" msgs_out)
# Catch-up on the wire: the RECORDS messages the catching-up node received, as they came
# (zstd-compressed when both ends announce it, proto/sync.md "Compression") and before.
rw=$(field "$l2" records_wire_in) rr=$(field "$l2" records_raw_in)
if [[ "$rw" =~ ^[0-9]+$ && "$rr" =~ ^[0-9]+$ && "$rr" -gt 0 ]]; then
  echo "catch-up on the wire: $rw bytes of RECORDS for $n records = $((rw / n)) bytes/record," \
       "$(awk -v a="$rw" -v b="$rr" 'BEGIN {printf "%.1f", 100 * a / b}')% of their $((rr / n)) bytes/record uncompressed"
else
  echo "catch-up on the wire: $(field "$l2" bytes_in) bytes received in all (this build counts no RECORDS bytes apart)"
fi
echo "in-sync at $want records: $((r2 - r1)) rounds answered SYNCED in 5 s; node sent $((o2 - o1)) bytes" \
     "in $((m2 - m1)) messages and received $((i2 - i1)) bytes (sync payload, before CURVE framing)"
