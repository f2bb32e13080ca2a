#!/usr/bin/env bash
# Propagation: the time from a record's append at one Polsek until every node of the
# nine-node demo network (authority, four Polres HQ, four Polsek; `ronda run` daemons on
# loopback, CurveZMQ) holds it. Prints the median, 90th percentile and worst of N records.
#
#   bash bench/propagation.sh [N] [BUILD_DIR]     (a Release build)
#
# The append time is the record's own HLC (taken as it is signed, before its transaction
# commits); "holds it" is seen by polling each node's database read-only every millisecond.
set -euo pipefail
n=${1:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${2:-$root/build}" && pwd)
ronda=$build/ronda
work=$(mktemp -d)
pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
echo "building the nine-node network (the demo, kept)..."
bash "$root/deploy/demo.sh" --no-install --ronda "$ronda" --keep "$work/net" >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; exit 1; }
cd "$work/net"
dirs=(polda hq-trenggalek hq-jember hq-pasuruan hq-bojonegoro durenan umbulsari lumbang sekar)
for dir in "${dirs[@]}"; do
  "$ronda" run --dir "$dir" --log-level warning 2>"$dir.log" &
  pids+=($!)
done
sleep 4 # handshakes and a first round
/usr/bin/python3 "$root/bench/propagation.py" "$ronda" "$n" durenan "${dirs[@]}"
