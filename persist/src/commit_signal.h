// Internal: the data directory's commit signal, the file "commit-signal"
// beside data.mdb (docs/storage.md, "Waiting for commits"), through which a
// read-only process sleeps until the writer commits, without polling.
//
// The writer maps the file shared and, after each durable commit, stores the
// batch's sequence and bumps a 32-bit word, then FUTEX_WAKEs every waiter on
// that word. A futex on a MAP_SHARED file mapping is keyed by the file's
// page, not by the address, so waiters in other processes are woken.
// The contents are only ever a wake-up: what is durable is read from LMDB.
//
// 32 bytes, native byte order (the file is shared only by processes of one
// machine):
//    0  8  magic "HUBREGCS"
//    8  4  u32 format version, 1
//   12  4  u32 word: changed by every notification (the futex)
//   16  8  u64 sequence: the last batch notified
//   24  8  zero
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "hubreg/status.h"

namespace hubreg::persist {

inline constexpr char kCommitSignalFile[] = "commit-signal";
inline constexpr std::size_t kCommitSignalBytes = 32;

class CommitSignal {
 public:
  // The writer's signal: opens <dir>/commit-signal (O_NOFOLLOW, a regular
  // file of the right size and magic), or, when it is missing, damaged, a
  // symbolic link or not a regular file, creates a new one (0600, O_EXCL |
  // O_NOFOLLOW under a temporary name, renamed over the old name). A file a
  // crashed writer left is reused as it is. kIo when neither works.
  static StatusOr<CommitSignal> OpenForWriting(const std::string& dir);

  // A waiter's signal, mapped read-only. kNotFound when there is none;
  // kCorruption when it is a symbolic link, not a regular file, or has the
  // wrong size, magic or version (nothing is mapped then); kIo otherwise.
  static StatusOr<CommitSignal> OpenForWaiting(const std::string& dir);

  CommitSignal() = default;
  CommitSignal(CommitSignal&& other) noexcept;
  CommitSignal& operator=(CommitSignal&& other) noexcept;
  CommitSignal(const CommitSignal&) = delete;
  CommitSignal& operator=(const CommitSignal&) = delete;
  ~CommitSignal();

  bool attached() const { return mapping_ != nullptr; }

  // Writers: records `sequence`, changes the word and wakes every waiter.
  // REQUIRES: opened for writing.
  void Notify(std::uint64_t sequence) const;

  // Wakes this file's waiters without changing anything (they re-check and
  // sleep again): how a process interrupts its own waiting thread.
  void WakeAll() const;

  // The word's current value; read it before checking what it guards.
  std::uint32_t Word() const;
  // The last sequence notified (a hint only: LMDB is the truth).
  std::uint64_t Sequence() const;

  // Sleeps while the word equals `seen`, at most `timeout`. Returns on a
  // notification, a WakeAll, the timeout, a signal (EINTR) or spuriously:
  // the caller re-checks what it waits for. Never spins.
  void WaitWhile(std::uint32_t seen, std::chrono::nanoseconds timeout) const;

  // Whether <dir>/commit-signal is still the file this one mapped (a
  // restore or a writer replacing a damaged file puts a new one there).
  bool IsFileAt(const std::string& dir) const;

 private:
  std::uint32_t* word() const;
  std::uint64_t* sequence() const;

  // Maps the checked signal file `fd` (its `info`) with `protection`.
  static StatusOr<CommitSignal> Map(int fd, int protection, const std::string& path,
                                    const struct stat& info);

  void* mapping_ = nullptr;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace hubreg::persist
