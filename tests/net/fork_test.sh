#!/usr/bin/env bash
# A restore that forks a chain, end to end with real daemons (proto/record.md §3 step 7,
# docs/operations.md "A forked chain"):
#
#   bash tests/net/fork_test.sh RONDA_BIN
#
# 1. Polsek Durenan, Polsek Pogalan and Polres Trenggalek run; Durenan writes two dialogues
#    and is backed up. Pogalan goes offline; Durenan writes two more, which the HQ receives.
# 2. Durenan and the HQ stop; Durenan is restored from the older backup and runs with
#    Pogalan only. Pogalan, itself behind, confirms Durenan's head: the guard lifts, and
#    Durenan writes a second record for seq 3, which the HQ holds already.
# 3. The HQ comes back. The fork is found: every node holds both records of seq 3 (one of
#    them as evidence), the digests are equal, `ronda audit` and `ronda verify` report the
#    fork, `ronda status` flags Durenan's chain as forked, and Durenan's `ronda record`
#    refuses (exit 4) naming the way forward.
TEST=net_fork
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}

port=$(pick_ports 4)
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
# name dir role polsek
nodes=("Polsek Durenan|durenan|precinct|Durenan" "Polsek Pogalan|pogalan|precinct|Pogalan"
       "Polres Trenggalek|hq-trenggalek|hq|")
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
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null
for n in durenan pogalan hq-trenggalek; do r join --dir "$WORK/$n" "$WORK/roster.bundle" >/dev/null; done
for n in durenan pogalan hq-trenggalek; do start "$n"; done
durenan_key=$(status_json durenan | field node)

say "Durenan writes two dialogues; every node holds them; Durenan is backed up"
dialogue durenan one >/dev/null || fail "ronda record failed"
d2=$(dialogue durenan two) || fail "ronda record failed"
for n in pogalan hq-trenggalek; do wait_has "$n" "$d2" "$DEADLINE" || fail "$n never received Durenan's seq 2"; done
r backup --dir "$WORK/durenan" "$WORK/durenan.backup" >/dev/null || fail "backup failed"

say "Pogalan goes offline; Durenan writes seqs 3 and 4; the HQ receives them"
stop pogalan
dialogue durenan three >/dev/null || fail "ronda record failed"
d4=$(dialogue durenan four) || fail "ronda record failed"
wait_has hq-trenggalek "$d4" "$DEADLINE" || fail "the HQ never received Durenan's seq 4"

say "Durenan and the HQ stop; Durenan is restored from the backup and runs beside Pogalan only"
stop hq-trenggalek
stop durenan
r restore --dir "$WORK/durenan" --force "$WORK/durenan.backup" >/dev/null || fail "restore failed"
[ "$(status_json durenan | field guard)" = restored ] || fail "the restored node shows no guard"
start durenan
start pogalan
t0=$(now_ms)
until [ "$(status_json durenan | field guard)" = none ]; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "Pogalan never confirmed Durenan's head"
  sleep 0.2
done
say "Pogalan (behind itself) confirmed Durenan's head after $(($(now_ms) - t0)) ms"
f3=$(dialogue durenan second-three) || fail "ronda record refused after the confirmation"
wait_has pogalan "$f3" "$DEADLINE" || fail "Pogalan never received Durenan's second seq 3"

say "the HQ comes back: the fork is found and recorded everywhere"
start hq-trenggalek
t=$(wait_equal "$DEADLINE" durenan pogalan hq-trenggalek) || fail "no convergence with the fork recorded"
say "equal digests after $t ms"
hq3=$(r log --dir "$WORK/hq-trenggalek" --json --author "$durenan_key" | grep -o '"id": *"[0-9a-f]*"' | sed -n 3p |
  grep -o '[0-9a-f]\{64\}')
for n in durenan pogalan hq-trenggalek; do
  st=$(status_json "$n")
  [ "$(field forks <<<"$st")" = 1 ] || fail "$n holds $(field forks <<<"$st") fork-evidence records, not 1"
  grep -q "\"frozen\":\[{\"author\":\"$durenan_key\"" <<<"$st" || fail "$n's status does not flag Durenan's chain as forked"
  r show --dir "$WORK/$n" "$f3" >/dev/null || fail "$n does not hold Durenan's second seq 3"
  r show --dir "$WORK/$n" "$hq3" >/dev/null || fail "$n does not hold the HQ's seq 3 of Durenan"
  rc=0
  r verify --dir "$WORK/$n" >"$WORK/verify-$n.out" 2>&1 || rc=$?
  [ $rc -eq 1 ] && grep -q "fork" "$WORK/verify-$n.out" || fail "$n: verify did not report the fork (exit $rc)"
done
r status --dir "$WORK/pogalan" | grep -q "^forked .*frozen at seq 2" || fail "the status text shows no forked chain"
t0=$(now_ms)
rc=0
r audit --dir "$WORK/hq-trenggalek" >"$WORK/audit.out" 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -qi "fork" "$WORK/audit.out" || fail "audit did not report the fork (exit $rc)"
say "verify and audit report the fork (audit took $(($(now_ms) - t0)) ms)"
[ "$(status_json durenan | field guard)" = forked ] || fail "Durenan's guard is $(status_json durenan | field guard), not forked"
rc=0
dialogue durenan after-fork >/dev/null 2>"$WORK/refused.err" || rc=$?
[ $rc -eq 4 ] || fail "ronda record on the forked node exited $rc, not 4"
grep -q "forked at seq 3" "$WORK/refused.err" || fail "no clear message: $(cat "$WORK/refused.err")"
grep -q "A forked chain" "$WORK/refused.err" || fail "no way forward named: $(cat "$WORK/refused.err")"
grep -q "our own chain forked at seq 3" "$LOGS/durenan.log" || fail "Durenan's daemon did not log its fork"
for n in durenan pogalan hq-trenggalek; do stop "$n"; done
check_logs
say "PASS"
