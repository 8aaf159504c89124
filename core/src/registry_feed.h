// Internal: the registry's change feed, a ring of the last batches'
// ChangeBatches, and the one place a batch's ChangeBatch is completed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "hubreg/change.h"
#include "hubreg/detail/tables.h"
#include "hubreg/registry.h"

namespace hubreg {

struct Registry::Feed {
  std::mutex mutex;
  std::condition_variable published_cv;
  // Consecutive sequences, oldest first; shared so that a cursor copies a
  // batch after letting go of the lock.
  std::deque<std::shared_ptr<const ChangeBatch>> batches;
  std::size_t capacity = kDefaultFeedCapacity;
  std::uint64_t published = 0;  // the sequence of the last batch published
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
