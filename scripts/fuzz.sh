#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang under ASan + UBSan and
# runs each for SECONDS, starting from its seed corpus in tests/fuzz/corpus.
# Prints, per harness, the executions, the coverage (edges and features) and
# the crashes; exits non-zero when any harness crashed or a sanitizer reported.
#   scripts/fuzz.sh SECONDS [HARNESS...]     (CI runs `scripts/fuzz.sh 8`)
# New inputs go to build/fuzz/corpus/<harness> (kept between runs, never into
# the repository); crashing inputs to build/fuzz/artifacts/<harness>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [HARNESS...]}
shift
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=(csv_import_fuzzer jsonl_import_fuzzer timestamp_fuzzer snapshot_fuzzer journal_fuzzer
    journal_merge_fuzzer pgoutput_fuzzer)
fi
build=${HUBREG_FUZZ_BUILD_DIR:-build/fuzz}

CC=${CC_FUZZ:-clang-14} CXX=${CXX_FUZZ:-clang++-14} cmake -S . -B "$build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DHUBREG_WERROR=ON \
  -DHUBREG_BUILD_FUZZ=ON \
  -DHUBREG_SANITIZE=fuzzer-no-link,address,undefined -DHUBREG_BUILD_TESTS=OFF \
  -DHUBREG_BUILD_PYTHON=OFF -DHUBREG_INSTALL=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${harnesses[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
total_runs=0
printf '%-22s %12s %8s %8s %8s %8s\n' harness executions edges features corpus crashes
for harness in "${harnesses[@]}"; do
  corpus="$build/corpus/$harness"
  artifacts="$build/artifacts/$harness"
  log="$build/logs/$harness.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  status=0
  "$build/tests/fuzz/$harness" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "tests/fuzz/corpus/$harness" >"$log" 2>&1 ||
    status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  edges=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  features=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  files=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  crashes=$(find "$artifacts" -type f | wc -l)
  printf '%-22s %12s %8s %8s %8s %8s\n' "$harness" "${runs:-?}" "${edges:-?}" "${features:-?}" \
    "${files:-?}" "$crashes"
  total_runs=$((total_runs + ${runs:-0}))
  if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    echo "$harness failed (exit $status); its output, last lines ($log):" >&2
    tail -40 "$log" >&2
  fi
done
echo "total executions: $total_runs"
exit "$failed"
