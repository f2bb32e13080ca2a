#!/usr/bin/env bash
# The HQ dashboard in headless Chromium against a node holding the demo network's data
# (deploy/demo.sh --keep): the overview shows the four Polres, a search finds a dialogue by
# a word from its topic, a dialogue page shows its resolution with a verified signature,
# the network page lists the members, English is one switch away, and a forked record's page
# shows both versions side by side, and a change to the views in the database file brings
# the red banner until `ronda rebuild`. With
# RONDA_SCREENSHOTS=DIR, a screenshot of each page is written there for a human to look at.
#
# Skips (exit 77) only when Chromium is absent or cannot start here.
#
# usage: browser_test.sh RONDA SOURCE_DIR
RONDA=${1:?usage: browser_test.sh RONDA SOURCE_DIR}
SRC=${2:?usage: browser_test.sh RONDA SOURCE_DIR}
case $RONDA in */*) RONDA=$(cd "$(dirname "$RONDA")" && pwd)/$(basename "$RONDA") ;; esac
TEST=http_browser
source "$(dirname "$0")/../net/lib.sh"
PY=/usr/bin/python3
export RONDA_TZ=+07:00

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium is not installed (deploy/install-deps.sh test installs it)"; exit 77; }
PROFILE=$WORK/chromium-profile
chrome() {
  # --no-sandbox: test machines often run as root, where Chromium's sandbox refuses to start.
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --disable-extensions --disable-background-networking --user-data-dir="$PROFILE" \
    --virtual-time-budget=8000 "$@" 2>>"$LOGS/chromium.log"
}
chrome --dump-dom about:blank >/dev/null || { echo "SKIP: chromium cannot run here; see its log:"; tail -5 "$LOGS/chromium.log"; exit 77; }

say "demo network (nine nodes), kept in $WORK/demo"
RONDA_DEMO_PORT=$(pick_ports 10) bash "$SRC/deploy/demo.sh" --no-install --ronda "$RONDA" --keep "$WORK/demo" \
  >"$LOGS/demo.txt" 2>&1 || fail "the demo failed: $(tail -n 5 "$LOGS/demo.txt")"
mv "$WORK/demo/hq-trenggalek" "$WORK/hq"
port=$(pick_ports 1)
start hq --listen none --fanout 0 --http "127.0.0.1:$port"
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -s -o /dev/null "$base/" && break; sleep 0.1; done
tok=$(awk '{print $2}' "$WORK/hq/http.token")
shots=${RONDA_SCREENSHOTS:-}
[ -n "$shots" ] && mkdir -p "$shots"
enc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# page NAME NEXT [lang]: the DOM after the page's scripts ran (in $WORK/NAME.html), and a screenshot.
page() {
  local url="$base/#token=$tok&next=$(enc "$2")${3:+&lang=$3}"
  chrome --window-size=1280,1000 --dump-dom "$url" >"$WORK/$1.html" || fail "chromium could not load $2"
  [ -z "$shots" ] || chrome --window-size=1280,1000 --screenshot="$shots/$1.png" "$url" >/dev/null || fail "no screenshot of $2"
}
# text NAME: the page's visible text, one line
text() { "$PY" -c 'import html, re, sys; t = re.sub(r"<[^>]+>", " ", open(sys.argv[1]).read()); print(" ".join(html.unescape(t).split()))' "$WORK/$1.html"; }
has() { grep -qF -- "$2" <<<"$(text "$1")" || fail "$1 page lacks \"$2\": $(text "$1" | cut -c1-400)"; }
lacks() { ! grep -qF -- "$2" <<<"$(text "$1")" || fail "$1 page shows \"$2\" but should not"; }

page overview /
grep -q 'id="report"' "$WORK/overview.html" || fail "the overview has no report table (login failed?)"
for p in Trenggalek Jember Pasuruan Bojonegoro; do has overview "$p"; done
has overview "Ringkasan per Polres"
grep -q '<svg' "$WORK/overview.html" || fail "the overview has no chart"
say "ok overview shows the four Polres, in Bahasa Indonesia, with a chart"

page search "/dialogues?q=silat"
has search "Candu Kamtibmas: Curhat Aman Nyaman untuk Durenan"
lacks search "Patroli Dialogis Polsek Sekar"
say "ok search finds the Durenan dialogue by a word of its topic (silat), and only it"

id=$(grep -o 'href="#/dialogue/[0-9a-f]\{64\}"' "$WORK/search.html" | head -n 1 | grep -o '[0-9a-f]\{64\}')
[ -n "$id" ] || fail "the search result has no link to its dialogue"
page dialogue "/dialogue/$id"
has dialogue "Kesepakatan bersama seluruh perguruan pencak silat IPSI Durenan"
has dialogue "Selesai"
has dialogue "terverifikasi"
has dialogue "Potensi gesekan antar perguruan pencak silat"
say "ok the dialogue page shows its topics and its resolution, signature verified"

page followups "/followups?state=referred"
has followups "Pemerintah Desa dan Dinas Perhubungan Kabupaten Trenggalek"
page network /network
has network "Polsek Sekar"
has network "Tidak ada fork"
say "ok follow-ups (referred) and network pages"

page english / en
has english "Overview per Polres"
has english "Median days to resolve"
lacks english "Ringkasan per Polres"
say "ok English is one switch away"

# A fork: a copy of Polsek Durenan's directory (as an old backup would be) and the directory
# itself each sign their own next record; both reach the HQ, which keeps the second as fork
# evidence. Each version's dialogue page shows the two side by side (the evidence used to
# answer "not found"), the differences marked, and says in plain words what a fork is.
say "fork: Durenan and an old copy of it sign two records for one seq; both reach the HQ"
cp -r "$WORK/demo/durenan" "$WORK/durenan-old"
f1=$(r record dialogue --dir "$WORK/demo/durenan" --programme patroli_dialogis --title "Patroli Dialogis Pasar Durenan" \
  --venue "Pasar Durenan" --when 2025-04-08T09:00 --participants 40 --topic "traffic:Parkir liar") || fail "record f1"
f2=$(r record dialogue --dir "$WORK/durenan-old" --programme patroli_dialogis --title "Patroli Dialogis Terminal Durenan" \
  --venue "Terminal Durenan" --when 2025-04-08T09:00 --participants 400 --topic "traffic:Parkir liar") || fail "record f2"
r export --dir "$WORK/demo/durenan" "$WORK/f1.bundle" 2>/dev/null || fail "export f1"
r export --dir "$WORK/durenan-old" "$WORK/f2.bundle" 2>/dev/null || fail "export f2"
r import --dir "$WORK/hq" "$WORK/f1.bundle" >/dev/null || fail "import f1"
r import --dir "$WORK/hq" "$WORK/f2.bundle" >"$WORK/f2.import" || fail "import f2"
grep -q "1 fork evidence" "$WORK/f2.import" || fail "the HQ did not keep the second version as fork evidence: $(cat "$WORK/f2.import")"
for v in "$f2" "$f1"; do
  page "fork-${v:0:8}" "/dialogue/$v" id # the English page before left the profile in English
  for want in "Dua versi satu catatan (fork)" "Patroli Dialogis Pasar Durenan" "Patroli Dialogis Terminal Durenan" \
    "Versi di buku besar" "Versi lain (bukti fork)" "Ditandatangani oleh" "Polsek Durenan" \
    "menandatangani dua catatan berbeda untuk satu tempat di rantainya"; do has "fork-${v:0:8}" "$want"; done
  lacks "fork-${v:0:8}" "Dialog tidak ditemukan"
  "$PY" -c 'import re, sys
h = open(sys.argv[1]).read()
rows = re.findall(r"<tr class=\"diff\"><td>([^<]*)</td>", h)
sys.exit(0 if sorted(rows) == ["Judul", "Peserta", "Tempat"] else 1)' "$WORK/fork-${v:0:8}.html" ||
    fail "the fork page of ${v:0:8} does not mark title, venue and participants (and only those) as different"
done
page network-fork /network id
grep -q "href=\"#/dialogue/$f2\" class=\"fork-link\"" "$WORK/network-fork.html" ||
  fail "the network page does not link the fork to its page"
page fork-en "/dialogue/$f2" en
has fork-en "Two versions of one record (fork)"
has fork-en "signed two different records for one place in its chain"
say "ok a forked record's page shows both versions side by side, differences marked, in both languages"

# The views changed in the HQ's database file (as an insider with sqlite3 would): the
# node's view check at start finds it, and every page shows the red banner, with the first
# difference named, until `ronda rebuild` puts the views back.
say "views: a dialogue's title changed in the HQ's database; the node's check finds it"
stop hq
"$PY" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE dialogues SET title = ? WHERE title LIKE ?", ("Dialog rekayasa", "Candu Kamtibmas:%")).rowcount
assert n > 0, "no dialogue to change: the test would show nothing"
db.commit()' "$WORK/hq/ronda.db" || fail "could not change the views"
# views_state: the daemon's last view check as GET /api/config reports it: "RESULT DIFFS CHECKS"
views_state() {
  curl -s -H "Authorization: Bearer $tok" "$base/api/config" | "$PY" -c 'import json, sys
v = json.load(sys.stdin).get("views") or {}
print(v.get("result"), v.get("disagreements"), v.get("checks"))'
}
# wait_views RESULT: until a finished check reports RESULT (at most 30 s)
wait_views() {
  local st=""
  for _ in $(seq 150); do
    st=$(views_state 2>/dev/null || true)
    case "$st" in "$1 "*) [ "${st##* }" != 0 ] && return 0 ;; esac
    sleep 0.2
  done
  fail "the node's view check never reported $1 (last: $st)"
}
restart_hq() {
  start hq --listen none --fanout 0 --http "127.0.0.1:$port"
  for _ in $(seq 100); do curl -s -o /dev/null "$base/" && break; sleep 0.1; done
}
restart_hq
wait_views view
page views-bad / id
has views-bad "Tampilan tidak cocok dengan catatan bertanda tangan"
has views-bad "ronda rebuild"
has views-bad "Dialog rekayasa"
grep -q 'id="views-banner"' "$WORK/views-bad.html" || fail "the page has no views banner element"
page views-bad-en / en
has views-bad-en "The views do not match the signed records"
say "ok the dashboard shows the red banner while the views disagree, in both languages"
stop hq
r rebuild --dir "$WORK/hq" >/dev/null || fail "ronda rebuild failed"
restart_hq
wait_views ok
page views-ok / id
lacks views-ok "Tampilan tidak cocok"
say "ok after ronda rebuild the check agrees and the banner is gone"

# Without the token the dashboard asks for it and shows no data.
PROFILE=$WORK/chromium-fresh
chrome --window-size=1280,700 --dump-dom "$base/" >"$WORK/login.html" || fail "no login page"
has login "Masuk ke dasbor HQ"
lacks login "Bojonegoro"
say "ok without a session the dashboard shows only its login form"
alive hq || fail "the HQ daemon died"
say "PASS${shots:+ (screenshots in $shots)}"
