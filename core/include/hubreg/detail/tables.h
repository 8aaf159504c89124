// Internal: the Boost.MultiIndex containers behind a registry state. Public
// only because View's ranges iterate them without copying; callers use View.
#pragma once

#include <boost/multi_index/composite_key.hpp>
#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/member.hpp>
#include <boost/multi_index_container.hpp>
#include <cstddef>
#include <functional>
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

// Ids come from a counter, so the identity hash spreads them perfectly over
// Boost's prime-sized bucket arrays.
using IdHash = std::hash<Id>;

using AppTable = bmi::multi_index_container<
    App,
    bmi::indexed_by<
        bmi::hashed_unique<bmi::tag<ById>, bmi::member<App, Id, &App::id>, IdHash>,
        bmi::hashed_unique<bmi::tag<ByAppKey>, bmi::member<App, std::string, &App::app_key>,
                           StringHash, StringEqual>>,
    ArenaAllocator<App>>;

using OrganizationTable = bmi::multi_index_container<
    Organization,
    bmi::indexed_by<
        bmi::hashed_unique<bmi::tag<ById>, bmi::member<Organization, Id, &Organization::id>,
                           IdHash>,
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
    bmi::indexed_by<
        bmi::hashed_unique<bmi::tag<ById>, bmi::member<Client, Id, &Client::id>, IdHash>,
        bmi::hashed_unique<bmi::tag<ByExternalId>,
                           bmi::member<Client, std::string, &Client::external_id>, StringHash,
                           StringEqual>,
        bmi::hashed_non_unique<bmi::tag<ByOrganization>,
                               bmi::member<Client, Id, &Client::threecolts_organization_id>,
                               IdHash>>,
    ArenaAllocator<Client>>;

using UserTable = bmi::multi_index_container<
    User,
    bmi::indexed_by<
        bmi::hashed_unique<bmi::tag<ById>, bmi::member<User, Id, &User::id>, IdHash>,
        bmi::hashed_unique<bmi::tag<ByExternalId>,
                           bmi::member<User, std::string, &User::external_id>, StringHash,
                           StringEqual>,
        bmi::hashed_unique<bmi::tag<ByEmail>, bmi::member<User, std::string, &User::email>,
                           CaseInsensitiveHash, CaseInsensitiveEqual>>,
    ArenaAllocator<User>>;

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

}  // namespace hubreg::detail
