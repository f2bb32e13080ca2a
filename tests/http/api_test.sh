#!/usr/bin/env bash
# The HQ API over real HTTP against real daemons: a Polsek node and a Polres HQ node sync
# over CurveZMQ while the HQ serves `--http`; curl asks, /usr/bin/python3 checks the JSON.
# Status codes (200, 400 for every kind of bad parameter, 401 without or with a wrong token,
# 404, 405, 413), JSON shapes and values, the session cookie, /metrics, the token file, and
# `ronda report` (text, JSON, CSV, bad flags).
#
# usage: api_test.sh RONDA
RONDA=${1:?usage: api_test.sh RONDA}
case $RONDA in */*) RONDA=$(cd "$(dirname "$RONDA")" && pwd)/$(basename "$RONDA") ;; esac
TEST=http_api
source "$(dirname "$0")/../net/lib.sh"
PY=/usr/bin/python3
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export RONDA_TZ=+07:00
cd "$WORK"

N=0
ok() { N=$((N + 1)); say "ok $*"; }
# jq-like checks: jcheck JSON PYTHON-EXPRESSION-OF-j DESCRIPTION
jcheck() {
  "$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" \
    || fail "$3: expected $2 in: ${1:0:600}"
  ok "$3"
}

port=$(pick_ports 3)
auth=$(r authority init --dir polda | awk '/authority key:/ {print $3}')
r init --dir durenan --authority "$auth" --name "Polsek Durenan" >/dev/null
r init --dir hq --authority "$auth" --name "Polres Trenggalek" >/dev/null
r authority admit --dir polda --request durenan/join-request.json --role precinct --polres Trenggalek \
  --polsek Durenan --endpoint "tcp://127.0.0.1:$port" >/dev/null
r authority admit --dir polda --request hq/join-request.json --role hq --polres Trenggalek \
  --endpoint "tcp://127.0.0.1:$((port + 1))" >/dev/null
r export --dir polda roster.bundle 2>/dev/null
r join --dir durenan roster.bundle >/dev/null
r join --dir hq roster.bundle >/dev/null

# The Polsek writes; the HQ receives everything by sync while serving HTTP.
d1=$(r record dialogue --dir durenan --programme candu --title "Candu Kamtibmas di Mapolsek Durenan" \
  --venue "Mapolsek Durenan" --when 2024-12-05T19:30 --participants 40 \
  --topic "social_problem:Potensi gesekan antar perguruan pencak silat" \
  --topic "vulnerable_area:Penerangan jalan kurang di dekat pasar")
d2=$(r record dialogue --dir durenan --programme warkop --title "Warkop Kamtibmas malam Minggu" \
  --venue "Warung kopi Pak Slamet" --when 2025-01-11T21:00 --participants 12 \
  --topic "traffic:Balap liar di jalan desa")
r record resolution --dir durenan --dialogue "$d1" --topic 0 --status resolved \
  --action "Kesepakatan damai seluruh perguruan" --when 2024-12-08T10:00 >/dev/null
r record resolution --dir durenan --dialogue "$d1" --topic 1 --status referred \
  --referred-to "Dinas Perhubungan Kabupaten Trenggalek" --action "Diteruskan ke dinas" --when 2024-12-09T10:00 >/dev/null
r record amend --dir durenan --target "$d2" --reason "Jumlah peserta dikoreksi" --participants 15 >/dev/null

start durenan --fanout 0
start hq --peer "tcp://127.0.0.1:$port" --fanout 0 --http "127.0.0.1:$((port + 2))"
base="http://127.0.0.1:$((port + 2))"
for _ in $(seq 100); do curl -s -o /dev/null "$base/" && break; sleep 0.1; done
curl -s -o /dev/null "$base/" || fail "the HTTP server did not come up"
ok "the HTTP server is up"

# ---- the token file
tokfile=hq/http.token
[ "$(stat -c %a "$tokfile")" = 600 ] || fail "http.token mode is $(stat -c %a "$tokfile"), not 600"
tok=$(awk '{print $2}' "$tokfile")
[ ${#tok} -eq 64 ] || fail "the token is not 64 hex digits"
grep -qF "$tok" "$LOGS/hq.log" && fail "the token appears in the log"
ok "token file 0600, token never logged"

# get PATH [curl args...]: body in BODY, status in CODE, headers in HDRS
get() {
  local p=$1
  shift
  BODY=$(curl -s -D "$WORK/hdrs" -o - -w '\n%{http_code}' "$@" "$base$p")
  CODE=${BODY##*$'\n'}
  BODY=${BODY%$'\n'*}
  HDRS=$(tr -d '\r' <"$WORK/hdrs")
}
A=(-H "Authorization: Bearer $tok")
expect() { [ "$CODE" = "$1" ] || fail "$2: status $CODE, expected $1: $BODY"; }

# ---- wait until the HQ holds the Polsek's records (sync, while the server reads)
for _ in $(seq 150); do
  get /api/dialogues "${A[@]}"
  "$PY" -c 'import json,sys; sys.exit(0 if len(json.loads(sys.argv[1])["items"]) == 2 else 1)' "$BODY" 2>/dev/null && break
  sleep 0.2
done
jcheck "$BODY" 'len(j["items"]) == 2 and j["more"] is False' "both dialogues reached the HQ by sync and are listed"
jcheck "$BODY" 'j["items"][0]["title"] == "Warkop Kamtibmas malam Minggu" and j["items"][0]["participants"] == 15' \
  "newest first, with the amend applied"

# ---- authorisation
get /api/report
expect 401 "no token"
jcheck "$BODY" 'j["error"] == "unauthorized" and "Bearer" in j["message"]' "401 without a token is JSON naming the fix"
get /api/report -H "Authorization: Bearer $(printf '0%.0s' $(seq 64))"
expect 401 "a wrong token"
get /metrics
expect 401 "metrics without a token"
ok "401 without or with a wrong token (API and /metrics)"

# ---- session cookie for the dashboard
get /api/session -H "Authorization: Bearer $tok"
expect 200 "session"
cookie=$(sed -n 's/^Set-Cookie: ronda_session=\([0-9a-f]*\);.*/\1/pi' <<<"$HDRS")
grep -qi '^Set-Cookie:.*HttpOnly' <<<"$HDRS" || fail "the session cookie is not HttpOnly"
grep -qi '^Set-Cookie:.*SameSite=Strict' <<<"$HDRS" || fail "the session cookie is not SameSite=Strict"
[ ${#cookie} -eq 64 ] && [ "$cookie" != "$tok" ] || fail "the cookie must be 64 hex digits and not the token"
get /api/report -H "Cookie: ronda_session=$cookie"
expect 200 "report with the cookie"
get /api/session -H "Cookie: ronda_session=$cookie"
expect 401 "a session is made only from the token"
ok "session cookie: HttpOnly, SameSite=Strict, not the token, accepted by the API"
get /api/session -H "Authorization: Bearer $tok"
cookie2=$(sed -n 's/^Set-Cookie: ronda_session=\([0-9a-f]*\);.*/\1/pi' <<<"$HDRS")
[ ${#cookie2} -eq 64 ] && [ "$cookie2" != "$cookie" ] || fail "a second login must get its own session"
get /api/logout -H "Cookie: ronda_session=$cookie"
expect 200 "logout"
grep -qi '^Set-Cookie: ronda_session=;.*Max-Age=0' <<<"$HDRS" || fail "logout does not clear the cookie"
get /api/report -H "Cookie: ronda_session=$cookie"
expect 401 "the logged-out session's cookie, sent again"
get /api/report -H "Cookie: ronda_session=$cookie2"
expect 200 "another session after one logged out"
ok "logout ends the session on the server: its cookie gets 401 after, another session still works"

# ---- report
get /api/report "${A[@]}"
expect 200 report
jcheck "$BODY" 'j["by"] == "polres" and [g["polres"] for g in j["groups"]] == ["Trenggalek"]' "report groups by Polres"
jcheck "$BODY" 'j["groups"][0]["dialogues"] == 2 and j["groups"][0]["participants"] == 55 and j["groups"][0]["topics"] == 3' \
  "dialogues, participants (amended), topics"
jcheck "$BODY" 'j["groups"][0]["followups"] == {"open": 1, "in_progress": 0, "referred": 1, "resolved": 1}' "follow-ups by status"
jcheck "$BODY" 'j["groups"][0]["referred_to"] == {"Dinas Perhubungan Kabupaten Trenggalek": 1}' "referred to whom"
jcheck "$BODY" 'abs(j["groups"][0]["median_days_to_resolution"] - 2.6) < 0.05' "median days to resolution"
jcheck "$BODY" 'j["groups"][0]["overdue"] == 1 and j["total"]["dialogues"] == 2' "overdue and total"
get '/api/report?by=month&overdue_days=100000' "${A[@]}"
expect 400 "overdue_days too large"
get '/api/report?by=month' "${A[@]}"
jcheck "$BODY" '[g["month"] for g in j["groups"]] == ["2024-12", "2025-01"]' "report by month"
get '/api/report?by=polsek&from=2025-01-01' "${A[@]}"
jcheck "$BODY" 'len(j["groups"]) == 1 and j["groups"][0]["polsek"] == "Durenan" and j["groups"][0]["dialogues"] == 1' \
  "report by Polsek with a date filter"

# ---- list, filters, search
get '/api/dialogues?q=silat' "${A[@]}"
jcheck "$BODY" '[i["id"] for i in j["items"]] == ["'"$d1"'"]' "search finds a dialogue by a word of its topic"
get '/api/dialogues?q=Perhubungan' "${A[@]}"
jcheck "$BODY" '[i["id"] for i in j["items"]] == ["'"$d1"'"]' "search finds a dialogue by a word of its follow-up"
get '/api/dialogues?q=%22%20OR%20*' "${A[@]}"
expect 200 "FTS syntax in a search is taken as words"
get '/api/dialogues?q=%20%20' "${A[@]}"
jcheck "$BODY" 'len(j["items"]) == 2' "a blank search is no filter"
get '/api/dialogues?q=tidakadakatainisamasekali' "${A[@]}"
jcheck "$BODY" 'j["items"] == []' "a search without a match is empty"
get '/api/dialogues?polres=trenggalek&programme=warkop' "${A[@]}"
jcheck "$BODY" '[i["id"] for i in j["items"]] == ["'"$d2"'"]' "filters: Polres (any case) and programme"
get '/api/dialogues?category=traffic' "${A[@]}"
jcheck "$BODY" '[i["id"] for i in j["items"]] == ["'"$d2"'"]' "filter: category"
get '/api/dialogues?status=referred' "${A[@]}"
jcheck "$BODY" '[i["id"] for i in j["items"]] == ["'"$d1"'"]' "filter: status"
get '/api/dialogues?limit=1' "${A[@]}"
jcheck "$BODY" 'len(j["items"]) == 1 and j["more"] is True' "limit and more"
get '/api/dialogues?limit=1&offset=1' "${A[@]}"
jcheck "$BODY" '[i["id"] for i in j["items"]] == ["'"$d1"'"] and j["more"] is False' "offset"

# ---- one dialogue
get "/api/dialogues/$d1" "${A[@]}"
expect 200 dialogue
jcheck "$BODY" 'j["verified"] is True and j["kind"] == "dialogue" and j["author_name"] == "Polsek Durenan"' \
  "a dialogue: signature status and author"
jcheck "$BODY" '[t["status"] for t in j["topics"]] == ["resolved", "referred"]' "a dialogue: its topics' status"
jcheck "$BODY" 'len(j["resolutions"]) == 2 and all(r["verified"] for r in j["resolutions"])' \
  "a dialogue: resolutions with signature status"
get "/api/dialogues/$d2" "${A[@]}"
jcheck "$BODY" 'len(j["amendments"]) == 1 and j["amendments"][0]["reason"] == "Jumlah peserta dikoreksi" and j["amendments"][0]["verified"]' \
  "a dialogue: its amendments"
get "/api/dialogues/$(printf '0%.0s' $(seq 64))" "${A[@]}"
expect 404 "unknown dialogue"
jcheck "$BODY" 'j["error"] == "not_found"' "404 is JSON"

# ---- follow-ups
get '/api/followups' "${A[@]}"
jcheck "$BODY" 'len(j["items"]) == 1 and j["items"][0]["category"] == "traffic"' "open follow-ups"
get '/api/followups?state=overdue&overdue_days=0' "${A[@]}"
jcheck "$BODY" 'len(j["items"]) == 1 and j["items"][0]["days_since"] > 300' "overdue follow-ups"
get '/api/followups?state=overdue&overdue_days=3650' "${A[@]}"
jcheck "$BODY" 'j["items"] == []' "nothing is ten years overdue"
get '/api/followups?state=referred' "${A[@]}"
jcheck "$BODY" 'len(j["items"]) == 1 and j["items"][0]["referred_to"] == "Dinas Perhubungan Kabupaten Trenggalek"' \
  "referred follow-ups"

# ---- network
for _ in $(seq 50); do
  get /api/network "${A[@]}"
  "$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if j["peers"] and j["peers"][0]["last_sync_ms"] else 1)' "$BODY" && break
  sleep 0.2
done
jcheck "$BODY" '[p["name"] for p in j["peers"]] == ["Polsek Durenan"] and j["peers"][0]["lag_s"] < 10' \
  "network: the connected peer, its last sync and lag"
jcheck "$BODY" 'sorted(m["name"] for m in j["members"]) == ["Polres Trenggalek", "Polsek Durenan"]' \
  "network: the roster"
jcheck "$BODY" 'j["fork_count"] == 0 and j["revocations"] == [] and len(j["digest"]) == 64' "network: forks, revocations, digest"

# ---- /metrics
get /metrics "${A[@]}"
expect 200 metrics
grep -qi '^Content-Type: text/plain; version=0.0.4' <<<"$HDRS" || fail "metrics content type"
# appended: the HQ's checkpoint at start (docs/audit.md, "Checkpoints"); none after the
# catch-up (at most one every RONDA_CHECKPOINT_GAP_MS)
for m in 'ronda_records_appended_total 1' 'ronda_records_received_total [1-9]' 'ronda_peers_connected 1' \
  'ronda_records_rejected_total{reason="signature"} 0' 'ronda_handshake_failures_total 0' \
  'ronda_sync_lag_max_seconds [0-9.]*' 'ronda_forks 0' '# TYPE ronda_records_rejected_total counter'; do
  grep -q "^$m\$" <<<"$BODY" || fail "/metrics lacks a line matching: $m"
done
ok "/metrics: Prometheus text with records, rejections by reason, peers, handshakes, lag, forks"

# ---- /checkpoint: no token; the HQ's newest checkpoint as a signed note (proto/note.md)
get /checkpoint
expect 200 checkpoint
grep -qi '^Content-Type: text/plain; charset=utf-8' <<<"$HDRS" || fail "checkpoint content type"
[ "$(grep -c $'^\xe2\x80\x94 ronda/' <<<"$BODY")" -eq 1 ] || fail "checkpoint: not one signature line: $BODY"
[ "$(sed -n 4p <<<"$BODY" | cut -d' ' -f1)" = ronda-checkpoint ] || fail "checkpoint: no ronda-checkpoint line: $BODY"
printf '%s' "$BODY" >"$WORK/hq.note"
"$RONDA" audit --dir "$WORK/hq" --note "$WORK/hq.note" >"$WORK/note-audit.txt" 2>&1 || { cat "$WORK/note-audit.txt" >&2; fail "checkpoint: the served note does not audit"; }
ok "/checkpoint: a signed note without a token, that audits against the HQ's ledger"

# ---- bad requests: 400 with a JSON message, never a crash
for q in 'limit=0' 'limit=abc' 'limit=501' 'limit=99999999999999999999' 'offset=-1' 'from=2024-13-01' \
  'to=yesterday' 'programme=ronda' 'category=weather' 'status=closed' 'polres=%FF%FE' 'nosuch=1' \
  'polres=%C0%AF' 'polres=%E0%80%AF' 'polres=%ED%A0%80' 'polres=%F4%90%80%80' 'polres=%F8%88%80%80%80' \
  'polres=Tr%C3' 'polres=%80' \
  "q=$(printf 'a%.0s' $(seq 300))"; do
  get "/api/dialogues?$q" "${A[@]}"
  expect 400 "dialogues?${q:0:40}"
  jcheck "$BODY" 'j["error"] == "bad_request" and len(j["message"]) > 10' "400 for dialogues?${q:0:30}"
done
get '/api/dialogues?polres=Ngad%C3%A9%E2%82%AC%F0%9F%98%80' "${A[@]}"
expect 200 "well-formed UTF-8 of 2, 3 and 4 bytes"
many=$(printf 'polres=x&%.0s' $(seq 500))
t0=$(now_ms)
get "/api/report?${many%&}" "${A[@]}" -m 10
t=$(($(now_ms) - t0))
expect 400 "500 query parameters"
jcheck "$BODY" '"more than 16 query parameters" in j["message"]' "500 query parameters: 400 naming the limit"
[ "$t" -lt 3000 ] || fail "500 query parameters took $t ms to answer (the connection hung)"
ok "500 query parameters answered 400 in $t ms"
get '/api/report?from=9999-12-31' "${A[@]}"
expect 200 "a report whose filter matches nothing"
jcheck "$BODY" 'j["groups"] == [] and j["total"]["dialogues"] == 0' "a report that matches nothing: no group, zero total"
alive hq || fail "the HQ daemon died on a report that matches nothing"
get '/api/report?by=year' "${A[@]}"
expect 400 "report by year"
get '/api/followups?state=forgotten' "${A[@]}"
expect 400 "follow-ups in an unknown state"
get '/api/dialogues/xyz' "${A[@]}"
expect 400 "a malformed id"
get '/api/network?x=1' "${A[@]}"
expect 400 "a parameter where none is taken"
get /api/nothing "${A[@]}"
expect 404 "unknown endpoint"
get /api/report "${A[@]}" -X POST -d 'a=1'
expect 405 "POST"
grep -qi '^Allow: GET, HEAD' <<<"$HDRS" || fail "405 without Allow"
get /api/report "${A[@]}" -X GET -H 'Content-Type: text/plain' --data-binary 'hello'
expect 413 "a GET with a body"
ok "every bad request is a JSON 4xx"

# ---- the dashboard's files
get /
expect 200 "the dashboard page"
grep -qi '^Content-Security-Policy:.*default-src' <<<"$HDRS" || fail "the page has no CSP"
grep -q '/app.js' <<<"$BODY" || fail "the page does not load app.js"
get /app.js
expect 200 app.js
grep -q 'Ringkasan' <<<"$BODY" || fail "app.js has no Indonesian"
alive hq || fail "the HQ daemon died"
ok "dashboard files are served by the binary"

# ---- `ronda report`
out=$(r report --dir hq)
grep -q '^Trenggalek  *2 ' <<<"$out" || fail "report text: $out"
grep -q 'referred to: Dinas Perhubungan Kabupaten Trenggalek (1)' <<<"$out" || fail "report text lacks referred-to"
out=$(r report --dir hq --by polsek --csv)
[ "$(head -n 1 <<<"$out")" = "polres,polsek,dialogues,participants,topics,vulnerable_area,social_problem,traffic,unrest,criticism,aspiration,other,open,in_progress,referred,resolved,referred_to,median_days_to_resolution,overdue" ] \
  || fail "report CSV header: $(head -n 1 <<<"$out")"
grep -q '^Trenggalek,Durenan,2,55,3,1,1,1,0,0,0,0,1,0,1,1,Dinas Perhubungan Kabupaten Trenggalek=1,2.6,1$' <<<"$out" \
  || fail "report CSV row: $out"
jcheck "$(r report --dir hq --by programme --json)" '[g["programme"] for g in j["groups"]] == ["candu", "warkop"]' \
  "ronda report --json by programme"
for bad in '--by year' '--from 2024-02-30x' '--overdue-days -3' '--programme x' '--json --csv'; do
  # shellcheck disable=SC2086
  rc=0; r report --dir hq $bad >/dev/null 2>&1 || rc=$?
  [ $rc -eq 2 ] || fail "ronda report $bad: exit $rc, expected 2"
done
ok "ronda report: text, CSV, JSON; bad flags exit 2"
for fmt in '' --json --csv; do
  # shellcheck disable=SC2086
  rc=0; r report --dir hq --from 9999-12-31 $fmt >"$WORK/empty.out" 2>&1 || rc=$?
  [ $rc -eq 0 ] || fail "ronda report --from 9999-12-31 $fmt: exit $rc: $(head -c 300 "$WORK/empty.out")"
done
ok "ronda report whose filter matches nothing: exit 0 (text, JSON, CSV)"

# ---- the server refuses what it cannot serve safely; derived report tables rebuild equal
stop hq
before=$(r report --dir hq --by polsek --json)
r rebuild --dir hq >/dev/null
[ "$(r report --dir hq --by polsek --json)" = "$before" ] || fail "the report differs after ronda rebuild"
chmod 644 hq/http.token
rc=0; timeout 20 "$RONDA" run --dir hq --listen none --fanout 0 --http "127.0.0.1:$((port + 2))" 2>"$WORK/err" || rc=$?
[ $rc -eq 3 ] && grep -q 'http.token' "$WORK/err" || fail "a group-readable token file must stop the daemon (exit $rc)"
rc=0; timeout 20 "$RONDA" run --dir hq --listen none --http nowhere:x 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "--http nowhere:x must exit 2 (got $rc)"
ok "a readable token file or a bad --http stops the daemon with a clear error"
say "PASS ($N checks)"
