#!/usr/bin/env bash
# cli_prove: Merkle proofs over an hq writer's tree (proto/tree.md). An HQ checkpoints three
# times as records arrive; records are proved against the newest covering checkpoint and a
# given one, consistency between checkpoints, each checked by `ronda prove --check`; a
# tampered proof (a path byte, the index, the size, a record not in the tree, the record
# bytes) fails, a record newer than every checkpoint has no proof, and the audit recomputes
# every root without a finding.
set -euo pipefail
source "$(dirname "$0")/lib.sh" prove_test.sh "${1:-}"
r() { "$RONDA" "$@" 2>>err.txt; }
r authority init --dir polda >polda.out
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' polda.out)
r init --dir hq --authority "$AUTH" --name "Polres Trenggalek HQ" >/dev/null
r init --dir durenan --authority "$AUTH" --name "Polsek Durenan" >/dev/null
r authority admit --dir polda --request hq/join-request.json --role hq --polres Trenggalek >/dev/null
r authority admit --dir polda --request durenan/join-request.json --role precinct --polres Trenggalek \
    --polsek Durenan >/dev/null
r export --dir polda roster.bundle >/dev/null
for n in hq durenan; do r join --dir $n roster.bundle >/dev/null; done
dialogue() {
    r record dialogue --dir durenan --programme warkop --title "Warkop $1" --venue "Warung $1" \
        --topic "aspiration:Aspirasi $1"
}
ledger() { r export --dir durenan d.bundle >/dev/null && r import --dir hq d.bundle >/dev/null; }

D1=$(dialogue 1)
ledger
CP1=$(r checkpoint --dir hq)
D2=$(dialogue 2)
D3=$(dialogue 3)
ledger
CP2=$(r checkpoint --dir hq)
D4=$(dialogue 4)
ledger
CP3=$(r checkpoint --dir hq)
D5=$(dialogue 5)
ledger # D5: newer than every checkpoint

rc=0
r prove --dir hq "$D1" --out p1.json || rc=$?
check "inclusion of the first dialogue: written" test "$rc" -eq 0
check "... against the newest checkpoint" "$PY" -c 'import json,sys
p = json.load(open("p1.json")); sys.exit(not (p["type"] == "inclusion" and p["size"] == 8 and len(p["path"]) == 3))'
check "... ronda prove --check: OK" bash -c "'$RONDA' prove --check p1.json --authority $AUTH | grep -q '^OK: inclusion'"
r prove --dir hq "$D1" --checkpoint "$CP1" --out p1a.json
check "inclusion against the first checkpoint (--checkpoint): OK" bash -c "'$RONDA' prove --check p1a.json | grep -q '^OK'"
r prove --dir hq "$D4" --out p4.json
check "inclusion of a later record: OK" bash -c "'$RONDA' prove --check p4.json | grep -q '^OK'"
rc=0
r prove --dir hq "$D4" --checkpoint "$CP2" >/dev/null || rc=$?
check "a record newer than the checkpoint named: refused (exit 1)" test "$rc" -eq 1
rc=0
r prove --dir hq "$D5" >/dev/null || rc=$?
check "a record newer than every checkpoint: refused (exit 1)" test "$rc" -eq 1
check "... saying no checkpoint covers it" grep -q "no checkpoint" err.txt

r prove --dir hq --consistency "$CP1" "$CP3" --out c13.json
check "consistency first -> third: OK" bash -c "'$RONDA' prove --check c13.json | grep -q '^OK: consistency'"
r prove --dir hq --consistency "$CP2" "$CP3" --out c23.json
check "consistency second -> third: OK" bash -c "'$RONDA' prove --check c23.json | grep -q '^OK'"
rc=0
r prove --dir hq --consistency "$CP3" "$CP1" >/dev/null || rc=$?
check "consistency newer -> older: refused" test "$rc" -eq 1
rc=0
r prove --dir hq --consistency "$D1" "$CP3" >/dev/null || rc=$?
check "consistency from a record that is no checkpoint: refused" test "$rc" -eq 1

# Tampered proofs: each must fail --check (exit 1, FAILED with the cause).
tamper() { # NAME IN OUT PYTHON-EXPR-ON-p
    "$PY" -c 'import json,sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"))' "$2" "$3" "$4"
    local out rc=0
    out=$("$RONDA" prove --check "$3" 2>&1) || rc=$?
    if [[ $rc -eq 1 && $out == FAILED* ]]; then pass "tampered proof refused: $1 ($out)"; else fail "tampered proof: $1 (exit $rc: $out)"; fi
}
tamper "a path byte flipped" p1.json t1.json 'h = p["path"][0]; p["path"][0] = ("1" if h[0] != "1" else "2") + h[1:]'
tamper "another index" p1.json t2.json 'p["index"] = p["index"] + 1'
tamper "another size" p1.json t3.json 'p["size"] = p["size"] + 1'
tamper "a record not at that leaf" p1.json t4.json 'p["record"] = json.load(open("p4.json"))["record"]'
tamper "a record byte altered" p1.json t5.json 'b = p["record"]; i = len(b) - 10; p["record"] = b[:i] + ("0" if b[i] != "0" else "1") + b[i+1:]'
tamper "a consistency path byte" c13.json t6.json 'h = p["path"][-1]; p["path"][-1] = h[:-1] + ("0" if h[-1] != "0" else "1")'
tamper "consistency with another old size" c13.json t7.json 'p["old_size"] = p["old_size"] - 1'
tamper "the old checkpoint swapped for the new" c23.json t8.json 'p["old"] = p["new"]; p["old_size"] = p["new_size"]'
rc=0
"$RONDA" prove --check p1.json --authority "$(printf '%064d' 0)" >out.txt 2>&1 || rc=$?
check "--check with another network's authority: refused" test "$rc" -eq 1

# The tree: authority 1..2 (members), D1 | CP1, D2, D3 | CP2, D4: size 8, so a path of 3 hashes (the leaf index of D1 depends on the random keys' order).
# The audit recomputes every root; a clean ledger has no finding.
rc=0
"$RONDA" audit --dir hq --json >audit.json 2>>err.txt || rc=$?
check "audit of the HQ's ledger: exit 0, no finding" "$PY" -c 'import json,sys
d = json.load(open("audit.json")); sys.exit(not (d["findings"] == [] and d["ok"] is True))'
check "audit: the three checkpoints' roots recomputed, none left unchecked" "$PY" -c 'import json,sys
d = json.load(open("audit.json")); sys.exit(not (d["roots"] == 3 and d["roots_unchecked"] == 0))'
check "audit's text says so" bash -c '"$1" audit --dir hq | grep -q "3 checkpoint tree roots recomputed"' _ "$RONDA"

# The writer's saved tree (table tree_state, proto/tree.md §4): the next checkpoint starts from
# it when it names the newest checkpoint with that checkpoint's size and root, else the tree
# is rebuilt from the chain. Each case on a copy of the HQ.
state() { "$PY" - "$1/ronda.db" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); what = sys.argv[2]
if what == "cp":
    print(db.execute("SELECT hex(cp) FROM tree_state").fetchone()[0].lower())
elif what == "drop":
    db.execute("DROP TABLE tree_state")
elif what == "range":  # one byte of the first subtree root flipped: no longer the checkpoint's root
    r = bytearray(db.execute("SELECT range FROM tree_state").fetchone()[0]); r[8] ^= 1
    db.execute("UPDATE tree_state SET range = ?", (bytes(r),))
elif what == "marks":  # the authors' marks forgotten: the size and root still match the checkpoint
    db.execute("UPDATE tree_state SET marks = x''")
db.commit()
PY
}
audit_roots() { # DIR ROOTS FINDINGS: the audit recomputed ROOTS roots and made FINDINGS findings
    "$RONDA" audit --dir "$1" --json >"$1.audit.json" 2>>err.txt || true
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["roots"] == int(sys.argv[2]) and len(d["findings"]) == int(sys.argv[3])))' "$1.audit.json" "$2" "$3"
}
check "the tree state names the newest checkpoint" test "$(state hq cp)" = "$CP3"
for c in fresh range drop marks; do
    rm -rf "hq_$c" && cp -r hq "hq_$c"
    [[ $c = fresh ]] || state "hq_$c" "$c"
    CP4=$(r checkpoint --dir "hq_$c")
    check "tree state ($c): the new checkpoint's state is saved" test "$(state "hq_$c" cp)" = "$CP4"
done
check "tree state kept: the checkpoint's root is right (audit: 4 roots, no finding)" audit_roots hq_fresh 4 0
check "tree state not the checkpoint's root: rebuilt from the chain, root right" audit_roots hq_range 4 0
check "no tree state (a ledger from before it): rebuilt, root right" audit_roots hq_drop 4 0
audit_roots hq_marks 4 1 || true
check "tree state's marks tampered: it is used, and the audit finds the wrong root" "$PY" -c 'import json,sys
d = json.load(open("hq_marks.audit.json"))
sys.exit(not [f for f in d["findings"] if f["what"] == "checkpoint" and "root" in f["detail"]])'

if [[ -n ${RONDA_VERIFY_PY:-} ]]; then
    for f in p1.json p4.json c13.json c23.json; do
        check "independent verifier: $f" "$PY" "$RONDA_VERIFY_PY" --proof "$f"
    done
    rc=0
    "$PY" "$RONDA_VERIFY_PY" --proof t1.json >/dev/null 2>&1 || rc=$?
    check "independent verifier: a tampered path fails" test "$rc" -ne 0
fi

echo "cli_prove: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
