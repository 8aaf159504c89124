#!/usr/bin/env bash
# A long soak of steady writes (issue 16): one process commits single-mutation
# batches (random user renames) to a generated registry with automatic
# compaction on and sync "nosync", optionally with a read-only process
# refreshing every 50 ms beside it. Records data.mdb's size, the map size,
# the writer's resident memory and the commit rate over time to a CSV, plots
# them to a PNG and keeps `mdb_stat -ef` of the end state. The store keeps
# its default change-feed window (100,000 batches, at most 64 MiB, of journal
# kept past compaction). Exits 1 (after writing every file) when data.mdb
# ended above issue 16's bound, 3x the snapshot plus the journal window (the
# entries after the snapshot and the feed's window), read as
# 3 x (snapshot + journal + feed window) as tests/soak_test.cpp checks it.
#
#   scripts/soak.sh [--minutes N] [--size S|M|L] [--reader] [--sample BATCHES] [--out DIR]
#
# Defaults: 30 minutes, size S (10,000 users; M: 100,000; L: 1,000,000), no
# reader, a sample every 50,000 batches, output in build/soak/. Builds the
# helpers in build/release (BUILD_DIR overrides) if needed. Files written:
#   DIR/soak-SIZE.csv        soak_writer's samples (tests/soak_writer.cpp)
#   DIR/soak-SIZE.png        the plot
#   DIR/soak-SIZE.mdb_stat   mdb_stat -ef of the data directory at the end
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30 size=S reader=0 sample=50000 out=build/soak
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --reader) reader=1; shift ;;
    --sample) sample="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--minutes N] [--size S|M|L] [--reader] [--sample BATCHES] [--out DIR]" >&2
       exit 2 ;;
  esac
done
case "$size" in
  S) users=10000 ;;
  M) users=100000 ;;
  L) users=1000000 ;;
  *) echo "$0: --size must be S, M or L" >&2; exit 2 ;;
esac

build=${BUILD_DIR:-build/release}
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUBREG_WERROR=ON >/dev/null
fi
cmake --build "$build" -j 2 --target soak_writer crash_writer >/dev/null

mkdir -p "$out"
data=$(mktemp -d "${TMPDIR:-/tmp}/hubreg-soak.XXXXXX")
writer_pid=
cleanup() {
  [[ -n "$writer_pid" ]] && kill "$writer_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

csv="$out/soak-$size.csv"
echo "soak: size $size ($users users), $minutes minutes, reader: $reader, data in $data"
"$build/tests/soak_writer" "$data/registry" --users="$users" --seconds=$((minutes * 60)) \
  --sample="$sample" >"$csv" &
writer_pid=$!

if [[ $reader == 1 ]]; then
  # The registry exists once the writer has printed its first sample line.
  while ! [[ -s "$csv" && $(wc -l <"$csv") -ge 2 ]]; do
    kill -0 "$writer_pid" 2>/dev/null || break
    sleep 0.2
  done
  coproc READER { "$build/tests/crash_writer" reader "$data/registry"; }
  refreshes=0 failed=0
  while kill -0 "$writer_pid" 2>/dev/null; do
    echo refresh >&"${READER[1]}"
    read -r code _ <&"${READER[0]}"
    refreshes=$((refreshes + 1))
    [[ $code == 0 ]] || failed=$((failed + 1))
    sleep 0.05
  done
  eval "exec ${READER[1]}>&-"
  echo "reader: $refreshes refreshes, $failed failed"
fi
wait "$writer_pid"
writer_pid=
mdb_stat -ef "$data/registry" >"$out/soak-$size.mdb_stat"

# Debian's python3-matplotlib (scripts/install-deps.sh) belongs to the system
# interpreter, not to one a version manager may put first on PATH.
"${PYTHON:-/usr/bin/python3}" - "$csv" "$out/soak-$size.png" "$size" "$reader" <<'EOF'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

path, png, size, reader = sys.argv[1:5]
rows = list(csv.DictReader(open(path)))
minutes = [float(r["seconds"]) / 60 for r in rows]
mb = lambda key: [int(r[key]) / 2**20 for r in rows]
fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
axes[0].plot(minutes, mb("file_bytes"), label="data.mdb")
axes[0].plot(minutes, mb("map_size"), label="LMDB map size")
axes[0].plot(minutes, mb("snapshot_bytes"), label="snapshot payload")
# CSVs from before the feed's window was counted have no feed_window_bytes.
window = [int(r["journal_bytes"]) + int(r.get("feed_window_bytes") or 0) for r in rows]
axes[0].plot(minutes, [w / 2**20 for w in window], label="journal + feed window")
axes[0].set_ylabel("MiB")
axes[0].set_ylim(bottom=0)
axes[0].legend()
axes[1].plot(minutes, mb("rss_bytes"), label="writer resident (VmRSS)")
axes[1].plot(minutes, mb("rss_anon_bytes"), label="of it: own memory (RssAnon)")
axes[1].plot(minutes, mb("rss_file_bytes"), label="of it: mapped file pages (RssFile)")
axes[1].set_ylabel("MiB")
axes[1].set_ylim(bottom=0)
axes[1].legend()
axes[2].plot(minutes, [float(r["batches_per_second"]) / 1000 for r in rows])
axes[2].set_ylabel("thousand batches / s")
axes[2].set_ylim(bottom=0)
axes[2].set_xlabel("minutes")
last = rows[-1]
fig.suptitle(f"hubreg soak, size {size}{', a reader refreshing every 50 ms' if reader == '1' else ''}\n"
             f"{int(last['batches']):,} single-mutation batches, {last['compactions']} compactions"
             f"{', copying compactions: ' + last['copies'] if last.get('copies') else ''}")
fig.tight_layout()
fig.savefig(png, dpi=80)
print(f"{png}: {int(last['batches']):,} batches in {float(last['seconds']) / 60:.1f} min; "
      f"data.mdb {int(last['file_bytes']) / 2**20:.1f} MiB, RSS {int(last['rss_bytes']) / 2**20:.1f} MiB")
bound = 3 * (int(last["snapshot_bytes"]) + max(window))
held = int(last["file_bytes"]) <= bound
print(f"bound: data.mdb {int(last['file_bytes']) / 2**20:.1f} MiB "
      f"{'<=' if held else '>'} 3 x (snapshot {int(last['snapshot_bytes']) / 2**20:.1f} MiB "
      f"+ journal and feed window up to {max(window) / 2**20:.1f} MiB) = {bound / 2**20:.1f} MiB: "
      f"{'held' if held else 'EXCEEDED'}")
sys.exit(0 if held else 1)
EOF
