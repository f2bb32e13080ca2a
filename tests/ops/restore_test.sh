#!/usr/bin/env bash
# Backup and restore without forks, with real daemons (docs/operations.md):
#
#   bash tests/ops/restore_test.sh RONDA_BIN RONDA_FILL_BIN
#
# 1. Polsek Durenan and Polres Trenggalek run; Durenan writes; `ronda backup` copies its
#    database while a writer keeps appending (the copy is consistent and verifies).
# 2. Durenan writes more; the HQ receives it. Durenan is stopped and restored from the old
#    backup: `ronda status` shows the guard, `ronda record` refuses with exit 4.
# 3. `ronda run` catches up from the HQ (its own newer records come back), the guard lifts,
#    `ronda record` works again; digests are equal, no fork anywhere, verify passes.
# 4. The HQ restarts with 3,000 records to fetch and reports its catch-up progress.
# Also: the HQ runs under a fake systemd notify socket with a watchdog and must send READY=1,
# STATUS= and WATCHDOG=1; a backup never overwrites; a backup restores only into its node.
TEST=ops_restore
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FILL=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
FILL_N=${RONDA_FILL_N:-3000}
. "$(dirname "$0")/../net/lib.sh"
PY=/usr/bin/python3

port=$(pick_ports 3)
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
r init --dir "$WORK/durenan" --authority "$auth_key" --name "Polsek Durenan" >/dev/null
r init --dir "$WORK/hq-trenggalek" --authority "$auth_key" --name "Polres Trenggalek" >/dev/null
r authority admit --dir "$WORK/polda" --request "$WORK/durenan/join-request.json" --role precinct \
  --polres Trenggalek --polsek Durenan --endpoint "tcp://127.0.0.1:$((port + 1))" >/dev/null
r authority admit --dir "$WORK/polda" --request "$WORK/hq-trenggalek/join-request.json" --role hq \
  --polres Trenggalek --endpoint "tcp://127.0.0.1:$((port + 2))" >/dev/null
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null
for n in durenan hq-trenggalek; do r join --dir "$WORK/$n" "$WORK/roster.bundle" >/dev/null; done

# The HQ under a fake systemd: a datagram socket collects what sd_notify sends.
"$PY" - "$WORK/notify.sock" "$WORK/notify.txt" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
with open(sys.argv[2], "a", buffering=1) as out:
    try:
        while True:
            out.write(s.recv(4096).decode() + "\n")
    except socket.timeout:
        pass
PYEOF
echo $! >>"$WORK/pids"
for _ in $(seq 50); do [ -S "$WORK/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$WORK/notify.sock WATCHDOG_USEC=1000000 \
  bash -c 'WATCHDOG_PID=$$ exec "$0" run --dir "$1" --log-level info' "$RONDA" "$WORK/hq-trenggalek" \
  >>"$LOGS/hq-trenggalek.log" 2>&1 &
PID[hq-trenggalek]=$!
echo "${PID[hq-trenggalek]}" >>"$WORK/pids"
start durenan

say "Durenan writes, then is backed up while a writer keeps appending"
d1=$(dialogue durenan one)
wait_has hq-trenggalek "$d1" 30 || fail "the HQ never received Durenan's first dialogue"
(for i in $(seq 8); do dialogue durenan "busy$i" >/dev/null; done) &
writer=$!
until [ "$(records durenan)" -gt 3 ]; do sleep 0.05; done # the writer is under way
r backup --dir "$WORK/durenan" "$WORK/durenan.backup" >"$WORK/backup.out" || fail "backup failed"
wait "$writer" || fail "the writer failed during the backup"
grep -q "records" "$WORK/backup.out" || fail "backup printed no summary"
[ ! -e "$WORK/durenan.backup-wal" ] || fail "the backup left a -wal beside it"
r backup --dir "$WORK/durenan" "$WORK/durenan.backup" 2>/dev/null && fail "a backup overwrote a file"
# The copy is a whole, verifiable ledger: restore it into a scratch copy of the node.
mkdir "$WORK/scratch"
cp -p "$WORK/durenan/sign.key" "$WORK/durenan/curve.key" "$WORK/scratch/"
r restore --dir "$WORK/scratch" "$WORK/durenan.backup" >/dev/null || fail "restore into an empty node dir failed"
r verify --dir "$WORK/scratch" >/dev/null || fail "the backup does not verify"
backup_records=$(r status --dir "$WORK/scratch" --json | field records)
say "backup holds $backup_records records"
# A backup restores only into its own node.
r restore --dir "$WORK/hq-trenggalek" --force "$WORK/durenan.backup" 2>"$WORK/wrong.err" && fail "restored into another node"
grep -q "is the backup of node" "$WORK/wrong.err" || fail "no clear message for a backup of another node"

say "Durenan writes more after the backup; the HQ receives it"
for i in 1 2 3; do last=$(dialogue durenan "after$i"); done
wait_has hq-trenggalek "$last" 30 || fail "the HQ never received Durenan's newer dialogues"
t=$(wait_equal 30 durenan hq-trenggalek) || fail "no convergence before the restore"
seq_before=$(r log --dir "$WORK/hq-trenggalek" --json --author "$(status_json durenan | field node)" | grep -o '"seq": *[0-9]*' | tail -1 | grep -o '[0-9]*$')
say "Durenan's own chain reaches seq $seq_before at the HQ"

say "Durenan is stopped and restored from the older backup"
stop durenan
r restore --dir "$WORK/durenan" "$WORK/durenan.backup" 2>/dev/null && fail "restore replaced a database without --force"
r restore --dir "$WORK/durenan" --force "$WORK/durenan.backup" >/dev/null || fail "restore --force failed"
[ -e "$WORK/durenan/ronda.db.before-restore" ] || fail "the replaced database was not kept aside"
[ "$(status_json durenan | field guard)" = restored ] || fail "the restored node shows no guard"
[ "$(records durenan)" = "$backup_records" ] || fail "the restored node does not hold the backup's records"
rc=0
dialogue durenan refused >/dev/null 2>"$WORK/refused.err" || rc=$?
[ $rc -eq 4 ] || fail "ronda record on a restored node exited $rc, not 4"
grep -q "behind its own history" "$WORK/refused.err" || fail "no clear message when refusing: $(cat "$WORK/refused.err")"
grep -q "hint: run \`ronda run\`" "$WORK/refused.err" || fail "no hint when refusing"

say "ronda run catches up from the HQ; then Durenan may write again"
t0=$(now_ms)
start durenan
until [ "$(status_json durenan | field guard)" = none ]; do
  [ $(($(now_ms) - t0)) -gt 30000 ] && fail "the guard never lifted"
  sleep 0.2
done
say "guard lifted after $(($(now_ms) - t0)) ms"
grep -q "we hold them up to seq $seq_before now\|caught up with our own records" "$LOGS/durenan.log" ||
  fail "the daemon did not log learning its own newer records"
new=$(dialogue durenan "after-restore") || fail "ronda record refused after the catch-up"
wait_has hq-trenggalek "$new" 30 || fail "the HQ never received the record written after the restore"
t=$(wait_equal 30 durenan hq-trenggalek) || fail "no convergence after the restore"
for n in durenan hq-trenggalek; do
  [ "$(status_json "$n" | field forks)" = 0 ] || fail "$n holds fork evidence"
  r verify --dir "$WORK/$n" >/dev/null || fail "$n does not verify"
done
new_seq=$(r show --dir "$WORK/hq-trenggalek" "$new" | grep -o '"seq": *[0-9]*' | head -1 | grep -o '[0-9]*$')
[ "$new_seq" = $((seq_before + 1)) ] || fail "the record after the restore took seq $new_seq, not $((seq_before + 1))"
say "Durenan's new record took seq $new_seq; no fork anywhere"

say "rebuild and import report progress as JSON events"
r rebuild --dir "$WORK/scratch" --json 2>"$WORK/rebuild.err" >/dev/null || fail "rebuild failed"
grep -q "^{\"event\":\"progress\",\"op\":\"rebuild\",\"done\":$backup_records,\"total\":$backup_records,.*\"final\":true}" \
  "$WORK/rebuild.err" || fail "no final rebuild progress event: $(cat "$WORK/rebuild.err")"
r import --dir "$WORK/scratch" --json "$WORK/roster.bundle" 2>"$WORK/import.err" >/dev/null || fail "import failed"
grep -q '"op":"import",.*"final":true' "$WORK/import.err" || fail "no final import progress event"

say "the HQ told systemd READY, STATUS and WATCHDOG"
for k in READY=1 STATUS=node WATCHDOG=1; do grep -q "$k" "$WORK/notify.txt" || fail "no $k sent: $(head -c 400 "$WORK/notify.txt")"; done
stop hq-trenggalek
grep -q STOPPING=1 "$WORK/notify.txt" || fail "no STOPPING=1 sent"

say "catch-up progress: the HQ restarts behind $FILL_N records and reports its catch-up"
"$FILL" "$WORK/durenan" "$FILL_N" >/dev/null || fail "ronda-fill failed"
start hq-trenggalek --progress json
t=$(wait_equal 120 durenan hq-trenggalek) || fail "the HQ did not catch up"
say "   caught up with $FILL_N records in $t ms"
grep -q '"op":"catch-up",.*"final":false' "$LOGS/hq-trenggalek.log" || fail "no catch-up progress events"
for _ in $(seq 20); do grep -q '"op":"catch-up",.*"final":true' "$LOGS/hq-trenggalek.log" && break; sleep 0.25; done
grep -q '"op":"catch-up",.*"final":true' "$LOGS/hq-trenggalek.log" || fail "no final catch-up progress event"
stop hq-trenggalek
stop durenan
check_logs
say "PASS"
