// Registry's change feed: Apply publishes each batch's ChangeBatch into a
// bounded ring under a short lock and wakes the cursors only when one waits;
// cursors copy a batch out after releasing the lock, so a slow cursor never
// holds the writer up. Subscriptions share one fan-out (subscription.cpp).
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

std::size_t HeapBytes(const App& row) { return row.name.size() + row.app_key.size(); }
std::size_t HeapBytes(const Organization& row) { return row.external_id.size() + row.name.size(); }
std::size_t HeapBytes(const Client& row) {
  return row.external_id.size() + row.name.size() + row.db_host.size() + row.db_name.size() +
         row.db_user.size() + row.db_password.Reveal().size();
}
std::size_t HeapBytes(const User& row) {
  return row.external_id.size() + row.email.size() + row.name.size();
}
std::size_t HeapBytes(const ClientUserLink&) { return 0; }

// What a ChangeBatch holds in memory, roughly: its vectors and the
// characters of its rows' strings. For the feed's byte bound.
std::size_t EstimatedBytes(const ChangeBatch& changes) {
  std::size_t bytes = sizeof(ChangeBatch) + changes.changes.size() * sizeof(Change) +
                      changes.access.size() * sizeof(AccessChange) +
                      changes.connection_changed.size() * sizeof(Id);
  for (const Change& change : changes.changes) {
    std::visit(
        [&bytes](const auto& c) {
          if (c.before) bytes += HeapBytes(*c.before);
          if (c.after) bytes += HeapBytes(*c.after);
        },
        change);
  }
  return bytes;
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
  bool waiting = false;
  {
    std::lock_guard<std::mutex> lock(feed_->mutex);
    feed_->published = changes.sequence;
    if (feed_->capacity > 0) {
      const std::size_t bytes = EstimatedBytes(changes);
      feed_->batches.push_back(std::make_shared<const ChangeBatch>(std::move(changes)));
      feed_->batch_bytes.push_back(bytes);
      feed_->bytes += bytes;
      feed_->Trim();
    }
    waiting = feed_->waiting > 0;
  }
  // A cursor that looked before the lock above counted itself in `waiting`;
  // one that looks after it sees the batch. Nobody waiting: no wake-up.
  if (waiting) feed_->published_cv.notify_all();
}

StatusOr<std::shared_ptr<const ChangeBatch>> Registry::Feed::Find(std::uint64_t after) const {
  if (published <= after) return std::shared_ptr<const ChangeBatch>();
  const std::uint64_t wanted = after + 1;
  if (batches.empty() || batches.front()->sequence > wanted) {
    std::string kept = batches.empty() ? std::string("none")
                                       : std::to_string(batches.front()->sequence) + ".." +
                                             std::to_string(batches.back()->sequence);
    return Status::ResyncRequired("change feed: batch " + std::to_string(wanted) +
                                  " is no longer kept in memory (batches kept: " + kept +
                                  "); start again from a view of the registry (now at sequence " +
                                  std::to_string(published) + ")");
  }
  return batches[wanted - batches.front()->sequence];
}

StatusOr<std::optional<ChangeBatch>> Registry::Changes(std::uint64_t after_sequence,
                                                       std::chrono::milliseconds timeout) const {
  StatusOr<std::shared_ptr<const ChangeBatch>> found = std::shared_ptr<const ChangeBatch>();
  {
    std::unique_lock<std::mutex> lock(feed_->mutex);
    feed_->Wait(lock, after_sequence, timeout, [] { return false; });
    found = feed_->Find(after_sequence);
  }
  if (!found.ok()) return found.status();
  if (*found == nullptr) return std::optional<ChangeBatch>();
  return std::optional<ChangeBatch>(**found);
}

Subscription Registry::Subscribe(std::uint64_t after_sequence,
                                 Subscription::Callback callback) const {
  return feed_->subscriptions.Subscribe(after_sequence, std::move(callback),
                                        [this] { return FeedSource(); });
}

detail::FeedSource Registry::FeedSource() const {
  Feed* feed = feed_.get();
  detail::FeedSource source;
  source.next = [feed](std::uint64_t after) {
    std::lock_guard<std::mutex> lock(feed->mutex);
    return feed->Find(after);
  };
  source.wait = [feed](std::uint64_t after, std::chrono::milliseconds timeout,
                       const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(feed->mutex);
    feed->Wait(lock, after, timeout, [&stop] { return stop.load(); });
  };
  source.wake = [feed] {
    // Under the mutex: a waiter is either asleep (and woken) or has yet to
    // look at its stop flag.
    { std::lock_guard<std::mutex> lock(feed->mutex); }
    feed->published_cv.notify_all();
  };
  source.head = [feed] {
    std::lock_guard<std::mutex> lock(feed->mutex);
    return feed->published;
  };
  source.restart_sequence = [this] { return LastSequence(); };
  return source;
}

void Registry::Feed::Trim() {
  while (!batches.empty() && (batches.size() > capacity || bytes > capacity_bytes)) {
    batches.pop_front();
    bytes -= batch_bytes.front();
    batch_bytes.pop_front();
  }
}

void Registry::SetFeedCapacity(std::size_t batches) {
  std::lock_guard<std::mutex> lock(feed_->mutex);
  feed_->capacity = batches;
  feed_->Trim();
}

void Registry::SetFeedMemoryBytes(std::size_t bytes) {
  std::lock_guard<std::mutex> lock(feed_->mutex);
  feed_->capacity_bytes = bytes;
  feed_->Trim();
}

std::size_t Registry::FeedCapacity() const {
  std::lock_guard<std::mutex> lock(feed_->mutex);
  return feed_->capacity;
}

}  // namespace hubreg
