// Helpers for the change feed tests: the cursor's next batch, random batches
// over a small registry, and applying a ChangeBatch's `after` sides to plain
// rows.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hubreg/change.h"
#include "hubreg/feed.h"
#include "testutil.h"

namespace hubreg::test {

// The batch after `after` from a Registry's or a Store's cursor, which must
// hold it already.
template <typename Source>
ChangeBatch Next(const Source& source, std::uint64_t after) {
  StatusOr<std::optional<ChangeBatch>> next = source.Changes(after, std::chrono::milliseconds(0));
  REQUIRE_OK(next);
  REQUIRE(next->has_value());
  return std::move(**next);
}

// A batch of 1..6 random mutations against the state `rows` (SortedRows of
// a view): inserts (ids assigned by the registry), updates, erases, links
// and unlinks of every table. Most apply; some break a rule (an erase of a
// row still referenced, a duplicate link), which tests need too.
inline Batch RandomBatch(std::mt19937& random, const RegistryRows& rows) {
  auto pick = [&random](const auto& table) { return table[random() % table.size()]; };
  static std::uint64_t counter = 0;
  Batch batch;
  const int mutations = 1 + static_cast<int>(random() % 6);
  for (int m = 0; m < mutations; ++m) {
    const std::string tag = std::to_string(++counter);
    switch (random() % 12) {
      case 0:
        batch.Insert(MakeApp(kNoId, "key-" + tag));
        break;
      case 1:
        batch.Insert(MakeUser(kNoId, "U-r" + tag, "r" + tag + "@example.com"));
        break;
      case 2:
        if (!rows.apps.empty() && !rows.users.empty()) {
          batch.Insert(
              MakeOrganization(kNoId, pick(rows.apps).id, pick(rows.users).id, "ORG-r" + tag));
        }
        break;
      case 3:
      case 4: {
        const Id organization =
            rows.organizations.empty() || random() % 5 == 0 ? kNoId : pick(rows.organizations).id;
        batch.Insert(MakeClient(kNoId, organization, "ACC-r" + tag));
        break;
      }
      case 5:
        if (!rows.clients.empty() && !rows.users.empty()) {
          batch.Link(pick(rows.clients).id, pick(rows.users).id);
        }
        break;
      case 6:
        if (!rows.links.empty()) {
          const ClientUserLink link = pick(rows.links);
          batch.Unlink(link.client_id, link.user_id);
        }
        break;
      case 7:
        if (!rows.users.empty()) {
          User user = pick(rows.users);
          user.name = "Renamed " + tag;
          user.status = random() % 2 == 0 ? RecordStatus::kActive : RecordStatus::kDisabled;
          user.updated_at = {};
          batch.Update(user);
        }
        break;
      case 8:
        if (!rows.clients.empty()) {
          Client client = pick(rows.clients);
          client.db_host = "moved" + tag + ".internal";
          client.db_password = Secret("rotated-" + tag);
          client.status = random() % 2 == 0 ? RecordStatus::kActive : RecordStatus::kDisabled;
          batch.Update(client);
        }
        break;
      case 9:
        if (!rows.clients.empty()) batch.Erase<Client>(pick(rows.clients).id);
        break;
      case 10:
        if (!rows.users.empty()) batch.Erase<User>(pick(rows.users).id);
        break;
      default:
        if (!rows.organizations.empty()) {
          Organization organization = pick(rows.organizations);
          organization.name = "Renamed " + tag;
          batch.Update(organization);
        }
        break;
    }
  }
  return batch;
}

// A batch of `users` new users with `name_bytes`-long names (distinct per
// `tag`): tens of kilobytes in the feed, for its byte bounds.
inline Batch LargeBatch(const std::string& tag, int users, std::size_t name_bytes) {
  Batch batch;
  for (int i = 0; i < users; ++i) {
    const std::string id = tag + "-" + std::to_string(i);
    User user = MakeUser(kNoId, "U-" + id, id + "@example.com");
    user.name = std::string(name_bytes, 'n');
    batch.Insert(user);
  }
  return batch;
}

// Applies the `after` side of every change in `changes` to `rows`, in
// order, as plain row replacements (no rule is checked): what a subscriber
// keeping its own copy of the tables does.
inline void ApplyAfterSides(RegistryRows& rows, const ChangeBatch& changes) {
  auto apply = [](auto& table, const auto& change, auto same) {
    const auto& key = change.before ? *change.before : *change.after;
    auto it =
        std::find_if(table.begin(), table.end(), [&](const auto& row) { return same(row, key); });
    if (it != table.end()) table.erase(it);
    if (change.after) table.push_back(*change.after);
  };
  auto same_id = [](const auto& a, const auto& b) { return a.id == b.id; };
  for (const Change& change : changes.changes) {
    std::visit(
        [&](const auto& c) {
          using Row = typename std::decay_t<decltype(*c.after)>;
          if constexpr (std::is_same_v<Row, App>) apply(rows.apps, c, same_id);
          if constexpr (std::is_same_v<Row, Organization>) apply(rows.organizations, c, same_id);
          if constexpr (std::is_same_v<Row, Client>) apply(rows.clients, c, same_id);
          if constexpr (std::is_same_v<Row, User>) apply(rows.users, c, same_id);
          if constexpr (std::is_same_v<Row, ClientUserLink>) {
            apply(rows.links, c, [](const ClientUserLink& a, const ClientUserLink& b) {
              return a.client_id == b.client_id && a.user_id == b.user_id;
            });
          }
        },
        change);
  }
  SortRows(rows);
}

// The rows of two registries compare equal, next ids aside (a registry
// rebuilt from rows derives them).
inline bool SameRows(RegistryRows a, RegistryRows b) {
  SortRows(a);
  SortRows(b);
  return a.apps == b.apps && a.organizations == b.organizations && a.clients == b.clients &&
         a.users == b.users && a.links == b.links;
}

// Collects what a subscription delivers, for a test to wait on.
class EventLog {
 public:
  void Add(const FeedEvent& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(event);
    changed_.notify_all();
  }
  // Waits (generously) until `done(events)` holds; returns whether it did.
  template <typename Done>
  bool WaitFor(Done done, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(events_); });
  }
  std::vector<FeedEvent> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<FeedEvent> events_;
};

// Checks what a subscription that fell out of the feed's window delivered:
// batches `first`, `first` + 1, ... (those already handed to it, at most
// Subscription::kQueueBatches after the one it was stuck on), then one
// resync event naming `restart` and nothing after it.
inline void CheckBatchesThenResync(const std::vector<FeedEvent>& events, std::uint64_t first,
                                   std::uint64_t restart) {
  REQUIRE(events.size() >= 2);
  REQUIRE(events.size() <= Subscription::kQueueBatches + 2);
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    CHECK(events[i].kind == FeedEvent::Kind::kBatch);
    CHECK(events[i].batch.sequence == first + i);
  }
  CHECK(events.back().kind == FeedEvent::Kind::kResync);
  CHECK(events.back().status.code() == ErrorCode::kResyncRequired);
  CHECK(events.back().restart_sequence == restart);
}

}  // namespace hubreg::test
