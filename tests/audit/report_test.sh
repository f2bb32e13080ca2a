#!/usr/bin/env bash
# The auditor's report of `ronda audit` in plain words, with real processes and databases.
#
# A small ledger at Polres Trenggalek HQ: Polsek Durenan's dialogue "Warkop Kamtibmas
# Karanggandu", its follow-up and a second dialogue; Polsek Pogalan forks its chain (a copy of
# its node directory signs a second record for seq 2, as a node restored from an old backup
# would). Then, on copies, an insider deletes the follow-up (triggers dropped and put back,
# the views left as they were) and breaks a signature of Pogalan's. The report must say, in Bahasa
# Indonesia by default and in English one click away (or --lang en): which follow-up is
# missing and of which dialogue, that a record was changed, both versions of the fork side by
# side; times in the zone asked (--zone); a page that prints on A4; the same in the JSON.
#
# usage: report_test.sh RONDA     (KEEP=DIR: the ledgers and reports are copied there to look at)
set -euo pipefail

source "$(dirname "$0")/../cli/lib.sh" report_test.sh "${1:-}"
r() {
    local out
    if ! out=$("$RONDA" "$@" 2>err.txt); then
        echo "ronda $* failed:" >&2
        cat err.txt >&2
        exit 1
    fi
    printf '%s' "$out"
}
key_of() { sed -n 's/^  signing key: \([0-9a-f]\{64\}\)$/\1/p' "$1.out"; }

r authority init --dir polda >polda.out
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' polda.out)
r init --dir hq --authority "$AUTH" --name "Polres Trenggalek HQ" >hq.out
r init --dir durenan --authority "$AUTH" --name "Polsek Durenan" >durenan.out
r init --dir pogalan --authority "$AUTH" --name "Polsek Pogalan" >pogalan.out
r authority admit --dir polda --request hq/join-request.json --role hq --polres Trenggalek >/dev/null
r authority admit --dir polda --request durenan/join-request.json --role precinct --polres Trenggalek \
    --polsek Durenan >/dev/null
r authority admit --dir polda --request pogalan/join-request.json --role precinct --polres Trenggalek \
    --polsek Pogalan >/dev/null
r export --dir polda roster.bundle
for n in hq durenan pogalan; do r join --dir $n roster.bundle >/dev/null; done
DUR=$(key_of durenan) POG=$(key_of pogalan)

D1=$(r record dialogue --dir durenan --programme warkop --title "Warkop Kamtibmas Karanggandu" \
    --venue "Warung kopi Karanggandu" --when 2025-05-03T19:30 --topic "vulnerable_area:Pencurian ternak")
R1=$(r record resolution --dir durenan --dialogue "$D1" --topic 0 --status resolved \
    --action "Ronda malam digiatkan kembali")
r record dialogue --dir durenan --programme candu --title "Candu Kamtibmas bersama IPSI" \
    --venue "Mapolsek Durenan" --when 2025-05-10T19:30 --topic "criticism:Respons laporan warga lambat" >/dev/null
r record dialogue --dir pogalan --programme curhat --title "Curhat Kamtibmas Pogalan" \
    --venue "Balai Desa Pogalan" --when 2025-04-01T19:00 --topic "other:Lampu jalan mati" >/dev/null
cp -r pogalan pogalan-old
F1=$(r record dialogue --dir pogalan --programme patroli_dialogis --title "Patroli Dialogis Pasar Pogalan" \
    --venue "Pasar Pogalan" --when 2025-04-08T09:00 --participants 40 --topic "traffic:Parkir liar")
F2=$(r record dialogue --dir pogalan-old --programme patroli_dialogis --title "Patroli Dialogis Terminal Pogalan" \
    --venue "Terminal Pogalan" --when 2025-04-08T09:00 --participants 400 --topic "traffic:Parkir liar")
for n in durenan pogalan pogalan-old; do r export --dir $n $n.bundle; done
for n in durenan pogalan pogalan-old; do r import --dir hq $n.bundle >/dev/null; done
r checkpoint --dir hq >/dev/null
forks=$("$RONDA" status --dir hq --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["forks"])')
check "set-up: the HQ holds Pogalan's second seq 2 as fork evidence" test "$forks" -eq 1

cat >mutate.py <<'EOF'
# mutate.py DB WHAT AUTHOR: as an insider with file access; triggers dropped and put back.
import sqlite3, sys
db, what, author = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
c = sqlite3.connect(db, isolation_level=None)
trig = c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'records_no_%'").fetchall()
c.execute("BEGIN")
for name, _ in trig:
    c.execute("DROP TRIGGER " + name)
if what == "delete-followup":                 # seq 2, the follow-up; the views are left alone
    c.execute("DELETE FROM records WHERE author = ? AND seq = 2", (author,))
elif what == "flip-signature":                # seq 1's signature, one bit
    rowid, sig = c.execute("SELECT rowid, signature FROM records WHERE author = ? AND seq = 1", (author,)).fetchone()
    sig = bytearray(sig)
    sig[5] ^= 1
    c.execute("UPDATE records SET signature = ? WHERE rowid = ?", (bytes(sig), rowid))
elif what == "drop-newest":                   # seq 3, the newest, and the frontier fixed up
    c.execute("DELETE FROM records WHERE author = ? AND seq = 3", (author,))
    rid, hlc = c.execute("SELECT id, hlc FROM records WHERE author = ? AND seq = 2", (author,)).fetchone()
    c.execute("UPDATE heads SET seq = 2, head = ?, hlc = ? WHERE author = ?", (rid, hlc, author))
for _, sql in trig:
    c.execute(sql)
c.execute("COMMIT")
EOF

cp -r hq m
"$PY" mutate.py m/ronda.db delete-followup "$DUR"
"$PY" mutate.py m/ronda.db flip-signature "$POG"
rc=0
"$RONDA" audit --dir m --html report.html --zone WITA >report.txt 2>report.err || rc=$?
check "audit of the mutated ledger exits 1" test "$rc" -eq 1
"$RONDA" audit --dir m --json --zone WITA >report.json 2>/dev/null || true
"$RONDA" audit --dir m --lang en --html report-en.html >report-en.txt 2>/dev/null || true

# The page, in Bahasa Indonesia by default
check "html: Bahasa Indonesia first, the English one click away (a toggle, both languages in the page)" \
    "$PY" -c 'import sys
h = open(sys.argv[1]).read()
ok = "<html lang=\"id\" data-lang=\"id\">" in h and "<button id=\"lang\"" in h and "Laporan audit ronda" in h
ok = ok and "ronda audit report" in h and "html[data-lang=id] .l-en" in h
sys.exit(0 if ok else 1)' report.html
check "html: self-contained (no link, no external asset)" "$PY" -c 'import re,sys
h = open(sys.argv[1]).read()
sys.exit(1 if re.search(r"(src|href)=|https?:|@import|url\(", h) else 0)' report.html
check "html: the deleted follow-up is named, with its dialogue, Polsek and date" "$PY" -c 'import sys
h = open(sys.argv[1]).read()
want = "Tindak lanjut yang hilang (seq 2) dari dialog &quot;Warkop Kamtibmas Karanggandu&quot; (Polsek Durenan, Polres Trenggalek, 3 Mei 2025)"
sys.exit(0 if want in h else 1)' report.html
check "html: the missing seq says what still knows it (the next record's prev, the views' follow-up)" "$PY" -c 'import sys
h = open(sys.argv[1]).read()
ok = "seq 2 hilang: prev catatan berikutnya menyebut id '"${R1:0:16}"'" in h
ok = ok and "tampilan masih mencatatnya sebagai tindak lanjut (topik 0, selesai: &quot;Ronda malam digiatkan kembali&quot;)" in h
sys.exit(0 if ok else 1)' report.html
check "html: findings grouped by class, with counts and the class explained" "$PY" -c 'import sys
h = open(sys.argv[1]).read()
ok = "Catatan hilang dari rantai (1)" in h and "Catatan diubah atau rusak (1)" in h and "Dua versi sejarah (fork) (1)" in h
ok = ok and "Celah berarti ada catatan yang dihapus" in h
ok = ok and "Tanda tangannya tidak cocok" in h and "Langkah berikut" in h and "Artinya" in h
sys.exit(0 if ok else 1)' report.html
check "html: the fork's two versions side by side, differences marked, the signer named" "$PY" -c 'import sys
h = open(sys.argv[1]).read()
i = h.index("<table class=\"fork\">")
t = h[i:h.index("</table>", i)]
ok = "Patroli Dialogis Pasar Pogalan" in t and "Patroli Dialogis Terminal Pogalan" in t
ok = ok and "<tr class=\"diff\"><td>title</td>" in t and "<tr class=\"diff\"><td>participants</td>" in t
ok = ok and "<tr><td>programme</td>" in t and "Polsek Pogalan" in t
ok = ok and "menandatangani dua catatan berbeda untuk satu tempat" in h
sys.exit(0 if ok else 1)' report.html
check "html: times in WITA (--zone WITA), as the dashboard shows them" "$PY" -c 'import re,sys
h = open(sys.argv[1]).read()
sys.exit(0 if re.search(r"\d{1,2} (Jan|Feb|Mar|Apr|Mei|Jun|Jul|Agu|Sep|Okt|Nov|Des) \d{4} \d\d:\d\d WITA", h) and " WIB" not in h else 1)' report.html
check "html: prints on A4 (page size, no toggle, no cut rows, a page per section, a header)" "$PY" -c 'import sys
h = open(sys.argv[1]).read()
ok = "@page{size:A4" in h and "@media print{" in h and "#lang{display:none}" in h
ok = ok and "break-inside:avoid" in h and "page-break-before:always" in h and "class=\"print-head\"" in h
sys.exit(0 if ok else 1)' report.html
check "html --lang en: English first" "$PY" -c 'import sys
h = open(sys.argv[1]).read()
ok = "<html lang=\"en\" data-lang=\"en\">" in h and "A missing follow-up (seq 2) of dialogue &quot;Warkop Kamtibmas Karanggandu&quot; (Polsek Durenan, Polres Trenggalek, 3 May 2025)" in h
ok = ok and " WIB" in h
sys.exit(0 if ok else 1)' report-en.html

# The terminal
check "text: the FAIL lines stay, and the plain words follow in Bahasa Indonesia" bash -c \
    "grep -Eq '^FAIL +chain +gap' report.txt && grep -q 'Tindak lanjut yang hilang (seq 2) dari dialog \"Warkop Kamtibmas Karanggandu\"' report.txt && grep -q 'langkah:' report.txt"
check "text --lang en: in English" bash -c \
    "grep -q 'A missing follow-up (seq 2) of dialogue \"Warkop Kamtibmas Karanggandu\"' report-en.txt && grep -q 'next:' report-en.txt"

# The JSON
check "json: the old keys stay; new: classes, zone, audited_ms, lang; per finding context and plain" "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
ok = all(k in d for k in ("ok", "findings", "chains", "by_polres", "excluded_records", "digest"))
ok = ok and d["zone"] == "WITA" and d["zone_offset_min"] == 480 and d["lang"] == "id" and isinstance(d["audited_ms"], int)
cl = {c["class"]: c for c in d["classes"]}
ok = ok and cl["chain"]["count"] == 1 and cl["record"]["count"] == 1 and cl["fork"]["count"] == 1
ok = ok and cl["chain"]["title"]["id"] == "Catatan hilang dari rantai" and cl["chain"]["explanation"]["en"]
for f in d["findings"]:
    ok = ok and all(k in f for k in ("what", "error", "id", "seq", "detail", "dialogue", "field", "records_value", "view_value", "context", "plain"))
    ok = ok and f["plain"]["id"]["wrong"] and f["plain"]["en"]["next"]
sys.exit(0 if ok else 1)' report.json
check "json: the gap names the missing follow-up: its id (from the next prev), kind, dialogue, status" "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
g = [f for f in d["findings"] if f["what"] == "chain"][0]
m = g["context"]["missing"][0]
ok = g["context"]["missing_count"] == 1 and m["seq"] == 2 and m["id"] == sys.argv[2] and m["kind"] == "resolution"
ok = ok and "prev of the next record" in m["named_by"] and m["from"] == "views" and m["status"] == "resolved"
ok = ok and m["dialogue"]["title"] == "Warkop Kamtibmas Karanggandu" and m["dialogue"]["polsek"] == "Durenan"
sys.exit(0 if ok else 1)' report.json "$R1"
check "json: the fork finding holds both versions, the ledger first, with the fields that differ" "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["findings"] if f["what"] == "fork"][0]["context"]["fork"]
v = f["versions"]
ok = [x["id"] for x in v] == [sys.argv[2], sys.argv[3]] and [x["held"] for x in v] == ["ledger", "fork evidence"]
ok = ok and v[0]["body"]["participants"] == 40 and v[1]["body"]["participants"] == 400 and f["author_name"] == "Polsek Pogalan"
ok = ok and {"title", "venue", "participants"} <= set(f["differences"]) and "programme" not in f["differences"]
sys.exit(0 if ok else 1)' report.json "$F1" "$F2"

# Withheld: the newest record dropped, frontier fixed up; the HQ's checkpoint names it.
cp -r hq m2
"$PY" mutate.py m2/ronda.db drop-newest "$DUR"
"$RONDA" audit --dir m2 --html withheld.html >withheld.txt 2>/dev/null || true
check "withheld: the missing dialogue is named from the checkpoint's id and the views" "$PY" -c 'import sys
h = open(sys.argv[1]).read()
ok = "Catatan yang pernah dijamin HQ tidak ada (1)" in h
ok = ok and "Dialog yang hilang (seq 3) &quot;Candu Kamtibmas bersama IPSI&quot; (Polsek Durenan, Polres Trenggalek, 10 Mei 2025)" in h
ok = ok and "seq 3 hilang: sebuah checkpoint menyebut id" in h and "tampilan masih mencatatnya sebagai dialog" in h
sys.exit(0 if ok else 1)' withheld.html

rc=0
"$RONDA" audit --dir m --zone CET >/dev/null 2>zone.err || rc=$?
check "--zone CET is refused (exit 2), naming the zones" bash -c "test $rc -eq 2 && grep -q 'WITA' zone.err"
rc=0
"$RONDA" audit --dir m --lang fr >/dev/null 2>lang.err || rc=$?
check "--lang fr is refused (exit 2)" test "$rc" -eq 2

[ -n "${KEEP:-}" ] && cp -r "$W"/. "$KEEP"/
echo "report test: $PASSED checks passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
