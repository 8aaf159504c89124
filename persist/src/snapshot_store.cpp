// The Store-facing faces of standalone snapshot files (hubreg/store.h):
// saving a store's registry, and restoring a file into a data directory.
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "commit_signal.h"
#include "directory_state.h"
#include "hubreg/store.h"
#include "snapshot_file.h"
#include "snapshot_install.h"

namespace hubreg {
namespace {

namespace fs = std::filesystem;

Status FileSystemError(const std::string& context, const std::error_code& error) {
  return Status::Io(context + ": " + error.message());
}

Status SyncDirectory(const fs::path& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Io(directory.string() + ": open directory: " + std::strerror(errno));
  int result = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (result != 0)
    return Status::Io(directory.string() + ": fsync directory: " + std::strerror(error));
  return Status::Ok();
}

// A target that is a symbolic link is restored into the directory it points
// to: swapping the link itself would leave that directory, and the old
// registry's passwords in it, behind. A link to nothing is refused.
StatusOr<fs::path> ResolveLink(const fs::path& target) {
  std::error_code error;
  if (!fs::is_symlink(fs::symlink_status(target, error))) return target;
  fs::path resolved = fs::canonical(target, error);
  if (error) {
    return Status::InvalidArgument(target.string() +
                                   ": a symbolic link that does not lead to a directory (" +
                                   error.message() + "); restore refuses to replace it");
  }
  return resolved;
}

// Whether `target` may receive a restore: missing or an empty directory, or
// anything at all with `overwrite`.
Status CheckTarget(const fs::path& target, bool overwrite) {
  std::error_code error;
  fs::file_status status = fs::status(target, error);
  if (status.type() == fs::file_type::not_found) return Status::Ok();
  if (error) return FileSystemError(target.string(), error);
  if (!fs::is_directory(status)) {
    return Status::InvalidArgument(target.string() + ": not a directory");
  }
  bool empty = fs::is_empty(target, error);
  if (error) return FileSystemError(target.string(), error);
  if (!empty && !overwrite) {
    return Status::InvalidArgument(target.string() +
                                   ": already holds data; restore refuses to replace it "
                                   "unless asked to overwrite");
  }
  return Status::Ok();
}

// An exclusive flock(2) on the target's "writer.lock", the lock every
// writing Store holds on its data directory (data_directory.cpp). Holding it
// while the target is replaced refuses a restore over a directory a store is
// writing to, and keeps any store from opening it until the swap is done.
class TargetLock {
 public:
  TargetLock() = default;
  TargetLock(const TargetLock&) = delete;
  TargetLock& operator=(const TargetLock&) = delete;
  ~TargetLock() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Acquire(const fs::path& target) {
    fs::path file = target / "writer.lock";
    // Never created here: a refused restore must leave the target as it was.
    fd_ = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) {
      if (errno == ENOENT) return Status::Ok();
      return Status::Io(file.string() + ": open: " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Status::Io(target.string() +
                          ": a store has this data directory open for writing; close it before "
                          "restoring over it");
      }
      return Status::Io(file.string() + ": flock: " + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

// Wakes the processes waiting on the commit signal in `directory` (their
// next look finds data.mdb replaced) and records `sequence` there.
void NotifyWaiters(const fs::path& directory, std::uint64_t sequence) {
  StatusOr<persist::CommitSignal> signal = persist::CommitSignal::OpenForWriting(directory);
  if (signal.ok()) signal->Notify(sequence);
}

// Puts the finished directory `built` at `target`. An existing target is
// swapped atomically (renameat2 RENAME_EXCHANGE), so at every moment `target`
// holds either the old registry or the new one; the old one is then removed,
// after its waiting readers were woken to find the new one.
Status MoveIntoPlace(const fs::path& built, const fs::path& target, std::uint64_t sequence) {
  std::error_code error;
  bool exists = fs::exists(target, error);
  if (error) return FileSystemError(target.string(), error);
  if (!exists || fs::is_empty(target, error)) {
    // rename(2) replaces an empty directory in one step.
    if (::rename(built.c_str(), target.c_str()) != 0) {
      return Status::Io(built.string() + ": rename to " + target.string() + ": " +
                        std::strerror(errno));
    }
  } else {
    if (::renameat2(AT_FDCWD, built.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
      return Status::Io(built.string() + ": exchange with " + target.string() + ": " +
                        std::strerror(errno));
    }
    NotifyWaiters(built, sequence);  // now the old registry
    fs::remove_all(built, error);    // leftovers are harmless
  }
  return SyncDirectory(target.parent_path());
}

}  // namespace

Status Store::SaveSnapshotFile(const std::string& file) const {
  return persist::WriteSnapshotFile(registry().Read(), file);
}

Status RestoreSnapshotFile(const std::string& file, const StoreOptions& target, bool overwrite,
                           std::uint64_t* restored_sequence) {
  // Everything is checked before the target is looked at, let alone touched.
  StatusOr<persist::LoadedSnapshot> loaded = persist::ReadSnapshotFile(file);
  if (!loaded.ok()) return loaded.status();

  fs::path target_path = fs::absolute(fs::path(target.path).lexically_normal());
  if (target_path.filename().empty()) target_path = target_path.parent_path();
  StatusOr<fs::path> resolved = ResolveLink(target_path);
  if (!resolved.ok()) return resolved.status();
  target_path = *resolved;
  HUBREG_RETURN_IF_ERROR(CheckTarget(target_path, overwrite));
  TargetLock lock;
  HUBREG_RETURN_IF_ERROR(lock.Acquire(target_path));

  // A hidden sibling on the same file system, so the final rename is atomic.
  std::string built_name(1, '.');
  built_name.append(target_path.filename().string())
      .append(".restore-")
      .append(std::to_string(::getpid()));
  fs::path built = target_path.parent_path() / built_name;
  std::error_code error;
  fs::remove_all(built, error);  // a leftover of an earlier crashed restore by this pid
  StoreOptions options = target;
  options.path = built.string();
  options.read_only = false;
  options.create_if_missing = true;
  // Sequences never go back in a data directory: a read-only process, or a
  // feed cursor, holding sequence N must never take a different registry at
  // N or below for the one it knew (docs/storage.md, "Restoring").
  const std::uint64_t previous = persist::HighestSequenceUsed(target_path);
  const std::uint64_t sequence =
      std::max(loaded->registry->LastSequence(), previous == 0 ? 0 : previous + 1);
  Status installed = persist::CreateStoreWithSnapshot(options, *loaded->registry, sequence);
  if (installed.ok()) NotifyWaiters(built, sequence);  // creates the new directory's signal
  if (installed.ok()) installed = MoveIntoPlace(built, target_path, sequence);
  if (!installed.ok()) {
    fs::remove_all(built, error);
    return installed.WithContext("restoring " + file + " into " + target_path.string());
  }
  if (restored_sequence != nullptr) *restored_sequence = sequence;
  return Status::Ok();
}

}  // namespace hubreg
