#include "compaction_thread.h"

#include <pthread.h>

#include <utility>

namespace hubreg::persist {

CompactionThread::CompactionThread(std::function<void(std::stop_token)> compact)
    : compact_(std::move(compact)), thread_([this](std::stop_token stop) { Run(stop); }) {}

CompactionThread::~CompactionThread() {
  thread_.request_stop();  // wakes the wait below and stops a compaction under way
  thread_.join();
}

void CompactionThread::Wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_requested_ = true;
  }
  woken_.notify_one();
}

void CompactionThread::Run(std::stop_token stop) {
  ::pthread_setname_np(::pthread_self(), "hubreg-compact");
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!woken_.wait(lock, stop, [this] { return wake_requested_; })) return;  // stopped
      wake_requested_ = false;
    }
    compact_(stop);
  }
}

}  // namespace hubreg::persist
