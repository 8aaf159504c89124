#include "stored_queries.h"

#include <memory>
#include <string>
#include <vector>

#include "row_picker.h"

namespace hubreg::cli {
namespace {

// Picks rows with `pick`, then runs `query` on a registry of just them.
template <typename Pick, typename Query>
StatusOr<QueryTable> Answer(const StoredRegistry& stored, Pick pick, Query query) {
  RowPicker picker(stored);
  pick(picker);
  StatusOr<std::unique_ptr<Registry>> picked = picker.Build();
  if (!picked.ok()) return picked.status();
  const View view = (*picked)->Read();
  return query(view);
}

// An organization's rows in every app, with every app (FindOrganizationByKey
// looks in each).
std::vector<Id> PickOrganization(RowPicker& picker, std::string_view org) {
  picker.PickAllApps();
  return picker.PickOrganizations(org);
}

}  // namespace

StatusOr<QueryTable> UserClients(const StoredRegistry& stored, std::string_view user) {
  return Answer(
      stored, [&](RowPicker& picker) { picker.PickLinksOfUser(picker.PickUser(user)); },
      [&](const View& view) { return UserClients(view, user); });
}

StatusOr<QueryTable> ClientUsers(const StoredRegistry& stored, std::string_view client) {
  return Answer(
      stored, [&](RowPicker& picker) { picker.PickLinksOfClient(picker.PickClient(client)); },
      [&](const View& view) { return ClientUsers(view, client); });
}

StatusOr<QueryTable> OrgOwner(const StoredRegistry& stored, std::string_view org,
                              std::optional<std::string_view> app_key) {
  return Answer(
      stored, [&](RowPicker& picker) { PickOrganization(picker, org); },
      [&](const View& view) { return OrgOwner(view, org, app_key); });
}

StatusOr<QueryTable> OwnedOrgs(const StoredRegistry& stored, std::string_view user) {
  return Answer(
      stored,
      [&](RowPicker& picker) {
        const Id found = picker.PickUser(user);
        if (found != kNoId) picker.PickOrganizationsOwnedBy(found);
      },
      [&](const View& view) { return OwnedOrgs(view, user); });
}

StatusOr<QueryTable> OrgClients(const StoredRegistry& stored, std::string_view org,
                                std::optional<std::string_view> app_key) {
  return Answer(
      stored, [&](RowPicker& picker) { picker.PickClientsOf(PickOrganization(picker, org)); },
      [&](const View& view) { return OrgClients(view, org, app_key); });
}

StatusOr<QueryTable> NoOrgClients(const StoredRegistry& stored) {
  return Answer(
      stored, [](RowPicker& picker) { picker.PickClientsWithoutOrganization(); },
      [](const View& view) -> StatusOr<QueryTable> { return NoOrgClients(view); });
}

StatusOr<QueryTable> ResolveUserOrEmail(const StoredRegistry& stored,
                                        const AccessRequest& request) {
  return Answer(
      stored,
      [&](RowPicker& picker) {
        const Id user = picker.PickUser(request.user_external_id);
        const Id account = picker.PickClient(request.account_external_id);
        picker.PickLink(account, user);
        picker.PickAllApps();
        if (request.organization_external_id) {
          picker.PickOrganizations(*request.organization_external_id);
        }
      },
      [&](const View& view) -> StatusOr<QueryTable> { return ResolveUserOrEmail(view, request); });
}

}  // namespace hubreg::cli
