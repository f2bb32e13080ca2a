#!/usr/bin/env bash
# A precinct cannot write in another precinct's name (proto/record.md §5), with real
# processes and real databases: a dialogue's Polres/Polsek must be its author's (an HQ: its
# own Polres, any Polsek). `ronda record` refuses it (naming both places), an amend that
# moves a dialogue is refused the same way, and a record signed elsewhere (put in a node's
# database behind its back, as a node without the rule would have stored it) is refused by
# `ronda import` at another node, whose report does not count it.
#
# usage: place_test.sh RONDA
set -euo pipefail

source "$(dirname "$0")/lib.sh" place_test.sh "${1:-}"
r() { "$RONDA" "$@" 2>err.txt || { echo "ronda $* failed:" >&2; cat err.txt >&2; exit 1; }; }
refused() { # refused FILE COMMAND...: exit 1 (a refusal, not a crash), stderr into FILE
    local out=$1 rc=0
    shift
    "$RONDA" "$@" >/dev/null 2>"$out" || rc=$?
    [ "$rc" -eq 1 ]
}

r authority init --dir polda >polda.out
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' polda.out)
r init --dir puger --authority "$AUTH" --name "Polsek Puger" >/dev/null
r init --dir durenan --authority "$AUTH" --name "Polsek Durenan" >/dev/null
r init --dir hq --authority "$AUTH" --name "Polres Trenggalek HQ" >/dev/null
r authority admit --dir polda --request puger/join-request.json --role precinct --polres Jember --polsek Puger >/dev/null
r authority admit --dir polda --request durenan/join-request.json --role precinct --polres Trenggalek \
    --polsek Durenan >/dev/null
r authority admit --dir polda --request hq/join-request.json --role hq --polres Trenggalek >/dev/null
r export --dir polda roster.bundle >/dev/null
for n in puger durenan hq; do r join --dir $n roster.bundle >/dev/null; done
DA=(--programme candu --title "Candu Kamtibmas" --venue "Mapolsek" --when 2024-12-05T19:30
    --topic "social_problem:Gesekan antar perguruan silat")

# ---------------------------------------------------------------- append
held=$(records puger)
check "record: Puger (Jember) filing as Trenggalek/Durenan exits 1" \
    refused e1.txt record dialogue --dir puger "${DA[@]}" --polres Trenggalek --polsek Durenan
check "record: the refusal names the claimed place and the member's own (Polres Jember / Polsek Puger)" \
    grep -q "Polres Trenggalek / Polsek Durenan; its author is admitted for Polres Jember / Polsek Puger" e1.txt
check "record: Puger filing as Jember/Durenan (right Polres, another Polsek) is refused too" \
    refused e2.txt record dialogue --dir puger "${DA[@]}" --polres Jember --polsek Durenan
check "record: nothing was written at Puger" test "$(records puger)" -eq "$held"
D=$(r record dialogue --dir puger "${DA[@]}")
check "record: Puger's own dialogue (its membership's place by default) is stored" test "${#D}" -eq 64
check "record: an HQ files for its own Polres and any Polsek (the demo's \"Semua Polsek\")" \
    r record dialogue --dir hq "${DA[@]}" --polsek "Semua Polsek"
check "record: an HQ files for a Polsek of its Polres (Durenan), names compared without case" \
    r record dialogue --dir hq "${DA[@]}" --polres trenggalek --polsek Durenan
check "record: an HQ may not file for another Polres" refused e3.txt record dialogue --dir hq "${DA[@]}" --polres Jember --polsek Puger
check "record: ... and says it files for its own Polres only" grep -q "Polres Trenggalek HQ (its own Polres only)" e3.txt
check "amend: moving Puger's dialogue to Trenggalek/Durenan is refused" \
    refused e4.txt record amend --dir puger --target "$D" --reason "Salah tempat" --polres Trenggalek --polsek Durenan
check "amend: ... naming both places" grep -q "its author is admitted for Polres Jember / Polsek Puger" e4.txt
check "amend: an amend that keeps the place is stored" \
    r record amend --dir puger --target "$D" --reason "Jumlah peserta" --participants 40

# ---------------------------------------------------------------- ingest
# Durenan's dialogue body, signed by Puger's key as its next record, put into Puger's
# database directly (triggers allow INSERT): what a node without the rule would hold.
r record dialogue --dir durenan "${DA[@]}" >/dev/null
"$PY" - puger/ronda.db durenan/ronda.db puger/sign.key <<'EOF'
import hashlib, sqlite3, sys
import msgpack, nacl.signing
db, src, key = sys.argv[1:4]
body = sqlite3.connect(src).execute("SELECT body FROM records WHERE kind = 'dialogue'").fetchone()[0]
assert b"Durenan" in body and b"Trenggalek" in body
sk = nacl.signing.SigningKey(bytes.fromhex(open(key).read().split()[1])[:32])
pk = sk.verify_key.encode()
c = sqlite3.connect(db, isolation_level=None)
seq, prev, hlc = c.execute("SELECT seq, head, hlc FROM heads WHERE author = ?", (pk,)).fetchone()
env = msgpack.packb([1, pk, seq + 1, prev, hlc + 1, "dialogue", hashlib.blake2b(body, digest_size=32).digest()],
                    use_bin_type=True)
sig = sk.sign(b"ronda-record-v1" + env).signature
rid = hashlib.blake2b(env + sig, digest_size=32).digest()
c.execute("BEGIN")
c.execute("INSERT INTO records(id, author, seq, hlc, kind, envelope, signature, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          (rid, pk, seq + 1, hlc + 1, "dialogue", env, sig, body))
c.execute("UPDATE heads SET seq = ?, head = ?, hlc = ? WHERE author = ?", (seq + 1, rid, hlc + 1, pk))
c.execute("COMMIT")
print(rid.hex())
EOF
r export --dir puger puger.bundle >/dev/null
before=$(records hq)
rc=0
"$RONDA" import --dir hq puger.bundle >imp.out 2>imp.err || rc=$?
check "import: the bundle with Puger's dialogue in Durenan's name is refused (exit 1, not a crash)" test "$rc" -eq 1
check "import: the refusal is the place rule, naming both places" \
    grep -q "its author is admitted for Polres Jember / Polsek Puger" imp.err
check "import: the Trenggalek HQ holds nothing of it" test "$(records hq)" -eq "$before"
"$RONDA" report --dir hq --by polsek --json >rep.json
check "report at the HQ: Durenan counts only the dialogue the HQ filed there, none of Puger's" "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
n = sum(g["dialogues"] for g in d["groups"] if g["polsek"].lower() == "durenan")
sys.exit(0 if n == 1 else 1)' rep.json

echo "place test: $PASSED checks passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
