#!/usr/bin/env bash
# The ronda demo: an East Java network on this machine, built from the five source reports.
#
#   bash deploy/demo.sh [--no-install] [--ronda BIN] [--keep DIR]
#
# Creates an authority (Polda Jawa Timur), four Polres HQ nodes (Trenggalek, Jember,
# Pasuruan, Bojonegoro) and four Polsek nodes (Durenan, Umbulsari, Lumbang, Sekar); admits
# them all (init -> admit -> join); starts all nine as `ronda run` daemons on loopback,
# gossiping over CurveZMQ; records each report's dialogue at its own node with follow-ups;
# waits until every node holds the same ledger (equal digests); checks that every record
# verifies (ronda audit at every HQ); prints what an HQ sees and the checkpoint note (signed
# by its HQ and cosigned by the others) an auditor keeps; and stops the nodes. Nothing is
# left running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
install=1 ronda="" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-install) install=0 ;;
    --ronda) ronda=$2; shift ;;
    --keep) keep=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$ronda" ]; then
  [ $install -eq 1 ] && bash "$root/deploy/install-deps.sh" build
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DRONDA_SANITIZE=OFF -DRONDA_TESTS=OFF >/dev/null
  cmake --build "$root/build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  ronda="$root/build/ronda"
fi
ronda="$(cd "$(dirname "$ronda")" && pwd)/$(basename "$ronda")"
pids=()
stop_nodes() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; pids=(); }
if [ -n "$keep" ]; then work=$keep; mkdir -p "$work"; trap stop_nodes EXIT
else work=$(mktemp -d); trap 'stop_nodes; rm -rf "$work"' EXIT; fi
cd "$work"
say() { printf '\n== %s\n' "$*"; }
r() { "$ronda" "$@"; }

port=${RONDA_DEMO_PORT:-$((10000 + RANDOM % 22000))}
say "authority: Polda Jawa Timur"
auth_key=$(r authority init --dir polda | awk '/authority key:/ {print $3}')
echo "authority key $auth_key"
# The authority runs a node too (so its admissions and revocations replicate): it admits
# its own node as an auditor, which writes nothing but may connect and serve.
r authority admit --dir polda --request polda/join-request.json --role auditor \
  --endpoint "tcp://127.0.0.1:$port" >/dev/null

# name dir role polres polsek
nodes=(
  "Polres Trenggalek|hq-trenggalek|hq|Trenggalek|"
  "Polres Jember|hq-jember|hq|Jember|"
  "Polres Pasuruan|hq-pasuruan|hq|Pasuruan|"
  "Polres Bojonegoro|hq-bojonegoro|hq|Bojonegoro|"
  "Polsek Durenan|durenan|precinct|Trenggalek|Durenan"
  "Polsek Umbulsari|umbulsari|precinct|Jember|Umbulsari"
  "Polsek Lumbang|lumbang|precinct|Pasuruan|Lumbang"
  "Polsek Sekar|sekar|precinct|Bojonegoro|Sekar"
)
say "init -> admit -> join: four Polres HQ and four Polsek"
i=0
for n in "${nodes[@]}"; do
  IFS='|' read -r name dir role polres polsek <<<"$n"
  i=$((i + 1))
  r init --dir "$dir" --authority "$auth_key" --name "$name" >/dev/null
  args=(--dir polda --request "$dir/join-request.json" --role "$role" --polres "$polres"
        --endpoint "tcp://127.0.0.1:$((port + i))")
  [ -n "$polsek" ] && args+=(--polsek "$polsek")
  r authority admit "${args[@]}" >/dev/null
done
r export --dir polda roster.bundle 2>/dev/null
for n in "${nodes[@]}"; do
  IFS='|' read -r name dir _ <<<"$n"
  r join --dir "$dir" roster.bundle | tail -n 1
done

say "start the nine nodes: ronda run, CurveZMQ on 127.0.0.1:$port-$((port + 8))"
for dir in polda hq-trenggalek hq-jember hq-pasuruan hq-bojonegoro durenan umbulsari lumbang sekar; do
  "$ronda" run --dir "$dir" --log-level warning 2>"$dir.log" &
  pids+=($!)
done
sleep 1

say "each Polsek records its dialogue (from the source reports), while the network runs"
d_durenan=$(r record dialogue --dir durenan --programme candu \
  --title "Candu Kamtibmas: Curhat Aman Nyaman untuk Durenan" --venue "Mapolsek Durenan" \
  --when 2024-12-05T19:30 --officer "Iptu R.M. Sagi Janitra (Kapolsek Durenan)" \
  --stakeholder "Forkopimca Durenan" --stakeholder "IPSI Kecamatan Durenan (seluruh perguruan pencak silat)" \
  --stakeholder "Tokoh agama" --stakeholder "Tokoh pemuda" \
  --topic "social_problem:Potensi gesekan antar perguruan pencak silat di wilayah Durenan" \
  --topic "criticism:Keluh kesah dan kritik warga disampaikan langsung dalam forum santai" \
  --message "Menjaga kondusifitas memerlukan partisipasi aktif seluruh komponen masyarakat")
d_warkop=$(r record dialogue --dir hq-trenggalek --programme warkop --polsek "Semua Polsek" \
  --title "Warkop Kamtibmas: patroli malam sambil ngobrol di warung kopi" --venue "Warung kopi di wilayah rawan" \
  --when 2024-12-12T21:00 --officer "Regu patroli malam (5-6 personel)" \
  --topic "aspiration:Aspirasi dan keluh kesah pengunjung warkop tentang kamtibmas desa" \
  --topic "vulnerable_area:Penerangan jalan kurang di sekitar warkop, di luar ranah kepolisian" \
  --message "Edukasi kamtibmas tentang dinamika dan tren terkini")
d_lumbang=$(r record dialogue --dir lumbang --programme partnership \
  --title "Karang Taruna Lumbang jadi mitra strategis Polsek" --venue "Kawasan wisata Sumber" --village Lumbang \
  --when 2025-08-10T15:00 --stakeholder "Karang Taruna Desa Lumbang" --stakeholder Forkopimcam \
  --stakeholder MUI --stakeholder "Rois Suriah" --stakeholder "Tokoh masyarakat" \
  --topic "aspiration:Forum koordinasi Forkopimcam, MUI, Rois Suriah dan tokoh masyarakat agar himbauan cepat sampai ke warga" \
  --topic "vulnerable_area:Pengamanan aset vital seperti kantor polisi bila ada ancaman" \
  --topic "social_problem:Pembentukan Divisi Patroli Pemuda, Divisi Sosialisasi dan ronda malam" \
  --message "Karang Taruna sebagai sistem pendingin di tengah masyarakat")
d_umbulsari=$(r record dialogue --dir umbulsari --programme curhat \
  --title "Curhat Kamtibmas sebagai cooling system jelang coblosan Pilkada 2024" \
  --venue "Halaman rumah Ketua RW 8, Dusun Krajan Kulon" --village "Desa Paleran" \
  --when 2024-11-07T19:00 --officer "Aiptu Sutikno (Bhabinkamtibmas Desa Paleran)" --participants 30 \
  --stakeholder "Ketua RW 8" \
  --topic "unrest:Suasana politik memanas menjelang pencoblosan Pilkada 2024" \
  --topic "aspiration:Warga ingin persoalan sekecil apapun segera ditindaklanjuti" \
  --message "Jaga persatuan dan kesatuan warga desa menjelang Pilkada")
d_sekar=$(r record dialogue --dir sekar --programme patroli_dialogis \
  --title "Patroli Dialogis Polsek Sekar di warung kopi" --venue "Warung kopi dan tempat berkumpul warga" \
  --when 2026-01-25T09:00 --officer "AKP B. J. Handoko (Kapolsek Sekar)" \
  --topic "vulnerable_area:Daerah rawan gangguan kamtibmas di wilayah Sekar" \
  --topic "social_problem:Persoalan sosial yang dirasakan warga" \
  --topic "traffic:Kelancaran lalu lintas" \
  --topic "unrest:Keresahan warga terkait potensi gangguan keamanan" \
  --message "Mari saling peduli, menjadi mata dan telinga demi keamanan bersama")

say "follow-ups (tindak lanjut)"
r record resolution --dir durenan --dialogue "$d_durenan" --topic 0 --status resolved \
  --action "Kesepakatan bersama seluruh perguruan pencak silat IPSI Durenan untuk menjaga kondusifitas" \
  --when 2024-12-06T10:00 >/dev/null
r record resolution --dir hq-trenggalek --dialogue "$d_warkop" --topic 1 --status referred \
  --referred-to "Pemerintah Desa dan Dinas Perhubungan Kabupaten Trenggalek" \
  --action "Diteruskan ke stakeholder yang berwenang karena bukan ranah kepolisian" --when 2024-12-13T09:00 >/dev/null
r record resolution --dir lumbang --dialogue "$d_lumbang" --topic 0 --status in_progress \
  --action "Koordinasi lanjutan dengan Forkopimcam, MUI, Rois Suriah dan tokoh masyarakat" \
  --when 2025-08-15T09:00 >/dev/null
r record resolution --dir umbulsari --dialogue "$d_umbulsari" --topic 0 --status resolved \
  --action "Pencoblosan berlangsung aman; warga tetap rukun" --when 2024-11-28T12:00 >/dev/null
r record resolution --dir sekar --dialogue "$d_sekar" --topic 2 --status in_progress \
  --action "Pengaturan lalu lintas pada jam sibuk di sekitar pasar" --when 2026-01-26T07:00 >/dev/null
r record amend --dir umbulsari --target "$d_umbulsari" --reason "Nama dusun dilengkapi" \
  --venue "Halaman rumah Ketua RW 8 (Siswanto), Dusun Krajan Kulon" >/dev/null
echo "6 follow-ups and 1 correction recorded"

say "a Polres follows up a Polsek's topic as soon as the dialogue reaches it"
for _ in $(seq 100); do r show --dir hq-bojonegoro "$d_sekar" >/dev/null 2>&1 && break; sleep 0.1; done
r record resolution --dir hq-bojonegoro --dialogue "$d_sekar" --topic 0 --status in_progress \
  --action "Polres Bojonegoro menambah jadwal patroli di daerah rawan" --when 2026-01-27T20:00 >/dev/null

say "convergence: waiting until all nine nodes hold the same ledger"
all=(polda hq-trenggalek hq-jember hq-pasuruan hq-bojonegoro durenan umbulsari lumbang sekar)
start=$(date +%s%N)
for _ in $(seq 300); do
  digests=()
  for dir in "${all[@]}"; do digests+=("$(r status --dir "$dir" --json | sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/')"); done
  same=1
  for d in "${digests[@]}"; do [ "$d" = "${digests[0]}" ] || same=0; done
  [ $same -eq 1 ] && break
  sleep 0.1
done
for k in "${!all[@]}"; do printf '%-14s %s\n' "${all[$k]}" "${digests[$k]}"; done
if [ $same -ne 1 ]; then
  echo "demo: the nodes did not converge in 30 s; logs:" >&2
  tail -n 5 ./*.log >&2
  exit 1
fi
echo "all nine nodes hold the same ledger ($(( ($(date +%s%N) - start) / 1000000 )) ms after the last write)"

say "checkpoints: each HQ signs what it holds, the other HQs cosign it as witnesses"
for hq in hq-trenggalek hq-jember hq-pasuruan hq-bojonegoro; do r checkpoint --dir "$hq" >/dev/null; done
for _ in $(seq 300); do
  sigs=$(r checkpoint --dir hq-trenggalek --export - 2>/dev/null | grep -c '^— ' || true)
  [ "$sigs" -ge 4 ] && break
  sleep 0.1
done
echo "Polres Trenggalek HQ's newest checkpoint carries $sigs signatures (its own and $((sigs - 1)) other HQs')"

say "audit: every signature, chain link, membership, checkpoint and reference, at every HQ"
stop_nodes
for hq in hq-trenggalek hq-jember hq-pasuruan hq-bojonegoro; do
  printf '%-14s %s\n' "$hq" "$(r audit --dir "$hq" | tail -n 1)"
done

say "what Polres Trenggalek HQ sees"
r status --dir hq-trenggalek
echo
r report --dir hq-trenggalek
echo
r query --dir hq-trenggalek
echo
echo "search 'silat':"
r query --dir hq-trenggalek --text silat
echo
echo "open or in-progress follow-ups in Bojonegoro:"
r query --dir hq-trenggalek --polres Bojonegoro --status in_progress
echo
say "the checkpoint note an auditor keeps (ronda checkpoint --export FILE, or GET /checkpoint; proto/note.md)"
r checkpoint --dir hq-trenggalek --export - 2>/dev/null | cut -c1-110
say "demo done: nodes stopped${keep:+, their directories kept in $work}"
