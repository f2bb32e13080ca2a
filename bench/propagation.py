"""Appends N dialogues at one node and times how long each takes to reach every node.

usage: propagation.py RONDA N WRITER DIR...   (run from the directory holding the node dirs)
"""
import sqlite3
import statistics
import subprocess
import sys
import time

ronda, count, writer, dirs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
conns = {d: sqlite3.connect(f"file:{d}/ronda.db?mode=ro", uri=True, isolation_level=None) for d in dirs}
delays = []
for k in range(count):
    out = subprocess.run([ronda, "record", "dialogue", "--dir", writer, "--programme", "curhat",
                          "--title", f"Curhat Kamtibmas {k}", "--venue", "Balai desa",
                          "--topic", f"aspiration:Aspirasi warga nomor {k}"],
                         check=True, capture_output=True, text=True).stdout.split()
    rid = bytes.fromhex(out[-1])
    row = conns[writer].execute("SELECT hlc FROM records WHERE id = ?", (rid,)).fetchone()
    appended = (row[0] >> 16) / 1000.0
    waiting, deadline = set(dirs) - {writer}, time.time() + 30
    last = appended
    while waiting and time.time() < deadline:
        for d in list(waiting):
            if conns[d].execute("SELECT 1 FROM records WHERE id = ?", (rid,)).fetchone():
                waiting.discard(d)
                last = time.time()
        if waiting:
            time.sleep(0.001)
    if waiting:
        sys.exit(f"record {k} did not reach {sorted(waiting)} within 30 s")
    delays.append((last - appended) * 1000.0)
    time.sleep(0.05)
delays.sort()
p90 = delays[min(len(delays) - 1, int(len(delays) * 0.9))]
print(f"propagation to all {len(dirs)} nodes, {count} records appended at {writer}: "
      f"median {statistics.median(delays):.0f} ms, p90 {p90:.0f} ms, worst {delays[-1]:.0f} ms "
      f"(best {delays[0]:.0f} ms)")
