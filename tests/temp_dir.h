// The one scratch-directory helper of hubreg's test programs (C++ and C) and
// benchmarks: a new directory, removed with everything in it at the end.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Makes a new directory <base>/hubreg-<label>-XXXXXX, where base is $TMPDIR
// (default /tmp), and writes its path, NUL-terminated, to `path` (`size`
// bytes). Returns 0, or -1 with errno set.
int hubreg_test_make_temp_dir(const char* label, char* path, size_t size);

// Removes `path` and everything under it. Returns 0, or -1 with errno set.
int hubreg_test_remove_temp_dir(const char* path);

#ifdef __cplusplus
}  // extern "C"

#include <filesystem>
#include <string>
#include <string_view>

namespace hubreg::test {

// A new directory <base>/hubreg-<label>-XXXXXX, removed with its contents by
// the destructor. Throws std::system_error when it cannot be made.
class TempDir {
 public:
  explicit TempDir(std::string_view label = "test",
                   const std::filesystem::path& base = std::filesystem::temp_directory_path());
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The path of `name` inside the directory.
  std::string Path(std::string_view name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace hubreg::test
#endif
