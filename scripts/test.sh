#!/usr/bin/env bash
# Sets everything up and runs hubreg's whole test suite, as CI does:
#   1. an optimised build with warnings as errors: every test (C++, C, Python,
#      the hubreg command end to end), plus the benchmarks built (not run); then
#      its .deb (cpack), unpacked into a scratch root, with consumers built against it;
#   2. AddressSanitizer + UBSan with Boost.MultiIndex safe mode: every C/C++ test;
#   3. ThreadSanitizer with Boost.MultiIndex invariant checking: the core tests
#      (the concurrency test among them);
#   4. libFuzzer: the parsers of outside input fuzzed for 8 s each (seven harnesses) under ASan +
#      UBSan (scripts/fuzz.sh; a clang build of its own);
#   5. clang-format: every C/C++ file must be formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1

step() { printf '\n==== %s (at %ss) ====\n' "$*" "$SECONDS"; }

# Debug information as line tables only (-g1): backtraces and sanitizer reports
# still name files and lines, and full -g made every file take 40% longer to
# compile; compiling is most of this script's time.
line_tables=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_DEBUG=-g1
  -DCMAKE_C_FLAGS_DEBUG=-g1)

step "release build and tests"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUBREG_WERROR=ON \
  -DHUBREG_BUILD_BENCH=ON "${line_tables[@]}"
cmake --build build/release -j "$jobs"
ctest --test-dir build/release -j "$jobs" --timeout 600

step "the .deb: made by cpack, unpacked into a scratch root, consumers built against it"
cmake -DHUBREG_BUILD_DIR="$PWD/build/release" -DCONSUMER_SOURCE_DIR="$PWD/tests/find-package" \
  -DWORK_DIR="$PWD/build/release/deb-test" -DMODE=deb -P tests/find-package/run.cmake

step "AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DHUBREG_WERROR=ON \
  -DHUBREG_SANITIZE=address,undefined -DHUBREG_BOOST_SAFE_MODE=ON -DHUBREG_BUILD_PYTHON=OFF \
  "${line_tables[@]}"
cmake --build build/asan -j "$jobs"
# The kill -9 cases run 10 rounds each here (30 in the release run above; longer campaigns:
# scripts/crash-campaign.sh): under the sanitizers each round costs several times as much.
HUBREG_CRASH_ROUNDS=10 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan -j "$jobs" --timeout 900

step "ThreadSanitizer"
# -O1: ThreadSanitizer needs no more to be fast enough, and it compiles in two thirds of -O2's time.
cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUBREG_WERROR=ON \
  -DHUBREG_SANITIZE=thread -DHUBREG_BOOST_SAFE_MODE=ON -DHUBREG_BOOST_INVARIANTS=ON \
  -DHUBREG_BUILD_PYTHON=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
core_tests=(status_test registry_test lookup_test integrity_test node_arena_test concurrency_test)
# Also the store's waits and background refresh across threads (3 s; builds persist), and
# the change feed's fan-out and subscriptions (3 s).
tsan_tests=("${core_tests[@]}" commit_signal_test feed_test)
cmake --build build/tsan -j "$jobs" --target "${tsan_tests[@]}" store_test
for test in "${tsan_tests[@]}"; do
  TSAN_OPTIONS=halt_on_error=1 "build/tsan/tests/$test"
done
# Compactions beside commits: on the caller's thread and on the store's own (2 s).
TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/store_test \
  -tc="*while a compaction*,*background_compaction*,*several threads*"

step "libFuzzer harnesses, 8 s each"
scripts/fuzz.sh 8

step "clang-format"
# Every file must equal clang-format's output; the difference is shown. clang-format 14
# reads a statement that begins with the word `import` as a C++20 import declaration
# ending at its first `;`, even inside a lambda's braces: its output for such code is
# stable but wrongly indented, so no statement may begin with `import`.
unformatted=0
while IFS= read -r -d '' file; do
  clang-format "$file" | diff -u --label "$file" --label "$file (clang-format)" "$file" - ||
    unformatted=1
done < <(git ls-files -z '*.h' '*.cpp' '*.c')
if git grep -nE '^[[:space:]]*import\b' -- '*.h' '*.cpp' '*.c'; then
  echo "a statement beginning with 'import' is misread by clang-format 14: rename it" >&2
  unformatted=1
fi
[ "$unformatted" -eq 0 ]

step "all tests passed"
