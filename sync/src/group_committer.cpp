#include "group_committer.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <vector>

#include "follow_state.h"

namespace hubreg::sync {

GroupCommitter::GroupCommitter(Store& store, std::size_t max_group)
    : store_(store),
      max_group_(std::max<std::size_t>(max_group, 1)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

GroupCommitter::~GroupCommitter() {
  thread_.request_stop();
  work_.notify_all();
  thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void GroupCommitter::Submit(TranslatedTransaction transaction) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_) return;
    outstanding_bytes_ += transaction.bytes;
    peak_bytes_ = std::max(peak_bytes_, outstanding_bytes_);
    queue_.push_back(std::move(transaction));
  }
  work_.notify_one();
}

std::size_t GroupCommitter::peak_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_bytes_;
}

bool GroupCommitter::Full(std::size_t limit, std::size_t limit_bytes) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size() + committing_ >= limit || outstanding_bytes_ >= limit_bytes;
}

bool GroupCommitter::all_committed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !failed_ && queue_.empty() && committing_ == 0;
}

CommitReport GroupCommitter::Take() {
  if (!reported_.load(std::memory_order_acquire)) return CommitReport();
  if (wake_fd_ >= 0) {
    std::uint64_t count = 0;
    while (::read(wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  CommitReport report = std::move(report_);
  report_ = CommitReport();
  // A failure stays reported: nothing is committed after it.
  if (failed_) {
    report_.status = report.status;
    report_.broken = report.broken;
  } else {
    reported_.store(false, std::memory_order_relaxed);
  }
  return report;
}

void GroupCommitter::WaitBelow(std::size_t limit, std::size_t limit_bytes,
                               std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  committed_.wait_for(lock, timeout, [&] {
    return failed_ || (queue_.size() + committing_ < limit && outstanding_bytes_ < limit_bytes);
  });
}

void GroupCommitter::Drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  committed_.wait(lock, [&] { return failed_ || queue_.size() + committing_ == 0; });
}

void GroupCommitter::Run(const std::stop_token& stop) {
  ::pthread_setname_np(::pthread_self(), kCommitThreadName);
  std::vector<TranslatedTransaction> group;
  std::vector<Batch> batches;
  std::vector<std::string> states;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!work_.wait(lock, stop, [&] { return !queue_.empty(); }) || stop.stop_requested()) {
        return;
      }
      const std::size_t n = std::min(queue_.size(), max_group_);
      group.clear();
      for (std::size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      committing_ = n;
    }
    batches.clear();
    states.clear();
    const Timestamp applied_time =
        std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
    std::size_t group_bytes = 0;
    for (TranslatedTransaction& one : group) {
      group_bytes += one.bytes;
      one.position.applied_time = applied_time;
      batches.push_back(std::move(one.batch));
      states.push_back(EncodeFollowState(one.position));
    }
    Registry::GroupResult result = store_.ApplyGroup(batches, states);
    const std::size_t done = result.committed.size();
    for (std::size_t i = 0; i < group.size(); ++i) group[i].batch = std::move(batches[i]);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      committing_ = 0;
      outstanding_bytes_ -= group_bytes;
      if (done > 0) {
        report_.transactions += done;
        report_.groups.push_back({done, group[done - 1].position.lsn});
        report_.largest_group = std::max<std::uint64_t>(report_.largest_group, done);
        report_.last = group[done - 1].position;
        report_.last_number = group[done - 1].number;
      }
      if (!result.status.ok()) {
        failed_ = true;
        queue_.clear();
        outstanding_bytes_ = 0;
        report_.status = result.status;
        if (done < group.size() && result.status.code() != ErrorCode::kIo) {
          report_.broken = group[done].position;
        }
      }
      std::move(group.begin(), group.end(), std::back_inserter(report_.spent));
      reported_.store(true, std::memory_order_release);
    }
    committed_.notify_all();
    if (wake_fd_ >= 0) {
      const std::uint64_t one = 1;
      while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
      }
    }
    if (!result.status.ok()) return;
  }
}

}  // namespace hubreg::sync
