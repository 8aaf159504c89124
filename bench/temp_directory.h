// Internal to the benchmark program: scratch directories and a fatal check
// for the benchmarks that write files.
#pragma once

#include <string>

#include "hubreg/status.h"

namespace hubreg::bench {

// A directory under $HUBREG_BENCH_TMPDIR (default /tmp), removed with its
// contents by the destructor. It must be on a real disk for the durable-write
// figures to mean anything (tmpfs makes fsync free).
class TempDirectory {
 public:
  explicit TempDirectory(const std::string& label);
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Aborts the program with the error (a benchmark has no caller to tell).
void CheckOk(const Status& status, const char* what);

}  // namespace hubreg::bench
