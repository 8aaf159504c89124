#include "commit_waiter.h"

#include <algorithm>
#include <utility>

namespace hubreg::persist {

CommitWaiter::CommitWaiter(std::string dir, bool writer) : dir_(std::move(dir)), writer_(writer) {
  if (!writer_) return;
  StatusOr<CommitSignal> signal = CommitSignal::OpenForWriting(dir_);
  // Without the file, readers in other processes fall back to looking every
  // kPollInterval; the writer itself is not hindered.
  if (signal.ok()) signal_ = std::make_shared<const CommitSignal>(std::move(*signal));
}

void CommitWaiter::Notify(std::uint64_t sequence) {
  std::shared_ptr<const CommitSignal> signal;
  {
    // Taking the mutex orders this with a waiter between its look and its
    // sleep: it either saw the commit or is woken now.
    std::lock_guard<std::mutex> lock(mutex_);
    signal = signal_;
  }
  changed_.notify_all();
  if (signal) signal->Notify(sequence);
}

void CommitWaiter::Reattach(std::uint64_t sequence) {
  StatusOr<CommitSignal> signal = CommitSignal::OpenForWriting(dir_);
  std::shared_ptr<const CommitSignal> old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    old = std::move(signal_);
    signal_ = signal.ok() ? std::make_shared<const CommitSignal>(std::move(*signal)) : nullptr;
  }
  if (old) old->Notify(sequence);
  Notify(sequence);
}

std::shared_ptr<const CommitSignal> CommitWaiter::AttachedSignal() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (signal_ && signal_->IsFileAt(dir_)) return signal_;
  StatusOr<CommitSignal> signal = CommitSignal::OpenForWaiting(dir_);
  signal_ = signal.ok() ? std::make_shared<const CommitSignal>(std::move(*signal)) : nullptr;
  return signal_;
}

StatusOr<bool> CommitWaiter::WaitUntil(const std::function<StatusOr<bool>()>& done,
                                       std::chrono::steady_clock::time_point deadline) const {
  using Clock = std::chrono::steady_clock;
  if (writer_) {
    // Commits of this process are the only ones: its condition variable.
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      StatusOr<bool> finished = done();
      if (!finished.ok() || *finished) return finished;
      if (interrupted_.load() || Clock::now() >= deadline) return false;
      changed_.wait_until(lock, deadline);
    }
  }
  for (;;) {
    std::shared_ptr<const CommitSignal> signal = AttachedSignal();
    // Read before looking: a commit after the look changes it, so the
    // futex wait below returns at once instead of sleeping through it.
    const std::uint32_t seen = signal ? signal->Word() : 0;
    if (interrupted_.load()) return false;
    StatusOr<bool> finished = done();
    if (!finished.ok() || *finished) return finished;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    const std::chrono::nanoseconds left = deadline - now;
    if (signal) {
      signal->WaitWhile(seen, std::min<std::chrono::nanoseconds>(left, kSignalRecheck));
    } else {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait_for(lock, std::min<std::chrono::nanoseconds>(left, kPollInterval),
                        [this] { return interrupted_.load(); });
    }
  }
}

void CommitWaiter::Interrupt() {
  std::shared_ptr<const CommitSignal> signal;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    interrupted_ = true;
    signal = signal_;
  }
  changed_.notify_all();
  // Wakes this file's waiters in other processes too: they look again and
  // go back to sleep.
  if (signal && !writer_) signal->WakeAll();
}

void CommitWaiter::Wake() {
  std::shared_ptr<const CommitSignal> signal;
  {
    // Orders this with a writer-side waiter between its look and its sleep.
    std::lock_guard<std::mutex> lock(mutex_);
    signal = signal_;
  }
  changed_.notify_all();
  // Wakes this file's waiters in other processes too: they look again and
  // go back to sleep.
  if (signal && !writer_) signal->WakeAll();
}

bool CommitWaiter::signal_attached() const {
  if (writer_) {
    std::lock_guard<std::mutex> lock(mutex_);
    return signal_ != nullptr;
  }
  return AttachedSignal() != nullptr;
}

}  // namespace hubreg::persist
