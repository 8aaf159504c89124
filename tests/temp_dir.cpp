#include "temp_dir.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace hubreg::test {
namespace {

// mkdtemp of <base>/hubreg-<label>-XXXXXX: the path made, or "" with errno set.
std::string MakeTempDir(std::string_view label, const std::filesystem::path& base) {
  std::string path = (base / ("hubreg-" + std::string(label) + "-XXXXXX")).string();
  if (::mkdtemp(path.data()) == nullptr) return "";
  return path;
}

}  // namespace

TempDir::TempDir(std::string_view label, const std::filesystem::path& base)
    : path_(MakeTempDir(label, base)) {
  if (path_.empty()) {
    throw std::system_error(errno, std::generic_category(),
                            "making a temporary directory in " + base.string());
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace hubreg::test

extern "C" int hubreg_test_make_temp_dir(const char* label, char* path, size_t size) {
  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) {
    errno = error.value();
    return -1;
  }
  const std::string made = hubreg::test::MakeTempDir(label, base);
  if (made.empty()) return -1;
  if (made.size() >= size) {
    ::rmdir(made.c_str());
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(path, made.c_str(), made.size() + 1);
  return 0;
}

extern "C" int hubreg_test_remove_temp_dir(const char* path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) {
    errno = error.value();
    return -1;
  }
  return 0;
}
