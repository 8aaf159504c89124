#!/usr/bin/env bash
# A kill -9 campaign longer than CI's: N rounds of crash_test (tests/crash_test.cpp),
# half with plain writes and half with compactions running, each round killing the
# writer child at a random moment and checking that every acknowledged batch is
# there and no batch is there in part. Prints the seed and the counts.
#   scripts/crash-campaign.sh N [SEED]      (default seed: the time)
# The rounds run as crash_test runs of 50 (25 per case), each on a new data
# directory with the next seed: a round reopens and verifies the whole store, so
# one long run would cost more and more per round. Builds crash_test in
# build/release (the release build of scripts/test.sh; HUBREG_BUILD_DIR for another).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:?usage: scripts/crash-campaign.sh ROUNDS [SEED]}
seed=${2:-$(date +%s)}
build=${HUBREG_BUILD_DIR:-build/release}
per_case=25

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUBREG_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target crash_test crash_writer >/dev/null

runs=$(((rounds + 2 * per_case - 1) / (2 * per_case)))
echo "crash campaign: $((runs * 2 * per_case)) rounds in $runs runs of crash_test" \
  "($per_case rounds per case: writes; writes with compactions), seeds $seed to $((seed + 2 * runs - 1))"
start=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
acknowledged=0
for ((run = 0; run < runs; run++)); do
  if ! HUBREG_CRASH_ROUNDS=$per_case HUBREG_TEST_SEED=$((seed + 2 * run)) \
    "$build/tests/crash_test" >"$log" 2>&1; then
    cat "$log"
    echo "crash campaign: run $((run + 1)) failed (seed $((seed + 2 * run)))" >&2
    exit 1
  fi
  for count in $(sed -n 's/.*MESSAGE: \([0-9]*\) batches acknowledged.*/\1/p' "$log"); do
    acknowledged=$((acknowledged + count))
  done
done
echo "crash campaign: $((runs * 2 * per_case)) rounds passed in $((SECONDS - start)) s," \
  "$acknowledged batches acknowledged, none lost, none partial (seed $seed)"
