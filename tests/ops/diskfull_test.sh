#!/usr/bin/env bash
# A real full disk: the node's directory on a small tmpfs filled to the brim, then
# `ronda record`, `ronda import`, `ronda backup` and `ronda-fill`. Each must say "disk full"
# and how to fix it (not "cannot rollback - no transaction is active", not nothing), exit 3
# (docs/cli.md), store nothing of what failed and leave no file behind; with room again,
# everything works and verifies.
#
#   bash tests/ops/diskfull_test.sh RONDA_BIN RONDA_FILL_BIN
#
# Needs root to mount a tmpfs; elsewhere it says why and exits 77 (ctest: skipped). The
# same causes are tested without root by tests/unit/store_errors_test.c. SHOW=1 prints what
# each failing command said.
TEST=ops_diskfull
skip() { echo "$TEST: SKIPPED: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
set -uo pipefail
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FILL=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
W=$(mktemp -d)
MNT=$W/small
mkdir "$MNT"
if ! mount -t tmpfs -o size=16M tmpfs "$MNT" 2>/dev/null; then
    rm -rf "$W"
    skip "cannot mount a tmpfs here (mount -t tmpfs failed)"
fi
DAEMONS=()
stop_daemons() {
    local p
    for p in "${DAEMONS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${DAEMONS[@]}"; do wait "$p" 2>/dev/null; done
    DAEMONS=()
}
trap 'stop_daemons; umount "$MNT" 2>/dev/null; rm -rf "$W"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=87"
export RONDA_TZ=+07:00
unset RONDA_DIR
cd "$W"
PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }

# run ARGS...: exit code in RC, stdout+stderr in $W/out.
run() {
    RC=0
    "$@" >"$W/out" 2>&1 </dev/null || RC=$?
}
# expect_full DESC: the last run failed with exit 3, naming the disk full and the fix, and
# neither a later call's text nor a sanitizer report.
expect_full() {
    [ -n "${SHOW:-}" ] && sed 's/^/    | /' "$W/out"
    if grep -Eq 'Sanitizer|runtime error' "$W/out"; then
        fail "$1 (sanitizer report)"
    elif [ "$RC" -ne 3 ]; then
        fail "$1 (exit $RC, want 3)"
    elif ! grep -q 'disk full' "$W/out"; then
        fail "$1 (does not say \"disk full\")"
    elif ! grep -q 'free space' "$W/out"; then
        fail "$1 (names no fix)"
    elif grep -q 'no transaction is active' "$W/out"; then
        fail "$1 (a later call's error hides the cause)"
    else
        pass "$1"
        return
    fi
    sed 's/^/    /' "$W/out" | head -6
}
ok() { # DESC: the last run succeeded
    if [ "$RC" -eq 0 ]; then pass "$1"; else
        fail "$1 (exit $RC)"
        sed 's/^/    /' "$W/out" | head -6
    fi
}
records() { "$RONDA" status --dir "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])'; }
# brim KIB: fill the tmpfs, then free KIB of it (room for SQLite's shared-memory file,
# not for a commit).
brim() {
    rm -f "$MNT/filler"
    dd if=/dev/zero of="$MNT/filler" bs=4096 2>/dev/null
    local size
    size=$(stat -c %s "$MNT/filler")
    truncate -s $((size - $1 * 1024)) "$MNT/filler"
}
room() { rm -f "$MNT/filler"; }
dialogue() { # DIR TITLE
    "$RONDA" record dialogue --dir "$1" --programme candu --title "$2" --venue "Warung kopi" \
        --when 2026-01-20T09:00 --topic traffic:"Jalan rusak di depan pasar"
}

# ---------------------------------------------------------------- a node, on the small disk
AUTH=$("$RONDA" authority init --dir polda | sed -n 's/^  authority key: \([0-9a-f]\{64\}\)$/\1/p')
"$RONDA" init --dir "$MNT/durenan" --authority "$AUTH" --name "Polsek Durenan" >/dev/null
"$RONDA" init --dir sekar --authority "$AUTH" --name "Polsek Sekar" >/dev/null
port=$((10000 + RANDOM % 22000)) # Sekar's, Durenan's and Durenan's HTTP port (the daemon, below)
"$RONDA" authority admit --dir polda --request sekar/join-request.json --role precinct --polres Trenggalek \
    --polsek Sekar --endpoint "tcp://127.0.0.1:$port" >/dev/null
"$RONDA" authority admit --dir polda --request "$MNT/durenan/join-request.json" --role precinct \
    --polres Trenggalek --polsek Durenan --endpoint "tcp://127.0.0.1:$((port + 1))" >/dev/null
"$RONDA" export --dir polda roster.bundle >/dev/null
for n in "$MNT/durenan" sekar; do "$RONDA" join --dir "$n" roster.bundle >/dev/null; done
run dialogue "$MNT/durenan" "Sebelum penuh"
ok "record with room"
held=$(records "$MNT/durenan")

# ---------------------------------------------------------------- ronda record
brim 40
run dialogue "$MNT/durenan" "Disk penuh"
expect_full "record on a full disk says so, exit 3"
room
[ "$(records "$MNT/durenan")" = "$held" ] && pass "the failed record was not stored" ||
    fail "the failed record was stored"

# ---------------------------------------------------------------- ronda import
"$FILL" sekar 1200 >/dev/null 2>&1 || fail "ronda-fill on the large disk"
"$RONDA" export --dir sekar sekar.bundle >/dev/null
brim 40
run "$RONDA" import --dir "$MNT/durenan" sekar.bundle
expect_full "import on a full disk says so, exit 3"
grep -q 'refused' "$W/out" && fail "import calls its own failure a refusal of the bundle" ||
    pass "import does not blame the bundle"
room
[ "$(records "$MNT/durenan")" = "$held" ] && pass "nothing of the failed import was stored" ||
    fail "part of the failed import was stored"

# ---------------------------------------------------------------- ronda backup
# (of a database larger than the room left: SQLite's rollback journal of the copy is what
# a failed backup used to leave behind)
brim 400
run "$RONDA" backup --dir sekar --progress none "$MNT/sekar.backup"
expect_full "backup onto a full disk says so, exit 3"
left=$(cd "$MNT" && ls -d sekar.backup* 2>/dev/null | tr '\n' ' ')
[ -z "$left" ] && pass "a failed backup leaves no file behind" || fail "a failed backup left: $left"
room

# ---------------------------------------------------------------- ronda-fill
brim 200
run "$FILL" "$MNT/durenan" 5000
expect_full "ronda-fill on a full disk says so, exit 3"
room

# ---------------------------------------------------------------- with room again
run dialogue "$MNT/durenan" "Setelah ada ruang"
ok "record works again once there is room"
run "$RONDA" import --dir "$MNT/durenan" sekar.bundle
ok "import works again once there is room"
run "$RONDA" verify --dir "$MNT/durenan"
ok "verify passes after every failure"
run "$RONDA" backup --dir sekar --progress none "$MNT/sekar.backup"
ok "backup works again once there is room"

# ---------------------------------------------------------------- the daemon
# Sekar (large disk) serves; Durenan (the small disk) dials it and serves /metrics. With the
# disk full, the records Sekar writes cannot be committed at Durenan: its log and /metrics
# say why; with room again it catches up.
digest() { "$RONDA" status --dir "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])'; }
"$RONDA" run --dir sekar --fanout 0 --log-level info >"$W/sekar.log" 2>&1 &
DAEMONS+=($!)
"$RONDA" run --dir "$MNT/durenan" --peer "tcp://127.0.0.1:$port" --fanout 0 --http "127.0.0.1:$((port + 2))" --log-level info >"$W/durenan.log" 2>&1 &
DAEMONS+=($!)
for _ in $(seq 100); do [ -s "$MNT/durenan/http.token" ] && break; sleep 0.1; done
converged() { # DEADLINE_S
    local end=$(($(date +%s) + $1))
    while [ "$(date +%s)" -lt $end ]; do
        [ "$(digest sekar)" = "$(digest "$MNT/durenan")" ] && return 0
        sleep 0.3
    done
    return 1
}
converged 30 && pass "daemons in sync before the disk fills" || fail "daemons did not sync"
brim 40
"$FILL" sekar 100 >/dev/null 2>&1 || fail "ronda-fill at the large disk"
end=$(($(date +%s) + 30))
while [ "$(date +%s)" -lt $end ] && ! grep -q 'disk full' "$W/durenan.log"; do sleep 0.2; done
line=$(grep 'disk full' "$W/durenan.log" | head -1)
if [ -n "$line" ] && grep -q 'free space' <<<"$line" && grep -q 'db_full' <<<"$line"; then
    pass "the daemon logs the cause and the fix: ${line#*: }"
else
    fail "the daemon's log names no disk full with its fix"
    tail -5 "$W/durenan.log" | sed 's/^/    /'
fi
grep -q 'database error while syncing' "$W/durenan.log" && fail "a log line without a cause" ||
    pass "no log line without its cause"
metrics=$(curl -s -H "Authorization: Bearer $(awk '{print $2}' "$MNT/durenan/http.token")" "http://127.0.0.1:$((port + 2))/metrics")
grep -Eq '^ronda_db_errors_total\{kind="db_full"\} [1-9][0-9]*$' <<<"$metrics" &&
    pass "/metrics counts the failures by kind" || {
    fail "/metrics: no ronda_db_errors_total{kind=\"db_full\"} above 0"
    grep -E 'db_errors|^[^#]' <<<"$metrics" | head -12 | sed 's/^/    /'
}
room
converged 60 && pass "with room again the node catches up" || fail "no catch-up after the disk had room again"
stop_daemons
grep -Eq 'Sanitizer|runtime error' "$W/durenan.log" "$W/sekar.log" && fail "a sanitizer report in a daemon log" ||
    pass "no sanitizer report in the daemon logs"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
