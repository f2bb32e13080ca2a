#!/usr/bin/env bash
# The whole user flow of the ronda command, with real processes and real files:
# authority -> nodes (two Polsek, one Polres HQ) -> admit -> roster -> join; dialogues,
# resolutions and an amend; log, show, status, query (every filter, text/JSON/CSV);
# export/import in two orders with equal digests; verify; rebuild; key file modes; secrets
# never printed; --help for every verb.
#
# usage: ledger_test.sh RONDA     (the ronda binary)
set -euo pipefail

source "$(dirname "$0")/lib.sh" ledger_test.sh "${1:-}"
mkdir log
N=0

# r ARGS...: run ronda; its exit code in RC, its output in $OUT and $ERR (kept for the
# secret scan at the end).
r() {
    N=$((N + 1))
    OUT=$W/log/$N.out ERR=$W/log/$N.err RC=0
    "$RONDA" "$@" >"$OUT" 2>"$ERR" </dev/null || RC=$?
}
# expect DESC CODE [REGEX]: the last run exited CODE and (if given) stdout+stderr match REGEX.
expect() {
    local desc=$1 want=$2 re=${3:-}
    if grep -Eq 'Sanitizer|runtime error' "$ERR"; then
        fail "$desc (sanitizer report)"
        sed 's/^/    /' "$ERR" | head -20
    elif [ "$RC" -ne "$want" ]; then
        fail "$desc (exit $RC, want $want)"
        sed 's/^/    /' "$ERR" | head -5
    elif [ -n "$re" ] && ! cat "$OUT" "$ERR" | grep -Eq -- "$re"; then
        fail "$desc (output does not match /$re/)"
        sed 's/^/    /' "$OUT" "$ERR" | head -8
    else
        pass "$desc"
    fi
}
# pyj FILE EXPR: EXPR (python, with d = the JSON in FILE) is true.
pyj() {
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}
idof() { grep -Eo '^[0-9a-f]{64}$' "$OUT" | head -1 || true; }
status_json() { r status --dir "$1" --json && cp "$OUT" "$W/$2"; }

# ---------------------------------------------------------------- set-up
r authority init --dir polda
expect "authority init" 0 '^  authority key: [0-9a-f]{64}$'
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' "$OUT")

r init --dir durenan --authority "$AUTH" --name "Polsek Durenan"
expect "init Polsek Durenan" 0 'signing key: [0-9a-f]{64}'
DUR_KEY=$(sed -n 's/^  signing key: \([0-9a-f]\{64\}\)$/\1/p' "$OUT")
r init --dir sekar --authority "$AUTH" --name "Polsek Sekar"
expect "init Polsek Sekar" 0 'signing key: [0-9a-f]{64}'
r init --dir hq --authority "$AUTH" --name "Polres Trenggalek"
expect "init Polres Trenggalek (hq)" 0 'signing key: [0-9a-f]{64}'
HQ_KEY=$(sed -n 's/^  signing key: \([0-9a-f]\{64\}\)$/\1/p' "$OUT")
check "join-request.json names the node and its keys" \
    pyj durenan/join-request.json "d['name'] == 'Polsek Durenan' and d['sign_key'] == '$DUR_KEY' and len(d['curve_key']) == 64"
r init --dir durenan --authority "$AUTH"
expect "init refuses to overwrite an existing node" 3 'already holds a node'

r record dialogue --dir durenan --programme candu --title "Sebelum join" --venue Mapolsek \
    --topic other:"Uji coba"
expect "record before join is refused with a hint" 1 'not admitted.*|hint:.*join'
check "the refusal hints at join" grep -q 'ronda join' "$ERR"

r authority admit --dir polda --request durenan/join-request.json --role precinct \
    --polres Trenggalek --polsek Durenan
expect "admit Polsek Durenan (precinct, candu)" 0 '^[0-9a-f]{64}$'
r authority admit --dir polda --request sekar/join-request.json --role precinct \
    --polres Bojonegoro --polsek Sekar
expect "admit Polsek Sekar (precinct)" 0 '^[0-9a-f]{64}$'
r authority admit --dir polda --request hq/join-request.json --role hq --polres Trenggalek
expect "admit Polres Trenggalek (hq)" 0 '^[0-9a-f]{64}$'
r export --dir polda roster.bundle
expect "export the roster" 0 'exported 3 records'

r init --dir stranger --authority "$AUTH" --name "Polsek Lain"
expect "init a node the authority never admits" 0
r join --dir stranger roster.bundle
expect "join with a roster that does not admit the node is refused" 1 'does not admit this node'

r join --dir durenan roster.bundle
expect "join Durenan" 0 'joined as Polsek Durenan \(precinct\)'
r join --dir sekar roster.bundle
expect "join Sekar" 0 'joined as Polsek Sekar \(precinct\)'
r join --dir hq roster.bundle
expect "join HQ" 0 'joined as Polres Trenggalek \(hq\)'

# ---------------------------------------------------------------- records
r record dialogue --dir durenan --programme candu --title "Candu Kamtibmas, di warung kopi" \
    --venue "Warung Bu Sri" --village Durenan --when 2026-01-20T09:00 --participants 40 \
    --officer "Bripka Andi" --stakeholder "Karang Taruna" --message "Jaga kamtibmas lingkungan" \
    --topic traffic:"Jalan rusak di depan pasar Durenan" \
    --topic social_problem:"Kenakalan remaja dan balap liar"
expect "record dialogue via flags (Durenan, candu)" 0 '^[0-9a-f]{64}$'
D1=$(idof)

cat >dialogue.json <<'EOF'
{
  "when": "2026-01-22T19:30:00+07:00",
  "title": "Candu Desa Karanggandu",
  "venue": "Balai Desa Karanggandu",
  "polres": "Trenggalek",
  "polsek": "Durenan",
  "village": "Karanggandu",
  "programme": "candu",
  "participants": 25,
  "topics": [
    {"summary": "Pencurian ternak sapi di malam hari", "category": "vulnerable_area"},
    {"summary": "Aspirasi warga soal lampu penerangan jalan", "category": "aspiration"}
  ],
  "messages": ["Aktifkan kembali siskamling"],
  "officers": ["Aipda Budi"],
  "stakeholders": ["Forkopimca", "MUI"]
}
EOF
r record dialogue --dir durenan --json dialogue.json
expect "record dialogue via --json FILE" 0 '^[0-9a-f]{64}$'
D2=$(idof)

r record dialogue --dir sekar --programme patroli_dialogis --title "Patroli dialogis pasar Sekar" \
    --venue "Pasar Sekar" --village Sekar --when "2026-01-25T08:15:00+07:00" \
    --topic unrest:"Bentrok antar perguruan silat" --topic criticism:"Keluhan antrean pelayanan SKCK" \
    --stakeholder IPSI
expect "record dialogue via flags (Sekar, patroli_dialogis)" 0 '^[0-9a-f]{64}$'
D3=$(idof)

r record resolution --dir durenan --dialogue "${D1:0:10}" --topic 0 --status referred \
    --referred-to "Dinas PUPR" --action "Dilaporkan ke Dinas PUPR untuk perbaikan jalan"
expect "record resolution: referred (dialogue by a 10-digit prefix)" 0 '^[0-9a-f]{64}$'
R1=$(idof)
r record resolution --dir sekar --dialogue "$D3" --topic 0 --status in_progress \
    --action "Mediasi dengan pengurus IPSI"
expect "record resolution: in_progress" 0 '^[0-9a-f]{64}$'

r record amend --dir durenan --target "${D2:0:8}" --reason "judul salah ketik" \
    --title "Candu Desa Karanggandu (ralat)"
expect "record amend (target by an 8-digit prefix)" 0 '^[0-9a-f]{64}$'
A1=$(idof)

# The HQ follows up a Polsek's topic after importing that Polsek's ledger.
r export --dir durenan durenan-1.bundle
expect "export Durenan" 0
r record resolution --dir hq --dialogue "$D2" --topic 0 --status resolved --action "x"
expect "HQ cannot follow up a dialogue it does not hold" 1 'no record'
r import --dir hq durenan-1.bundle
expect "HQ imports Durenan" 0 '7 records read: 4 stored, 3 already held'
r record resolution --dir hq --dialogue "$D2" --topic 0 --status resolved \
    --action "Pelaku pencurian ternak ditangkap Satreskrim" --when 2026-02-01T10:00
expect "record resolution at HQ for a Polsek dialogue: resolved" 0 '^[0-9a-f]{64}$'
R3=$(idof)

# ---------------------------------------------------------------- log, show
r log --dir durenan
expect "log lists the records" 0 'dialogue +Polsek Durenan'
check "log shows the amend and the resolution" grep -Eq 'amend .*judul salah ketik' "$OUT"
check "log shows the member records" grep -Eq 'member +authority' "$OUT"
r log --dir durenan --json
expect "log --json" 0
check "log --json: one verified object per record (7)" "$PY" -c 'import json,sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(rows) == 7 and all(r["verified"] for r in rows) else 1)' "$OUT"

r show --dir durenan "$D2"
expect "show ID (full id)" 0
cp "$OUT" show-d2.json
check "show: original body kept, amended title in the view" \
    pyj show-d2.json "d['verified'] and d['kind'] == 'dialogue' and d['body']['title'] == 'Candu Desa Karanggandu' and d['view']['current']['title'] == 'Candu Desa Karanggandu (ralat)' and d['view']['amendments'] == 1"
r show --dir durenan "${R1:0:8}"
expect "show ID by an 8-digit prefix" 0 "\"id\": \"$R1\""
r show --dir durenan "${A1:0:16}"
expect "show an amend by a 16-digit prefix" 0 '"kind": "amend"'
r show --dir durenan "${D1:0:7}"
expect "show refuses a 7-digit prefix (usage)" 2 'not an id'
r show --dir durenan 0000000000000000
expect "show an unknown id is refused" 1 'not found'

# ---------------------------------------------------------------- exchange
r export --dir durenan durenan.bundle
expect "export Durenan (final)" 0 'exported 7 records'
r export --dir sekar sekar.bundle
expect "export Sekar" 0 'exported 5 records'
r export --dir hq hq-1.bundle
expect "export HQ" 0
r import --dir hq sekar.bundle
expect "HQ imports Sekar" 0 '5 records read: 2 stored, 3 already held'
r import --dir hq durenan.bundle
expect "HQ imports Durenan again (nothing twice)" 0 '7 records read: 0 stored, 7 already held'
r import --dir hq roster.bundle
expect "HQ imports the roster again" 0 '3 records read: 0 stored'
r export --dir hq hq.bundle
expect "export HQ (everything)" 0 'exported 10 records'

status_json hq hq-status.json
expect "status --json (HQ)" 0
check "status --json has node, records, authors, digest, forks" \
    pyj hq-status.json "d['node'] == '$HQ_KEY' and d['records'] == 10 and d['authors'] == 4 and len(d['digest']) == 64 and d['forks'] == 0 and d['name'] == 'Polres Trenggalek'"
check "status --json counts dialogues, topics, resolutions, members" \
    pyj hq-status.json "d['dialogues'] == 3 and d['topics'] == 6 and d['resolutions'] == 3 and d['members'] == 3"
r status --dir hq
expect "status (text)" 0 '^records +10 from 4 authors'

# A second, fresh node takes the bundles in another order: the same ledger.
r init --dir mirror --authority "$AUTH" --name mirror
expect "init a fresh node" 0
for b in sekar.bundle hq-1.bundle durenan.bundle roster.bundle; do
    r import --dir mirror "$b"
    expect "fresh node imports $b" 0 'records read'
done
status_json mirror mirror-status.json
expect "status --json (fresh node)" 0
HQ_DIGEST=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' hq-status.json)
check "equal digests after importing in a different order" \
    pyj mirror-status.json "d['digest'] == '$HQ_DIGEST' and d['records'] == 10 and d['authors'] == 4"
r init --dir mirror2 --authority "$AUTH" --name mirror2
r import --dir mirror2 hq.bundle
expect "a fresh node imports the HQ bundle alone" 0 '10 records read: 10 stored'
status_json mirror2 mirror2-status.json
check "the HQ bundle alone gives the same digest" pyj mirror2-status.json "d['digest'] == '$HQ_DIGEST'"

for node in hq mirror durenan sekar polda; do
    r verify --dir "$node" --json
    expect "verify $node" 0
    check "verify $node --json: ok true, no findings" pyj "$OUT" "d['ok'] is True and d['findings'] == []"
done
r verify --dir hq
expect "verify (text)" 0 '^OK: 10 records from 4 authors'
r verify --bundle hq.bundle --json
expect "verify --bundle" 0
check "verify --bundle: ok, the header's digest" pyj "$OUT" "d['ok'] is True and d['digest'] == '$HQ_DIGEST'"

# ---------------------------------------------------------------- query
# q NAME ARGS...: query the HQ in text, JSON and CSV; outputs in q-NAME.{txt,json,csv}
q() {
    local name=$1
    shift
    r query --dir hq "$@"
    expect "query $name (text)" 0 '[0-9]+ topics'
    cp "$OUT" "q-$name.txt"
    r query --dir hq "$@" --json
    expect "query $name --json" 0
    cp "$OUT" "q-$name.json"
    r query --dir hq "$@" --csv
    expect "query $name --csv" 0 '^dialogue,when,polres,polsek,programme,title,'
    cp "$OUT" "q-$name.csv"
}
q all
check "query: all 6 topics" pyj q-all.json "len(d) == 6"
check "query: oldest dialogue first" pyj q-all.json "[r['when'][:10] for r in d] == sorted(r['when'][:10] for r in d)"
check "query text: one line per topic" test "$(wc -l <q-all.txt)" -eq 6
check "query csv: the header line" \
    test "$(head -1 q-all.csv)" = "dialogue,when,polres,polsek,programme,title,village,venue,participants,topic,category,summary,status,referred_to,action"
check "query csv: a title with a comma is quoted" grep -q ',"Candu Kamtibmas, di warung kopi",' q-all.csv
check "query csv: 7 lines that parse as 15 columns" "$PY" -c 'import csv,sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
sys.exit(0 if len(rows) == 7 and all(len(r) == 15 for r in rows) and rows[1][5] == "Candu Kamtibmas, di warung kopi" else 1)' q-all.csv

q polres --polres trenggalek
check "--polres (case-insensitive): the 4 Trenggalek topics" pyj q-polres.json "len(d) == 4 and all(r['polres'] == 'Trenggalek' for r in d)"
check "--polres text output has no Bojonegoro row" bash -c '! grep -q Bojonegoro q-polres.txt && grep -q Trenggalek q-polres.txt'
q polsek --polsek Sekar
check "--polsek: the 2 Sekar topics" pyj q-polsek.json "len(d) == 2 and all(r['polsek'] == 'Sekar' for r in d)"
check "--polsek csv: 2 rows" test "$(wc -l <q-polsek.csv)" -eq 3
check "polres and polsek default to the node's membership" \
    pyj q-polsek.json "all(r['polres'] == 'Bojonegoro' and r['dialogue'] == '$D3' for r in d)"
q programme --programme patroli_dialogis
check "--programme" pyj q-programme.json "len(d) == 2 and all(r['programme'] == 'patroli_dialogis' for r in d)"
q category --category vulnerable_area
check "--category" pyj q-category.json "len(d) == 1 and d[0]['summary'].startswith('Pencurian ternak')"
check "--category text" grep -q 'Pencurian ternak' q-category.txt
q referred --status referred
check "--status referred (by Durenan)" pyj q-referred.json "len(d) == 1 and d[0]['referred_to'] == 'Dinas PUPR' and d[0]['resolution'] == '$R1'"
check "--status referred text shows where to" grep -q -- '-> Dinas PUPR' q-referred.txt
q resolved --status resolved
check "--status resolved (by the HQ)" pyj q-resolved.json "len(d) == 1 and d[0]['dialogue'] == '$D2' and d[0]['resolution'] == '$R3' and d[0]['title'] == 'Candu Desa Karanggandu (ralat)'"
q progress --status in_progress
check "--status in_progress" pyj q-progress.json "len(d) == 1 and d[0]['polsek'] == 'Sekar'"
q open --status open
check "--status open" pyj q-open.json "len(d) == 3 and all(r['status'] == 'open' for r in d)"
q dates --from 2026-01-21 --to 2026-01-23
check "--from/--to: only the dialogue of 22 January" pyj q-dates.json "len(d) == 2 and all(r['dialogue'] == '$D2' for r in d)"
q from --from 2026-01-25
check "--from alone (inclusive)" pyj q-from.json "len(d) == 2 and all(r['polsek'] == 'Sekar' for r in d)"
q to --to 2026-01-20
check "--to alone (inclusive)" pyj q-to.json "len(d) == 2 and all(r['dialogue'] == '$D1' for r in d)"
q text --text ternak
check "--text ternak (a topic word)" pyj q-text.json "len(d) >= 1 and all(r['dialogue'] == '$D2' for r in d)"
q text2 --text "perguruan silat"
check "--text with two words" pyj q-text2.json "len(d) >= 1 and all(r['polsek'] == 'Sekar' for r in d)"
q text3 --text "ternak silat"
check "--text: every word must match" pyj q-text3.json "len(d) == 0"
q combined --polres Trenggalek --category traffic --status referred
check "filters combine" pyj q-combined.json "len(d) == 1 and d[0]['dialogue'] == '$D1'"
r query --dir hq --limit 2 --json
expect "query --limit" 0
check "--limit 2 gives 2 rows" pyj "$OUT" "len(d) == 2"

# ---------------------------------------------------------------- rebuild
r rebuild --dir hq
expect "rebuild" 0 'rebuilt'
for name in all referred resolved text dates; do
    cp "q-$name.txt" "before-$name.txt"
    cp "q-$name.json" "before-$name.json"
    cp "q-$name.csv" "before-$name.csv"
done
q all
q referred --status referred
q resolved --status resolved
q text --text ternak
q dates --from 2026-01-21 --to 2026-01-23
for name in all referred resolved text dates; do
    check "after rebuild, query $name is identical (text, JSON, CSV)" \
        bash -c "cmp -s before-$name.txt q-$name.txt && cmp -s before-$name.json q-$name.json && cmp -s before-$name.csv q-$name.csv"
done
status_json hq hq-status2.json
check "after rebuild, the same digest" pyj hq-status2.json "d['digest'] == '$HQ_DIGEST' and d['records'] == 10"

# ---------------------------------------------------------------- keys and secrets
for node in polda durenan sekar hq mirror; do
    check "$node: sign.key and curve.key are mode 0600" \
        test "$(stat -c %a "$node/sign.key") $(stat -c %a "$node/curve.key")" = "600 600"
done
check "the node directory is mode 0700" test "$(stat -c %a durenan)" = 700

chmod 0644 durenan/sign.key
r record dialogue --dir durenan --programme candu --title t --venue v --topic other:x
expect "a group/world-readable sign.key is refused" 3 'sign.key'
chmod 0600 durenan/sign.key

SECRETS=()
for node in polda durenan sekar hq mirror; do
    SECRETS+=("$(awk '{print substr($2, 1, 64)}' "$node/sign.key")")
    SECRETS+=("$(awk '{print $2}' "$node/curve.key")")
done
check "the secrets were read from the key files" test "${#SECRETS[0]}" -eq 64
check "the collected outputs name public keys (the scan can see keys)" grep -rqF "$DUR_KEY" log
leaked=0
for s in "${SECRETS[@]}"; do
    if grep -rqiF "$s" log q-*.* ./*.bundle; then leaked=1; fi
done
check "no secret key appears in any output or bundle ($N runs scanned)" test "$leaked" -eq 0

# ---------------------------------------------------------------- help
r --help
expect "ronda --help" 0 '^usage: ronda <verb>'
r --version
expect "ronda --version" 0 '^ronda [0-9]+\.[0-9]+'
for verb in init authority join record log show status query verify export import rebuild run; do
    r "$verb" --help
    expect "ronda $verb --help" 0 "^usage: ronda $verb"
done
for sub in "authority init" "authority admit" "authority revoke" "record dialogue" "record resolution" "record amend"; do
    # shellcheck disable=SC2086
    r $sub --help
    expect "ronda $sub --help" 0 "ronda ${sub}"
done

echo "$PASSED checks passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
