// Access-changed events: which (user, account) answers a batch changed.
#include "access_changes.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "access_verdict.h"
#include "link_arrays.h"
#include "view_access.h"

namespace hubreg::detail {
namespace {

using Pair = std::pair<Id, Id>;  // (user_id, client_id), the order `access` is sorted in

struct PairHash {
  std::size_t operator()(const Pair& pair) const noexcept {
    return std::hash<Id>{}(pair.first * 0x9E3779B97F4A7C15ULL ^ pair.second);
  }
};

template <typename Row>
Id IdOf(const RowChange<Row>& change) {
  return change.before ? change.before->id : change.after->id;
}
Pair PairOf(const RowChange<ClientUserLink>& change) {
  const ClientUserLink& link = change.before ? *change.before : *change.after;
  return {link.user_id, link.client_id};
}

// The state before the batch where it differs from the state after: the
// first `before` image of every touched user, account and link. Points into
// the batch's changes.
struct StateBefore {
  std::unordered_map<Id, const std::optional<User>*> users;
  std::unordered_map<Id, const std::optional<Client>*> clients;
  std::unordered_map<Pair, bool, PairHash> links;  // linked before the batch

  explicit StateBefore(const std::vector<Change>& changes) {
    for (const Change& change : changes) {
      if (const auto* user = std::get_if<RowChange<User>>(&change)) {
        users.try_emplace(IdOf(*user), &user->before);
      } else if (const auto* client = std::get_if<RowChange<Client>>(&change)) {
        clients.try_emplace(IdOf(*client), &client->before);
      } else if (const auto* link = std::get_if<RowChange<ClientUserLink>>(&change)) {
        links.try_emplace(PairOf(*link), link->before.has_value());
      }
    }
  }
};

const StoredUser* FindUser(const Tables& tables, Id id) { return FindStoredUser(tables, id); }
const StoredClient* FindClient(const Tables& tables, Id id) { return FindStoredClient(tables, id); }
bool Linked(const Tables& tables, const Pair& pair) {
  return detail::Linked(tables, pair.second, pair.first);
}

template <typename Row>
const Row* RowBefore(const std::unordered_map<Id, const std::optional<Row>*>& images, Id id,
                     const Row* after) {
  auto it = images.find(id);
  if (it == images.end()) return after;
  return *it->second ? &**it->second : nullptr;
}

// Whether a change of the row can change a linked pair's answer.
bool AccessFieldsDiffer(const User* before, const User* after) {
  if (before == nullptr || after == nullptr) return before != after;
  return before->status != after->status || before->external_id != after->external_id;
}
bool AccessFieldsDiffer(const Client* before, const Client* after) {
  if (before == nullptr || after == nullptr) return before != after;
  return before->status != after->status || before->external_id != after->external_id ||
         before->threecolts_organization_id != after->threecolts_organization_id;
}

bool ConnectionDiffers(const Client& before, const Client& after) {
  return std::tie(before.db_host, before.db_port, before.db_name, before.db_user,
                  before.db_password) !=
         std::tie(after.db_host, after.db_port, after.db_name, after.db_user, after.db_password);
}

Id OrganizationOf(const Client* client) {
  return client ? client->threecolts_organization_id : kNoId;
}

}  // namespace

void ComputeAccessChanges(const Tables& after, ChangeBatch& batch) {
  batch.access.clear();
  batch.connection_changed.clear();
  const StateBefore before(batch.changes);

  // Every pair whose answer may have changed: the touched links, and the
  // links at either end of each user and account whose access fields
  // changed. Links before the batch are the links after it plus the touched
  // ones, so the touched links and the links after cover them.
  std::vector<Pair> candidates;
  candidates.reserve(before.links.size());
  for (const auto& [pair, linked] : before.links) candidates.push_back(pair);
  for (const auto& [id, image] : before.users) {
    const StoredUser* now = FindUser(after, id);
    if (!AccessFieldsDiffer(*image ? &**image : nullptr, now) || now == nullptr) continue;
    for (const AccountLink& entry : now->accounts) candidates.emplace_back(id, entry.client->id);
  }
  for (const auto& [id, image] : before.clients) {
    const StoredClient* now = FindClient(after, id);
    const Client* then = *image ? &**image : nullptr;
    if (then != nullptr && (now == nullptr || ConnectionDiffers(*then, *now))) {
      batch.connection_changed.push_back(id);
    }
    if (!AccessFieldsDiffer(then, now) || now == nullptr) continue;
    for (const StoredUser* user : now->users) candidates.emplace_back(user->id, id);
  }
  std::sort(batch.connection_changed.begin(), batch.connection_changed.end());
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  for (const Pair& pair : candidates) {
    const auto [user_id, client_id] = pair;
    auto touched_link = before.links.find(pair);
    const bool linked_after = Linked(after, pair);
    const bool linked_before =
        touched_link == before.links.end() ? linked_after : touched_link->second;
    if (!linked_before && !linked_after) continue;  // linked and unlinked within the batch

    const User* user_after = FindUser(after, user_id);
    const Client* client_after = FindClient(after, client_id);
    const User* user_before = RowBefore(before.users, user_id, user_after);
    const Client* client_before = RowBefore(before.clients, client_id, client_after);
    AccessChange change{
        .user_id = user_id,
        .client_id = client_id,
        .before = PlainVerdict(user_before, client_before, linked_before),
        .after = PlainVerdict(user_after, client_after, linked_after),
        .organization_before = OrganizationOf(client_before),
        .organization_after = OrganizationOf(client_after),
    };
    bool listed = change.before != change.after;
    // Linked at both ends, both rows exist at both ends (foreign keys).
    if (!listed && linked_before && linked_after && user_before != nullptr &&
        user_after != nullptr && client_before != nullptr && client_after != nullptr) {
      listed = change.organization_before != change.organization_after ||
               user_before->external_id != user_after->external_id ||
               client_before->external_id != client_after->external_id;
    }
    if (listed) batch.access.push_back(change);
  }
}

}  // namespace hubreg::detail

namespace hubreg {

void ComputeAccessChanges(const View& after, ChangeBatch& batch) {
  detail::ComputeAccessChanges(detail::ViewAccess::Of(after), batch);
}

}  // namespace hubreg
