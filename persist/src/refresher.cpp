#include "refresher.h"

#include <utility>

namespace hubreg::persist {

BackgroundRefresher::BackgroundRefresher(CommitWaiter* waiter, Hooks hooks)
    : waiter_(waiter), hooks_(std::move(hooks)), thread_([this] { Run(); }) {}

BackgroundRefresher::~BackgroundRefresher() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  // One interruption can land between the thread's last look and its sleep
  // (a futex wake-up is not remembered), so repeat until it has left.
  while (!exited_) {
    lock.unlock();
    waiter_->Interrupt();
    lock.lock();
    changed_.wait_for(lock, std::chrono::milliseconds(10), [this] { return exited_; });
  }
  lock.unlock();
  thread_.join();
}

std::string BackgroundRefresher::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void BackgroundRefresher::Run() {
  // No deadline of its own: the wait ends with a commit or an interruption.
  constexpr auto kLongWait = std::chrono::hours(24);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
    }
    const std::uint64_t after = hooks_.last_sequence();
    StatusOr<bool> committed = waiter_->WaitUntil([&] { return hooks_.committed_after(after); },
                                                  std::chrono::steady_clock::now() + kLongWait);
    Status status = committed.status();
    if (status.ok() && *committed) status = hooks_.refresh();
    std::unique_lock<std::mutex> lock(mutex_);
    if (status.ok() && committed.ok() && !*committed) continue;  // timed out or interrupted
    last_error_ = status.ok() ? std::string() : status.ToString();
    if (!status.ok()) {
      changed_.wait_for(lock, kRetryDelay, [this] { return stopping_; });
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  exited_ = true;
  changed_.notify_all();
}

}  // namespace hubreg::persist
