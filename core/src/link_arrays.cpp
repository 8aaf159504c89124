// Link arrays: per user its accounts sorted by client id, per account its
// users sorted by user id, each entry with the other end's node. A link is
// found by a binary search over the ids in its user's array, and added or
// removed by an insert into (an erase from) each array: for a user with 800
// accounts, moving at most 800 entries of 24 bytes.
#include "link_arrays.h"

#include <algorithm>

namespace hubreg::detail {
namespace {

AccountLinks::iterator AccountPosition(const StoredUser& user, Id client_id) {
  return std::lower_bound(user.accounts.begin(), user.accounts.end(), client_id,
                          [](const AccountLink& entry, Id id) { return entry.client_id < id; });
}

// The writer's search: it reads each probed user's id in its node.
MemberLinks::iterator MemberPosition(const StoredClient& client, Id user_id) {
  return std::lower_bound(client.users.begin(), client.users.end(), user_id,
                          [](const StoredUser* member, Id id) { return member->id < id; });
}

}  // namespace

const AccountLink* FindAccountLink(const StoredUser& user, Id client_id) {
  auto it = AccountPosition(user, client_id);
  return it != user.accounts.end() && it->client_id == client_id ? &*it : nullptr;
}

std::optional<ClientUserLink> FindLink(const Tables& tables, Id client_id, Id user_id) {
  const StoredUser* user = FindStoredUser(tables, user_id);
  if (user == nullptr) return std::nullopt;
  const AccountLink* entry = FindAccountLink(*user, client_id);
  if (entry == nullptr) return std::nullopt;
  return ClientUserLink{client_id, user_id, entry->created_at};
}

bool Linked(const Tables& tables, Id client_id, Id user_id) {
  // The user's array holds the account ids: no account node is read.
  const StoredUser* user = FindStoredUser(tables, user_id);
  return user != nullptr && FindAccountLink(*user, client_id) != nullptr;
}

void AddLink(Tables& tables, const ClientUserLink& link) {
  const StoredUser& user = *FindStoredUser(tables, link.user_id);
  const StoredClient& client = *FindStoredClient(tables, link.client_id);
  user.accounts.insert(AccountPosition(user, link.client_id),
                       AccountLink{link.client_id, link.created_at, &client});
  client.users.insert(MemberPosition(client, link.user_id), &user);
  ++tables.link_count;
}

std::optional<ClientUserLink> RemoveLink(Tables& tables, Id client_id, Id user_id) {
  const StoredUser* user = FindStoredUser(tables, user_id);
  if (user == nullptr) return std::nullopt;
  auto entry = AccountPosition(*user, client_id);
  if (entry == user->accounts.end() || entry->client_id != client_id) return std::nullopt;
  const ClientUserLink removed{client_id, user_id, entry->created_at};
  const StoredClient& client = *entry->client;
  user->accounts.erase(entry);
  client.users.erase(MemberPosition(client, user_id));
  --tables.link_count;
  return removed;
}

std::vector<ClientUserLink> LinksOfUser(const Tables& tables, Id user_id) {
  std::vector<ClientUserLink> links;
  const StoredUser* user = FindStoredUser(tables, user_id);
  if (user == nullptr) return links;
  links.reserve(user->accounts.size());
  for (const AccountLink& entry : user->accounts) {
    links.push_back({entry.client_id, user_id, entry.created_at});
  }
  return links;
}

std::vector<ClientUserLink> LinksOfClient(const Tables& tables, Id client_id) {
  std::vector<ClientUserLink> links;
  const StoredClient* client = FindStoredClient(tables, client_id);
  if (client == nullptr) return links;
  links.reserve(client->users.size());
  for (const StoredUser* user : client->users) {
    links.push_back({client_id, user->id, FindAccountLink(*user, client_id)->created_at});
  }
  return links;
}

std::vector<ClientUserLink> RemoveLinksOfUser(Tables& tables, Id user_id) {
  std::vector<ClientUserLink> links = LinksOfUser(tables, user_id);
  const StoredUser* user = FindStoredUser(tables, user_id);
  if (user == nullptr) return links;
  for (const AccountLink& entry : user->accounts) {
    entry.client->users.erase(MemberPosition(*entry.client, user_id));
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
    user->accounts.erase(AccountPosition(*user, client_id));
  }
  client->users.clear();
  tables.link_count -= links.size();
  return links;
}

}  // namespace hubreg::detail
