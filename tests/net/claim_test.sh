#!/usr/bin/env bash
# A forged frontier claim against live daemons (the restore guard, src/store/guard.c):
#
#   bash tests/net/claim_test.sh RONDA_BIN CLAIM_BIN
#
# The authority (run as an auditor node) and Polsek Durenan run `ronda run`. Polsek Jahat,
# an admitted member, connects with its own CURVE key (tests/net/claim_client.c) and claims
# in a FRONTIER that it holds the authority's own chain, and Durenan's, up to seq 10^9.
# Neither node may believe it: both guards stay "none", Durenan's `ronda record` and the
# authority's `ronda authority revoke` of the attacker succeed, and each daemon logs that
# the peer claimed its records and sent none when asked.
TEST=net_claim
RONDA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
CLAIM=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
. "$(dirname "$0")/lib.sh"
DEADLINE=${RONDA_NET_DEADLINE:-60}

port=$(pick_ports 3)
auth_key=$(r authority init --dir "$WORK/polda" | awk '/authority key:/ {print $3}')
[ ${#auth_key} -eq 64 ] || fail "authority init printed no key"
r authority admit --dir "$WORK/polda" --request "$WORK/polda/join-request.json" --role auditor \
  --endpoint "tcp://127.0.0.1:$port" >/dev/null
i=0
for n in "Polsek Durenan|durenan|Durenan" "Polsek Jahat|jahat|Jahat"; do
  IFS='|' read -r name dir polsek <<<"$n"
  i=$((i + 1))
  r init --dir "$WORK/$dir" --authority "$auth_key" --name "$name" >/dev/null
  r authority admit --dir "$WORK/polda" --request "$WORK/$dir/join-request.json" --role precinct \
    --polres Trenggalek --polsek "$polsek" --endpoint "tcp://127.0.0.1:$((port + i))" >/dev/null
done
r export --dir "$WORK/polda" "$WORK/roster.bundle" >/dev/null
for n in durenan jahat; do r join --dir "$WORK/$n" "$WORK/roster.bundle" >/dev/null; done
key_of() { sed -n "s/.*\"$2\": *\"\([0-9a-f]*\)\".*/\1/p" "$WORK/$1/join-request.json"; }
start polda
start durenan
d1=$(dialogue durenan one) || fail "ronda record failed"
wait_has polda "$d1" "$DEADLINE" || fail "the authority never received Durenan's dialogue"

say "Polsek Jahat claims the authority's and Durenan's own chains up to seq 10^9"
"$CLAIM" "$WORK/jahat" "tcp://127.0.0.1:$port" "$(key_of polda curve_key)" "$auth_key" "$auth_key" 1000000000 4000 ||
  fail "the claim client could not reach the authority's daemon"
"$CLAIM" "$WORK/jahat" "tcp://127.0.0.1:$((port + 1))" "$(key_of durenan curve_key)" "$auth_key" \
  "$(key_of durenan sign_key)" 1000000000 4000 || fail "the claim client could not reach Durenan's daemon"
for n in polda durenan; do
  g=$(status_json "$n" | field guard)
  [ "$g" = none ] || fail "$n's guard is $g after a forged claim"
  grep -q "claims our own records up to seq 1000000000 but sent none" "$LOGS/$n.log" ||
    fail "$n's daemon did not log the undelivered claim"
done
d2=$(dialogue durenan two) || fail "Durenan's ronda record refused after a forged claim"
r authority revoke --dir "$WORK/polda" --member "$(key_of jahat sign_key)" --reason "Klaim palsu (uji)" >/dev/null ||
  fail "the authority could not revoke the attacker after its forged claim"
wait_has polda "$d2" "$DEADLINE" || fail "Durenan's record after the claim did not reach the authority"
for n in polda durenan; do stop "$n"; done
check_logs
say "PASS"
