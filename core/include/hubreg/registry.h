// The registry: the five tables in memory, every lookup indexed, integrity
// enforced on every mutation, consistent lock-free reads.
//
// Thread safety: any number of threads may call Read() and use their Views
// while one thread at a time applies batches (Apply serialises writers).
// Readers never wait: not for a writer, not for a commit hook's disk I/O.
// A writer may wait for Views of the state it is about to overwrite.
//
//   hubreg::Registry registry;
//   hubreg::Batch batch;
//   batch.Insert(hubreg::User{.external_id = "u-1", .email = "ann@example.com"});
//   auto committed = registry.Apply(batch);          // StatusOr<CommitResult>
//   hubreg::View view = registry.Read();
//   const hubreg::User* ann = view.FindUserByEmail("ANN@example.com");
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/change.h"
#include "hubreg/feed.h"
#include "hubreg/model.h"
#include "hubreg/status.h"
#include "hubreg/view.h"

namespace hubreg {

// Every row of a registry, e.g. as loaded from a snapshot. Next ids of 0 are
// derived from the rows (largest id + 1).
struct RegistryRows {
  std::vector<App> apps;
  std::vector<Organization> organizations;
  std::vector<Client> clients;
  std::vector<User> users;
  std::vector<ClientUserLink> links;
  Id next_app_id = 0;
  Id next_organization_id = 0;
  Id next_client_id = 0;
  Id next_user_id = 0;
};

class Registry {
 public:
  // Runs after a batch has passed every check and before it becomes visible,
  // with the batch as applied and its sequence number. If it returns an
  // error, the batch is rolled back and Apply returns that error. This is
  // where persistence commits to disk; readers keep reading meanwhile.
  using CommitHook = std::function<Status(const CommitResult&)>;
  using Clock = std::function<Timestamp()>;

  // An empty registry at sequence 0.
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Builds a registry holding `rows` at `sequence`, checking every integrity
  // rule as if the rows were inserted one by one (Duplicate, ForeignKey and
  // InvalidArgument errors name the offending row). Uses both cores.
  static StatusOr<std::unique_ptr<Registry>> FromRows(RegistryRows rows, std::uint64_t sequence);

  // A consistent view of the latest published state. Never blocks.
  View Read() const;

  // Applies `batch` atomically: checks each mutation against the state left
  // by the previous ones; on the first failure nothing changes and the error
  // names the mutation's position ("in mutation 3 of 5"). On success the
  // batch is visible to every later Read().
  // REQUIRES: the calling thread holds no View of this registry: the writer
  // waits for the Views of the copy it overwrites, so it would wait for itself.
  StatusOr<CommitResult> Apply(const Batch& batch);

  // What ApplyGroup did: the batches applied, in order (an empty batch is
  // listed with the sequence before it, as Apply reports it), and why the
  // rest were not (OK when every batch was applied).
  struct GroupResult {
    std::vector<CommitResult> committed;
    Status status;
  };
  // Makes a group durable; runs instead of the commit hook.
  using GroupCommit = std::function<Status(std::span<const CommitResult>)>;

  // Applies `batches` in order, each atomically with its own sequence, and
  // publishes them together after one call of `commit` on all of them, so a
  // reader never sees a batch before it is durable. If batch k breaks a rule,
  // batches 0..k-1 are committed and published and status is k's error
  // ("in mutation i of m, in batch k+1 of n"); `commit` is not called when
  // k is 0. If `commit` fails, nothing is published: committed is empty and
  // status is its error. REQUIRES: as Apply.
  GroupResult ApplyGroup(std::span<const Batch> batches, const GroupCommit& commit);

  // One-mutation conveniences. Insert returns the row's id (assigned when the
  // row's id was 0).
  template <typename Row>
  StatusOr<Id> Insert(Row row);
  template <typename Row>
  Status Update(Row row) {
    return Apply(Batch().Update(std::move(row))).status();
  }
  template <typename Row>
  Status Erase(Id id) {
    return Apply(Batch().Erase<Row>(id)).status();
  }
  Status Link(Id client_id, Id user_id) { return Apply(Batch().Link(client_id, user_id)).status(); }
  Status Unlink(Id client_id, Id user_id) {
    return Apply(Batch().Unlink(client_id, user_id)).status();
  }

  // REQUIRES: no Apply is running. Replaces the hook (an empty one disables it).
  void SetCommitHook(CommitHook hook);
  // REQUIRES: no Apply is running. Source of "now" for default timestamps.
  void SetClock(Clock clock);

  // Runs `fn` on a view of the latest state while no batch can be applied,
  // e.g. to write a snapshot that must match the sequence exactly.
  Status RunExclusive(const std::function<Status(const View&)>& fn);

  std::uint64_t LastSequence() const;

  // The change feed (hubreg/feed.h, docs/feed.md). The registry keeps the
  // ChangeBatches of its last FeedCapacity() batches in memory; Apply only
  // moves each into this ring and wakes the waiting cursors.
  static constexpr std::size_t kDefaultFeedCapacity = 4096;
  static constexpr std::size_t kDefaultFeedMemoryBytes = std::size_t{16} << 20;

  // The batch with sequence after_sequence + 1, waiting up to `timeout` for
  // it to be published; nullopt when it has not been by then.
  // kResyncRequired when it is no longer (or was never) kept: its message
  // names the batches kept, and a View taken now is a state to start again
  // from. Thread-safe; never delays Apply or readers beyond a short lock.
  StatusOr<std::optional<ChangeBatch>> Changes(std::uint64_t after_sequence,
                                               std::chrono::milliseconds timeout) const;

  // Hands each batch after `after_sequence` (and a final kResync event,
  // whose restart_sequence is LastSequence() at that moment) to `callback`,
  // on a thread of the subscription's own (hubreg/feed.h).
  Subscription Subscribe(std::uint64_t after_sequence, Subscription::Callback callback) const;
  // The feed as the fan-out of subscriptions reads it: the ring's batches
  // without copying them, and its waits. For a Store built on this registry.
  detail::FeedSource FeedSource() const;

  // How many batches the feed keeps (0: none; Changes then always answers
  // kResyncRequired or waits). Dropping below the number held drops the
  // oldest. Thread-safe.
  void SetFeedCapacity(std::size_t batches);
  std::size_t FeedCapacity() const;
  // How many bytes of ChangeBatches the feed keeps at most (estimated from
  // the rows they hold), besides the number of batches: the oldest go
  // first, and a batch larger than the bound is not kept at all.
  // Thread-safe.
  void SetFeedMemoryBytes(std::size_t bytes);

  // Whether any View of this registry is alive. Only a statement about the
  // moment of the call: an owner that has stopped handing the registry out
  // (e.g. a read-only Store that reloaded) uses it to know when it may free it.
  bool HasViews() const;

 private:
  struct Instance;
  struct Feed;

  Registry(std::unique_ptr<Instance> first, std::unique_ptr<Instance> second);
  Instance& Standby();
  void CatchUpStandby();
  // Moves a published batch's changes into the feed and wakes its cursors.
  void Publish(ChangeBatch&& changes);

  // Two copies of the state ("left-right"): readers use the active one while
  // the writer changes the standby, then they swap. See docs/design.md.
  std::array<std::unique_ptr<Instance>, 2> instances_;
  std::atomic<int> active_{0};
  std::atomic<std::uint64_t> last_sequence_{0};
  std::mutex writer_mutex_;
  std::vector<Batch> pending_;  // applied to the active copy, not yet to the standby
  CommitHook commit_hook_;
  Clock clock_;
  // Fills the standby copy after a bulk load; joined before the first write.
  std::thread standby_builder_;
  std::unique_ptr<Feed> feed_;
};

template <typename Row>
StatusOr<Id> Registry::Insert(Row row) {
  static_assert(!std::is_same_v<Row, ClientUserLink>, "links have no id: use Link()");
  StatusOr<CommitResult> result = Apply(Batch().Insert(std::move(row)));
  if (!result.ok()) return result.status();
  return std::get<InsertRow<Row>>(result->applied.mutations().front()).row.id;
}

}  // namespace hubreg
