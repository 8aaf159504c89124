#!/usr/bin/env bash
# A kill -9 campaign longer than CI's: N rounds of crash_test (tests/crash_test.cpp),
# half with plain writes and half with compactions running, each round killing the
# writer child at a random moment and checking that every acknowledged batch is
# there and no batch is there in part. Prints the seed and the counts.
#   scripts/crash-campaign.sh N [SEED]      (default seed: the time)
# Builds crash_test in build/release (the release build of scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:?usage: scripts/crash-campaign.sh ROUNDS [SEED]}
seed=${2:-$(date +%s)}
build=${HUBREG_BUILD_DIR:-build/release}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUBREG_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target crash_test crash_writer >/dev/null

per_case=$(((rounds + 1) / 2))
echo "crash campaign: $rounds rounds ($per_case per case: writes, writes with compactions), seed $seed"
start=$SECONDS
HUBREG_CRASH_ROUNDS=$per_case HUBREG_TEST_SEED=$seed "$build/tests/crash_test"
echo "crash campaign: $((2 * per_case)) rounds passed in $((SECONDS - start)) s (seed $seed)"
