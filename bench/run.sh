#!/bin/sh
# Builds the benchmark program (Release, in build-bench) and runs the whole
# suite, writing Google Benchmark JSON to bench/results/<UTC time>.json.
#
#   bench/run.sh              # sizes S, M and L (about 15 minutes on 2 busy cores)
#   bench/run.sh S            # size S only (CI: seconds)
#   bench/run.sh S,M --benchmark_filter=lookup/   # extra flags go to the program
#
# Then: /usr/bin/python3 bench/report.py bench/results/<file>.json --update
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${HUBREG_BENCH_BUILD:-$root/build-bench}
sizes=${HUBREG_BENCH_SIZES:-S,M,L}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  sizes=$1
  shift
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHUBREG_BUILD_BENCH=ON \
  -DHUBREG_BUILD_PYTHON=OFF >/dev/null
cmake --build "$build" -j2 --target hubreg_bench
mkdir -p "$root/bench/results"
out="$root/bench/results/$(date -u +%Y-%m-%dT%H%M%SZ).json"
"$build/bench/hubreg_bench" --sizes="$sizes" --benchmark_out="$out" \
  --benchmark_out_format=json "$@"
echo "results: $out"
