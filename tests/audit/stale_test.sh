#!/usr/bin/env bash
# The audit's checkpoint-age warning (docs/audit.md, "Checkpoints"): an HQ writer whose
# newest checkpoint is older than --max-checkpoint-age before the ledger's newest record, or
# that has none, is a WARN line, a JSON entry (checkpoint_warnings) and a section of the
# page in both languages; not a finding (exit status unchanged). Ages are measured against
# the newest record the ledger holds, so the test waits real seconds with a limit of 1 s.
#
# usage: stale_test.sh RONDA
set -euo pipefail
source "$(dirname "$0")/../cli/lib.sh" stale_test.sh "${1:-}"
r() { "$RONDA" "$@" 2>>err.txt; }
r authority init --dir polda >polda.out
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' polda.out)
r init --dir hq --authority "$AUTH" --name "Polres Trenggalek HQ" >/dev/null
r init --dir hq2 --authority "$AUTH" --name "Polres Jember HQ" >/dev/null
r init --dir durenan --authority "$AUTH" --name "Polsek Durenan" >/dev/null
r authority admit --dir polda --request hq/join-request.json --role hq --polres Trenggalek >/dev/null
r authority admit --dir polda --request hq2/join-request.json --role hq --polres Jember >/dev/null
r authority admit --dir polda --request durenan/join-request.json --role precinct --polres Trenggalek \
    --polsek Durenan >/dev/null
r export --dir polda roster.bundle >/dev/null
for n in hq hq2 durenan; do r join --dir $n roster.bundle >/dev/null; done
dialogue() {
    r record dialogue --dir durenan --programme warkop --title "Warkop $1" --venue "Warung $1" \
        --topic "aspiration:Aspirasi $1" >/dev/null
}
ledger() { r export --dir durenan d.bundle >/dev/null && r import --dir hq d.bundle >/dev/null; }
audit_json() { # FILE ARGS...: the audit's JSON and exit status (in rc)
    local f=$1
    shift
    rc=0
    "$RONDA" audit --dir hq --json "$@" >"$f" 2>>err.txt || rc=$?
}
warnings() { "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s:%s" % (w["author_name"], w["warning"]) for w in d["checkpoint_warnings"]))' "$1"; }

dialogue 1
ledger
audit_json none.json
check "no checkpoint at all: exit 0 (a warning, not a finding)" test "$rc" -eq 0
check "no checkpoint at all: the ledger is warned about" bash -c "[[ '$(warnings none.json)' == *'(ledger):none'* ]]"
r checkpoint --dir hq >/dev/null
audit_json fresh.json
check "a fresh checkpoint: no warning at the default limit (2 h)" test -z "$(warnings fresh.json)"
check "the default limit is 7200 s" "$PY" -c 'import json,sys; sys.exit(json.load(open("fresh.json"))["max_checkpoint_age_s"] != 7200)'
sleep 2.2
dialogue 2
ledger
audit_json stale.json --max-checkpoint-age 1
check "a checkpoint 2 s older than the newest record, limit 1 s: exit 0" test "$rc" -eq 0
w=$(warnings stale.json)
check "... the HQ and the ledger are warned about ($w)" \
    bash -c "[[ '$w' == *'Polres Trenggalek HQ:stale'* && '$w' == *'(ledger):stale'* ]]"
check "... with its age and no finding" "$PY" -c 'import json,sys
d = json.load(open("stale.json"))
w = [x for x in d["checkpoint_warnings"] if x["author_name"] == "Polres Trenggalek HQ"][0]
sys.exit(not (2000 <= w["age_ms"] < 60000 and d["findings"] == [] and d["ok"] is True))'
audit_json stale60.json --max-checkpoint-age 60
check "the same ledger, limit 60 s: no warning" test -z "$(warnings stale60.json)"
rc=0
"$RONDA" audit --dir hq --max-checkpoint-age 1 --html page.html >term.txt 2>>err.txt || rc=$?
check "terminal: a WARN checkpoint-age line for the HQ" grep -q '^WARN checkpoint-age Polres Trenggalek HQ: newest checkpoint' term.txt
check "page: the warning section in both languages" \
    bash -c "grep -q 'Peringatan checkpoint (2)' page.html && grep -q 'Checkpoint warnings (2)' page.html"
# An HQ that wrote records but no checkpoint (hq2 writes one dialogue for its Polres).
r record dialogue --dir hq2 --polsek "Semua Polsek" --programme warkop --title "Warkop HQ" --venue "Mapolres" \
    --topic "aspiration:Aspirasi HQ" >/dev/null
r export --dir hq2 h2.bundle >/dev/null
r import --dir hq h2.bundle >/dev/null
audit_json hq2.json
check "an HQ writer with no checkpoint is warned about" bash -c "[[ '$(warnings hq2.json)' == *'Polres Jember HQ:none'* ]]"
check "--max-checkpoint-age 0 is refused (exit 2)" bash -c "'$RONDA' audit --dir hq --max-checkpoint-age 0 >/dev/null 2>&1; test \$? -eq 2"
if grep -Eq 'Sanitizer|runtime error' err.txt; then fail "sanitizer report"; cat err.txt; fi
echo "$PASSED checks passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
