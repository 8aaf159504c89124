// Internal: the thread behind StoreOptions::background_refresh. It waits for
// a commit past what the store holds, refreshes, and repeats, until it is
// destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "commit_waiter.h"
#include "hubreg/status.h"

namespace hubreg::persist {

class BackgroundRefresher {
 public:
  // After a failed Refresh, the thread waits this long before trying again
  // (the commit it failed on would otherwise wake it at once, for ever).
  static constexpr std::chrono::milliseconds kRetryDelay{1000};

  struct Hooks {
    std::function<std::uint64_t()> last_sequence;  // what the store holds
    // Whether something past `after` is durable (or the directory was replaced).
    std::function<StatusOr<bool>(std::uint64_t after)> committed_after;
    std::function<Status()> refresh;  // Store::Refresh
  };

  // Starts the thread. REQUIRES: `waiter` and the hooks' targets outlive this.
  BackgroundRefresher(CommitWaiter* waiter, Hooks hooks);
  // Stops the thread (interrupting its wait) and joins it.
  ~BackgroundRefresher();
  BackgroundRefresher(const BackgroundRefresher&) = delete;
  BackgroundRefresher& operator=(const BackgroundRefresher&) = delete;

  // The last failed Refresh's error, "" when the last one succeeded.
  std::string last_error() const;

 private:
  void Run();

  CommitWaiter* waiter_;
  Hooks hooks_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool exited_ = false;
  std::string last_error_;
  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace hubreg::persist
