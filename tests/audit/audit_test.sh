#!/usr/bin/env bash
# Tamper evidence of `ronda audit`, with real processes and real databases.
#
# A multi-node ledger is built with the CLI and bundles: an authority, two Polres HQ nodes
# that sign checkpoints, three Polsek nodes writing dialogues, resolutions and amendments,
# merged into Polres Trenggalek HQ's database. The clean ledger must give no finding (and
# the JSON, HTML and history outputs are checked). Then copies of that database are changed
# the way an insider with file access could (/usr/bin/python3's sqlite3 and nacl, triggers
# dropped for the change and put back): every mutation must make `ronda audit` exit 1 with
# a finding of the expected class. The test prints "N of N mutations detected".
#
# usage: audit_test.sh RONDA     (the ronda binary)
set -euo pipefail

source "$(dirname "$0")/../cli/lib.sh" audit_test.sh "${1:-}"
r() { # run ronda quietly; on failure show why and stop
    local out
    if ! out=$("$RONDA" "$@" 2>err.txt); then
        echo "ronda $* failed:" >&2
        cat err.txt >&2
        exit 1
    fi
    printf '%s' "$out"
}
key_of() { sed -n 's/^  signing key: \([0-9a-f]\{64\}\)$/\1/p' "$1.out"; }
crashed() { grep -Eq 'Sanitizer|runtime error' "$1"; }

# ---------------------------------------------------------------- the ledger
r authority init --dir polda >polda.out
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' polda.out)
r init --dir trenggalek --authority "$AUTH" --name "Polres Trenggalek HQ" >trenggalek.out
r init --dir bojonegoro --authority "$AUTH" --name "Polres Bojonegoro HQ" >bojonegoro.out
r init --dir durenan --authority "$AUTH" --name "Polsek Durenan" >durenan.out
r init --dir sekar --authority "$AUTH" --name "Polsek Sekar" >sekar.out
r init --dir umbulsari --authority "$AUTH" --name "Polsek Umbulsari" >umbulsari.out
r authority admit --dir polda --request trenggalek/join-request.json --role hq --polres Trenggalek >/dev/null
r authority admit --dir polda --request bojonegoro/join-request.json --role hq --polres Bojonegoro >/dev/null
r authority admit --dir polda --request durenan/join-request.json --role precinct --polres Trenggalek \
    --polsek Durenan >/dev/null
r authority admit --dir polda --request sekar/join-request.json --role precinct --polres Bojonegoro \
    --polsek Sekar >/dev/null
r authority admit --dir polda --request umbulsari/join-request.json --role precinct --polres Jember \
    --polsek Umbulsari >/dev/null
r export --dir polda roster.bundle
for n in trenggalek bojonegoro durenan sekar umbulsari; do r join --dir $n roster.bundle >/dev/null; done
DUR=$(key_of durenan) SEK=$(key_of sekar) TRG=$(key_of trenggalek) BOJ=$(key_of bojonegoro)

D1=$(r record dialogue --dir durenan --programme candu --title "Candu Kamtibmas Durenan" \
    --venue "Mapolsek Durenan" --when 2024-12-05T19:30 --participants 60 \
    --topic "social_problem:Potensi gesekan antar perguruan pencak silat" --topic "traffic:Jalan desa rusak")
r record resolution --dir durenan --dialogue "$D1" --topic 0 --status in_progress \
    --action "Pertemuan lanjutan dengan IPSI Durenan" >/dev/null
D2=$(r record dialogue --dir durenan --programme warkop --title "Warkop Kamtibmas Karanggandu" \
    --venue "Warung kopi Karanggandu" --when 2025-01-10T21:00 --topic "vulnerable_area:Pencurian ternak")
r record amend --dir durenan --target "$D1" --reason "Jumlah peserta menurut daftar hadir" --participants 64 >/dev/null
D3=$(r record dialogue --dir sekar --programme patroli_dialogis --title "Patroli Dialogis Sekar" \
    --venue "Warung kopi Pasar Sekar" --when 2026-01-25T09:00 --topic "traffic:Arus lalu lintas pasar padat" \
    --topic "unrest:Keresahan warga soal balap liar")
r record resolution --dir sekar --dialogue "$D3" --topic 0 --status referred --referred-to "Dishub Bojonegoro" \
    --action "Pengaturan parkir diteruskan ke Dishub" >/dev/null
D5=$(r record dialogue --dir umbulsari --programme curhat --title "Curhat Kamtibmas Pilkada" \
    --venue "Rumah Ketua RW 8 Desa Paleran" --when 2024-11-20T19:00 --topic "aspiration:Jaga kerukunan jelang Pilkada")
r record resolution --dir umbulsari --dialogue "$D5" --topic 0 --status resolved \
    --action "Deklarasi damai bersama tokoh masyarakat" >/dev/null
for n in durenan sekar umbulsari; do r export --dir $n $n-1.bundle; done
# Polres Trenggalek HQ takes everything and signs a checkpoint.
for n in durenan sekar umbulsari; do r import --dir trenggalek $n-1.bundle >/dev/null; done
r checkpoint --dir trenggalek >/dev/null
# Durenan goes on; Polres Bojonegoro HQ takes everything (Trenggalek's checkpoint too),
# follows up Sekar's second topic and signs its own checkpoint.
r record resolution --dir durenan --dialogue "$D2" --topic 0 --status resolved \
    --action "Ronda malam digiatkan kembali" >/dev/null
r record dialogue --dir durenan --programme candu --title "Candu Kamtibmas bersama IPSI" \
    --venue "Mapolsek Durenan" --when 2025-02-14T19:30 --topic "criticism:Respons laporan warga lambat" >/dev/null
r export --dir durenan durenan-2.bundle
r export --dir trenggalek trenggalek.bundle
for b in trenggalek durenan-2 sekar-1 umbulsari-1; do r import --dir bojonegoro $b.bundle >/dev/null; done
r record resolution --dir bojonegoro --dialogue "$D3" --topic 1 --status in_progress \
    --action "Patroli gabungan akhir pekan" >/dev/null
r checkpoint --dir bojonegoro >/dev/null
# Everything meets at Polres Trenggalek HQ: the ledger under audit.
r export --dir bojonegoro bojonegoro.bundle
r import --dir trenggalek bojonegoro.bundle >/dev/null
# Umbulsari's key is revoked after its seq 2, but it writes a third record, which reaches
# Trenggalek HQ before the revocation does: held, excluded, reported as a note.
r record dialogue --dir umbulsari --programme curhat --title "Curhat Kamtibmas Paleran" \
    --venue "Balai Desa Paleran" --when 2024-11-27T19:00 --topic "other:Ronda malam" >/dev/null
r export --dir umbulsari umbulsari-2.bundle
r import --dir trenggalek umbulsari-2.bundle >/dev/null
r import --dir polda umbulsari-1.bundle >/dev/null
r authority revoke --dir polda --member "$(key_of umbulsari)" --reason "Perangkat hilang" >/dev/null
r export --dir polda polda.bundle
r import --dir trenggalek polda.bundle >/dev/null
records=$("$RONDA" status --dir trenggalek --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["records"])')
check "set-up: Trenggalek HQ holds 20 records of 6 authors (6 by the authority, 2 checkpoints, one excluded)" \
    test "$records" -eq 20

# ---------------------------------------------------------------- the clean ledger
rc=0
"$RONDA" audit --dir trenggalek --json --html report.html >clean.json 2>clean.err || rc=$?
check "audit of the clean ledger exits 0" test "$rc" -eq 0
check "audit --json: ok, no finding, 20 records, 2 checkpoints whose 10 claims are all held, 6 references" \
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
ok = d["ok"] is True and d["findings"] == [] and d["records"] == 20 and d["checkpoints"] == 2
ok = ok and d["claims"] == 10 and d["claims_held"] == 10 and d["references"] == 6
units = d["by_polres"]
ok = ok and units["Trenggalek"]["Durenan"]["dialogues"] == 3 and units["Bojonegoro"]["(HQ)"]["checkpoints"] == 1
sys.exit(0 if ok else 1)' clean.json
check "audit --json: progress as JSON events on stderr, the last one final" \
    grep -q '^{"event":"progress","op":"audit","done":[0-9]*,"total":[0-9]*,"unit":"records","final":true}$' clean.err
check "audit --json: the record written after the revocation of Umbulsari is listed as excluded, not a finding" \
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
x = d["excluded_records"]
sys.exit(0 if d["excluded"] == 1 and len(x) == 1 and x[0]["seq"] == 3 and x[0]["author_name"] == "Polsek Umbulsari" else 1)' clean.json
check "audit --html: a self-contained page (no external assets) with the findings first" "$PY" -c 'import sys,re
h = open(sys.argv[1]).read()
ok = h.startswith("<!DOCTYPE html>") and "<style>" in h and not re.search(r"(src|href)=", h)
ok = ok and h.index("Findings (0)") < h.index("By Polres and Polsek") < h.index("Chains")
ok = ok and "Polsek Durenan" in h and "Umbulsari" in h and "Excluded records (1)" in h
sys.exit(0 if ok else 1)' report.html
"$RONDA" audit --dir trenggalek >clean.txt 2>plain.err
check "audit: the terminal summary ends OK with no finding" bash -c "tail -n 1 clean.txt | grep -q '^OK: 0 findings$'"
check "audit: no progress line when stderr is not a terminal (and no --json)" test ! -s plain.err
"$RONDA" history --dir trenggalek --json "${D1:0:12}" >history.json
check "history: the dialogue, its resolution and its amendment, each verified and signed by Polsek Durenan" \
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
ev = d["events"]
ok = d["verified"] is True and [e["kind"] for e in ev] == ["dialogue", "resolution", "amend"]
ok = ok and all(e["signer"]["name"] == "Polsek Durenan" and e["signer"]["polsek"] == "Durenan" for e in ev)
sys.exit(0 if ok else 1)' history.json
"$RONDA" history --dir trenggalek --json "$D3" >history3.json
check "history: a resolution by another node (Polres Bojonegoro HQ) is part of Sekar's dialogue" "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
names = [e["signer"]["name"] for e in d["events"]]
sys.exit(0 if names == ["Polsek Sekar", "Polsek Sekar", "Polres Bojonegoro HQ"] else 1)' history3.json
rc=0
"$RONDA" checkpoint --dir durenan >ck.out 2>ck.err || rc=$?
check "checkpoint: a precinct may not write one (exit 1, says hq only)" bash -c "test $rc -eq 1 && grep -q 'hq' ck.err"

# ---------------------------------------------------------------- periodic checkpoints
# `ronda run` on an hq node signs a checkpoint at start and every --checkpoint-every seconds
# when the ledger changed since its newest (no identical checkpoint); on a precinct the option
# is refused with a note in the log and nothing is written.
checkpoints() { "$RONDA" log --dir "$1" | awk '$2 == "checkpoint"' | wc -l; }
cp -r trenggalek run-hq
cp -r durenan run-precinct
before=$(checkpoints run-hq)
"$RONDA" run --dir run-hq --listen none --fanout 0 --checkpoint-every 1 2>run-hq.log &
hq_pid=$!
"$RONDA" run --dir run-precinct --listen none --fanout 0 --checkpoint-every 1 2>run-precinct.log &
pr_pid=$!
for _ in $(seq 100); do [ "$(checkpoints run-hq)" -ge $((before + 1)) ] && break; sleep 0.1; done
at_start=$(checkpoints run-hq)
for k in 1 2; do
    "$RONDA" record dialogue --dir run-hq --polsek "Semua Polsek" --programme warkop --title "Apel $k" \
        --venue Mapolres --topic "aspiration:Aspirasi $k" >/dev/null 2>>run-hq.err
    for _ in $(seq 50); do [ "$(checkpoints run-hq)" -ge $((at_start + k)) ] && break; sleep 0.1; done
done
after_writes=$(checkpoints run-hq)
sleep 2.5
idle=$(checkpoints run-hq)
kill -TERM "$hq_pid" "$pr_pid"
wait "$hq_pid" "$pr_pid" || true
check "run on an hq node: a checkpoint at start (the ledger changed since its newest)" test "$at_start" -eq $((before + 1))
check "run --checkpoint-every 1: one more checkpoint after each of two writes ($at_start -> $after_writes)" \
    test "$after_writes" -eq $((at_start + 2))
check "run --checkpoint-every 1: none while the ledger stays as signed ($after_writes -> $idle)" \
    test "$idle" -eq "$after_writes"
check "run on a precinct: --checkpoint-every ignored (logged), no checkpoint written" \
    bash -c "grep -q 'only hq members write checkpoints' run-precinct.log && test \$('$RONDA' log --dir run-precinct | awk '\$2 == \"checkpoint\"' | wc -l) -eq 0"
check "the periodic checkpoints audit clean" bash -c "'$RONDA' audit --dir run-hq >/dev/null"
rm -rf run-hq run-precinct

# ---------------------------------------------------------------- mutations
cat >mutate.py <<'EOF'
# mutate.py DB MUTATION NODE-DIR...: change DB behind ronda's back, as an insider with file
# access could. The append-only triggers are dropped for the change and put back.
import hashlib, os, sqlite3, sys
import msgpack, nacl.signing

db, what = sys.argv[1], sys.argv[2]
keys = dict(a.split("=", 1) for a in sys.argv[3:])
c = sqlite3.connect(db, isolation_level=None)
triggers = c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                     " AND name IN ('records_no_update', 'records_no_delete', 'records_no_replace')").fetchall()
assert len(triggers) == 3, triggers
c.execute("BEGIN")
for name, _ in triggers:
    c.execute("DROP TRIGGER " + name)
DUR, SEK, TRG, BOJ = (bytes.fromhex(keys[k]) for k in ("DUR", "SEK", "TRG", "BOJ"))

def row(author, seq):
    r = c.execute("SELECT rowid, id, envelope, signature, body, hlc, kind FROM records"
                  " WHERE author = ? AND seq = ?", (author, seq)).fetchone()
    assert r, (author.hex()[:8], seq)
    return r

def last_seq(author):
    return c.execute("SELECT max(seq) FROM records WHERE author = ?", (author,)).fetchone()[0]

def fix_heads(author):
    """Point the frontier table at the author's last remaining record, as a careful insider would."""
    s = last_seq(author)
    if s is None:
        c.execute("DELETE FROM heads WHERE author = ?", (author,))
        return
    _, rid, _, _, _, hlc, _ = row(author, s)
    c.execute("UPDATE heads SET seq = ?, head = ?, hlc = ? WHERE author = ?", (s, rid, hlc, author))

def flip(b, i):
    b = bytearray(b)
    b[i] ^= 0x01
    return bytes(b)

def seal(seed, seq, prev, hlc, kind, body):
    """A valid v1 record signed with `seed` (proto/record.md §3)."""
    sk = nacl.signing.SigningKey(seed)
    pk = sk.verify_key.encode()
    env = msgpack.packb([1, pk, seq, prev, hlc, kind, hashlib.blake2b(body, digest_size=32).digest()],
                        use_bin_type=True)
    sig = sk.sign(b"ronda-record-v1" + env).signature
    return hashlib.blake2b(env + sig, digest_size=32).digest(), pk, env, sig

def insert(rid, author, seq, hlc, kind, env, sig, body):
    c.execute("INSERT INTO records(id, author, seq, hlc, kind, envelope, signature, body)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (rid, author, seq, hlc, kind, env, sig, body))

def delete(author, seqs):
    for s in seqs:
        c.execute("DELETE FROM records WHERE author = ? AND seq = ?", (author, s))

if what == "flip-envelope":                   # one byte of a record's signed envelope
    rowid, _, env, *_ = row(DUR, 2)
    c.execute("UPDATE records SET envelope = ? WHERE rowid = ?", (flip(env, len(env) // 2), rowid))
elif what == "flip-signature":
    rowid, _, _, sig, *_ = row(SEK, 2)
    c.execute("UPDATE records SET signature = ? WHERE rowid = ?", (flip(sig, 7), rowid))
elif what == "flip-body":
    rowid, _, _, _, body, *_ = row(DUR, 3)
    c.execute("UPDATE records SET body = ? WHERE rowid = ?", (flip(body, len(body) // 2), rowid))
elif what == "change-body":                   # a valid body with other content
    rowid, _, _, _, body, *_ = row(DUR, 1)
    new = body.replace(b"Mapolsek Durenan", b"Balai Desa Sumberejo")
    assert new != body
    c.execute("UPDATE records SET body = ? WHERE rowid = ?", (new, rowid))
elif what == "replace-body-and-hash":         # ... and the body hash in the envelope fixed too
    rowid, _, env, _, body, *_ = row(DUR, 1)
    new = body.replace(b"Mapolsek Durenan", b"Balai Desa Sumberejo")
    assert env[-34:-32] == b"\xc4\x20"
    env = env[:-32] + hashlib.blake2b(new, digest_size=32).digest()
    c.execute("UPDATE records SET body = ?, envelope = ? WHERE rowid = ?", (new, env, rowid))
elif what == "delete-middle":                 # one record out of the middle of a chain
    delete(DUR, [2])
elif what == "swap":                          # two records of one chain trade places
    a, b = row(DUR, 1), row(DUR, 3)
    c.execute("UPDATE records SET envelope = ?, signature = ?, body = ? WHERE rowid = ?", (b[2], b[3], b[4], a[0]))
    c.execute("UPDATE records SET envelope = ?, signature = ?, body = ? WHERE rowid = ?", (a[2], a[3], a[4], b[0]))
elif what == "swap-rows":                     # ... with every index column swapped as well
    a, b = row(DUR, 1), row(DUR, 3)
    c.execute("UPDATE records SET seq = -1 WHERE rowid = ?", (a[0],))
    c.execute("UPDATE records SET seq = 1 WHERE rowid = ?", (b[0],))
    c.execute("UPDATE records SET seq = 3 WHERE rowid = ?", (a[0],))
elif what == "drop-newest":                   # an author's two newest records, frontier fixed up
    delete(DUR, [last_seq(DUR), last_seq(DUR) - 1])
    fix_heads(DUR)
elif what == "drop-newest-raw":               # ... frontier left as it was
    delete(DUR, [last_seq(DUR), last_seq(DUR) - 1])
elif what == "drop-checkpoint":               # Trenggalek HQ's own checkpoint (its newest record)
    assert row(TRG, last_seq(TRG))[6] == "checkpoint"
    delete(TRG, [last_seq(TRG)])
    fix_heads(TRG)
elif what == "drop-dialogue":                 # a dialogue another node followed up, frontier fixed
    delete(SEK, [1, 2])
    c.execute("DELETE FROM heads WHERE author = ?", (SEK,))
elif what == "rewrite-history":               # the author's own key signs a second history
    seed = bytes.fromhex(open(keys["DURDIR"] + "/sign.key").read().split()[1])[:32]
    top = last_seq(DUR)
    prev = row(DUR, top - 2)[1]
    for s in (top - 1, top):
        rowid, _, _, _, body, hlc, kind = row(DUR, s)
        new = body.replace(b"Ronda malam", b"RONDA MALAM").replace(b"Respons laporan", b"RESPONS LAPORAN")
        assert new != body
        rid, pk, env, sig = seal(seed, s, prev, hlc + 1, kind, new)
        c.execute("DELETE FROM records WHERE rowid = ?", (rowid,))
        insert(rid, pk, s, hlc + 1, kind, env, sig, new)
        prev = rid
    fix_heads(DUR)
elif what == "non-member":                    # a valid record signed by a key never admitted
    body = row(DUR, 3)[4]
    rid, pk, env, sig = seal(os.urandom(32), 1, None, row(DUR, 3)[5] + 7, "dialogue", body)
    insert(rid, pk, 1, row(DUR, 3)[5] + 7, "dialogue", env, sig, body)
    c.execute("INSERT INTO heads(author, seq, head, hlc) VALUES (?, 1, ?, ?)", (pk, rid, row(DUR, 3)[5] + 7))
elif what == "misplaced":                     # Sekar (Bojonegoro) signs a dialogue filed as Durenan's
    seed = bytes.fromhex(open(keys["SEKDIR"] + "/sign.key").read().split()[1])[:32]
    top = last_seq(SEK)
    _, prev, _, _, _, hlc, _ = row(SEK, top)
    body = row(DUR, 1)[4]                     # a valid dialogue body naming Trenggalek / Durenan
    assert b"Durenan" in body
    rid, pk, env, sig = seal(seed, top + 1, prev, hlc + 1, "dialogue", body)
    insert(rid, pk, top + 1, hlc + 1, "dialogue", env, sig, body)
    fix_heads(SEK)
    open("misplaced.id", "w").write(rid.hex())
elif what == "edit-checkpoint":               # one head in Polres Bojonegoro HQ's checkpoint
    rowid, _, _, _, body, *_ = row(BOJ, last_seq(BOJ))
    i = body.index(b"\xa4head\xc4\x20") + 8
    c.execute("UPDATE records SET body = ? WHERE rowid = ?", (flip(body, i), rowid))
elif what == "transplant":                    # another author's valid record in this row
    other = row(SEK, 2)
    c.execute("UPDATE records SET envelope = ?, signature = ?, body = ? WHERE author = ? AND seq = 2",
              (other[2], other[3], other[4], DUR))
elif what == "redact":                        # a body stripped (the body is not signed)
    c.execute("UPDATE records SET body = NULL WHERE author = ? AND seq = 1", (SEK,))
elif what == "drop-newest-and-checkpoints":  # ... and the only checkpoint that covers them
    delete(DUR, [last_seq(DUR), last_seq(DUR) - 1])
    assert row(BOJ, last_seq(BOJ))[6] == "checkpoint"
    delete(BOJ, [last_seq(BOJ)])
    fix_heads(DUR)
    fix_heads(BOJ)
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

detected=0 total=0
# mutation NAME REGEX: on a copy of Trenggalek HQ, apply NAME; audit must exit 1 and name a
# finding matching REGEX ("FAIL <class> <check> ...").
mutation() {
    local name=$1 re=$2 dir=m-$1 rc=0
    cp -r trenggalek "$dir"
    "$PY" mutate.py "$dir/ronda.db" "$name" DUR="$DUR" SEK="$SEK" TRG="$TRG" BOJ="$BOJ" DURDIR=durenan SEKDIR=sekar
    "$RONDA" audit --dir "$dir" >"$dir.out" 2>"$dir.err" || rc=$?
    total=$((total + 1))
    if crashed "$dir.err"; then
        fail "mutation $name: audit crashed"
        sed 's/^/    /' "$dir.err" | head -20
    elif [ "$rc" -ne 1 ]; then
        fail "mutation $name: audit exit $rc, want 1"
        sed 's/^/    /' "$dir.out" "$dir.err" | head -8
    elif ! grep -Eq "^FAIL +($re)" "$dir.out"; then
        fail "mutation $name: audit exits 1, but no finding matches /$re/"
        grep '^FAIL' "$dir.out" | sed 's/^/    /' | head -5
    else
        detected=$((detected + 1))
        pass "mutation $name: $(grep -E -m1 "^FAIL +($re)" "$dir.out" | cut -c6-150)"
    fi
}
mutation flip-envelope 'record +(signature|malformed)'
mutation flip-signature 'record +signature'
mutation flip-body 'record +body_hash'
mutation change-body 'record +body_hash'
mutation replace-body-and-hash 'record +signature'
mutation delete-middle 'chain +gap'
mutation swap 'record +tampered'
mutation swap-rows 'chain +(chain|gap)|record +tampered'
mutation drop-newest 'withheld +not_found'
mutation drop-newest-raw 'withheld +not_found'
mutation drop-checkpoint 'withheld +not_found'
mutation drop-dialogue 'reference +reference'
mutation rewrite-history 'fork +chain .*two histories'
mutation non-member 'membership +not_member'
mutation misplaced 'place +place .*Polres Trenggalek / Polsek Durenan.*Polsek Sekar is admitted for Polres Bojonegoro / Polsek Sekar'
check "mutation misplaced: the finding names the dialogue" grep -Eq "^FAIL +place .*$(cut -c1-12 misplaced.id)" m-misplaced.out
mutation edit-checkpoint 'record +body_hash'
mutation transplant 'record +tampered'
mutation redact 'record +tampered'
mutation drop-triggers 'store +tampered'

# Undetectable by design, and so not counted (docs/audit.md, "What an audit cannot see"):
# an author's newest records dropped together with every checkpoint that signed for them
# leave a ledger that is a valid earlier state; only another copy (a node's digest, a
# bundle, a checkpoint held elsewhere) shows the difference.
cp -r trenggalek m-undetectable
"$PY" mutate.py m-undetectable/ronda.db drop-newest-and-checkpoints DUR="$DUR" SEK="$SEK" TRG="$TRG" BOJ="$BOJ"
rc=0
"$RONDA" audit --dir m-undetectable >m-undetectable.out 2>&1 || rc=$?
echo "excluded drop-newest-and-checkpoints: audit exit $rc (undetectable by design from this ledger alone, docs/audit.md)"
check "mutations detected by ronda audit: $detected of $total" test "$detected" -eq "$total"

echo "audit test: $detected of $total mutations detected; $PASSED checks passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
