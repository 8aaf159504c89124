// IsSnapshotFile (store.h): a look at the first bytes, for messages.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <string_view>

#include "hubreg/store.h"
#include "snapshot_format.h"

namespace hubreg {

bool IsSnapshotFile(const std::string& file) {
  // O_NONBLOCK: a FIFO at `file` must not make the caller wait for a writer.
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat info {};
  std::array<char, persist::kSnapshotFileMagic.size()> head{};
  const bool is_snapshot =
      ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) &&
      ::pread(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()) &&
      std::string_view(head.data(), head.size()) == persist::kSnapshotFileMagic;
  ::close(fd);
  return is_snapshot;
}

}  // namespace hubreg
