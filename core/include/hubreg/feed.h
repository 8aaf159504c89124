// The change feed's pull cursor and subscriptions (docs/feed.md).
//
// A cursor is a batch sequence number: "I have seen every batch up to N".
// Changes(N, timeout) answers with batch N + 1 (waiting for it up to the
// timeout), or kResyncRequired when batch N + 1 is no longer kept: the
// caller must then start again from a whole state (a View, a snapshot) and
// continue after that state's sequence. Batches come in sequence order, none
// is skipped and none is delivered twice to a cursor that advances by one.
//
// A Subscription runs such a cursor on a thread of its own and hands each
// batch to a callback. A slow callback only makes its own subscription fall
// behind; the writer and readers never wait for it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
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

// A running subscription; destroying it (or Stop) ends it. Movable, not
// copyable; a default-constructed one runs nothing.
//
// The callback runs on the subscription's own thread, one event at a time,
// in order. After a kResync or kError event no further event comes.
// REQUIRES: Stop and the destructor are not called from the callback, and
// the Registry or Store subscribed to outlives the Subscription.
class Subscription {
 public:
  using Callback = std::function<void(const FeedEvent&)>;
  // Batch after `after` within `timeout`, nullopt when there is none yet,
  // or an error (kResyncRequired among them).
  using Pull = std::function<StatusOr<std::optional<ChangeBatch>>(
      std::uint64_t after, std::chrono::milliseconds timeout)>;
  using RestartSequence = std::function<std::uint64_t()>;

  // How long one pull may wait; bounds how long Stop takes.
  static constexpr std::chrono::milliseconds kPullTimeout{100};

  Subscription() = default;
  // Starts the thread. `idle`: how long to pause after a pull that found no
  // batch (for sources whose pull does not wait; zero otherwise).
  Subscription(std::uint64_t after_sequence, Pull pull, RestartSequence restart,
               std::chrono::milliseconds idle, Callback callback);
  ~Subscription();
  Subscription(Subscription&&) noexcept;
  Subscription& operator=(Subscription&&) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Ends the subscription and waits for its thread (and a callback in
  // progress) to finish. Idempotent.
  void Stop();

  // The sequence of the last batch delivered (the starting cursor before
  // any). Thread-safe.
  std::uint64_t position() const;
  // Whether the subscription still runs (false after a kResync or kError
  // event, after Stop, and for a default-constructed one).
  bool running() const;

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable stopped;
    bool stop = false;
    std::atomic<bool> running{true};
    std::atomic<std::uint64_t> position{0};
  };
  static void Run(State& state, Pull pull, RestartSequence restart, std::chrono::milliseconds idle,
                  Callback callback);

  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace hubreg
