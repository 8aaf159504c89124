// The change feed's pull cursor and subscriptions (docs/feed.md).
//
// A cursor is a batch sequence number: "I have seen every batch up to N".
// Changes(N, timeout) answers with batch N + 1 (waiting for it up to the
// timeout), or kResyncRequired when batch N + 1 is no longer kept: the
// caller must then start again from a whole state (a View, a snapshot) and
// continue after that state's sequence. Batches come in sequence order, none
// is skipped and none is delivered twice to a cursor that advances by one.
//
// A Subscription hands each batch to a callback on a thread of its own. A
// slow callback only makes its own subscription fall behind; the writer,
// readers and other subscriptions never wait for it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "hubreg/batch.h"
#include "hubreg/change.h"
#include "hubreg/status.h"

namespace hubreg {

// What a Subscription hands its callback.
struct FeedEvent {
  enum class Kind {
    kBatch,   // `batch` is the next batch after the previous event's
    kResync,  // the batches after the cursor are no longer kept; the subscription has ended
    kError,   // reading the feed failed (`status`); the subscription has ended
  };
  Kind kind = Kind::kBatch;
  ChangeBatch batch;  // kBatch only
  Status status;      // kResync (code kResyncRequired) and kError: why
  // kResync: the sequence of a state to rebuild from (the registry's latest
  // for a Registry, the stored snapshot's for a Store); subscribe again
  // after the sequence of the state actually rebuilt from.
  std::uint64_t restart_sequence = 0;
};

// The batch that turns the state before `changes` into the state after it:
// each change's `after` side as an insert, update or erase (cascaded link
// erases as explicit unlinks), every id and timestamp as recorded. How a
// subscriber keeping its own Registry applies the feed, and how the journal
// is replayed.
Batch ToBatch(const ChangeBatch& changes);

namespace detail {
class FanOut;
class FanOutSlot;
struct Subscriber;
}  // namespace detail

// A running subscription; destroying it (or Stop) ends it. Movable, not
// copyable; a default-constructed one runs nothing.
//
// The callback runs on the subscription's own thread, one event at a time,
// in order. After a kResync or kError event no further event comes. The
// subscriptions of one Registry or Store share one fan-out thread that
// reads each batch once (docs/feed.md, "How subscriptions are served").
// REQUIRES: Stop and the destructor are not called from the callback, and
// the Registry or Store subscribed to outlives the Subscription.
class Subscription {
 public:
  using Callback = std::function<void(const FeedEvent&)>;

  // The fan-out thread's longest sleep while nothing is published (a
  // safety net: a commit, Stop and the last subscription's end wake it).
  static constexpr std::chrono::milliseconds kIdleWait{10'000};
  // After handing out batches, how long the fan-out thread lets new ones
  // gather before it looks again, so that under a stream of commits the
  // writer does not wake it once per commit. The first batch after a quiet
  // spell is handed out at once.
  static constexpr std::chrono::milliseconds kGather{1};
  // Batches handed out and not yet delivered, per subscription; a
  // subscription further behind reads the feed itself (ring, then journal).
  static constexpr std::size_t kQueueBatches = 64;

  Subscription() = default;
  ~Subscription();
  Subscription(Subscription&&) noexcept;
  Subscription& operator=(Subscription&&) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Ends the subscription and waits for its thread (and a callback in
  // progress) to finish; the last subscription of a Registry or Store also
  // ends the fan-out thread. Neither waits for a timeout. Idempotent.
  void Stop();

  // The sequence of the last batch delivered (the starting cursor before
  // any). Thread-safe.
  std::uint64_t position() const;
  // Whether the subscription still runs (false after a kResync or kError
  // event, after Stop, and for a default-constructed one).
  bool running() const;

 private:
  friend class detail::FanOutSlot;
  Subscription(std::shared_ptr<detail::FanOut> fan_out,
               std::shared_ptr<detail::Subscriber> subscriber);

  std::shared_ptr<detail::FanOut> fan_out_;
  std::shared_ptr<detail::Subscriber> subscriber_;
  std::thread thread_;
};

namespace detail {

// Where a fan-out reads the feed: built by Registry::Subscribe and
// Store::Subscribe. Every function may be called from any thread.
struct FeedSource {
  // The batch after `after`, without waiting; nullptr when it has not been
  // published yet; kResyncRequired when it is no longer kept.
  std::function<StatusOr<std::shared_ptr<const ChangeBatch>>(std::uint64_t after)> next;
  // Sleeps until a batch after `after` may have been published, `timeout`
  // has passed, or `stop` is set (looked at after every wake-up).
  std::function<void(std::uint64_t after, std::chrono::milliseconds timeout,
                     const std::atomic<bool>& stop)>
      wait;
  // Wakes a `wait` in progress, so that it looks at `stop`. May come just
  // before the wait begins to sleep: callers repeat it until the wait ends.
  std::function<void()> wake;
  // The sequence of the newest batch published: where the fan-out starts.
  std::function<std::uint64_t()> head;
  // A kResync event's restart_sequence.
  std::function<std::uint64_t()> restart_sequence;
};

// The subscriptions of one Registry or Store: the fan-out thread runs from
// the first subscription to the end of the last. Thread-safe.
class FanOutSlot {
 public:
  // `source` is called only when no fan-out runs.
  Subscription Subscribe(std::uint64_t after_sequence, Subscription::Callback callback,
                         const std::function<FeedSource()>& source);

 private:
  std::mutex mutex_;
  std::weak_ptr<FanOut> fan_out_;
};

}  // namespace detail

}  // namespace hubreg
