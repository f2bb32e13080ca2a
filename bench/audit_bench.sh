#!/usr/bin/env bash
# Audit benchmark: `ronda audit` beside `ronda verify` on the same ledger, time and peak
# memory of each, and their ratio (the audit is verify plus the checkpoint, reference and
# place checks: it should stay within a small factor of verify at any size).
#
#   bash bench/audit_bench.sh [--million] [N ...] [BUILD_DIR]    (a Release build: ronda, ronda-fill)
#
# N defaults to 100000; --million adds 1000000. For each N an hq node is admitted and
# filled by ronda-fill with N dialogues and a follow-up for every third, then given a
# checkpoint, a dialogue, an amendment that adds a topic to it, a follow-up of that topic
# and another checkpoint (through the CLI), and verified and audited once each.
#
#   PREV_BUILD=DIR     also run DIR/ronda's verify and audit on the same ledger (an earlier
#                      build), each capped at PREV_TIMEOUT seconds (default 300): an audit
#                      that was quadratic would otherwise run for hours
#   KEEP=DIR           keep the filled nodes in DIR and reuse them on the next run
#   THREADS=N          --threads for verify and audit (default: one per core)
#   REPEAT=R           run verify and audit R times each, alternately (default 1), and print
#                      the median times and the ratio of the medians: on a shared machine
#                      a single pair can be an unlucky one
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=() build="" million=0
for a in "$@"; do
  case $a in
    --million) million=1 ;;
    *[!0-9]*) build=$a ;;
    *) sizes+=("$a") ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(100000)
[ "$million" = 0 ] || sizes+=(1000000)
build=$(cd "${build:-$root/build}" && pwd)
ronda=$build/ronda fill=$build/ronda-fill
[ -x "$ronda" ] && [ -x "$fill" ] || { echo "audit_bench: build ronda and ronda-fill in $build first" >&2; exit 2; }
prev=""
if [ -n "${PREV_BUILD:-}" ]; then
  prev=$(cd "$PREV_BUILD" && pwd)/ronda
  [ -x "$prev" ] || { echo "audit_bench: no ronda in PREV_BUILD=$PREV_BUILD" >&2; exit 2; }
fi
cap=${PREV_TIMEOUT:-300}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP"
  work=$(cd "$KEEP" && pwd)
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
export RONDA_TZ=+07:00

# run LIMIT CMD...: "seconds peak_KiB status" of one run (status: the exit code, or
# "timeout"); /usr/bin/time when present, else the wall clock and VmHWM polled from /proc.
run() {
  local limit=$1 out rc=0
  shift
  if [ -x /usr/bin/time ]; then
    out=$(mktemp) # not in KEEP: two runs may share it
    timeout "$limit" /usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>&1 || rc=$?
    if [ "$rc" = 124 ]; then echo "$limit 0 timeout"; else echo "$(tail -n 1 "$out") $rc"; fi
    rm -f "$out"
    return
  fi
  local t0 hwm=0 pid
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    hwm=$(awk -v h="$hwm" '/VmHWM/ {print ($2 > h ? $2 : h)}' "/proc/$pid/status" 2>/dev/null || echo "$hwm")
    if [ $((($(date +%s%N) - t0) / 1000000000)) -ge "$limit" ]; then
      kill "$pid"
      wait "$pid" 2>/dev/null || true
      echo "$limit $hwm timeout"
      return
    fi
    sleep 0.05
  done
  wait "$pid" || rc=$?
  awk -v ns=$(($(date +%s%N) - t0)) -v h="$hwm" -v rc="$rc" 'BEGIN {printf "%.2f %d %s\n", ns / 1e9, h, rc}'
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

# A node with N dialogues (and follow-ups), two checkpoints and an amendment that adds a topic.
make_node() {
  local n=$1 dir=$work/n$1
  if [ -f "$dir/node/ronda.db" ] && [ -f "$dir/filled" ]; then return; fi
  rm -rf "$dir"
  mkdir -p "$dir"
  (
    cd "$dir"
    auth=$("$ronda" authority init --dir polda | awk '/authority key:/ {print $3}')
    "$ronda" init --dir node --authority "$auth" --name "Polres Bojonegoro HQ" >/dev/null
    "$ronda" authority admit --dir polda --request node/join-request.json --role hq --polres Bojonegoro >/dev/null
    "$ronda" export --dir polda roster.bundle 2>/dev/null
    "$ronda" join --dir node roster.bundle >/dev/null
    t0=$(date +%s)
    "$fill" node "$n" --followups
    "$ronda" checkpoint --dir node >/dev/null
    d=$("$ronda" record dialogue --dir node --polsek Sekar --programme warkop --title "Warkop Kamtibmas" \
      --venue "Balai desa" --participants 30 --officer "Bripka Sasongko" --stakeholder warga \
      --topic traffic:"parkir liar di pasar")
    "$ronda" record amend --dir node --target "$d" --reason "topik kedua terlewat" \
      --topic traffic:"parkir liar di pasar" --topic social_problem:"remaja nongkrong larut malam" >/dev/null
    "$ronda" record resolution --dir node --dialogue "$d" --topic 1 --status in_progress \
      --action "patroli malam bersama linmas" >/dev/null
    "$ronda" checkpoint --dir node >/dev/null
    echo "$(($(date +%s) - t0))" >filled
  )
}

printf '%-8s %9s %9s %9s %7s %10s %10s  %s\n' build records verify_s audit_s ratio verify_MB audit_MB notes
for n in "${sizes[@]}"; do
  make_node "$n"
  db=$work/n$n/node
  records=$("$ronda" status --dir "$db" --json | sed 's/.*"records":\([0-9]*\).*/\1/')
  cat "$db"/ronda.db* >/dev/null # both read the file from the OS cache, not the first from disk
  for which in this prev; do
    bin=$ronda limit=86400
    if [ "$which" = prev ]; then
      [ -n "$prev" ] || continue
      bin=$prev limit=$cap
    fi
    vts=() ats=() vk=0 ak=0 vrc=0 arc=0
    for _ in $(seq "${REPEAT:-1}"); do
      read -r t k rc < <(run "$limit" "$bin" verify --dir "$db" "${threads[@]}")
      vts+=("$t") vk=$((k > vk ? k : vk))
      [ "$rc" = 0 ] || vrc=$rc
      read -r t k rc < <(run "$limit" "$bin" audit --dir "$db" "${threads[@]}")
      ats+=("$t") ak=$((k > ak ? k : ak))
      [ "$rc" = 0 ] || arc=$rc
      [ "$arc" != timeout ] || break # once is enough to know
    done
    vs=$(median "${vts[@]}") as=$(median "${ats[@]}")
    notes=""
    for x in verify:$vrc audit:$arc; do
      case ${x#*:} in
        0) ;;
        timeout) notes+="${x%%:*} stopped at ${limit} s (PREV_TIMEOUT), memory not measured; " ;;
        *) notes+="${x%%:*} exit ${x#*:} (1 = findings); " ;;
      esac
    done
    ratio=$(awk -v a="$as" -v v="$vs" 'BEGIN {printf (v > 0 ? "%.2f" : "-"), a / v}')
    [ "$arc" = timeout ] && as=">$as" ratio=">$ratio"
    printf '%-8s %9s %9s %9s %7s %10.1f %10.1f  %s\n' "$which" "$records" "$vs" "$as" "$ratio" \
      "$(awk -v k="$vk" 'BEGIN {print k / 1024}')" "$(awk -v k="$ak" 'BEGIN {print k / 1024}')" \
      "${notes}${REPEAT:-1} run(s); db $(du -m "$db/ronda.db" | cut -f1) MiB, filled in $(cat "$work/n$n/filled") s"
  done
done
