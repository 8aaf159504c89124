// Internal: the registry's change feed, a ring of the last batches'
// ChangeBatches, and the one place a batch's ChangeBatch is completed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "hubreg/change.h"
#include "hubreg/detail/tables.h"
#include "hubreg/feed.h"
#include "hubreg/registry.h"

namespace hubreg {

struct Registry::Feed {
  std::mutex mutex;
  std::condition_variable published_cv;
  // Consecutive sequences, oldest first; shared so that a cursor copies a
  // batch after letting go of the lock, and the fan-out hands one copy to
  // every subscription.
  std::deque<std::shared_ptr<const ChangeBatch>> batches;
  std::deque<std::size_t> batch_bytes;  // each one's estimated size, as `batches`
  std::size_t bytes = 0;                // their sum
  std::size_t capacity = kDefaultFeedCapacity;
  std::size_t capacity_bytes = kDefaultFeedMemoryBytes;
  std::uint64_t published = 0;  // the sequence of the last batch published
  // Cursors sleeping on published_cv. Changed and read under `mutex`: the
  // writer, having published under it, sees every cursor that looked before
  // and notifies only when there is one.
  int waiting = 0;
  detail::FanOutSlot subscriptions;

  // Drops the oldest batches until both bounds hold. REQUIRES: `mutex` held.
  void Trim();
  // The batch after `after`: nullptr when not published yet,
  // kResyncRequired when no longer kept. REQUIRES: `mutex` held.
  StatusOr<std::shared_ptr<const ChangeBatch>> Find(std::uint64_t after) const;
  // Sleeps on published_cv until a batch after `after` is published,
  // `timeout` has passed or `stop()` holds. REQUIRES: `lock` holds `mutex`.
  template <typename Stop>
  void Wait(std::unique_lock<std::mutex>& lock, std::uint64_t after,
            std::chrono::milliseconds timeout, Stop stop) {
    if (published > after || stop()) return;
    ++waiting;
    published_cv.wait_for(lock, timeout, [&] { return published > after || stop(); });
    --waiting;
  }
};

namespace detail {

// Completes the ChangeBatch of a batch whose mutations `changes` already
// lists, while the writer's standby copy (`after`) holds the state after
// the batch: called by Apply and ApplyGroup once per non-empty batch,
// before the commit hook sees it.
void FinishChangeBatch(const Tables& after, std::uint64_t sequence, Timestamp committed_at,
                       ChangeBatch& changes);

}  // namespace detail
}  // namespace hubreg
