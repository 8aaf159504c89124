#!/usr/bin/env bash
# Sets everything up, builds hubreg, and runs its main job: `hubreg demo`
# builds a realistic synthetic registry, persists it, reopens it from its
# snapshot and reports counts, start-up time and lookups per second.
# Extra arguments go to `hubreg demo` (see docs/cli.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ ! -f tools/CMakeLists.txt ]; then
  echo "hubreg demo: the hubreg command is not built yet (see issue 4); the test suite is scripts/test.sh"
  exit 0
fi
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DHUBREG_BUILD_TESTS=OFF -DHUBREG_BUILD_PYTHON=OFF
cmake --build build/demo -j "$(nproc)" --target hubreg
exec build/demo/tools/hubreg demo "$@"
