#include "row_picker.h"

#include <algorithm>
#include <string>

namespace hubreg::cli {
namespace {

template <typename Row>
const Row* FindById(const std::vector<Row>& rows, Id id) {
  auto at = std::lower_bound(rows.begin(), rows.end(), id,
                             [](const Row& row, Id key) { return row.id < key; });
  return at != rows.end() && at->id == id ? &*at : nullptr;
}

void SortUnique(std::vector<Id>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

// The rows of `table` whose ids are in `ids`; kCorruption naming the first
// missing one (`what` references it).
template <typename Row>
Status Collect(const std::vector<Row>& table, std::vector<Id>& ids, std::string_view name,
               std::vector<Row>* out) {
  SortUnique(ids);
  for (Id id : ids) {
    const Row* row = FindById(table, id);
    if (row == nullptr) {
      return Status::Corruption("stored rows: " + std::string(name) + " " + std::to_string(id) +
                                " is referenced but missing");
    }
    out->push_back(*row);
  }
  return Status::Ok();
}

}  // namespace

Id RowPicker::PickUserByExternalId(std::string_view user) {
  for (const User& row : stored_.rows.users) {
    if (row.external_id == user) {
      users_.push_back(row.id);
      return row.id;
    }
  }
  return kNoId;
}

Id RowPicker::PickUser(std::string_view user) {
  if (Id id = PickUserByExternalId(user); id != kNoId) return id;
  for (const User& row : stored_.rows.users) {
    if (EqualsIgnoreCase(row.email, user)) {
      users_.push_back(row.id);
      return row.id;
    }
  }
  return kNoId;
}

Id RowPicker::PickClient(std::string_view external_id) {
  for (const Client& row : stored_.rows.clients) {
    if (row.external_id == external_id) {
      clients_.push_back(row.id);
      return row.id;
    }
  }
  return kNoId;
}

void RowPicker::PickAllApps() {
  for (const App& row : stored_.rows.apps) apps_.push_back(row.id);
}

std::vector<Id> RowPicker::PickOrganizations(std::string_view external_id) {
  std::vector<Id> found;
  for (const Organization& row : stored_.rows.organizations) {
    if (row.external_id == external_id) found.push_back(row.id);
  }
  organizations_.insert(organizations_.end(), found.begin(), found.end());
  return found;
}

void RowPicker::PickOrganizationsOwnedBy(Id user) {
  std::vector<Id> owned;
  for (const Organization& row : stored_.rows.organizations) {
    if (row.organization_owner_id == user) owned.push_back(row.id);
  }
  organizations_.insert(organizations_.end(), owned.begin(), owned.end());
  PickClientsOf(owned);
}

void RowPicker::PickClientsOf(const std::vector<Id>& organizations) {
  if (organizations.empty()) return;
  for (const Client& row : stored_.rows.clients) {
    if (std::find(organizations.begin(), organizations.end(), row.threecolts_organization_id) !=
        organizations.end()) {
      clients_.push_back(row.id);
    }
  }
}

void RowPicker::PickClientsWithoutOrganization() {
  for (const Client& row : stored_.rows.clients) {
    if (row.threecolts_organization_id == kNoId) clients_.push_back(row.id);
  }
}

void RowPicker::PickLinksOfUser(Id user) {
  // Links are sorted by (user, client): a user's are one run.
  const auto& links = stored_.rows.links;
  auto at = std::lower_bound(links.begin(), links.end(), user,
                             [](const ClientUserLink& link, Id key) { return link.user_id < key; });
  for (; at != links.end() && at->user_id == user; ++at) links_.push_back(*at);
}

void RowPicker::PickLinksOfClient(Id client) {
  for (const ClientUserLink& link : stored_.rows.links) {
    if (link.client_id == client) links_.push_back(link);
  }
}

void RowPicker::PickLink(Id client, Id user) {
  const auto& links = stored_.rows.links;
  auto at = std::lower_bound(links.begin(), links.end(), std::pair(user, client),
                             [](const ClientUserLink& link, std::pair<Id, Id> key) {
                               return std::pair(link.user_id, link.client_id) < key;
                             });
  if (at != links.end() && at->user_id == user && at->client_id == client) links_.push_back(*at);
}

StatusOr<std::unique_ptr<Registry>> RowPicker::Build() const {
  std::vector<Id> apps = apps_, organizations = organizations_, clients = clients_, users = users_;
  std::vector<ClientUserLink> links = links_;
  for (const ClientUserLink& link : links) {
    clients.push_back(link.client_id);
    users.push_back(link.user_id);
  }
  RegistryRows rows;
  HUBREG_RETURN_IF_ERROR(Collect(stored_.rows.clients, clients, kClientTable, &rows.clients));
  for (const Client& client : rows.clients) {
    if (client.threecolts_organization_id != kNoId) {
      organizations.push_back(client.threecolts_organization_id);
    }
  }
  HUBREG_RETURN_IF_ERROR(
      Collect(stored_.rows.organizations, organizations, kOrganizationTable, &rows.organizations));
  for (const Organization& organization : rows.organizations) {
    apps.push_back(organization.threecolts_app_id);
    users.push_back(organization.organization_owner_id);
  }
  HUBREG_RETURN_IF_ERROR(Collect(stored_.rows.apps, apps, kAppTable, &rows.apps));
  HUBREG_RETURN_IF_ERROR(Collect(stored_.rows.users, users, kUserTable, &rows.users));
  std::sort(links.begin(), links.end(), [](const ClientUserLink& a, const ClientUserLink& b) {
    return std::pair(a.user_id, a.client_id) < std::pair(b.user_id, b.client_id);
  });
  links.erase(std::unique(links.begin(), links.end()), links.end());
  rows.links = std::move(links);
  rows.next_app_id = stored_.rows.next_app_id;
  rows.next_organization_id = stored_.rows.next_organization_id;
  rows.next_client_id = stored_.rows.next_client_id;
  rows.next_user_id = stored_.rows.next_user_id;
  StatusOr<std::unique_ptr<Registry>> registry =
      Registry::FromRows(std::move(rows), stored_.stats.last_sequence);
  if (!registry.ok()) {
    return Status::Corruption("stored rows break an integrity rule: " +
                              registry.status().message());
  }
  return registry;
}

}  // namespace hubreg::cli
