#!/usr/bin/env bash
# Witnesses on a live network: two Polres HQ and a Polsek, real `ronda run` daemons.
#
#   bash tests/net/witness_test.sh RONDA_BIN
#
# 1. Each HQ writes a checkpoint at start (a demo ledger has one at once, not after an hour).
# 2. The Polsek writes; every node converges; each HQ signs a checkpoint (`ronda checkpoint`)
#    and the other HQ's daemon cosigns it after its catch-up (a `cosign` record).
# 3. GET /checkpoint (no token) gives HQ A's note with two valid signatures; `ronda checkpoint
#    --export` gives the same note; `ronda audit --note` on A's own ledger passes.
# 4. On a copy of A's database, the Polsek's newest record, A's checkpoints from the noted
#    one on and B's newest records (its checkpoint and cosign naming them) are deleted (the
#    triggers dropped and put back, the views rebuilt): without the note the audit finds
#    nothing (the case docs/audit.md calls invisible); with the kept note it FAILs `truncated`.
# 5. A copy where only A's own records (and the Polsek's newest) were deleted: B's cosign,
#    replicated into A's ledger, names the checkpoint A lost: FAIL `witness` with no note.
TEST=net_witness
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}
PY=/usr/bin/python3

port=$(pick_ports 6)
say "work $WORK, ports $port.."
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
nodes=("Polres Trenggalek|hq-a|hq|Trenggalek|" "Polres Jember|hq-b|hq|Jember|" "Polsek Durenan|durenan|precinct|Trenggalek|Durenan")
ALL=(hq-a hq-b durenan)
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
HTTP=$((port + 5))
key_of() { r status --dir "$WORK/$1" --json | field node; }
A=$(key_of hq-a)
B=$(key_of hq-b)
[ ${#A} -eq 64 ] && [ ${#B} -eq 64 ] || fail "no node keys from ronda status"

start hq-a --http "127.0.0.1:$HTTP"
start hq-b
start durenan
sleep 1
for dir in "${ALL[@]}"; do alive "$dir" || fail "$dir did not start"; done
kinds() { r log --dir "$WORK/$1" --author "$2" | awk -v k="$3" '$2 == k' | wc -l; }
t0=$(now_ms)
until [ "$(kinds hq-a "$A" checkpoint)" -ge 1 ]; do
  [ $(($(now_ms) - t0)) -gt 10000 ] && fail "hq-a wrote no checkpoint at start"
  sleep 0.2
done
[ "$(kinds durenan "$(key_of durenan)" checkpoint)" -eq 0 ] || fail "a precinct wrote a checkpoint"
say "hq-a wrote a checkpoint at start"

for k in 1 2 3; do dialogue durenan "durenan-$k" >/dev/null; done
wait_equal "$DEADLINE" "${ALL[@]}" >/dev/null || fail "no convergence after the Polsek's records"
CP_A=$(r checkpoint --dir "$WORK/hq-a")
CP_B=$(r checkpoint --dir "$WORK/hq-b")
say "checkpoints ${CP_A:0:12} (A), ${CP_B:0:12} (B); waiting for cosignatures"
t0=$(now_ms)
# B may first cosign A's checkpoint from the start; what counts is B's cosign of CP_A, at A: the
# published note then carries two signatures.
note_sigs() {
  curl -s "http://127.0.0.1:$HTTP/checkpoint" | grep -c $'^\xe2\x80\x94 ronda/' || true
}
until [ "$(kinds hq-b "$B" cosign)" -ge 1 ] && [ "$(kinds hq-a "$A" cosign)" -ge 1 ] &&
      [ "$(note_sigs)" -ge 2 ] && wait_equal 5 "${ALL[@]}" >/dev/null 2>&1; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "the HQs did not cosign each other's checkpoints"
  sleep 0.3
done
say "each HQ cosigned the other's checkpoint ($(($(now_ms) - t0)) ms)"

# ---- the note, published
code=$(curl -s -o "$WORK/got.note" -w '%{http_code}' "http://127.0.0.1:$HTTP/checkpoint")
[ "$code" = 200 ] || fail "GET /checkpoint answered $code: $(cat "$WORK/got.note")"
sigs=$(grep -c $'^\xe2\x80\x94 ronda/' "$WORK/got.note" || true)
[ "$sigs" -eq 2 ] || { cat "$WORK/got.note" >&2; fail "GET /checkpoint note has $sigs signatures, not 2"; }
head -1 "$WORK/got.note" | grep -qx "ronda/${auth_key:0:16}/$A" || fail "the note's origin is not hq-a's log"
r checkpoint --dir "$WORK/hq-a" --export "$WORK/export.note" 2>/dev/null
cmp -s "$WORK/got.note" "$WORK/export.note" || fail "checkpoint --export differs from GET /checkpoint"
r audit --dir "$WORK/hq-a" --note "$WORK/export.note" >"$WORK/audit-ok.txt" || {
  cat "$WORK/audit-ok.txt" >&2
  fail "audit --note fails on the ledger the note came from"
}
grep -q "writer signed, 1 cosigner" "$WORK/audit-ok.txt" || fail "the audit did not count the note's cosigner"
say "GET /checkpoint and --export give one note with two signatures; audit --note passes:"
sed "s/^/    /" "$WORK/export.note"

check_logs
stop_all

# ---- an insider truncates a copy of A's ledger
SEQ=$(sed -n 4p "$WORK/export.note" | awk '{print $2}')
mkdir "$WORK/copy"
cp -a "$WORK/hq-a/." "$WORK/copy/"
D=$(key_of durenan)
truncate_copy() { # DB ALSO_B(0/1): delete A's chain from the noted checkpoint on, the Polsek's newest
  # record, and (ALSO_B=1) B's records from the first one that names them (its checkpoint or cosign)
  "$PY" - "$1" "$A" "$SEQ" "$D" "$B" "$CP_A" "$CP_B" "$2" <<'EOF2'
import sqlite3, sys
db, a, seq, d, b, cpa, cpb, also_b = sys.argv[1], bytes.fromhex(sys.argv[2]), int(sys.argv[3]), \
    bytes.fromhex(sys.argv[4]), bytes.fromhex(sys.argv[5]), bytes.fromhex(sys.argv[6]), bytes.fromhex(sys.argv[7]), \
    sys.argv[8] == "1"
c = sqlite3.connect(db, isolation_level=None)
trig = c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                 " AND name IN ('records_no_update', 'records_no_delete')").fetchall()
assert len(trig) == 2
c.execute("BEGIN")
for name, _ in trig:
    c.execute("DROP TRIGGER " + name)
c.execute("DELETE FROM records WHERE author = ? AND seq >= ?", (a, seq))
c.execute("DELETE FROM records WHERE author = ? AND seq = (SELECT max(seq) FROM records WHERE author = ?)", (d, d))
if also_b:
    cut = c.execute("SELECT seq FROM records WHERE id = ?", (cpb,)).fetchone()[0]
    for s_, body in c.execute("SELECT seq, body FROM records WHERE author = ? AND kind = 'cosign'", (b,)).fetchall():
        if cpa in body:
            cut = min(cut, s_)
    c.execute("DELETE FROM records WHERE author = ? AND seq >= ?", (b, cut))
for _, sql in trig:
    c.execute(sql)
c.execute("COMMIT")
EOF2
  r rebuild --dir "$(dirname "$1")" >/dev/null
}
CP_A=$(r log --dir "$WORK/hq-a" --author "$A" --json | "$PY" -c 'import json,sys
seq = int(sys.argv[1])
for l in sys.stdin:
    o = json.loads(l)
    if o.get("seq") == seq: print(o["id"])' "$SEQ")
[ ${#CP_A} -eq 64 ] || fail "no record of hq-a at the noted seq $SEQ"
truncate_copy "$WORK/copy/ronda.db" 1
rc=0
r audit --dir "$WORK/copy" >"$WORK/audit-blind.txt" || rc=$?
[ $rc -eq 0 ] || { cat "$WORK/audit-blind.txt" >&2; fail "control: the truncated copy without a note should look clean (exit $rc)"; }
rc=0
r audit --dir "$WORK/copy" --note "$WORK/export.note" --json >"$WORK/audit-note.json" || rc=$?
[ $rc -eq 1 ] || fail "audit --note of the truncated copy exits $rc, not 1"
"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
cls = [f["what"] for f in d["findings"]]
assert "truncated" in cls, cls
assert all(c == "truncated" for c in cls), cls
assert d["notes"][0]["writer_signed"] and d["notes"][0]["cosigners"] == 1, d["notes"]' "$WORK/audit-note.json" ||
  fail "audit --note does not report the truncation"
say "truncated copy: clean without the note, FAIL truncated with it"

rm -rf "$WORK/copy2"
mkdir "$WORK/copy2"
cp -a "$WORK/hq-a/." "$WORK/copy2/"
truncate_copy "$WORK/copy2/ronda.db" 0 || fail "could not make the copy that keeps B's cosign"
rc=0
r audit --dir "$WORK/copy2" --json >"$WORK/audit-witness.json" || rc=$?
"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
cls = [f["what"] for f in d["findings"]]
assert "witness" in cls, cls' "$WORK/audit-witness.json" || fail "a cosign naming a lost checkpoint is not reported (exit $rc)"
say "a copy holding B's cosign of the lost checkpoint: FAIL witness without any note"
say "ok"
