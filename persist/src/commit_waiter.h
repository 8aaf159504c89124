// Internal: waiting for commits, in the writing process (a condition
// variable) and in read-only processes (the commit signal's futex, or, when
// the data directory has no usable signal, a look every kPollInterval).
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "commit_signal.h"
#include "hubreg/status.h"

namespace hubreg::persist {

class CommitWaiter {
 public:
  // Without a usable signal file, how often a read-only waiter looks.
  static constexpr std::chrono::milliseconds kPollInterval{50};
  // With one, the longest sleep between two looks all the same: the signal
  // file itself may have been replaced (a restore, a writer replacing a
  // damaged file), and a waiter on the old one would never be woken.
  static constexpr std::chrono::milliseconds kSignalRecheck{1000};

  // `writer`: this process commits to `dir` and notifies (the signal file
  // is opened or created now; without it, only this process's waiters are
  // woken). Otherwise the signal is attached at the first wait, and again
  // whenever the file at its name changes.
  CommitWaiter(std::string dir, bool writer);
  CommitWaiter(const CommitWaiter&) = delete;
  CommitWaiter& operator=(const CommitWaiter&) = delete;

  // Writers, after each durable commit, once its batch is visible.
  void Notify(std::uint64_t sequence);

  // Writers, after a copying compaction put a new data directory at `dir`:
  // uses (or creates) its signal from now on, and notifies the old one's
  // waiters, who then find data.mdb replaced, and the new one's.
  void Reattach(std::uint64_t sequence);

  // Returns true as soon as `done()` is, false at `deadline` or once
  // Interrupt was called; `done()`'s error if it fails. `done` is called
  // again after every wake-up.
  StatusOr<bool> WaitUntil(const std::function<StatusOr<bool>()>& done,
                           std::chrono::steady_clock::time_point deadline) const;

  // Makes every WaitUntil, now and later, return false promptly. Called
  // repeatedly by a thread stopping a waiter (one wake-up can fall between a
  // waiter's last look and its sleep).
  void Interrupt();

  // Wakes every WaitUntil in progress once, so that it calls `done()`
  // again. One wake-up can fall between a waiter's look and its sleep:
  // a thread stopping a waiter repeats it until the waiter has returned.
  void Wake();

  // Whether waits sleep on a signal file (see StoreStats::commit_signal).
  bool signal_attached() const;

 private:
  // The signal as the file at its name is now (waiters only).
  std::shared_ptr<const CommitSignal> AttachedSignal() const;

  const std::string dir_;
  const bool writer_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  // Shared so that a waiter sleeping on a mapping keeps it mapped while
  // another thread attaches a newer file.
  mutable std::shared_ptr<const CommitSignal> signal_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace hubreg::persist
