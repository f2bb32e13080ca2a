#!/usr/bin/env bash
# A member that signs three versions of one seq and hands different pairs of them to
# different nodes, end to end with real daemons (proto/record.md §3 step 7, issue: every
# node ends with the same evidence):
#
#   bash tests/net/forks_split_test.sh RONDA_BIN
#
# 1. Polsek Durenan (the forger), Polsek Pogalan, Polsek Watulimo and Polres Trenggalek run;
#    Durenan writes two dialogues, which all receive. Everything stops.
# 2. Durenan's node directory is copied twice (the same keys). Each copy writes its own seq 3
#    (versions a, b, c) and exports a bundle. Pogalan imports a and b, Watulimo b and c, the
#    HQ c and a: each holds a fork of Durenan's seq 3, each with another pair of versions.
# 3. Pogalan, Watulimo and the HQ run again (Durenan stays away). They reach equal digests,
#    and every one holds the same evidence: the two versions with the lowest ids of the
#    three, named by the one fork finding `ronda verify --json` gives, with the same id.
TEST=net_forks_split
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}
NO_CHECKPOINTS=1 # the count of records must be the dialogues' alone
PY=/usr/bin/python3

port=$(pick_ports 5)
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
# name dir role polsek
nodes=("Polsek Durenan|durenan|precinct|Durenan" "Polsek Pogalan|pogalan|precinct|Pogalan"
       "Polsek Watulimo|watulimo|precinct|Watulimo" "Polres Trenggalek|hq-trenggalek|hq|")
honest=(pogalan watulimo hq-trenggalek)
i=0
for n in "${nodes[@]}"; do
  IFS='|' read -r name dir role polsek <<<"$n"
  i=$((i + 1))
  r init --dir "$WORK/$dir" --authority "$auth_key" --name "$name" >/dev/null
  args=(--dir "$WORK/polda" --request "$WORK/$dir/join-request.json" --role "$role" --polres Trenggalek
        --endpoint "tcp://127.0.0.1:$((port + i))")
  [ -n "$polsek" ] && args+=(--polsek "$polsek")
  r authority admit "${args[@]}" >/dev/null || fail "admit $dir failed"
done
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null 2>&1
for n in durenan "${honest[@]}"; do r join --dir "$WORK/$n" "$WORK/roster.bundle" >/dev/null; done
for n in durenan "${honest[@]}"; do start "$n"; done

say "Durenan writes two dialogues; every node holds them"
dialogue durenan one >/dev/null || fail "ronda record failed"
d2=$(dialogue durenan two) || fail "ronda record failed"
for n in "${honest[@]}"; do wait_has "$n" "$d2" "$DEADLINE" || fail "$n never received Durenan's seq 2"; done
for n in durenan "${honest[@]}"; do stop "$n"; done

say "two copies of Durenan's node; each of the three writes its own seq 3"
cp -a "$WORK/durenan" "$WORK/durenan-b"
cp -a "$WORK/durenan" "$WORK/durenan-c"
declare -A VER=()
for v in a b c; do
  dir=durenan
  [ "$v" = a ] || dir=durenan-$v
  VER[$v]=$(r record dialogue --dir "$WORK/$dir" --programme warkop --title "Warkop Kamtibmas versi $v" \
    --venue "Warung kopi $v" --officer "Bhabinkamtibmas $v" --topic "aspiration:Aspirasi warga ($v)" \
    --message "Versi $v") || fail "version $v: ronda record failed"
  [ ${#VER[$v]} -eq 64 ] || fail "version $v: no record id printed (${VER[$v]})"
  r export --dir "$WORK/$dir" "$WORK/version-$v.bundle" >/dev/null 2>&1 || fail "export of version $v failed"
done

say "Pogalan imports a and b, Watulimo b and c, the HQ c and a"
declare -A GIVE=([pogalan]="a b" [watulimo]="b c" [hq-trenggalek]="c a")
for n in "${honest[@]}"; do
  for v in ${GIVE[$n]}; do
    r import --dir "$WORK/$n" "$WORK/version-$v.bundle" >>"$WORK/import-$n.out" 2>&1 ||
      fail "$n: import of version $v failed: $(cat "$WORK/import-$n.out")"
  done
  [ "$(status_json "$n" | field forks)" = 1 ] || fail "$n holds no fork after its imports"
done
# The evidence each holds differs now (the finding names its pair's higher id).
fork_ids() { # NODE: the ids each fork finding of `ronda verify --json` names, one per line
  local rc=0
  r verify --dir "$WORK/$1" --json >"$WORK/verify-$1.json" 2>/dev/null || rc=$?
  [ $rc -eq 1 ] || fail "$1: verify exited $rc with a fork held, not 1"
  "$PY" -c 'import json,sys
for f in json.load(open(sys.argv[1]))["findings"]:
    if f["what"] == "fork": print(f["id"], f["detail"])' "$WORK/verify-$1.json"
}
before=$(for n in "${honest[@]}"; do fork_ids "$n" | cut -d' ' -f1; done | sort -u | wc -l)
[ "$before" -gt 1 ] || fail "the nodes name the same evidence before they sync: the test shows nothing"

say "the three honest nodes run again: they converge on one evidence"
for n in "${honest[@]}"; do start "$n"; done
t=$(wait_equal "$DEADLINE" "${honest[@]}") || fail "no convergence"
say "equal digests after $t ms"
low=$(printf '%s\n' "${VER[a]}" "${VER[b]}" "${VER[c]}" | sort | head -2)
lo1=$(sed -n 1p <<<"$low")
lo2=$(sed -n 2p <<<"$low")
for n in "${honest[@]}"; do
  got=$(fork_ids "$n")
  [ "$(wc -l <<<"$got")" = 1 ] || fail "$n: $(wc -l <<<"$got") fork findings, not 1: $got"
  id=$(cut -d' ' -f1 <<<"$got")
  [ "$id" = "$lo2" ] || fail "$n names $id as the fork's evidence, not $lo2 (the higher of the two lowest ids)"
  grep -q "${lo1:0:16}" <<<"$got" || fail "$n's fork finding does not name ${lo1:0:16}: $got"
  for v in a b c; do
    case "${VER[$v]}" in "$lo1" | "$lo2") ;; *) continue ;; esac
    r show --dir "$WORK/$n" "${VER[$v]}" >/dev/null 2>&1 || fail "$n does not hold version $v, one of the evidence"
  done
  st=$(status_json "$n")
  [ "$(field forks <<<"$st")" = 1 ] || fail "$n counts $(field forks <<<"$st") forks, not 1"
  say "$n: fork of seq 3 proved by ${lo1:0:12} and ${lo2:0:12} ($(field fork_records <<<"$st") evidence records beside its own)"
done
r status --dir "$WORK/pogalan" | grep -q "^forked .*frozen at seq 2" || fail "the status text shows no forked chain"
for n in "${honest[@]}"; do stop "$n"; done
check_logs
say "PASS"
