// Link arrays: per user its accounts sorted by client id, per account its
// users sorted by user id, each entry the other end's node (docs/design.md,
// "Links"). Ids are read through the entries' pointers. A link is added or
// removed by an insert into (an erase from) each array: for a user with 800
// accounts, moving at most 800 entries of 16 bytes.
#include "link_arrays.h"

#include <algorithm>

namespace hubreg::detail {
namespace {

// "Is this entry the other node" is answered by comparing addresses, which
// reads nothing beyond the array, so arrays up to 1 KiB (64 entries of a
// user's, 128 of an account's) are scanned from the front: a user's array of
// up to four is inline in the node already read, and 1 KiB is 16 adjacent
// cache lines the CPU fetches together. Longer arrays are binary-searched by
// the ids read through the pointers: log2(n) reads of other nodes, one after
// another, instead of n entries.
constexpr std::size_t kScanBytes = 1024;
template <typename Array>
bool Scanned(const Array& array) {
  return array.size() * sizeof(typename Array::value_type) <= kScanBytes;
}

AccountLinks::iterator AccountPosition(const StoredUser& user, Id client_id) {
  return std::lower_bound(user.accounts.begin(), user.accounts.end(), client_id,
                          [](const AccountLink& entry, Id id) { return entry.client->id < id; });
}

MemberLinks::iterator MemberPosition(const StoredClient& client, Id user_id) {
  return std::lower_bound(client.users.begin(), client.users.end(), user_id,
                          [](const StoredUser* member, Id id) { return member->id < id; });
}

// The entry of `array` that `is_target` accepts, or nullptr: a scan of a
// short array, else the entry at `by_id()` (a binary search by ids).
template <typename Array, typename IsTarget, typename ById>
auto FindEntry(Array& array, IsTarget is_target, ById by_id) -> decltype(array.begin()) {
  auto it = Scanned(array) ? std::find_if(array.begin(), array.end(), is_target) : by_id();
  return it != array.end() && is_target(*it) ? it : nullptr;
}

// The entry of `user` in the account's array, or nullptr.
const StoredUser* const* FindMember(const StoredClient& client, const StoredUser& user) {
  return FindEntry(
      client.users, [&user](const StoredUser* member) { return member == &user; },
      [&] { return MemberPosition(client, user.id); });
}

}  // namespace

const AccountLink* FindAccountLink(const StoredUser& user, const StoredClient& client) {
  return FindEntry(
      user.accounts, [&client](const AccountLink& entry) { return entry.client == &client; },
      [&] { return AccountPosition(user, client.id); });
}

bool Linked(const StoredUser& user, const StoredClient& client) {
  return user.accounts.size() <= client.users.size() ? FindAccountLink(user, client) != nullptr
                                                     : FindMember(client, user) != nullptr;
}

// By ids, both nodes are looked up first and the link found by address in
// the shorter array. The two lookups do not depend on each other, so the CPU
// overlaps their cache misses. The alternative, a binary search of the
// user's array by the ids read through its pointers (no account lookup),
// measured the same at size L (HasLink 169-235 ns per lookup this way,
// 179-266 ns that way, on a loaded host; Resolve, which has both nodes and
// here reads no other, 604-959 against 663-852 ns). Kept for the long
// arrays: a user with hundreds of accounts is searched in the account's
// shorter array, not by log2(n) reads of account nodes (docs/benchmarks.md,
// issue 12, third run).
std::optional<ClientUserLink> FindLink(const Tables& tables, Id client_id, Id user_id) {
  const StoredUser* user = FindStoredUser(tables, user_id);
  const StoredClient* client = FindStoredClient(tables, client_id);
  if (user == nullptr || client == nullptr) return std::nullopt;
  const AccountLink* entry = FindAccountLink(*user, *client);
  if (entry == nullptr) return std::nullopt;
  return ClientUserLink{client_id, user_id, entry->created_at};
}

bool Linked(const Tables& tables, Id client_id, Id user_id) {
  const StoredUser* user = FindStoredUser(tables, user_id);
  const StoredClient* client = FindStoredClient(tables, client_id);
  return user != nullptr && client != nullptr && Linked(*user, *client);
}

void AddLink(Tables& tables, const ClientUserLink& link) {
  const StoredUser& user = *FindStoredUser(tables, link.user_id);
  const StoredClient& client = *FindStoredClient(tables, link.client_id);
  user.accounts.insert(AccountPosition(user, link.client_id),
                       AccountLink{link.created_at, &client});
  client.users.insert(MemberPosition(client, link.user_id), &user);
  ++tables.link_count;
}

std::optional<ClientUserLink> RemoveLink(Tables& tables, Id client_id, Id user_id) {
  const StoredUser* user = FindStoredUser(tables, user_id);
  const StoredClient* client = FindStoredClient(tables, client_id);
  if (user == nullptr || client == nullptr) return std::nullopt;
  const AccountLink* entry = FindAccountLink(*user, *client);
  if (entry == nullptr) return std::nullopt;
  const ClientUserLink removed{client_id, user_id, entry->created_at};
  user->accounts.erase(entry);
  client->users.erase(FindMember(*client, *user));
  --tables.link_count;
  return removed;
}

std::vector<ClientUserLink> LinksOfUser(const Tables& tables, Id user_id) {
  std::vector<ClientUserLink> links;
  const StoredUser* user = FindStoredUser(tables, user_id);
  if (user == nullptr) return links;
  links.reserve(user->accounts.size());
  for (const AccountLink& entry : user->accounts) {
    links.push_back({entry.client->id, user_id, entry.created_at});
  }
  return links;
}

std::vector<ClientUserLink> LinksOfClient(const Tables& tables, Id client_id) {
  std::vector<ClientUserLink> links;
  const StoredClient* client = FindStoredClient(tables, client_id);
  if (client == nullptr) return links;
  links.reserve(client->users.size());
  for (const StoredUser* user : client->users) {
    links.push_back({client_id, user->id, FindAccountLink(*user, *client)->created_at});
  }
  return links;
}

std::vector<ClientUserLink> RemoveLinksOfUser(Tables& tables, Id user_id) {
  std::vector<ClientUserLink> links = LinksOfUser(tables, user_id);
  const StoredUser* user = FindStoredUser(tables, user_id);
  if (user == nullptr) return links;
  for (const AccountLink& entry : user->accounts) {
    entry.client->users.erase(FindMember(*entry.client, *user));
  }
  user->accounts.clear();
  tables.link_count -= links.size();
  return links;
}

std::vector<ClientUserLink> RemoveLinksOfClient(Tables& tables, Id client_id) {
  std::vector<ClientUserLink> links = LinksOfClient(tables, client_id);
  const StoredClient* client = FindStoredClient(tables, client_id);
  if (client == nullptr) return links;
  for (const StoredUser* user : client->users) {
    user->accounts.erase(FindAccountLink(*user, *client));
  }
  client->users.clear();
  tables.link_count -= links.size();
  return links;
}

}  // namespace hubreg::detail
