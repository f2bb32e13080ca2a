#!/usr/bin/env bash
# Bad input to the ronda command: every mistake gets the documented exit code and a message
# that names it, nothing refused is ever stored, and no input crashes it (run it under
# ASan/UBSan: a sanitizer report fails the check).
#   2  bad command line        1  refused content or bundle        3  unusable node or file
#
# usage: bad_input_test.sh RONDA     (the ronda binary)
set -euo pipefail

source "$(dirname "$0")/lib.sh" bad_input_test.sh "${1:-}"
# r ARGS...: run ronda; exit code in RC, output in $OUT/$ERR, wall time in MS.
r() {
    OUT=$W/out ERR=$W/err RC=0
    local t0
    t0=$(date +%s%N)
    "$RONDA" "$@" >"$OUT" 2>"$ERR" </dev/null || RC=$?
    MS=$((($(date +%s%N) - t0) / 1000000))
}
# verdict DESC CODE REGEX [EXTRA-FAILURE]: one line for the last run.
verdict() {
    local desc=$1 want=$2 re=$3 extra=${4:-}
    if grep -Eq 'Sanitizer|runtime error|Segmentation|Aborted' "$ERR"; then
        fail "$desc (crash or sanitizer report)"
        sed 's/^/    /' "$ERR" | head -20
    elif [ "$RC" -ne "$want" ]; then
        fail "$desc (exit $RC, want $want)"
        sed 's/^/    /' "$ERR" | head -4
    elif [ -n "$re" ] && ! cat "$OUT" "$ERR" | grep -Eqi -- "$re"; then
        fail "$desc (message does not match /$re/)"
        sed 's/^/    /' "$ERR" | head -4
    elif [ -n "$extra" ]; then
        fail "$desc ($extra)"
    else
        pass "$desc"
    fi
}
# usage DESC REGEX ARGS...: a command-line error (exit 2) whose message matches REGEX.
usage() {
    local desc=$1 re=$2
    shift 2
    r "$@"
    verdict "usage: $desc" 2 "$re"
}
# refused DIR DESC REGEX ARGS...: exit 1, a message matching REGEX, and DIR still holds $BASE
# records (BASE is DIR's count, kept up to date by the script).
refused() {
    local dir=$1 desc=$2 re=$3 after
    shift 3
    r "$@"
    after=$(records "$dir")
    verdict "refused: $desc" 1 "$re" "$([ "$after" = "$BASE" ] || echo "records $BASE -> $after")"
}

# ---------------------------------------------------------------- a small network
"$RONDA" authority init --dir polda >auth.out
AUTH=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' auth.out)
for n in durenan sekar; do
    "$RONDA" init --dir $n --authority "$AUTH" --name "Polsek ${n^}" >/dev/null
done
"$RONDA" authority admit --dir polda --request durenan/join-request.json --role precinct \
    --polres Trenggalek --polsek Durenan >/dev/null
"$RONDA" authority admit --dir polda --request sekar/join-request.json --role precinct \
    --polres Bojonegoro --polsek Sekar >/dev/null
"$RONDA" export --dir polda roster.bundle 2>/dev/null
"$RONDA" join --dir durenan roster.bundle >/dev/null
"$RONDA" join --dir sekar roster.bundle >/dev/null
D=$("$RONDA" record dialogue --dir durenan --programme candu --title "Candu Kamtibmas" \
    --venue "Warung kopi" --when 2026-01-20T09:00 --topic traffic:"Jalan rusak" --topic other:"Lain-lain")
"$RONDA" record dialogue --dir sekar --programme warkop --title "Warkop Kamtibmas Sekar" \
    --venue "Pasar Sekar" --when 2026-01-21T19:00 --topic unrest:"Bentrok perguruan silat" >/dev/null
"$RONDA" record dialogue --dir sekar --programme patroli_dialogis --title "Patroli dialogis" \
    --venue "Terminal Sekar" --when 2026-01-23T10:00 --topic criticism:"Keluhan pelayanan SKCK" >/dev/null
"$RONDA" export --dir sekar sekar.bundle 2>/dev/null
BASE=$(records durenan)
check "set-up: Durenan holds 3 records (2 members, 1 dialogue)" test "$BASE" -eq 3

# A valid dialogue, for flags that are tried one at a time against it.
DLG=(record dialogue --dir durenan --programme candu --title "Uji" --venue "Mapolsek" --topic traffic:"Uji coba")

# ---------------------------------------------------------------- command line: exit 2
usage "no verb" 'usage: ronda <verb>'
usage "unknown verb" 'unknown verb "frobnicate"' frobnicate
usage "unknown authority action" 'unknown action "promote"' authority promote
usage "unknown record kind" 'unknown record kind "laporan"' record laporan
usage "unknown option" 'unknown option --colour' "${DLG[@]}" --colour red
usage "unknown option (--opt=value form)" 'unknown option --colour' status --dir durenan --colour=red
usage "missing value at the end" '--title needs a value' "${DLG[@]}" --title
usage "a flag given a value" '--json takes no value' status --dir durenan --json=yes
usage "unexpected argument" 'unexpected argument "extra"' status --dir durenan extra
usage "bad --when (words)" '--when "yesterday"' "${DLG[@]}" --when yesterday
usage "bad --when (30 February)" '--when "2026-02-30T10:00"' "${DLG[@]}" --when 2026-02-30T10:00
usage "bad --when (hour 25)" '--when "2026-01-20T25:00"' "${DLG[@]}" --when 2026-01-20T25:00
usage "bad --when (offset)" '--when' "${DLG[@]}" --when 2026-01-20T10:00:00+7
usage "bad --topic format (no colon)" '--topic takes CATEGORY:SUMMARY' "${DLG[@]}" --topic "jalan rusak"
usage "bad --topic format (no category)" '--topic takes CATEGORY:SUMMARY' "${DLG[@]}" --topic ":jalan rusak"
MANY=()
for i in $(seq 65); do MANY+=(--topic "other:t$i"); done
usage "too many --topic flags (65)" 'too many --topic \(at most 64\)' "${DLG[@]}" "${MANY[@]}"
usage "bad --authority (short)" '--authority must be 64 hex digits' init --dir x1 --authority abcdef
usage "bad --authority (not hex)" '--authority must be 64 hex digits' init --dir x1 --authority "$(printf 'g%.0s' {1..64})"
usage "bad --authority (65 digits)" '--authority must be 64 hex digits' init --dir x1 --authority "${AUTH}0"
usage "missing --authority" '--authority KEY is required' init --dir x1
check "no node directory was made by refused inits" test ! -e x1
usage "bad --participants (word)" '--participants must be a whole number' "${DLG[@]}" --participants banyak
usage "bad --participants (negative)" '--participants must be a whole number' "${DLG[@]}" --participants -5
usage "bad --participants (trailing junk)" '--participants must be a whole number' "${DLG[@]}" --participants 12x
usage "bad --participants (overflow)" '--participants must be a whole number' "${DLG[@]}" --participants 99999999999999999999
usage "bad resolution --topic index" '--topic must be a whole number' record resolution --dir durenan \
    --dialogue "$D" --topic satu --status resolved --action x
usage "resolution with two --topic" 'one --topic' record resolution --dir durenan \
    --dialogue "$D" --topic 0 --topic 1 --status resolved --action x
usage "bad --dialogue id" '--dialogue "zz" is not an id' record resolution --dir durenan \
    --dialogue zz --topic 0 --status resolved --action x
usage "amend without --reason" '--target ID and --reason TEXT are required' record amend --dir durenan --target "$D"
for bad in 2026-13-01 2026-02-30 2026/01/01 20260101 2026-1-1 abcd-ef-gh 2026-01-01T00; do
    usage "bad query date --from $bad" "dates are YYYY-MM-DD \\(got \"$bad\"\\)" query --dir durenan --from "$bad"
done
usage "bad query date --to" 'dates are YYYY-MM-DD' query --dir durenan --to 31-01-2026
usage "query --json with --csv" 'choose one of --json and --csv' query --dir durenan --json --csv
usage "query --limit 0" '--limit must be 1..10000000' query --dir durenan --limit 0
usage "query --text of blanks" '--text needs at least one word' query --dir durenan --text "   "
usage "show without an id" 'name the record ID' show --dir durenan
usage "show a non-hex id" 'is not an id' show --dir durenan not-an-id
usage "export without a file" 'name the bundle FILE' export --dir durenan
usage "import without a file" 'name the bundle FILE' import --dir durenan
usage "admit without --role" '--role precinct\|hq\|auditor is required' authority admit --dir polda \
    --request durenan/join-request.json
usage "admit --valid-days 0" '--valid-days must be 1..3650' authority admit --dir polda \
    --request durenan/join-request.json --role precinct --valid-days 0
check "after every usage error, Durenan still holds $BASE records" test "$(records durenan)" -eq "$BASE"

# ---------------------------------------------------------------- content: exit 1, nothing stored
refused durenan "unknown programme" 'programme: not one of the allowed values' "${DLG[@]}" --programme ronda_malam
refused durenan "unknown topic category" 'category: not one of the allowed values' "${DLG[@]}" --topic narkoba:"Peredaran pil"
refused durenan "empty topic summary" 'summary' "${DLG[@]}" --topic traffic:
refused durenan "unknown resolution status" 'status: not one of the allowed values' record resolution \
    --dir durenan --dialogue "$D" --topic 0 --status selesai --action x
refused durenan "referred without --referred-to" 'referred_to is required' record resolution --dir durenan \
    --dialogue "$D" --topic 0 --status referred --action "Diteruskan"
refused durenan "--referred-to when not referred" 'referred_to' record resolution --dir durenan \
    --dialogue "$D" --topic 0 --status resolved --referred-to "Dinas PUPR" --action "Selesai"
refused durenan "resolution of a topic the dialogue lacks" 'has no topic 5 \(it has 2' record resolution \
    --dir durenan --dialogue "$D" --topic 5 --status resolved --action x
MEMBER=$("$RONDA" log --dir durenan --json | "$PY" -c 'import json,sys
print([r["id"] for r in map(json.loads, sys.stdin) if r["kind"] == "member"][0])')
refused durenan "resolution of a record that is not a dialogue" 'is a member, not a dialogue' record resolution \
    --dir durenan --dialogue "$MEMBER" --topic 0 --status resolved --action x
refused durenan "resolution of an unknown dialogue" 'no record' record resolution --dir durenan \
    --dialogue 0123456789abcdef --topic 0 --status resolved --action x
LONG=$(printf 'a%.0s' $(seq 161))
refused durenan "title of 161 bytes" 'title' "${DLG[@]}" --title "$LONG"
refused durenan "title of 81 two-byte letters (162 bytes)" 'title' "${DLG[@]}" --title "$(printf 'é%.0s' $(seq 81))"
refused durenan "venue of 161 bytes" 'venue' "${DLG[@]}" --venue "$LONG"
refused durenan "message of 4097 bytes" 'messages' "${DLG[@]}" --message "$(printf 'm%.0s' $(seq 4097))"
refused durenan "participants above 1,000,000" 'participants' "${DLG[@]}" --participants 1000001

# JSON bodies
body() { # body EXTRA-PYTHON: a valid dialogue body as JSON, changed by EXTRA (b is the dict)
    "$PY" -c 'import json,sys
b = {"when": "2026-01-22T19:30:00+07:00", "title": "Candu", "venue": "Balai desa", "polres": "Trenggalek",
     "polsek": "Durenan", "programme": "candu", "topics": [{"summary": "Pencurian ternak", "category": "vulnerable_area"}]}
exec(sys.argv[1])
json.dump(b, sys.stdout, ensure_ascii=False)' "$1"
}
body 'pass' >ok.json
body 'b["topics"] = [{"summary": "t%d" % i, "category": "other"} for i in range(65)]' >topics65.json
body 'b["topics"] = [{"summary": "t%d" % i, "category": "other"} for i in range(64)]' >topics64.json
body 'b["colour"] = "red"' >unknown.json
body 'b["topics"][0]["severity"] = "high"' >unknown2.json
body 'b["participants"] = "forty"' >wrongtype.json
body 'b["topics"] = []' >notopics.json
body 'del b["venue"]' >novenue.json
body 'b["title"] = "x" * (1024 * 1024 + 10)' >huge.json
printf '{"title": "Candu", "venue": ' >notjson.json
printf 'PK\003\004\000\001binary' >binary.json
echo '[1, 2, 3]' >array.json
printf '{"title": "a", "title": "b"}' >dup.json
refused durenan "65 topics in a JSON body" 'topics' record dialogue --dir durenan --json topics65.json
refused durenan "a JSON body with an unknown field" 'colour' record dialogue --dir durenan --json unknown.json
refused durenan "a JSON topic with an unknown field" 'severity' record dialogue --dir durenan --json unknown2.json
refused durenan "a JSON field of the wrong type" 'participants' record dialogue --dir durenan --json wrongtype.json
refused durenan "a JSON body without topics" 'topics' record dialogue --dir durenan --json notopics.json
refused durenan "a JSON body without a required field" 'venue' record dialogue --dir durenan --json novenue.json
refused durenan "a JSON file that is not JSON" 'not JSON' record dialogue --dir durenan --json notjson.json
refused durenan "a binary file as JSON" 'not JSON' record dialogue --dir durenan --json binary.json
refused durenan "a JSON array, not an object" 'not a JSON object' record dialogue --dir durenan --json array.json
refused durenan "a JSON object with a duplicate key" 'duplicate' record dialogue --dir durenan --json dup.json
refused durenan "a JSON file over 1 MiB" 'larger than 1048576 bytes' record dialogue --dir durenan --json huge.json
usage "amend of a member record" 'only dialogues and resolutions can be amended' record amend --dir durenan \
    --target "$MEMBER" --reason x --title y
# The boundaries themselves are accepted (so the refusals above are about the limits).
r "${DLG[@]}" --title "$(printf 'é%.0s' $(seq 80))" --venue "$(printf 'v%.0s' $(seq 160))"
verdict "accepted: title of 160 bytes and venue of 160 bytes" 0 '^[0-9a-f]{64}$'
r record dialogue --dir durenan --json topics64.json
verdict "accepted: 64 topics in a JSON body" 0 '^[0-9a-f]{64}$'
r record dialogue --dir durenan --json ok.json --title "Dari JSON dan flag"
verdict "accepted: a JSON body with a flag over it" 0 '^[0-9a-f]{64}$'
BASE=$((BASE + 3))
check "the three accepted records were stored" test "$(records durenan)" -eq "$BASE"

# ---------------------------------------------------------------- environment: exit 3
for verb in status log query verify rebuild; do
    r "$verb" --dir missing-node
    verdict "env: $verb on a missing node directory" 3 'no node at missing-node'
done
r "${DLG[@]/durenan/missing-node}"
verdict "env: record on a missing node directory" 3 'no node at missing-node'
r import --dir missing-node sekar.bundle
verdict "env: import into a missing node directory" 3 'no node at'
RONDA_DIR=$W/missing-node "$RONDA" status >"$W/out" 2>"$W/err" && RC=0 || RC=$?
verdict "env: a missing \$RONDA_DIR" 3 'no node at'
mkdir empty-dir
r status --dir empty-dir
verdict "env: a directory without a database" 3 'no node at'
mkdir junk-db && head -c 8192 /dev/urandom >junk-db/ronda.db
r status --dir junk-db
verdict "env: a database file of random bytes" 3 'database'
r record dialogue --dir durenan --json no-such-file.json
verdict "env: --json FILE that does not exist" 3 'no-such-file.json'
r import --dir durenan no-such.bundle
verdict "env: import of a missing file" 3 'no-such.bundle'
r verify --bundle no-such.bundle
verdict "env: verify --bundle of a missing file" 3 'no-such.bundle'
cp -r durenan nokey && rm nokey/sign.key
r "${DLG[@]/durenan/nokey}"
verdict "env: record without sign.key" 3 'sign.key'
r init --dir durenan --authority "$AUTH"
verdict "env: init over an existing node" 3 'already holds a node'

# ---------------------------------------------------------------- bundles: exit 1, nothing stored
# Offsets in a bundle (msgpack walked by hand): HDR the header's end, REC each record's
# start, SIZE the file's size.
offsets() {
    "$PY" - "$1" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
i = hdr = d.index(b'\xa9authority\xc4\x20') + 12 + 32
starts = []
while i < len(d):
    starts.append(i)
    assert d[i] == 0x93, "record is not an array of 3"
    i += 1
    for _ in range(3):
        t = d[i]
        if t == 0xc0: i += 1
        elif t == 0xc4: i += 2 + d[i + 1]
        elif t == 0xc5: i += 3 + int.from_bytes(d[i + 1:i + 3], 'big')
        elif t == 0xc6: i += 5 + int.from_bytes(d[i + 1:i + 5], 'big')
        else: raise SystemExit("unexpected byte %02x" % t)
print("HDR=%d SIZE=%d REC=(%s)" % (hdr, len(d), " ".join(map(str, starts))))
EOF
}
eval "$(offsets sekar.bundle)"
check "the bundle walks as a header and 4 records" test "${#REC[@]}" -eq 4 -a "$HDR" -gt 100
check "a copy of Durenan takes the intact Sekar bundle (control)" \
    bash -c "cp -r durenan control && '$RONDA' import --dir control sekar.bundle >/dev/null 2>&1 && \
             test \"\$('$RONDA' status --dir control --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"records\"])')\" -eq $((BASE + 2))"

# bad_bundle DESC FILE REGEX: import into Durenan and verify --bundle both refuse it.
bad_bundle() {
    local desc=$1 file=$2 re=$3
    refused durenan "bundle: $desc" "$re" import --dir durenan "$file"
    r verify --bundle "$file"
    verdict "verify --bundle: $desc" 1 'FAIL'
}
cut_at() { head -c "$2" sekar.bundle >"$1"; }
: >empty.bundle
bad_bundle "empty file" empty.bundle 'empty file'
for seed in 1 2 3; do
    "$PY" -c 'import random,sys; random.seed(int(sys.argv[1])); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(5000)))' "$seed" >random$seed.bundle
    bad_bundle "random bytes #$seed" random$seed.bundle 'refused'
done
head -c 20000 /dev/urandom >urandom.bundle
bad_bundle "20 kB of /dev/urandom" urandom.bundle 'refused'
for cut in 1 10 $((HDR - 1)) "$HDR" $((HDR + 1)) $((HDR + 5)) $((REC[1] - 1)) "${REC[2]}" $((REC[3] + 40)) $((SIZE - 1)); do
    cut_at "cut$cut.bundle" "$cut"
    bad_bundle "truncated at byte $cut of $SIZE" "cut$cut.bundle" 'refused'
done
count_to() { # count_to FILE N: the header's record count set to N (fixint)
    "$PY" -c 'import sys
d = bytearray(open("sekar.bundle", "rb").read())
j = d.index(b"\xa7records") + 8
assert d[j] < 0x80
d[j] = int(sys.argv[2])
open(sys.argv[1], "wb").write(d)' "$1" "$2"
}
count_to raised.bundle 5
bad_bundle "header record count raised (4 -> 5)" raised.bundle 'fewer records than its header declares'
count_to raised2.bundle 100
bad_bundle "header record count raised (4 -> 100)" raised2.bundle 'fewer records than its header declares'
count_to lowered.bundle 3
bad_bundle "header record count lowered (4 -> 3)" lowered.bundle 'more records than its header declares'
"$PY" -c 'import sys
d = open("sekar.bundle", "rb").read()
open("format.bundle", "wb").write(d.replace(b"ronda-bundle", b"ronda-bundlf"))
open("version.bundle", "wb").write(d.replace(b"\xa7version\x01", b"\xa7version\x02"))
open("trailing.bundle", "wb").write(d + b"\x00")
open("dupe.bundle", "wb").write(d + d[int(sys.argv[1]):])' "${REC[3]}"
bad_bundle "header format name changed" format.bundle 'not a ronda bundle'
bad_bundle "header version 2" version.bundle 'version'
bad_bundle "a stray byte after the last record" trailing.bundle 'refused'
bad_bundle "a record repeated beyond the header's count" dupe.bundle 'more records than its header declares'
"$PY" -c 'import sys
d = open("sekar.bundle", "rb").read()
i = int(sys.argv[1])                          # the last record: [envelope, signature, body]
assert d[i] == 0x93
j = i + 1
for _ in range(2):                            # skip the envelope and the signature (bin 8)
    assert d[j] == 0xc4
    j += 2 + d[j + 1]
open("redacted.bundle", "wb").write(d[:j] + b"\xc0")' "${REC[3]}"
bad_bundle "a record with its body stripped (nil)" redacted.bundle 'redacted'

"$RONDA" authority init --dir other-polda >other.out
OTHER=$(sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p' other.out)
"$RONDA" init --dir other-node --authority "$OTHER" --name "Polsek Lain" >/dev/null
"$RONDA" authority admit --dir other-polda --request other-node/join-request.json --role precinct \
    --polres Tulungagung --polsek Ngunut >/dev/null
"$RONDA" export --dir other-polda other-roster.bundle 2>/dev/null
"$RONDA" join --dir other-node other-roster.bundle >/dev/null
"$RONDA" record dialogue --dir other-node --programme curhat --title "Curhat" --venue "Balai" \
    --topic other:"Lain" >/dev/null
"$RONDA" export --dir other-node other.bundle 2>/dev/null
refused durenan "bundle of another network (different authority)" 'another network' import --dir durenan other.bundle
r verify --bundle other.bundle
verdict "verify --bundle checks another network's bundle against its own authority" 0 '^OK'
refused durenan "join with another network's roster" 'another network' join --dir durenan other-roster.bundle

# Hostile msgpack after a valid header: huge declared counts and lengths, deep nesting.
hostile() { # hostile NAME HEX [PAD-BYTES]
    "$PY" -c 'import sys
d = open("sekar.bundle", "rb").read()[:int(sys.argv[1])]
open(sys.argv[2], "wb").write(d + bytes.fromhex(sys.argv[3]) + b"\x00" * int(sys.argv[4]))' "$HDR" "$1" "$2" "${3:-0}"
}
hostile dd.bundle ddffffffff
hostile dd-pad.bundle ddffffffff 200000
hostile rec-dd.bundle 93ddffffffff 1000
hostile df.bundle dfffffffff 200000
hostile bin.bundle 93c6ffffffff 100
hostile str.bundle 93dbffffffff 100
hostile deep.bundle "$(printf '91%.0s' $(seq 5000))"
hostile deep2.bundle "$(printf 'dc0001%.0s' $(seq 2000))"
hostile ext.bundle 93c7ff01 300
for f in dd dd-pad rec-dd df bin str deep deep2 ext; do
    refused durenan "hostile bundle $f.bundle" 'refused' import --dir durenan $f.bundle
    check "hostile bundle $f.bundle refused within 10 s (took ${MS} ms)" test "$MS" -lt 10000
    r verify --bundle $f.bundle
    verdict "verify --bundle: hostile $f.bundle" 1 'FAIL'
done

# Random single-byte changes in the records area never crash an import (ASan/UBSan watch).
crashes=0 tries=0 stored=0
for i in $(seq 1 40); do
    "$PY" -c 'import random,sys
random.seed(int(sys.argv[1]))
d = bytearray(open("sekar.bundle", "rb").read())
for _ in range(random.randint(1, 4)):
    p = random.randrange(int(sys.argv[2]), len(d))
    d[p] = random.getrandbits(8)
open("fuzz.bundle", "wb").write(d)' "$i" "$HDR"
    cmp -s fuzz.bundle sekar.bundle && continue
    tries=$((tries + 1))
    rc=0
    "$RONDA" import --dir durenan fuzz.bundle >/dev/null 2>fuzz.err || rc=$?
    if [ "$rc" -gt 3 ] || grep -Eq 'Sanitizer|runtime error' fuzz.err; then
        crashes=$((crashes + 1))
        cp fuzz.bundle "crash$i.bundle"
        sed 's/^/    /' fuzz.err | head -10
    fi
    [ "$rc" -eq 0 ] && stored=$((stored + 1))
done
check "fuzzed imports: no crash in $tries runs" test "$crashes" -eq 0
check "fuzzed imports: all $tries refused, nothing stored" test "$stored" -eq 0 -a "$(records durenan)" -eq "$BASE"

check "Durenan verifies after all of this" "$RONDA" verify --dir durenan >/dev/null

echo "$PASSED checks passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
