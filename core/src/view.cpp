// Lookups on one registry state. Every one goes through an index.
#include "hubreg/view.h"

#include <algorithm>
#include <tuple>

#include "link_arrays.h"

namespace hubreg {
namespace {

template <typename Index, typename Key>
const typename Index::value_type* FindIn(const Index& index, const Key& key) {
  auto it = index.find(key);
  return it == index.end() ? nullptr : &*it;
}

}  // namespace

using namespace detail;

TableCounts View::counts() const {
  return {tables_->apps.size(), tables_->organizations.size(), tables_->clients.size(),
          tables_->users.size(), tables_->link_count};
}

const App* View::FindApp(Id id) const { return FindIn(tables_->apps.get<ById>(), id); }

const App* View::FindAppByKey(std::string_view app_key) const {
  return FindIn(tables_->apps.get<ByAppKey>(), app_key);
}

const Organization* View::FindOrganization(Id id) const {
  return FindIn(tables_->organizations.get<ById>(), id);
}

const Organization* View::FindOrganizationByExternalId(Id app_id,
                                                       std::string_view external_id) const {
  return FindIn(tables_->organizations.get<ByAppAndExternalId>(),
                std::make_tuple(app_id, external_id));
}

const Client* View::FindClient(Id id) const { return FindIn(tables_->clients.get<ById>(), id); }

const Client* View::FindClientByExternalId(std::string_view external_id) const {
  return FindIn(tables_->clients.get<ByExternalId>(), external_id);
}

const User* View::FindUser(Id id) const { return FindIn(tables_->users.get<ById>(), id); }

const User* View::FindUserByExternalId(std::string_view external_id) const {
  return FindIn(tables_->users.get<ByExternalId>(), external_id);
}

const User* View::FindUserByEmail(std::string_view email) const {
  // The email index hashes and compares string_views, so no string is built.
  return FindIn(tables_->users.get<ByEmail>(), email);
}

std::optional<ClientUserLink> View::FindLink(Id client_id, Id user_id) const {
  return detail::FindLink(*tables_, client_id, user_id);
}

bool View::HasLink(Id client_id, Id user_id) const {
  return detail::Linked(*tables_, client_id, user_id);
}

const User* View::OwnerOfOrganization(Id organization_id) const {
  const Organization* organization = FindOrganization(organization_id);
  return organization ? FindUser(organization->organization_owner_id) : nullptr;
}

View::OwnedOrganizationRange View::OrganizationsOwnedBy(Id user_id) const {
  auto [first, last] = tables_->organizations.get<ByOwner>().equal_range(user_id);
  return {first, last};
}

View::OrganizationRange View::OrganizationsOfApp(Id app_id) const {
  auto [first, last] = tables_->organizations.get<ByApp>().equal_range(app_id);
  return {first, last};
}

View::ClientRange View::ClientsOfOrganization(Id organization_id) const {
  auto [first, last] = tables_->clients.get<ByOrganization>().equal_range(organization_id);
  return {first, last};
}

View::ClientsOfUserRange View::ClientsOfUser(Id user_id) const {
  return ClientsOfUserRange(FindStoredUser(*tables_, user_id));
}

View::UsersOfClientRange View::UsersOfClient(Id client_id) const {
  return UsersOfClientRange(FindStoredClient(*tables_, client_id));
}

View::ClientsOfUserRange View::ClientsOfUser(const User& user) const {
  return ClientsOfUserRange(&static_cast<const detail::StoredUser&>(user));
}

template <typename Row>
std::vector<const Row*> View::SortedById() const {
  const auto& table = TableOf<Row>::In(*tables_);
  std::vector<std::pair<Id, const Row*>> keyed;
  keyed.reserve(table.size());
  Id largest = 0;
  for (const Row& row : table) {
    keyed.emplace_back(row.id, &row);
    largest = std::max(largest, row.id);
  }
  std::vector<const Row*> rows;
  if (largest <= 2 * keyed.size()) {
    // Dense ids: each row's place is its id (ids are unique). Sorting a
    // million users took about a fifth of a snapshot's encoding.
    std::vector<const Row*> by_id(largest + 1, nullptr);
    for (const auto& [id, row] : keyed) by_id[id] = row;
    rows.reserve(keyed.size());
    for (const Row* row : by_id) {
      if (row != nullptr) rows.push_back(row);
    }
    return rows;
  }
  // Sorting (id, pointer) pairs reads no row while sorting.
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  rows.reserve(keyed.size());
  for (const auto& [id, row] : keyed) rows.push_back(row);
  return rows;
}

template std::vector<const App*> View::SortedById<App>() const;
template std::vector<const Organization*> View::SortedById<Organization>() const;
template std::vector<const Client*> View::SortedById<Client>() const;
template std::vector<const User*> View::SortedById<User>() const;

}  // namespace hubreg
