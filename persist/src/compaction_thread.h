// Internal: the thread behind StoreOptions::background_compaction. A writer
// that finds a compaction due after a commit wakes it instead of compacting
// on the committing thread, which goes on committing meanwhile.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace hubreg::persist {

class CompactionThread {
 public:
  // Starts the thread, which runs `compact` once per Wake(). The stop token
  // it is given is stopped when this is destroyed, so a compaction under way
  // can give up between two of its transactions.
  explicit CompactionThread(std::function<void(std::stop_token)> compact);
  // Stops the thread and joins it, after `compact` returns.
  ~CompactionThread();
  CompactionThread(const CompactionThread&) = delete;
  CompactionThread& operator=(const CompactionThread&) = delete;

  // Asks for one more run. Wakes that come while a run is under way make one
  // run after it: the compaction decides for itself whether it is still due.
  void Wake();

 private:
  void Run(std::stop_token stop);

  std::function<void(std::stop_token)> compact_;
  std::mutex mutex_;
  std::condition_variable_any woken_;
  bool wake_requested_ = false;
  std::jthread thread_;  // last: started once everything above is ready
};

}  // namespace hubreg::persist
