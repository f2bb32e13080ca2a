#!/usr/bin/env bash
# A member that serves forged and tampered records, against a real `ronda run` on loopback.
#
#   bash tests/net/forged_test.sh RONDA_BIN [RONDA_FILL]   (default: ronda-fill beside RONDA_BIN)
#
# 1. Polsek Sekar writes 300 dialogues (ronda-fill). Behind ronda's back (with
#    /usr/bin/python3's sqlite3 module, the append-only trigger dropped first) its records
#    101-300 go bad, in turn: a changed body byte (tampered; the envelope's body hash no
#    longer matches) and a flipped signature byte (forged); `ronda verify` on its directory
#    now fails.
# 2. Sekar's daemon connects to Polres Bojonegoro's HQ, which has none of them, and serves
#    them in one reply of 300 records: a large reply, which the HQ checks ahead and applies
#    after the message that carried it (the path where the daemon sweeps every peer for a
#    ban after its commit).
# 3. The HQ stores records 1-100, refuses the bad ones, counts them, cuts Sekar off (the
#    transport bans its key and closes its connection: its next handshake is refused) and
#    holds nothing more from it afterwards; `ronda verify` passes on the HQ after a clean stop.
TEST=net_forged
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FILL=${2:-$(dirname "$RONDA")/ronda-fill}
NO_CHECKPOINTS=1 # exact record counts: no checkpoints or cosigns (lib.sh start)
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}
[ -x "$FILL" ] || fail "no ronda-fill at $FILL"
PY=/usr/bin/python3 # Debian's python3 (its sqlite3 module), whatever python3 is first on PATH

port=$(pick_ports 3)
say "work $WORK, ports $port.."
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
r init --dir "$WORK/sekar" --authority "$auth_key" --name "Polsek Sekar" >/dev/null
r init --dir "$WORK/hq" --authority "$auth_key" --name "Polres Bojonegoro" >/dev/null
r authority admit --dir "$WORK/polda" --request "$WORK/sekar/join-request.json" --role precinct \
  --polres Bojonegoro --polsek Sekar --endpoint "tcp://127.0.0.1:$((port + 1))" >/dev/null
r authority admit --dir "$WORK/polda" --request "$WORK/hq/join-request.json" --role hq \
  --polres Bojonegoro --endpoint "tcp://127.0.0.1:$((port + 2))" >/dev/null
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null 2>&1
for n in sekar hq; do r join --dir "$WORK/$n" "$WORK/roster.bundle" >/dev/null; done
"$FILL" "$WORK/sekar" 300 >/dev/null
sekar_key=$(sed -n 's/.*"sign_key": *"\([0-9a-f]*\)".*/\1/p' "$WORK/sekar/join-request.json")
[ ${#sekar_key} -eq 64 ] || fail "no signing key in sekar/join-request.json"
r verify --dir "$WORK/sekar" >/dev/null || fail "sekar's ledger does not verify before the tampering"

say "1. tampering with 200 of sekar's records behind ronda's back"
"$PY" - "$WORK/sekar/ronda.db" "$sekar_key" <<'EOF' || fail "tampering failed"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
author = bytes.fromhex(sys.argv[2])
db.execute("DROP TRIGGER records_no_update")
n = 0
for rowid, seq, sig, body in db.execute(
        "SELECT rowid, seq, signature, body FROM records WHERE author = ? AND seq > 100", (author,)).fetchall():
    if seq % 2 == 0:  # tampered: one byte of the body changed, envelope and signature kept
        body = bytearray(body); body[len(body) // 2] ^= 0x20
        db.execute("UPDATE records SET body = ? WHERE rowid = ?", (bytes(body), rowid))
    else:             # forged: a signature that is not the author's
        sig = bytearray(sig); sig[7] ^= 0x01
        db.execute("UPDATE records SET signature = ? WHERE rowid = ?", (bytes(sig), rowid))
    n += 1
db.commit()
if n != 200: sys.exit("changed %d records, not 200" % n)
EOF
rc=0
r verify --dir "$WORK/sekar" >/dev/null 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "ronda verify still passes on sekar's tampered ledger"
before=$(records hq)
say "the HQ holds $before records; sekar $(records sekar), 200 of them bad"

say "2. sekar's daemon serves them to the HQ"
start hq --fanout 0 --log-level debug
sleep 0.5
start sekar --fanout 0 --peer "tcp://127.0.0.1:$((port + 2))"
t0=$(now_ms)
until grep -q "cut off for" "$LOGS/hq.log"; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "the HQ never cut sekar off"
  alive hq || fail "the HQ daemon died"
  sleep 0.2
done
say "the HQ cut sekar off $(($(now_ms) - t0)) ms after sekar started"
grep -q "peer sent [0-9]* bad records: cutting it off" "$LOGS/hq.log" || fail "no 'cutting it off' line"
nref=$(grep -c "refused a record from peer" "$LOGS/hq.log" || true)
[ "$nref" -eq 16 ] || fail "the HQ logged $nref refusals, not SYNC_BAD_MAX (16): it stops at the cut-off"
ntamp=$(grep -c "refused a record from peer (author [0-9a-f]\{12\} seq [0-9]*): body does not match its hash" "$LOGS/hq.log" || true)
nforg=$(grep -c "refused a record from peer (author [0-9a-f]\{12\} seq [0-9]*): signature does not verify" "$LOGS/hq.log" || true)
[ "$ntamp" -ge 1 ] && [ "$nforg" -ge 1 ] || fail "refusals: $ntamp tampered, $nforg forged (both kinds expected)"
[ $((ntamp + nforg)) -eq "$nref" ] ||
  fail "a refusal for another reason: $(grep 'refused a record' "$LOGS/hq.log" | grep -v 'body does not match\|signature does not' | head -n 1)"

say "3. the HQ holds sekar's good records and nothing else"
want=$((before + 100))
t0=$(now_ms)
until [ "$(records hq)" = "$want" ]; do
  [ $(($(now_ms) - t0)) -gt $((DEADLINE * 1000)) ] && fail "the HQ holds $(records hq) records, not $want"
  sleep 0.2
done
# Sekar's daemon keeps trying (it is a live member, only banned by the HQ): nothing more
# comes through for a while, and the stats count the refusals.
sleep 6
[ "$(records hq)" = "$want" ] || fail "the HQ's count moved to $(records hq) after the ban"
# The ban closed sekar's connection (not only ignored it): its DEALER dialled again and the
# HQ refused the handshake.
grep -q "handshake from 127.0.0.1 refused: cut off (banned)" "$LOGS/hq.log" ||
  fail "the HQ's log shows no refused handshake of the banned sekar: its connection stayed open"
rej=$(grep "stats:" "$LOGS/hq.log" | tail -n 1 | sed 's/.* rejected \([0-9]*\).*/\1/')
[ "$rej" = 16 ] || fail "the HQ's stats count ${rej:-no} rejected records"
alive sekar || fail "sekar's daemon died"
stop sekar
stop hq
if grep -l "Sanitizer\|runtime error" "$LOGS"/*.log >/dev/null 2>&1; then
  fail "a sanitizer report in the daemon logs"
fi
r verify --dir "$WORK/hq" >/dev/null || fail "ronda verify fails on the HQ"
say "PASS: $nref refusals logged ($ntamp tampered, $nforg forged), $rej counted; the HQ holds $want records ($before + sekar's 100 good ones); verify passed"
