// Internal: commits the source transactions a follower has translated, in
// groups (Store::ApplyGroup), on a thread of its own, so that the follower
// keeps receiving, translating and answering the server while LMDB syncs.
// A group holds what arrived while the previous one committed (at most
// max_group transactions), so its size follows the commit time. Each
// transaction stays its own atomic batch, and the position stored with a
// group is its last transaction's.
//
// Thread safety: Submit, Take, Drain and Wait from one thread (the
// follower's); the committer's thread (named kCommitThreadName, as `top -H`
// and /proc show it) only calls Store::ApplyGroup.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/follower.h"
#include "hubreg/lsn.h"
#include "hubreg/status.h"
#include "hubreg/store.h"

namespace hubreg::sync {

inline constexpr char kCommitThreadName[] = "hubreg-commit";

// One complete source transaction, translated.
struct TranslatedTransaction {
  Batch batch;
  FollowState position;      // after it (applied_time is set when committed)
  std::uint64_t number = 0;  // ChangeTranslator::transactions() once it was translated
  std::size_t bytes = 0;     // its pgoutput messages' bytes: what it weighs in the backlog
};

// What the commits did since the last Take.
struct CommitReport {
  std::uint64_t transactions = 0;  // committed
  // Per LMDB commit, in order: its transactions and the last one's end.
  struct Group {
    std::uint64_t transactions = 0;
    Lsn last = kInvalidLsn;
  };
  std::vector<Group> groups;
  std::uint64_t largest_group = 0;  // transactions in the largest of them
  FollowState last;                 // the last committed transaction's position
  std::uint64_t last_number = 0;    // and its number
  // The first failure, after which nothing more is committed: ApplyGroup's
  // error. `broken` is the position of the transaction that broke a rule
  // (the ones before it are committed); nullopt when the store failed.
  Status status;
  std::optional<FollowState> broken;
  // The transactions committed or dropped, handed back so that their rows,
  // allocated by the follower's thread, are freed there too (freeing
  // memory of another thread's malloc arena costs the committer its lock).
  std::vector<TranslatedTransaction> spent;
};

class GroupCommitter {
 public:
  GroupCommitter(Store& store, std::size_t max_group);
  // Finishes the group being committed; what is still queued is dropped.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues a transaction after those submitted before (ignored after a
  // failure).
  void Submit(TranslatedTransaction transaction);
  // Whether at least `limit` transactions or `limit_bytes` bytes (of
  // TranslatedTransaction::bytes) are outstanding: submitted and not yet
  // committed (queued or committing).
  bool Full(std::size_t limit, std::size_t limit_bytes) const;
  // The most bytes outstanding at once so far.
  std::size_t peak_bytes() const;
  // Whether every transaction submitted is committed: none outstanding and
  // no commit failed (after a failure, what was submitted never will be).
  bool all_committed() const;
  // A file descriptor that polls readable once a report is waiting.
  int wake_fd() const { return wake_fd_; }
  // The report of the commits since the last Take (never waits; without
  // one, no lock nor system call: the follower asks after every message).
  CommitReport Take();
  // Waits until fewer than `limit` transactions and fewer than
  // `limit_bytes` bytes are outstanding, a commit failed, or `timeout`
  // passed.
  void WaitBelow(std::size_t limit, std::size_t limit_bytes, std::chrono::milliseconds timeout);
  // Waits until every submitted transaction is committed or a commit failed.
  void Drain();

 private:
  void Run(const std::stop_token& stop);

  Store& store_;
  const std::size_t max_group_;
  int wake_fd_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable_any work_;   // the committer: something queued
  std::condition_variable committed_;  // the follower: a group is done
  std::deque<TranslatedTransaction> queue_;
  std::size_t committing_ = 0;  // transactions in the group being committed
  std::size_t outstanding_bytes_ = 0;
  std::size_t peak_bytes_ = 0;
  bool failed_ = false;
  CommitReport report_;
  std::atomic<bool> reported_{false};  // report_ holds something to Take
  std::jthread thread_;                // last: it starts once the members above exist
};

}  // namespace hubreg::sync
