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
#include <string_view>

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
struct ByPair {};
struct ByUser {};
struct ByClient {};

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

// A user as the user table stores it: the row plus a copy of its email inside
// the node. The table's nodes live in an arena (node_arena.h), apart from the
// heap blocks std::string keeps emails longer than 15 bytes in, so without
// the copy a lookup by email would read the bucket, the node, and then the
// email's characters elsewhere: three cache misses where a lookup by id takes
// two. Emails too long for the copy (rare) are compared where std::string
// keeps them. Costs 48 bytes per user per copy of the state.
class StoredUser : public User {
 public:
  static constexpr std::size_t kInlineEmailBytes = 47;

  StoredUser() = default;
  // Implicit: tables are filled and updated with plain Users.
  StoredUser(const User& user) : User(user) { CopyEmail(); }        // NOLINT
  StoredUser(User&& user) : User(std::move(user)) { CopyEmail(); }  // NOLINT

  // The email as the email index sees it: the same characters as `email`.
  std::string_view email_key() const noexcept {
    return inline_email_size_ <= kInlineEmailBytes
               ? std::string_view(inline_email_, inline_email_size_)
               : std::string_view(email);
  }

 private:
  void CopyEmail() noexcept;

  char inline_email_[kInlineEmailBytes] = {};
  std::uint8_t inline_email_size_ = 0;  // > kInlineEmailBytes: not copied, use `email`
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

using ClientTable = bmi::multi_index_container<
    Client,
    bmi::indexed_by<IdIndex<Client>, ExternalIdIndex<Client>,
                    bmi::hashed_non_unique<
                        bmi::tag<ByOrganization>,
                        bmi::member<Client, Id, &Client::threecolts_organization_id>, IdHash>>,
    ArenaAllocator<Client>>;

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

using LinkTable = bmi::multi_index_container<
    ClientUserLink,
    bmi::indexed_by<
        bmi::hashed_unique<
            bmi::tag<ByPair>,
            bmi::composite_key<ClientUserLink,
                               bmi::member<ClientUserLink, Id, &ClientUserLink::client_id>,
                               bmi::member<ClientUserLink, Id, &ClientUserLink::user_id>>>,
        bmi::hashed_non_unique<bmi::tag<ByUser>,
                               bmi::member<ClientUserLink, Id, &ClientUserLink::user_id>, IdHash>,
        bmi::hashed_non_unique<bmi::tag<ByClient>,
                               bmi::member<ClientUserLink, Id, &ClientUserLink::client_id>,
                               IdHash>>,
    ArenaAllocator<ClientUserLink>>;

// One complete registry state. The registry keeps two (see registry.cpp).
// Each table allocates its nodes from an arena of its own (node_arena.h).
struct Tables {
  AppTable apps;
  OrganizationTable organizations;
  ClientTable clients;
  UserTable users;
  LinkTable links;
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
template <>
struct TableOf<ClientUserLink> : TableAt<LinkTable, &Tables::links> {};

// The link after `link` with the same user (Tag ByUser, kKey user_id) or the
// same client (ByClient, client_id), or nullptr. A hashed_non_unique index
// keeps the elements of one key adjacent, so this is the next element of the
// index if its key is the same.
template <typename Tag, Id ClientUserLink::*kKey>
const ClientUserLink* NextLinkOfSameKey(const Tables& tables, const ClientUserLink& link) {
  const auto& index = tables.links.get<Tag>();
  auto next = std::next(index.iterator_to(link));
  return next != index.end() && (*next).*kKey == link.*kKey ? &*next : nullptr;
}

// The first link of one user (ByUser) or client (ByClient), or nullptr.
template <typename Tag>
const ClientUserLink* FirstLinkOf(const Tables& tables, Id key) {
  const auto& index = tables.links.get<Tag>();
  auto first = index.equal_range(key).first;
  return first == index.end() ? nullptr : &*first;
}

}  // namespace hubreg::detail
