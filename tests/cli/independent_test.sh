#!/usr/bin/env bash
# The independent verifier against the real CLI: build a small network ledger with `ronda`
# (an authority, three Polsek nodes, every record kind, a revocation), merge it into one
# node by export/import, and check the exported bundle with tests/independent/ronda_verify.py
# (Python, written from proto/*.md only). Then tamper with single bytes of the bundle: the
# Python verifier (and ronda itself) must refuse every copy. Finally the test vectors.
#
# usage: independent_test.sh RONDA_BIN SOURCE_DIR
set -euo pipefail

RONDA=$(realpath "$1")
SRC=$(realpath "$2")
PY=/usr/bin/python3
VERIFY="$SRC/tests/independent/ronda_verify.py"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

checks=0
pass() { checks=$((checks + 1)); }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Run ronda, print its id output (stdout); fail loudly with its messages otherwise.
r() {
    local out
    if ! out=$("$RONDA" "$@" 2>err.txt); then
        cat err.txt >&2
        fail "ronda $*"
    fi
    printf '%s' "$out"
}

# The id a `ronda record` / `authority` command printed: its last 64-hex line.
id_of() {
    local id
    id=$(printf '%s\n' "$1" | grep -E '^[0-9a-f]{64}$' | tail -n 1 || true)
    [[ -n $id ]] || fail "no record id in output: $1"
    printf '%s' "$id"
}

sign_key_of() { sed -n 's/.*"sign_key": *"\([0-9a-f]\{64\}\)".*/\1/p' "$1/join-request.json"; }

# ------------------------------------------------------------------ the ledger
out=$(r authority init --dir A)
AUTH=$(printf '%s\n' "$out" | sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p')
[[ ${#AUTH} == 64 ]] || fail "no authority key in: $out"

r init --dir N1 --authority "$AUTH" --name "Polsek Durenan" >/dev/null
r init --dir N2 --authority "$AUTH" --name "Polsek Karangan" >/dev/null
r init --dir N3 --authority "$AUTH" --name "Polsek Watulimo" >/dev/null
r init --dir H --authority "$AUTH" --name "Polres Trenggalek HQ" >/dev/null
r authority admit --dir A --request N1/join-request.json --role precinct --polres Trenggalek --polsek Durenan \
    >/dev/null
r authority admit --dir A --request N2/join-request.json --role precinct --polres Trenggalek --polsek Karangan \
    --endpoint tcp://10.35.3.13:7400 >/dev/null
r authority admit --dir A --request N3/join-request.json --role precinct --polres Trenggalek --polsek Watulimo \
    >/dev/null
r authority admit --dir A --request H/join-request.json --role hq --polres Trenggalek >/dev/null
r export --dir A roster.bundle >/dev/null
for n in N1 N2 N3 H; do r join --dir "$n" roster.bundle >/dev/null; done

# Polsek Durenan: a Candu Kamtibmas evening, a follow-up, and a correction.
D1=$(id_of "$(r record dialogue --dir N1 --programme candu --title "Candu Kamtibmas Desa Kamulan" \
    --venue "Warung kopi Pak Slamet" --village Kamulan --when 2025-11-20T19:30 \
    --topic "social_problem:Pemuda minum minuman keras di pos ronda" \
    --topic "vulnerable_area:Lampu jalan Durenan–Bandung padam" \
    --topic "aspiration:Patroli malam menjelang panen cengkeh" \
    --officer "Kapolsek Durenan" --stakeholder "Karang Taruna" --stakeholder "Babinsa" \
    --message "Laporkan gangguan kamtibmas ke 110" --participants 40)")
r record resolution --dir N1 --dialogue "$D1" --topic 0 --status referred --referred-to "Karang Taruna Kamulan" \
    --action "Pembinaan pemuda bersama Karang Taruna" >/dev/null
r record amend --dir N1 --target "$D1" --reason "Jumlah peserta menurut daftar hadir" --participants 45 >/dev/null

# Polsek Karangan: its own dialogue, and a follow-up of Durenan's topic 1 (another node's).
r export --dir N1 n1.bundle >/dev/null
r import --dir N2 n1.bundle >/dev/null
# Polres Trenggalek HQ takes Durenan's records and signs a checkpoint of what it holds.
r import --dir H n1.bundle >/dev/null
r checkpoint --dir H >/dev/null
r record dialogue --dir N2 --programme warkop --title "Jumat Curhat di warung kopi" --venue "Warkop Mbak Sri" \
    --when 2025-11-21T20:00 --topic "traffic:Balap liar di jalan provinsi" --topic "criticism:Pelayanan SKCK lambat" \
    --participants 25 >/dev/null
r record resolution --dir N2 --dialogue "$D1" --topic 1 --status in_progress \
    --action "Koordinasi dengan Dishub untuk penggantian lampu" >/dev/null

# Polsek Watulimo writes one dialogue, the authority takes it and then revokes the node.
r record dialogue --dir N3 --programme patroli_dialogis --title "Patroli dialogis Pantai Prigi" \
    --venue "TPI Prigi" --when 2025-11-22T09:00 --topic "unrest:Sengketa lapak pedagang" >/dev/null
r export --dir N3 n3.bundle >/dev/null
r import --dir A n3.bundle >/dev/null
r authority revoke --dir A --member "$(sign_key_of N3)" --reason "Perangkat hilang; kunci ditarik" >/dev/null

# Merge everything into Polsek Durenan and export the whole ledger.
r export --dir A a.bundle >/dev/null
r export --dir N2 n2.bundle >/dev/null
r export --dir H h.bundle >/dev/null
r import --dir N1 a.bundle >/dev/null
r import --dir N1 n2.bundle >/dev/null
r import --dir N1 h.bundle >/dev/null
r export --dir N1 ledger.bundle >/dev/null

kinds=$("$RONDA" log --dir N1 | awk '{print $2}' | sort -u | tr '\n' ' ')
[[ $kinds == "amend checkpoint dialogue member resolution revoke " ]] || fail "ledger lacks a kind: $kinds"
pass

# ------------------------------------------------------------------ the whole bundle verifies
"$RONDA" verify --bundle ledger.bundle >c_verify.txt 2>&1 || {
    cat c_verify.txt >&2
    fail "ronda verify --bundle refuses its own export"
}
pass
if ! "$PY" "$VERIFY" ledger.bundle >py.txt 2>&1; then
    cat py.txt >&2
    fail "ronda_verify.py refuses the exported bundle"
fi
grep -q ': 12 records, 5 authors, 0 fork records, digest [0-9a-f]\{64\}: OK$' py.txt || {
    cat py.txt >&2
    fail "unexpected summary"
}
# Both implementations compute the same ledger digest.
pydigest=$(sed -n 's/.*digest \([0-9a-f]\{64\}\): OK$/\1/p' py.txt)
grep -q "$pydigest" <("$RONDA" status --dir N1) || fail "digest differs from ronda status"
pass

# ------------------------------------------------------------------ single-byte tampering
# Offsets of the parts of every record: "start env_start env_len sig_start body_start body_len kind".
"$PY" - ledger.bundle >layout.txt <<'EOF'
import sys, msgpack
data = open(sys.argv[1], "rb").read()
u = msgpack.Unpacker(raw=False)
u.feed(data)
u.unpack(); start = u.tell()                      # the header
while start < len(data):
    env, sig, body = u.unpack(); end = u.tell()
    rec = data[start:end]
    e = rec.index(env); s = rec.index(sig, e + len(env))
    b = rec.index(body, s + 64) if body is not None else -1
    kind = msgpack.unpackb(env)[5]
    print(start, start + e, len(env), start + s, start + b if b >= 0 else -1, len(body or b""), kind)
    start = end
EOF
[[ $(wc -l <layout.txt) == 12 ]] || fail "layout: $(cat layout.txt)"

flip() { # flip FILE OFFSET OUT: copy FILE with the byte at OFFSET xor 0x01
    cp "$1" "$3"
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf '%b' "$(printf '\\%03o' $((b ^ 1)))" | dd of="$3" bs=1 seek="$2" conv=notrunc status=none
}

tampered=0
expect_refused() { # expect_refused FILE WHAT
    cmp -s "$1" ledger.bundle && fail "$2: the copy is not modified"
    if "$PY" "$VERIFY" "$1" >t.txt 2>&1; then
        cat t.txt >&2
        fail "$2: ronda_verify.py accepted a tampered bundle"
    fi
    grep -q '^problem: ' t.txt || fail "$2: no problem reported"
    pass
    if "$RONDA" verify --bundle "$1" >/dev/null 2>&1; then fail "$2: ronda verify --bundle accepted it"; fi
    pass
    tampered=$((tampered + 1))
}

while read -r start env elen sig body blen kind; do
    # envelope: its author key (offset 3 into the envelope), its seq/hlc area, its body hash (last byte)
    flip ledger.bundle $((env + 5)) t1.bundle && expect_refused t1.bundle "$kind envelope author"
    flip ledger.bundle $((env + elen / 2)) t2.bundle && expect_refused t2.bundle "$kind envelope middle"
    flip ledger.bundle $((env + elen - 1)) t3.bundle && expect_refused t3.bundle "$kind envelope body_hash"
    # signature: first and last byte
    flip ledger.bundle "$sig" t4.bundle && expect_refused t4.bundle "$kind signature first byte"
    flip ledger.bundle $((sig + 63)) t5.bundle && expect_refused t5.bundle "$kind signature last byte"
    # body: a byte in the middle, and the last
    if ((body >= 0)); then
        flip ledger.bundle $((body + blen / 2)) t6.bundle && expect_refused t6.bundle "$kind body middle"
        flip ledger.bundle $((body + blen - 1)) t7.bundle && expect_refused t7.bundle "$kind body last byte"
    fi
    # framing: the record's array header, and its envelope's bin length
    flip ledger.bundle "$start" t8.bundle && expect_refused t8.bundle "$kind record header"
    flip ledger.bundle $((env - 1)) t9.bundle && expect_refused t9.bundle "$kind envelope length"
done <layout.txt

# The header's digest, and a bundle cut short by one byte or one record.
first=$(head -n 1 layout.txt | cut -d' ' -f1)
dig=$("$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.index(b"\xa6digest\xc4\x20") + 9)' ledger.bundle)
flip ledger.bundle $((dig + 7)) h1.bundle && expect_refused h1.bundle "header digest"
size=$(stat -c %s ledger.bundle)
head -c $((size - 1)) ledger.bundle >h2.bundle && expect_refused h2.bundle "last byte cut"
last=$(tail -n 1 layout.txt | cut -d' ' -f1)
head -c "$last" ledger.bundle >h3.bundle && expect_refused h3.bundle "last record cut"
((first > 0)) || fail "no header"

# ------------------------------------------------------------------ a withheld record
# An exporter drops Durenan's newest record (the amend) and rewrites the header's count and
# digest to match: every signature and chain still verifies, and only the HQ's checkpoint,
# which signed for Durenan's seq 3, shows that a record is missing.
"$PY" - ledger.bundle "$(sign_key_of N1)" withheld.bundle <<'EOF'
import hashlib, sys, msgpack
data = open(sys.argv[1], "rb").read()
drop_author = bytes.fromhex(sys.argv[2])
u = msgpack.Unpacker(raw=False)
u.feed(data)
header = u.unpack()
pos = u.tell()
kept, heads, revoked = [], {}, {}
for i in range(header["records"] + header["forks"]):
    env, sig, body = u.unpack()
    raw, pos = data[pos:u.tell()], u.tell()
    f = msgpack.unpackb(env, raw=False)
    if f[1] == drop_author and f[2] == 3:
        continue
    kept.append(raw)
    rid = hashlib.blake2b(env + sig, digest_size=32).digest()
    if i < header["records"] and f[2] > heads.get(f[1], (0,))[0]:
        heads[f[1]] = (f[2], rid)
    if f[5] == "revoke":
        b = msgpack.unpackb(body, raw=False)
        revoked[b["member"]] = min(b["last_seq"], revoked.get(b["member"], b["last_seq"]))
h = hashlib.blake2b(digest_size=32)
h.update(b"ronda-ledger-v1")
for a in sorted(heads):
    assert revoked.get(a, heads[a][0]) >= heads[a][0]
    h.update(a + heads[a][0].to_bytes(8, "big") + heads[a][1])
header["records"] -= 1
header["digest"] = h.digest()
with open(sys.argv[3], "wb") as out:
    out.write(msgpack.packb(header, use_bin_type=True))
    for raw in kept:
        out.write(raw)
EOF
"$RONDA" verify --bundle withheld.bundle >/dev/null 2>&1 || fail "verify --bundle: the shortened bundle should pass verify"
pass
if "$PY" "$VERIFY" withheld.bundle >w.txt 2>&1; then fail "ronda_verify.py did not see the withheld record"; fi
grep -q '^problem: checkpoint .* which the bundle does not hold: lost or withheld' w.txt || {
    cat w.txt >&2
    fail "ronda_verify.py: no withheld problem"
}
pass
rc=0
"$RONDA" audit --bundle withheld.bundle >w_audit.txt 2>&1 || rc=$?
[[ $rc == 1 ]] && grep -q '^FAIL withheld ' w_audit.txt || {
    cat w_audit.txt >&2
    fail "ronda audit --bundle: exit $rc, no withheld finding"
}
pass
"$RONDA" audit --bundle ledger.bundle >/dev/null 2>&1 || fail "ronda audit --bundle refuses the whole ledger"
pass

# ------------------------------------------------------------------ a fork: the digest names it
# Karangan's directory copied, and each copy signs its own next record: a copy of Durenan's
# node that imports both holds one in the ledger and the other as fork evidence. Both
# implementations compute the digest with the fork seq and the pair (proto/record.md §6).
cp -r N2 N2b
cp -r N1 N1f
r record dialogue --dir N2 --programme warkop --title "Warkop Kamtibmas Karangan" --venue "Balai desa" \
    --when 2025-11-23T09:00 --topic "traffic:Parkir liar di depan pasar" --participants 12 >/dev/null
r record dialogue --dir N2b --programme warkop --title "Warkop Kamtibmas Karangan (salinan)" --venue "Balai desa" \
    --when 2025-11-23T09:05 --topic "traffic:Parkir liar di depan pasar" --participants 13 >/dev/null
r export --dir N2 fa.bundle >/dev/null
r export --dir N2b fb.bundle >/dev/null
r import --dir N1f fa.bundle >/dev/null
"$RONDA" import --dir N1f fb.bundle >fork_import.txt 2>&1 || true
r export --dir N1f fork.bundle >/dev/null
"$PY" "$VERIFY" fork.bundle >fork_py.txt 2>&1 && fail "ronda_verify.py passed a ledger with a fork"
grep -q 'FORK by author' fork_py.txt && grep -q ', 1 fork records, digest' fork_py.txt || {
    cat fork_import.txt fork_py.txt >&2
    fail "ronda_verify.py: no fork found in the fork bundle"
}
! grep -q 'differs from the header' fork_py.txt || {
    cat fork_py.txt >&2
    fail "ronda_verify.py computes another digest than ronda for a ledger with a fork"
}
forkdigest=$(sed -n 's/.*fork records, digest \([0-9a-f]\{64\}\): FAILED.*/\1/p' fork_py.txt)
[[ ${#forkdigest} == 64 ]] && grep -q "$forkdigest" <("$RONDA" status --dir N1f) ||
    fail "the fork ledger's digest differs from ronda status"
pass

# ------------------------------------------------------------------ the test vectors
if ! "$PY" "$VERIFY" --vectors "$SRC/proto/vectors.json" >v.txt 2>&1; then
    cat v.txt >&2
    fail "ronda_verify.py --vectors"
fi
pass
# A vector with one changed signature byte must fail too.
"$PY" - "$SRC/proto/vectors.json" bad.json <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
sig = doc["vectors"][1]["signature"]
doc["vectors"][1]["signature"] = ("0" if sig[0] != "0" else "1") + sig[1:]
json.dump(doc, open(sys.argv[2], "w"))
EOF
if "$PY" "$VERIFY" --vectors bad.json >/dev/null 2>&1; then fail "a wrong vector signature was accepted"; fi
pass

echo "independent verifier: $checks checks passed ($tampered tampered bundles refused)"
