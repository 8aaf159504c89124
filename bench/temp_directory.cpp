#include "temp_directory.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace hubreg::bench {

TempDirectory::TempDirectory(const std::string& label) {
  const char* base = std::getenv("HUBREG_BENCH_TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/hubreg-bench-" + label + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("hubreg_bench: mkdtemp");
    std::abort();
  }
  path_ = pattern;
}

TempDirectory::~TempDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void CheckOk(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "hubreg_bench: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

}  // namespace hubreg::bench
