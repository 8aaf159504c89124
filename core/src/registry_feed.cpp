// Registry's change feed: Apply publishes each batch's ChangeBatch into a
// bounded ring under a short lock; cursors wait on a condition variable and
// copy a batch out after releasing the lock, so a slow cursor never holds
// the writer up.
#include "registry_feed.h"

#include <string>
#include <utility>

#include "access_changes.h"

namespace hubreg {
namespace detail {

void FinishChangeBatch(const Tables& after, std::uint64_t sequence, Timestamp committed_at,
                       ChangeBatch& changes) {
  changes.sequence = sequence;
  changes.committed_at = committed_at;
  ComputeAccessChanges(after, changes);
}

}  // namespace detail

namespace {

template <typename Row>
void AddChange(Batch& batch, const RowChange<Row>& change) {
  if (change.after) {
    if (change.before) {
      batch.Update(*change.after);
    } else {
      batch.Insert(*change.after);
    }
  } else if (change.before) {
    batch.Erase<Row>(change.before->id);
  }
}

void AddChange(Batch& batch, const RowChange<ClientUserLink>& change) {
  if (change.after) {
    batch.Insert(*change.after);
  } else if (change.before) {
    batch.Unlink(change.before->client_id, change.before->user_id);
  }
}

}  // namespace

Batch ToBatch(const ChangeBatch& changes) {
  Batch batch;
  batch.mutations().reserve(changes.changes.size());
  for (const Change& change : changes.changes) {
    std::visit([&batch](const auto& c) { AddChange(batch, c); }, change);
  }
  return batch;
}

void Registry::Publish(ChangeBatch&& changes) {
  {
    std::lock_guard<std::mutex> lock(feed_->mutex);
    feed_->published = changes.sequence;
    if (feed_->capacity > 0) {
      feed_->batches.push_back(std::make_shared<const ChangeBatch>(std::move(changes)));
      while (feed_->batches.size() > feed_->capacity) feed_->batches.pop_front();
    }
  }
  feed_->published_cv.notify_all();
}

StatusOr<std::optional<ChangeBatch>> Registry::Changes(std::uint64_t after_sequence,
                                                       std::chrono::milliseconds timeout) const {
  std::shared_ptr<const ChangeBatch> found;
  {
    std::unique_lock<std::mutex> lock(feed_->mutex);
    if (feed_->published <= after_sequence) {
      feed_->published_cv.wait_for(lock, timeout,
                                   [&] { return feed_->published > after_sequence; });
      if (feed_->published <= after_sequence) return std::optional<ChangeBatch>();
    }
    const auto& batches = feed_->batches;
    const std::uint64_t wanted = after_sequence + 1;
    if (batches.empty() || batches.front()->sequence > wanted) {
      std::string kept = batches.empty() ? std::string("none")
                                         : std::to_string(batches.front()->sequence) + ".." +
                                               std::to_string(batches.back()->sequence);
      return Status::ResyncRequired("change feed: batch " + std::to_string(wanted) +
                                    " is no longer kept in memory (batches kept: " + kept +
                                    "); start again from a view of the registry (now at sequence " +
                                    std::to_string(feed_->published) + ")");
    }
    found = batches[wanted - batches.front()->sequence];
  }
  return std::optional<ChangeBatch>(*found);
}

Subscription Registry::Subscribe(std::uint64_t after_sequence,
                                 Subscription::Callback callback) const {
  return Subscription(
      after_sequence,
      [this](std::uint64_t after, std::chrono::milliseconds timeout) {
        return Changes(after, timeout);
      },
      [this] { return LastSequence(); }, std::chrono::milliseconds(0), std::move(callback));
}

void Registry::SetFeedCapacity(std::size_t batches) {
  std::lock_guard<std::mutex> lock(feed_->mutex);
  feed_->capacity = batches;
  while (feed_->batches.size() > batches) feed_->batches.pop_front();
}

std::size_t Registry::FeedCapacity() const {
  std::lock_guard<std::mutex> lock(feed_->mutex);
  return feed_->capacity;
}

}  // namespace hubreg
