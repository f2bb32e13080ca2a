#!/usr/bin/env bash
# The derived views are audited (docs/audit.md, "The views"): real processes, real databases.
#
# A small ledger (an authority, Polres Trenggalek HQ, Polsek Durenan: two dialogues, two
# follow-ups) is merged at the HQ. Each case takes a fresh copy of the HQ's database and
# changes its views the way an insider with file access could: with /usr/bin/python3's
# sqlite3, the append-only triggers dropped (their SQL read from sqlite_master first) and
# the same triggers put back. Then `ronda verify` and `ronda audit` must both fail (exit 1)
# with a finding of class `view` naming the dialogue's title, the field and both values, and
# after `ronda rebuild` both must pass again. A follow-up whose record's bytes are changed
# must no longer count as resolved in `ronda report`.
#
# usage: views_test.sh RONDA     (the ronda binary)
set -euo pipefail

source "$(dirname "$0")/lib.sh" views_test.sh "${1:-}"
r() { # run ronda quietly; on failure show why and stop
    local out
    if ! out=$("$RONDA" "$@" 2>err.txt); then
        echo "ronda $* failed:" >&2
        cat err.txt >&2
        exit 1
    fi
    printf '%s' "$out"
}

r authority init --dir polda >polda.out
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' polda.out)
r init --dir hq --authority "$AUTH" --name "Polres Trenggalek HQ" >/dev/null
r init --dir durenan --authority "$AUTH" --name "Polsek Durenan" >/dev/null
r authority admit --dir polda --request hq/join-request.json --role hq --polres Trenggalek >/dev/null
r authority admit --dir polda --request durenan/join-request.json --role precinct --polres Trenggalek \
    --polsek Durenan >/dev/null
r export --dir polda roster.bundle >/dev/null
r join --dir hq roster.bundle >/dev/null
r join --dir durenan roster.bundle >/dev/null
D1=$(r record dialogue --dir durenan --programme candu --title "Candu Kamtibmas Durenan" \
    --venue "Mapolsek Durenan" --when 2024-12-05T19:30 --participants 60 \
    --topic "social_problem:Potensi gesekan antar perguruan" --topic "traffic:Jalan desa rusak")
R1=$(r record resolution --dir durenan --dialogue "$D1" --topic 0 --status in_progress \
    --action "Pertemuan lanjutan dengan IPSI")
D2=$(r record dialogue --dir durenan --programme warkop --title "Warkop Kamtibmas Karanggandu" \
    --venue "Warung kopi Karanggandu" --when 2025-01-10T21:00 --participants 25 \
    --topic "vulnerable_area:Pencurian ternak")
R2=$(r record resolution --dir durenan --dialogue "$D2" --topic 0 --status resolved \
    --action "Ronda malam digiatkan kembali")
r export --dir durenan durenan.bundle >/dev/null
r import --dir hq durenan.bundle >/dev/null
check "set-up: the clean ledger verifies" "$RONDA" verify --dir hq
check "set-up: the clean ledger audits with no finding" "$RONDA" audit --dir hq

# mutate COPY SQL...: run SQL on the copy's database with the append-only triggers dropped
# for it and the same triggers put back after.
mutate() {
    local copy=$1
    shift
    rm -rf "$copy"
    cp -r hq "$copy"
    "$PY" - "$copy/ronda.db" "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
assert len(triggers) == 6, triggers
for name, _ in triggers:
    db.execute("DROP TRIGGER " + name)
for sql in sys.argv[2:]:
    cur = db.execute(sql)
    assert cur.rowcount > 0, sql  # a mutation that changes nothing tests nothing
for _, sql in triggers:
    db.execute(sql)
db.commit()
names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
assert sorted(names) == sorted(n for n, _ in triggers)
EOF
}

# expect_view COPY FIELD TITLE RECORDS VIEW: verify and audit fail with that view finding;
# rebuild repairs, and both pass again.
expect_view() {
    local copy=$1 field=$2 title=$3 want_rec=$4 want_view=$5 rc=0
    "$RONDA" verify --dir "$copy" >"$copy.verify" 2>&1 || rc=$?
    check "$copy: ronda verify exits 1" test "$rc" -eq 1
    check "$copy: verify names the field, the dialogue and both values" \
        grep -F "FAIL view          $field" "$copy.verify"
    check "$copy: ... dialogue \"$title\" (Polsek Durenan), records say $want_rec, view says $want_view" \
        grep -F "dialogue \"$title\" (Polsek Durenan, " "$copy.verify"
    check "$copy: verify's line holds both values" \
        bash -c 'grep -F "records say" "$1" | grep -F -- "$2" | grep -qF -- "$3"' _ "$copy.verify" "$want_rec" "$want_view"
    rc=0
    "$RONDA" audit --dir "$copy" --json >"$copy.audit" 2>/dev/null || rc=$?
    check "$copy: ronda audit exits 1" test "$rc" -eq 1
    check "$copy: audit --json has the view finding with its field, values and dialogue" \
        "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["what"] == "view" and x["field"] == sys.argv[2]]
ok = d["ok"] is False and len(f) >= 1 and f[0]["error"] == "view" and f[0]["dialogue"] is not None
bare = lambda v: (v or "").replace(chr(34), "")
ok = ok and sys.argv[3] in f[0]["detail"] and sys.argv[4] in bare(f[0]["records_value"])
ok = ok and sys.argv[5] in bare(f[0]["view_value"])
ok = ok and "view" in [c["class"] for c in d["classes"]]
sys.exit(0 if ok else 1)' "$copy.audit" "$field" "$title" "${want_rec//\"/}" "${want_view//\"/}"
    rc=0
    "$RONDA" audit --dir "$copy" >"$copy.audit.txt" 2>/dev/null || rc=$?
    check "$copy: audit's text names the field too" grep -F "FAIL view          $field" "$copy.audit.txt"
    r rebuild --dir "$copy" >/dev/null
    check "$copy: after ronda rebuild, verify passes" "$RONDA" verify --dir "$copy"
    check "$copy: after ronda rebuild, audit passes" "$RONDA" audit --dir "$copy"
}

# ---------------------------------------------------------------- one case per mutation
mutate title "UPDATE dialogues SET title = 'Dialog rekayasa' WHERE title = 'Candu Kamtibmas Durenan'"
expect_view title title "Candu Kamtibmas Durenan" '"Candu Kamtibmas Durenan"' '"Dialog rekayasa"'

mutate participants "UPDATE dialogues SET participants = 999 WHERE title = 'Candu Kamtibmas Durenan'"
expect_view participants participants "Candu Kamtibmas Durenan" 60 999

# D1's topic 1 has no follow-up (open): the view marks it resolved.
mutate status "INSERT INTO topic_status(dialogue, topic, resolution, status, referred_to, when_text)
    VALUES (x'$D1', 1, x'$R1', 'resolved', NULL, '2024-12-20T10:00+07:00')"
expect_view status "topic_status row" "Candu Kamtibmas Durenan" "(no row)" "status \"resolved\""

mutate deleted "DELETE FROM resolutions WHERE id = x'$R2'"
expect_view deleted "resolutions row" "Warkop Kamtibmas Karanggandu" "status \"resolved\"" "(no row)"

# ---------------------------------------------------------------- a follow-up's bytes changed
resolved() { "$RONDA" report --dir "$1" --json | "$PY" -c 'import json,sys
print(json.load(sys.stdin)["total"]["followups"]["resolved"])'; }
check "the clean ledger's report counts one follow-up resolved" test "$(resolved hq)" -eq 1
# The signed action text changed in the stored body: the record no longer verifies.
mutate bytes "UPDATE records SET body = CAST(replace(CAST(body AS TEXT), 'digiatkan', 'dihapuskan') AS BLOB)
    WHERE id = x'$R2'"
rc=0
"$RONDA" verify --dir bytes >bytes.verify 2>&1 || rc=$?
check "bytes: verify exits 1 and names the record" test "$rc" -eq 1
check "bytes: ... a record finding for the changed follow-up" grep -Eq "^FAIL record +body_hash +record ${R2:0:12}" \
    bytes.verify
check "bytes: ... and the views that still count it" grep -Fq "FAIL view          resolutions row" bytes.verify
check "bytes: ronda report no longer counts the follow-up whose record does not verify" \
    test "$(resolved bytes)" -eq 0
check "bytes: ronda query shows its topic open" "$PY" -c 'import json, subprocess, sys
rows = json.loads(subprocess.run([sys.argv[1], "query", "--dir", "bytes", "--json"], check=True,
                                 capture_output=True).stdout)
rows = rows if isinstance(rows, list) else rows.get("rows", rows.get("items"))
w = [x for x in rows if x["title"] == "Warkop Kamtibmas Karanggandu"]
sys.exit(0 if w and w[0]["status"] == "open" else 1)' "$RONDA"
r rebuild --dir bytes >/dev/null
rc=0
"$RONDA" verify --dir bytes >bytes.verify2 2>&1 || rc=$?
check "bytes: after rebuild the record is still a finding (records are never repaired)" test "$rc" -eq 1
check "bytes: ... but the views agree with the records again" \
    bash -c '! grep -q "^FAIL view" bytes.verify2 && grep -q "^FAIL record" bytes.verify2'
check "bytes: ... and the report still does not count it" test "$(resolved bytes)" -eq 0
check "bytes: ronda status names the record that no longer verifies" \
    bash -c '"$1" status --dir bytes | grep -q "^suspect     1 record no longer verifies"' _ "$RONDA"
check "bytes: ... and its JSON counts it" bash -c '"$1" status --dir bytes --json | grep -q "\"suspect_records\": *1"' _ "$RONDA"
check "the clean ledger's status has no suspect line" bash -c '! "$1" status --dir hq | grep -q "^suspect"' _ "$RONDA"

echo "views: $PASSED passed, $FAILED failed"
test "$FAILED" -eq 0
