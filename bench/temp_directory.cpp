#include "temp_directory.h"

#include <cstdio>
#include <cstdlib>

namespace hubreg::bench {

std::unique_ptr<test::TempDir> ScratchDirectory(const std::string& label) {
  const char* base = std::getenv("HUBREG_BENCH_TMPDIR");
  return std::make_unique<test::TempDir>("bench-" + label, base ? base : "/tmp");
}

void CheckOk(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "hubreg_bench: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

}  // namespace hubreg::bench
