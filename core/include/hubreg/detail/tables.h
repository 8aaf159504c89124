// Internal: the Boost.MultiIndex containers behind a registry state. Public
// only because View's ranges iterate them without copying; callers use View.
#pragma once

#include <boost/multi_index/composite_key.hpp>
#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/mem_fun.hpp>
#include <boost/multi_index/member.hpp>
#include <boost/multi_index_container.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include "hubreg/detail/compact_vector.h"
#include "hubreg/detail/node_arena.h"
#include "hubreg/model.h"

namespace hubreg::detail {

namespace bmi = boost::multi_index;

// Index tags; indexes are always addressed by tag.
struct ById {};
struct ByAppKey {};
struct ByAppAndExternalId {};
struct ByApp {};
struct ByOwner {};
struct ByExternalId {};
struct ByOrganization {};
struct ByEmail {};

// Email keys ignore ASCII case, so "Ann@X.com" and "ann@x.com" collide.
struct CaseInsensitiveHash {
  std::size_t operator()(std::string_view text) const noexcept;
};
struct CaseInsensitiveEqual {
  bool operator()(std::string_view a, std::string_view b) const noexcept {
    return EqualsIgnoreCase(a, b);
  }
};

// String keys hash and compare as string_view, so lookups by a string_view
// build no std::string.
struct StringHash {
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};
using StringEqual = std::equal_to<>;

class StoredClient;
class StoredUser;

// Links are not rows of a table of their own: each user holds the accounts
// it is linked to, each account the users linked to it, as arrays sorted by
// the other end's id in the entity's node (docs/design.md, "Links"). An
// entry is the address of the other end's node in the same state (and, on
// the user's side, the link's created_at), so walking a user's accounts or
// an account's users follows pointers instead of looking each row up by id;
// ids are read through the pointers. Nodes do not move while they are in
// their table (Boost.MultiIndex changes elements in place), and a user or
// account leaves its table only after its links have left the other ends'
// arrays.
//
// One entry of a user's array: 16 bytes.
struct AccountLink {
  Timestamp created_at{};
  const StoredClient* client = nullptr;
};
// Size L's users have one to five accounts (one in 2,000 has hundreds):
// four entries are kept inside the node (72 bytes with the header), so the
// accounts of 93% of users cost no cache miss beyond the user's node and the
// accounts' own, and those users have no heap block.
inline constexpr std::size_t kInlineAccountLinks = 4;
using AccountLinks = CompactVector<AccountLink, kInlineAccountLinks>;
// The users of one account (about 30 at size L), sorted by user id: 16 bytes
// in the node, the one inline entry sharing the heap pointer's bytes.
using MemberLinks = CompactVector<const StoredUser*, 1>;

// A user as the user table stores it: the row, a copy of its email inside
// the node, and its links. The table's nodes live in an arena (node_arena.h),
// apart from the heap blocks std::string keeps emails longer than 15 bytes in,
// so without the copy a lookup by email would read the bucket, the node, and
// then the email's characters elsewhere: three cache misses where a lookup by
// id takes two. Emails too long for the copy (rare) are compared where
// std::string keeps them. Costs 48 bytes per user per copy of the state.
class StoredUser : public User {
 public:
  static constexpr std::size_t kInlineEmailBytes = 47;

  StoredUser() = default;
  // Implicit: tables are filled with plain Users (with no links).
  StoredUser(const User& user) : User(user) { CopyEmail(); }        // NOLINT
  StoredUser(User&& user) : User(std::move(user)) { CopyEmail(); }  // NOLINT

  // Replaces the row's columns and keeps its links (an update).
  void Assign(const User& user) {
    static_cast<User&>(*this) = user;
    CopyEmail();
  }

  // The email as the email index sees it: the same characters as `email`.
  std::string_view email_key() const noexcept {
    return inline_email_size_ <= kInlineEmailBytes
               ? std::string_view(inline_email_, inline_email_size_)
               : std::string_view(email);
  }

  // The accounts this user is linked to, sorted by client id. No index reads
  // it, so the writer changes it in place (mutable: Boost's elements are
  // const), on the copy of the state no reader uses.
  mutable AccountLinks accounts;

 private:
  void CopyEmail() noexcept;

  char inline_email_[kInlineEmailBytes] = {};
  std::uint8_t inline_email_size_ = 0;  // > kInlineEmailBytes: not copied, use `email`
};

// An account as the client table stores it: the row and its users.
class StoredClient : public Client {
 public:
  StoredClient() = default;
  StoredClient(const Client& client) : Client(client) {}        // NOLINT
  StoredClient(Client&& client) : Client(std::move(client)) {}  // NOLINT

  void Assign(const Client& client) { static_cast<Client&>(*this) = client; }

  // The users linked to this account, sorted by id; changed like
  // StoredUser::accounts.
  mutable MemberLinks users;
};

// The public row type of a stored row, e.g. for serialising a table.
template <typename Stored>
struct PublicRow {
  using type = Stored;
};
template <>
struct PublicRow<StoredUser> {
  using type = User;
};
template <>
struct PublicRow<StoredClient> {
  using type = Client;
};

// Ids come from a counter, so the identity hash spreads them perfectly over
// Boost's prime-sized bucket arrays.
using IdHash = std::hash<Id>;

// The indexes every table (by id) or several tables (by external id) have.
template <typename Row>
using IdIndex = bmi::hashed_unique<bmi::tag<ById>, bmi::member<Row, Id, &Row::id>, IdHash>;
template <typename Row>
using ExternalIdIndex =
    bmi::hashed_unique<bmi::tag<ByExternalId>, bmi::member<Row, std::string, &Row::external_id>,
                       StringHash, StringEqual>;

using AppTable = bmi::multi_index_container<
    App,
    bmi::indexed_by<IdIndex<App>, bmi::hashed_unique<bmi::tag<ByAppKey>,
                                                     bmi::member<App, std::string, &App::app_key>,
                                                     StringHash, StringEqual>>,
    ArenaAllocator<App>>;

using OrganizationTable = bmi::multi_index_container<
    Organization,
    bmi::indexed_by<
        IdIndex<Organization>,
        bmi::hashed_unique<
            bmi::tag<ByAppAndExternalId>,
            bmi::composite_key<Organization,
                               bmi::member<Organization, Id, &Organization::threecolts_app_id>,
                               bmi::member<Organization, std::string, &Organization::external_id>>,
            bmi::composite_key_hash<IdHash, StringHash>,
            bmi::composite_key_equal_to<std::equal_to<Id>, StringEqual>>,
        bmi::hashed_non_unique<bmi::tag<ByApp>,
                               bmi::member<Organization, Id, &Organization::threecolts_app_id>,
                               IdHash>,
        bmi::hashed_non_unique<bmi::tag<ByOwner>,
                               bmi::member<Organization, Id, &Organization::organization_owner_id>,
                               IdHash>>,
    ArenaAllocator<Organization>>;

// Key extractors name Client's members; Boost applies them to the
// StoredClient base.
using ClientTable = bmi::multi_index_container<
    StoredClient,
    bmi::indexed_by<IdIndex<Client>, ExternalIdIndex<Client>,
                    bmi::hashed_non_unique<
                        bmi::tag<ByOrganization>,
                        bmi::member<Client, Id, &Client::threecolts_organization_id>, IdHash>>,
    ArenaAllocator<StoredClient>>;

// Key extractors name User's members; Boost applies them to the StoredUser
// base. The email index reads the in-node copy.
using UserTable = bmi::multi_index_container<
    StoredUser,
    bmi::indexed_by<
        IdIndex<User>, ExternalIdIndex<User>,
        bmi::hashed_unique<bmi::tag<ByEmail>,
                           bmi::const_mem_fun<StoredUser, std::string_view, &StoredUser::email_key>,
                           CaseInsensitiveHash, CaseInsensitiveEqual>>,
    ArenaAllocator<StoredUser>>;

// One complete registry state. The registry keeps two (see registry.cpp).
// Each table allocates its nodes from an arena of its own (node_arena.h).
struct Tables {
  AppTable apps;
  OrganizationTable organizations;
  ClientTable clients;
  UserTable users;
  std::size_t link_count = 0;  // entries of all users' account arrays
  // Next id handed out per table when an insert leaves the id at 0. Never
  // decreases, so an id freed by a delete is not reused while it is known.
  Id next_app_id = 1;
  Id next_organization_id = 1;
  Id next_client_id = 1;
  Id next_user_id = 1;
};

// The table of one row type (TableOf<Row>::type) and where a state keeps it
// (TableOf<Row>::In(tables)).
template <typename Table, Table Tables::*kMember>
struct TableAt {
  using type = Table;
  static const Table& In(const Tables& tables) { return tables.*kMember; }
};
template <typename Row>
struct TableOf;
template <>
struct TableOf<App> : TableAt<AppTable, &Tables::apps> {};
template <>
struct TableOf<Organization> : TableAt<OrganizationTable, &Tables::organizations> {};
template <>
struct TableOf<Client> : TableAt<ClientTable, &Tables::clients> {};
template <>
struct TableOf<User> : TableAt<UserTable, &Tables::users> {};

// The stored user or account with `id`, or nullptr.
inline const StoredUser* FindStoredUser(const Tables& tables, Id id) {
  const auto& index = tables.users.get<ById>();
  auto it = index.find(id);
  return it == index.end() ? nullptr : &*it;
}
inline const StoredClient* FindStoredClient(const Tables& tables, Id id) {
  const auto& index = tables.clients.get<ById>();
  auto it = index.find(id);
  return it == index.end() ? nullptr : &*it;
}

// The entry of `client` in the user's array, or nullptr (link_arrays.cpp).
const AccountLink* FindAccountLink(const StoredUser& user, const StoredClient& client);
// Whether the two are linked: a search of the shorter of their arrays.
bool Linked(const StoredUser& user, const StoredClient& client);

// One side of the links, for LinkedRange: from a user (Owner StoredUser) to
// its accounts, or from an account (StoredClient) to its users.
template <typename Owner>
struct LinkSide;
template <>
struct LinkSide<StoredUser> {
  using Target = StoredClient;
  static std::size_t Count(const StoredUser& user) { return user.accounts.size(); }
  static const StoredClient& TargetAt(const StoredUser& user, std::size_t i) {
    return *user.accounts[i].client;
  }
  static ClientUserLink LinkAt(const StoredUser& user, std::size_t i) {
    const AccountLink& entry = user.accounts[i];
    return {entry.client->id, user.id, entry.created_at};
  }
};
template <>
struct LinkSide<StoredClient> {
  using Target = StoredUser;
  static std::size_t Count(const StoredClient& client) { return client.users.size(); }
  static const StoredUser& TargetAt(const StoredClient& client, std::size_t i) {
    return *client.users[i];
  }
  // The created_at is kept on the user's side: one more search.
  static ClientUserLink LinkAt(const StoredClient& client, std::size_t i) {
    const StoredUser& user = TargetAt(client, i);
    return {client.id, user.id, FindAccountLink(user, client)->created_at};
  }
};

}  // namespace hubreg::detail
