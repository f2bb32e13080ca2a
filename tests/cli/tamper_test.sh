#!/usr/bin/env bash
# Tampering: `ronda verify` finds every change made to a node's records behind ronda's back
# (with /usr/bin/python3's sqlite3 module, on copies of the node directory), the append-only
# triggers stop UPDATE and DELETE, and a bundle with any flipped byte in its records is
# refused by `verify --bundle` and by `import` (nothing stored).
#
# usage: tamper_test.sh RONDA     (the ronda binary)
set -euo pipefail

source "$(dirname "$0")/lib.sh" tamper_test.sh "${1:-}"
crashed() { grep -Eq 'Sanitizer|runtime error' "$1"; }

# ---------------------------------------------------------------- a small ledger
"$RONDA" authority init --dir polda >auth.out
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' auth.out)
for n in durenan sekar fresh; do
    "$RONDA" init --dir $n --authority "$AUTH" --name "Polsek ${n^}" >$n.out
done
DUR=$(sed -n 's/^  signing key: \([0-9a-f]\{64\}\)$/\1/p' durenan.out)
"$RONDA" authority admit --dir polda --request durenan/join-request.json --role precinct \
    --polres Trenggalek --polsek Durenan >/dev/null
"$RONDA" authority admit --dir polda --request sekar/join-request.json --role precinct \
    --polres Bojonegoro --polsek Sekar >/dev/null
"$RONDA" authority admit --dir polda --request fresh/join-request.json --role precinct \
    --polres Trenggalek --polsek Watulimo >/dev/null
"$RONDA" export --dir polda roster.bundle 2>/dev/null
for n in durenan sekar fresh; do "$RONDA" join --dir $n roster.bundle >/dev/null; done
D1=$("$RONDA" record dialogue --dir durenan --programme candu --title "Candu Kamtibmas Durenan" \
    --venue "Warung kopi" --when 2026-01-20T09:00 --topic traffic:"Jalan rusak" --topic social_problem:"Balap liar")
"$RONDA" record resolution --dir durenan --dialogue "$D1" --topic 0 --status referred \
    --referred-to "Dinas PUPR" --action "Diteruskan ke PUPR" >/dev/null
"$RONDA" record dialogue --dir durenan --programme warkop --title "Warkop Kamtibmas Karanggandu" \
    --venue "Balai desa" --when 2026-01-22T19:30 --topic vulnerable_area:"Pencurian ternak" >/dev/null
"$RONDA" record resolution --dir durenan --dialogue "$D1" --topic 1 --status resolved \
    --action "Patroli malam rutin" >/dev/null
D3=$("$RONDA" record dialogue --dir sekar --programme patroli_dialogis --title "Patroli dialogis" \
    --venue "Pasar Sekar" --when 2026-01-25T08:15 --topic unrest:"Bentrok perguruan silat")
"$RONDA" record resolution --dir sekar --dialogue "$D3" --topic 0 --status in_progress \
    --action "Mediasi IPSI" >/dev/null
"$RONDA" export --dir sekar sekar.bundle 2>/dev/null
"$RONDA" import --dir durenan sekar.bundle >/dev/null
check "set-up: Durenan holds 9 records (3 members, 4 own, 2 of Sekar)" test "$(records durenan)" -eq 9

rc=0
"$RONDA" verify --dir durenan --json >verify.json 2>verify.err || rc=$?
check "verify passes on the untouched ledger" test "$rc" -eq 0
check "verify --json says ok with no findings" "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1])); sys.exit(0 if d["ok"] is True and d["findings"] == [] and d["records"] == 9 else 1)' verify.json

# ---------------------------------------------------------------- the triggers hold
cat >mutate.py <<'EOF'
# mutate.py DB MUTATION AUTHOR-HEX: change DB's records behind ronda's back. The append-only
# triggers are dropped for the change and put back afterwards (except for "drop-triggers"),
# so what verify finds is the change itself.
import hashlib, os, sqlite3, sys

db, what, author = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
c = sqlite3.connect(db, isolation_level=None)
triggers = c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                     " AND name IN ('records_no_update', 'records_no_delete')").fetchall()
assert len(triggers) == 2, triggers
c.execute("BEGIN")
for name, _ in triggers:
    c.execute("DROP TRIGGER " + name)

def row(seq):  # the author's record seq
    r = c.execute("SELECT rowid, id, envelope, signature, body FROM records WHERE author = ? AND seq = ?",
                  (author, seq)).fetchone()
    assert r, seq
    return r

def flip(b, i):
    b = bytearray(b)
    b[i] ^= 0x01
    return bytes(b)

rowid, rid, env, sig, body = row(2)          # a record in the middle of a 4-record chain
if what == "envelope":
    c.execute("UPDATE records SET envelope = ? WHERE rowid = ?", (flip(env, len(env) // 2), rowid))
elif what == "signature":
    c.execute("UPDATE records SET signature = ? WHERE rowid = ?", (flip(sig, 10), rowid))
elif what == "body":
    c.execute("UPDATE records SET body = ? WHERE rowid = ?", (flip(body, len(body) // 2), rowid))
elif what == "id":
    c.execute("UPDATE records SET id = ? WHERE rowid = ?", (flip(rid, 0), rowid))
elif what == "seq":
    c.execute("UPDATE records SET seq = seq + 100 WHERE rowid = ?", (rowid,))
elif what == "hlc":
    c.execute("UPDATE records SET hlc = hlc + 1 WHERE rowid = ?", (rowid,))
elif what == "kind":
    c.execute("UPDATE records SET kind = 'dialogue' WHERE rowid = ?", (rowid,))
elif what == "author":
    c.execute("UPDATE records SET author = ? WHERE rowid = ?", (os.urandom(32), rowid))
elif what == "delete":
    c.execute("DELETE FROM records WHERE rowid = ?", (rowid,))
elif what == "swap":                          # the bodies of seq 1 and 3 (both dialogues)
    r1, r3 = row(1), row(3)
    c.execute("UPDATE records SET body = ? WHERE rowid = ?", (r3[4], r1[0]))
    c.execute("UPDATE records SET body = ? WHERE rowid = ?", (r1[4], r3[0]))
elif what == "replace-body":                  # a valid body with another title; nothing else fixed
    r1 = row(1)
    new = r1[4].replace(b"Candu Kamtibmas Durenan", b"CANDU KAMTIBMAS DURENAN")
    assert new != r1[4]
    c.execute("UPDATE records SET body = ? WHERE rowid = ?", (new, r1[0]))
elif what == "replace-body-and-hash":         # ... and the body hash in the envelope fixed too
    r1 = row(1)
    new = r1[4].replace(b"Candu Kamtibmas Durenan", b"CANDU KAMTIBMAS DURENAN")
    env1 = r1[2][:-32] + hashlib.blake2b(new, digest_size=32).digest()
    assert r1[2][-34:-32] == b"\xc4\x20"
    c.execute("UPDATE records SET body = ?, envelope = ? WHERE rowid = ?", (new, env1, r1[0]))
elif what == "transplant":                    # another author's valid record in this row
    other = c.execute("SELECT envelope, signature, body FROM records WHERE author != ? AND seq = 2",
                      (author,)).fetchone()
    c.execute("UPDATE records SET envelope = ?, signature = ?, body = ? WHERE rowid = ?", (*other, rowid))
elif what == "insert":                        # INSERT is not stopped by the triggers
    c.execute("INSERT INTO records(id, author, seq, hlc, kind, envelope, signature, body)"
              " SELECT ?, author, 99, hlc + 1, kind, envelope, signature, body FROM records WHERE rowid = ?",
              (os.urandom(32), rowid))
elif what == "frontier":
    c.execute("UPDATE heads SET seq = seq - 1 WHERE author = ?", (author,))
elif what == "redact":                        # body stripped (it is not signed)
    c.execute("UPDATE records SET body = NULL WHERE rowid = ?", (rowid,))
elif what == "redact-member":                 # ... of the authority's member record
    c.execute("UPDATE records SET body = NULL WHERE rowid = (SELECT min(rowid) FROM records WHERE kind = 'member')")
elif what == "drop-triggers":
    pass
else:
    raise SystemExit("unknown mutation " + what)
if what != "drop-triggers":
    for _, sql in triggers:
        c.execute(sql)
c.execute("COMMIT")
c.close()
EOF

cp -r durenan trig
"$PY" - trig/ronda.db >triggers.out 2>&1 <<'EOF' || true
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for name, sql in [("UPDATE", "UPDATE records SET seq = seq + 100 WHERE rowid = 2"),
                  ("UPDATE body", "UPDATE records SET body = NULL WHERE rowid = 2"),
                  ("DELETE", "DELETE FROM records WHERE rowid = 2"),
                  ("DELETE all", "DELETE FROM records")]:
    try:
        c.execute(sql)
        c.commit()
        print(name, "ALLOWED")
    except sqlite3.DatabaseError as e:
        print(name, "refused:", e)
EOF
check "triggers intact: UPDATE of a record fails (records are append-only)" \
    grep -q '^UPDATE refused: records are append-only' triggers.out
check "triggers intact: UPDATE of a body fails" grep -q '^UPDATE body refused: records are append-only' triggers.out
check "triggers intact: DELETE of a record fails" grep -q '^DELETE refused: records are append-only' triggers.out
check "triggers intact: DELETE of every record fails" grep -q '^DELETE all refused: records are append-only' triggers.out
check "the refused UPDATE/DELETE left the ledger as it was (9 records, verify passes)" \
    bash -c "test \"\$('$RONDA' status --dir trig --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"records\"])')\" -eq 9 && '$RONDA' verify --dir trig >/dev/null"

# ---------------------------------------------------------------- mutations of the database
detected=0 total=0
# mutation NAME REGEX: on a copy, apply NAME; verify must exit 1 and name a finding matching REGEX.
mutation() {
    local name=$1 re=$2 dir=m-$1 rc=0
    cp -r durenan "$dir"
    "$PY" mutate.py "$dir/ronda.db" "$name" "$DUR"
    "$RONDA" verify --dir "$dir" >"$dir.out" 2>"$dir.err" || rc=$?
    total=$((total + 1))
    if crashed "$dir.err"; then
        fail "mutation $name: verify crashed"
        sed 's/^/    /' "$dir.err" | head -20
    elif [ "$rc" -ne 1 ]; then
        fail "mutation $name: verify exit $rc, want 1"
        sed 's/^/    /' "$dir.out" "$dir.err" | head -5
    elif ! grep -Eq "^FAIL .*($re)" "$dir.out"; then
        detected=$((detected + 1))
        fail "mutation $name: detected, but no finding matches /$re/"
        sed 's/^/    /' "$dir.out" | head -5
    else
        detected=$((detected + 1))
        pass "mutation $name: verify exits 1: $(grep -m1 '^FAIL' "$dir.out" | awk '{print $2, $3}')"
    fi
}
mutation envelope 'record +(signature|malformed)'
mutation signature 'record +signature'
mutation body 'record +body_hash'
mutation id 'record +tampered .*index columns'
mutation seq 'record +tampered .*index columns'
mutation delete 'chain +gap'
mutation swap 'record +body_hash'
mutation replace-body 'record +body_hash'
mutation replace-body-and-hash 'record +signature'
mutation hlc 'record +tampered .*index columns'
mutation kind 'record +tampered .*index columns'
mutation author 'record +tampered .*index columns'
mutation transplant 'record +tampered .*index columns'
mutation insert 'record +tampered|chain'
mutation frontier 'frontier +tampered'
mutation redact 'record +tampered .*body removed'
mutation redact-member 'record +tampered .*body removed'
mutation drop-triggers 'store +tampered .*append-only triggers are missing'
for name in envelope signature body id seq delete swap replace-body; do
    check "mutation $name: the triggers were put back (only the change is reported)" \
        bash -c "! grep -q 'triggers are missing' m-$name.out"
done

# Raw bytes of the database file: a record's signature, a record's body, a b-tree page header.
raw() { # raw NAME WHAT: flip one byte of the file itself (after a checkpoint); verify must fail.
    local name=$1 what=$2 dir=m-raw-$1 rc=0 off
    cp -r durenan "$dir"
    off=$("$PY" - "$dir/ronda.db" "$what" "$DUR" <<'EOF'
import sqlite3, sys
path, what, author = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
c = sqlite3.connect(path)
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
page = c.execute("PRAGMA page_size").fetchone()[0]
env, sig, body = c.execute("SELECT envelope, signature, body FROM records WHERE author = ? AND seq = 2",
                           (author,)).fetchone()
c.close()
data = bytearray(open(path, "rb").read())
if what == "signature":
    off = data.index(sig) + 20
elif what == "body":
    off = data.index(body) + len(body) // 2
else:                                      # the b-tree header of the page holding that record
    off = data.index(sig) // page * page
    off += 100 if off == 0 else 0
    data[off] = 0xff                       # not a page type
if what != "page":
    data[off] ^= 0x01
open(path, "wb").write(data)
print(off)
EOF
)
    "$RONDA" verify --dir "$dir" >"$dir.out" 2>"$dir.err" || rc=$?
    total=$((total + 1))
    if crashed "$dir.err"; then
        fail "raw $name (byte $off): verify crashed"
        sed 's/^/    /' "$dir.err" | head -20
    elif [ "$rc" -eq 0 ]; then
        fail "raw $name (byte $off): verify passed"
    elif ! cat "$dir.out" "$dir.err" | grep -Eq '^FAIL|database|malformed'; then
        detected=$((detected + 1))
        fail "raw $name (byte $off): exit $rc but no finding or database error named"
    else
        detected=$((detected + 1))
        pass "raw $name (byte $off of the file): verify exits $rc: $(cat "$dir.out" "$dir.err" | grep -m1 -E '^FAIL|database|malformed' | cut -c1-70)"
    fi
}
raw signature signature
raw body body
raw page page
check "database mutations detected: $detected of $total" test "$detected" -eq "$total"

# ---------------------------------------------------------------- bundles with a flipped byte
eval "$("$PY" - sekar.bundle <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
print("HDR=%d SIZE=%d" % (d.index(b"\xa9authority\xc4\x20") + 12 + 32, len(d)))
EOF
)"
rc=0
"$RONDA" verify --bundle sekar.bundle >b.out 2>&1 || rc=$?
check "the intact bundle verifies (control)" test "$rc" -eq 0
BEFORE=$(records fresh)
STRIDE=7 IMPORT_EVERY=5
# Every flipped copy made at once (one python run), then checked one by one.
mkdir flips
"$PY" -c 'import sys
d = open("sekar.bundle", "rb").read()
for p in range(int(sys.argv[1]), len(d), int(sys.argv[2])):
    f = bytearray(d); f[p] ^= 0x01
    open("flips/%06d.bundle" % p, "wb").write(f)' "$HDR" "$STRIDE"
vb_total=0 vb_detected=0 im_total=0 im_refused=0 crashes=0 k=0
for f in flips/*.bundle; do
    pos=$((10#$(basename "$f" .bundle)))
    rc=0
    "$RONDA" verify --bundle "$f" >flip.out 2>flip.err || rc=$?
    vb_total=$((vb_total + 1))
    if crashed flip.err; then crashes=$((crashes + 1)); cp "$f" "crash-$pos.bundle"; fi
    if [ "$rc" -eq 1 ] && grep -q '^FAIL' flip.out; then
        vb_detected=$((vb_detected + 1))
    else
        echo "     byte $pos: verify --bundle exit $rc"
    fi
    if [ $((k % IMPORT_EVERY)) -eq 0 ]; then
        rc=0
        "$RONDA" import --dir fresh "$f" >flip.out 2>flip.err || rc=$?
        im_total=$((im_total + 1))
        if crashed flip.err; then crashes=$((crashes + 1)); cp "$f" "crash-$pos.bundle"; fi
        if [ "$rc" -eq 1 ] && grep -q 'nothing from this bundle was stored' flip.err; then
            im_refused=$((im_refused + 1))
        else
            echo "     byte $pos: import exit $rc"
        fi
    fi
    k=$((k + 1))
done
check "bundle flips: verify --bundle exits 1 for $vb_detected of $vb_total (every ${STRIDE}th byte of $((SIZE - HDR)) record bytes)" \
    test "$vb_detected" -eq "$vb_total" -a "$vb_total" -gt 10
check "bundle flips: import refuses $im_refused of $im_total" test "$im_refused" -eq "$im_total" -a "$im_total" -gt 5
check "bundle flips: the fresh node still holds $BEFORE records" test "$(records fresh)" -eq "$BEFORE"
check "bundle flips: no crash or sanitizer report" test "$crashes" -eq 0
rc=0
"$RONDA" import --dir fresh sekar.bundle >b.out 2>&1 || rc=$?
check "the fresh node then takes the intact bundle (control: 2 records stored)" \
    bash -c "test $rc -eq 0 && grep -q '2 stored' b.out && test \"\$('$RONDA' status --dir fresh --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"records\"])')\" -eq $((BEFORE + 2))"

echo "tamper summary: database mutations detected $detected/$total; bundle flips detected by verify $vb_detected/$vb_total, refused by import $im_refused/$im_total"
echo "$PASSED checks passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
