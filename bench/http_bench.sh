#!/usr/bin/env bash
# HQ query latency over real HTTP, and the serving node's memory.
#
#   bash bench/http_bench.sh [BUILD_DIR] [N ...]     (default: build 100000 1000000)
#
# For each N: a node is created and filled by ronda-fill with N dialogues (and a follow-up
# for every third), then served by `ronda run --http`; each query below is asked RUNS times
# (after one warm-up) with curl, and the median and worst time_total are printed, with the
# node's peak resident memory (VmHWM) after all of them. A Release build is expected.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
ronda=$build/ronda fill=$build/ronda-fill
RUNS=${RUNS:-15}
[ -x "$ronda" ] && [ -x "$fill" ] || { echo "http_bench: build ronda and ronda-fill in $build first" >&2; exit 2; }
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export RONDA_TZ=+07:00

queries=(
  "overview (report per Polres, whole ledger)|/api/report"
  "overview chart (per month, one Polres)|/api/report?by=month&polres=Jember"
  "filtered list (Polres + programme, 50 newest)|/api/dialogues?polres=Jember&programme=warkop"
  "filtered list (category + open, 50 newest)|/api/dialogues?category=traffic&status=open"
  "text search, rare word (1 in 1,000)|/api/dialogues?q=kebakaran"
  "text search, word in every dialogue|/api/dialogues?q=warung"
  "overdue follow-ups (50 oldest)|/api/followups?state=overdue"
  "one dialogue page|DIALOGUE"
)

for n in "${sizes[@]}"; do
  dir=$work/n$n
  mkdir -p "$dir"
  cd "$dir"
  auth=$("$ronda" authority init --dir polda | awk '/authority key:/ {print $3}')
  "$ronda" init --dir node --authority "$auth" --name "Polres Bojonegoro" >/dev/null
  "$ronda" authority admit --dir polda --request node/join-request.json --role precinct --polres Bojonegoro \
    --polsek Sekar >/dev/null
  "$ronda" export --dir polda roster.bundle 2>/dev/null
  "$ronda" join --dir node roster.bundle >/dev/null
  t0=$(date +%s)
  "$fill" node "$n" --followups
  echo "== $n dialogues (filled in $(($(date +%s) - t0)) s; database $(du -m node/ronda.db | cut -f1) MiB)"
  port=$((10000 + RANDOM % 22000))
  "$ronda" run --dir node --listen none --fanout 0 --log-level warning --http "127.0.0.1:$port" 2>"$dir/run.log" &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  tok=$(awk '{print $2}' node/http.token)
  rss0=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  id=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/dialogues?limit=1&offset=500" |
    sed 's/.*"id":"\([0-9a-f]\{64\}\)".*/\1/')
  printf '%-48s %10s %10s %8s\n' query median_ms worst_ms status
  for q in "${queries[@]}"; do
    name=${q%%|*} path=${q#*|}
    [ "$path" = DIALOGUE ] && path=/api/dialogues/$id
    times=()
    code=""
    for k in $(seq 0 "$RUNS"); do
      out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $tok" \
        "http://127.0.0.1:$port$path")
      code=${out% *}
      [ "$k" -gt 0 ] && times+=("${out#* }")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk -v name="$name" -v code="$code" \
      '{ t[NR] = $1 * 1000 } END { printf "%-48s %10.1f %10.1f %8s\n", name, t[int((NR + 1) / 2)], t[NR], code }'
  done
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  echo "node memory: RSS $((rss0 / 1024)) MiB at start, peak (VmHWM) $((hwm / 1024)) MiB after the queries"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  cd "$work"
  rm -rf "$dir"
done
