// Internal to the benchmark program: scratch directories and a fatal check
// for the benchmarks that write files.
#pragma once

#include <memory>
#include <string>

#include "hubreg/status.h"
#include "temp_dir.h"

namespace hubreg::bench {

// A new directory under $HUBREG_BENCH_TMPDIR (default /tmp), removed with its
// contents when destroyed (the tests' helper, tests/temp_dir.h). It must be on
// a real disk for the durable-write figures to mean anything (tmpfs makes
// fsync free).
std::unique_ptr<test::TempDir> ScratchDirectory(const std::string& label);

// Aborts the program with the error (a benchmark has no caller to tell).
void CheckOk(const Status& status, const char* what);

}  // namespace hubreg::bench
