#include "queries.h"

#include <algorithm>

#include "row_parser.h"
#include "timestamp_text.h"

namespace hubreg::cli {
namespace {

Cell Text(std::string_view text) { return std::string(text); }
Cell Number(std::uint64_t n) { return n; }
Cell Time(Timestamp t) { return FormatTimestampText(t); }

StatusOr<const User*> RequireUser(const View& view, std::string_view user) {
  if (const User* found = FindUserByIdOrEmail(view, user)) return found;
  return Status::NotFound("no user with external id or email " + QuoteValue(user));
}

std::string AppKeyOf(const View& view, Id app_id) {
  const App* app = view.FindApp(app_id);
  return app ? app->app_key : std::string();
}

Cell OrganizationKey(const View& view, Id organization_id) {
  if (organization_id == kNoId) return {};
  const Organization* org = view.FindOrganization(organization_id);
  return org ? Cell(org->external_id) : Cell();
}

}  // namespace

const User* FindUserByIdOrEmail(const View& view, std::string_view user) {
  if (const User* found = view.FindUserByExternalId(user)) return found;
  return view.FindUserByEmail(user);
}

StatusOr<const Organization*> FindOrganizationByKey(const View& view, std::string_view org,
                                                    std::optional<std::string_view> app_key) {
  if (app_key) {
    const App* app = view.FindAppByKey(*app_key);
    if (app == nullptr) return Status::NotFound("no app with key " + QuoteValue(*app_key));
    const Organization* found = view.FindOrganizationByExternalId(app->id, org);
    if (found == nullptr) {
      return Status::NotFound("no organization " + QuoteValue(org) + " in app " +
                              QuoteValue(*app_key));
    }
    return found;
  }
  const Organization* found = nullptr;
  std::vector<std::string> apps;
  for (const App& app : view.Rows<App>()) {
    if (const Organization* candidate = view.FindOrganizationByExternalId(app.id, org)) {
      found = candidate;
      apps.push_back(app.app_key);
    }
  }
  if (found == nullptr) return Status::NotFound("no organization " + QuoteValue(org));
  if (apps.size() > 1) {
    std::sort(apps.begin(), apps.end());
    std::string list;
    for (const std::string& key : apps) list += (list.empty() ? "" : ", ") + key;
    return Status::InvalidArgument("organization " + QuoteValue(org) + " exists in apps " + list +
                                   ": pass --app KEY");
  }
  return found;
}

StatusOr<QueryTable> UserClients(const View& view, std::string_view user) {
  StatusOr<const User*> found = RequireUser(view, user);
  if (!found.ok()) return found.status();
  QueryTable table{{"id", "external_id", "name", "organization", "status", "linked_at"}, {}, false};
  const auto range = view.ClientsOfUser((*found)->id);
  for (auto it = range.begin(); it != range.end(); ++it) {
    table.rows.push_back({Number(it->id), Text(it->external_id), Text(it->name),
                          OrganizationKey(view, it->threecolts_organization_id),
                          Text(ToString(it->status)), Time(it.link().created_at)});
  }
  std::sort(table.rows.begin(), table.rows.end());
  return table;
}

StatusOr<QueryTable> ClientUsers(const View& view, std::string_view client) {
  const Client* found = view.FindClientByExternalId(client);
  if (found == nullptr) return Status::NotFound("no client with external id " + QuoteValue(client));
  QueryTable table{{"id", "external_id", "email", "name", "status", "linked_at"}, {}, false};
  const auto range = view.UsersOfClient(found->id);
  for (auto it = range.begin(); it != range.end(); ++it) {
    table.rows.push_back({Number(it->id), Text(it->external_id), Text(it->email), Text(it->name),
                          Text(ToString(it->status)), Time(it.link().created_at)});
  }
  std::sort(table.rows.begin(), table.rows.end());
  return table;
}

StatusOr<QueryTable> OrgOwner(const View& view, std::string_view org,
                              std::optional<std::string_view> app_key) {
  StatusOr<const Organization*> found = FindOrganizationByKey(view, org, app_key);
  if (!found.ok()) return found.status();
  const Organization& organization = **found;
  QueryTable table{
      {"organization", "app", "owner_id", "external_id", "email", "name", "status"}, {}, true};
  const User* owner = view.OwnerOfOrganization(organization.id);
  if (owner == nullptr) {
    return Status::Corruption("organization " + QuoteValue(org) + " has no owner");
  }
  table.rows.push_back({Text(organization.external_id),
                        Text(AppKeyOf(view, organization.threecolts_app_id)), Number(owner->id),
                        Text(owner->external_id), Text(owner->email), Text(owner->name),
                        Text(ToString(owner->status))});
  return table;
}

StatusOr<QueryTable> OwnedOrgs(const View& view, std::string_view user) {
  StatusOr<const User*> found = RequireUser(view, user);
  if (!found.ok()) return found.status();
  QueryTable table{{"id", "external_id", "name", "app", "clients"}, {}, false};
  for (const Organization& org : view.OrganizationsOwnedBy((*found)->id)) {
    table.rows.push_back({Number(org.id), Text(org.external_id), Text(org.name),
                          Text(AppKeyOf(view, org.threecolts_app_id)),
                          Number(view.ClientsOfOrganization(org.id).size())});
  }
  std::sort(table.rows.begin(), table.rows.end());
  return table;
}

namespace {

// The columns of org-clients and no-org-clients.
QueryTable ClientTable() {
  return {{"id", "external_id", "name", "status", "db_host", "db_port", "db_name"}, {}, false};
}

void AddClientRow(const Client& client, QueryTable& table) {
  table.rows.push_back({Number(client.id), Text(client.external_id), Text(client.name),
                        Text(ToString(client.status)), Text(client.db_host), Number(client.db_port),
                        Text(client.db_name)});
}

}  // namespace

StatusOr<QueryTable> OrgClients(const View& view, std::string_view org,
                                std::optional<std::string_view> app_key) {
  StatusOr<const Organization*> found = FindOrganizationByKey(view, org, app_key);
  if (!found.ok()) return found.status();
  QueryTable table = ClientTable();
  for (const Client& client : view.ClientsOfOrganization((*found)->id)) {
    AddClientRow(client, table);
  }
  std::sort(table.rows.begin(), table.rows.end());
  return table;
}

QueryTable NoOrgClients(const View& view) {
  QueryTable table = ClientTable();
  for (const Client& client : view.Rows<Client>()) {
    if (client.threecolts_organization_id == kNoId) AddClientRow(client, table);
  }
  std::sort(table.rows.begin(), table.rows.end());
  return table;
}

QueryTable ResolveAccess(const View& view, const AccessRequest& request) {
  const AccessDecision decision = view.Resolve(request);
  QueryTable table{
      {"verdict", "account", "user", "organization", "db_host", "db_port", "db_name", "db_user"},
      {},
      true};
  std::vector<Cell> row{Text(ToString(decision.verdict)), Text(request.account_external_id),
                        Text(request.user_external_id)};
  if (decision.allowed()) {
    const Client& account = *decision.account;
    row.push_back(OrganizationKey(view, account.threecolts_organization_id));
    row.push_back(Text(account.db_host));
    row.push_back(Number(account.db_port));
    row.push_back(Text(account.db_name));
    row.push_back(Text(account.db_user));
  } else {
    row.resize(table.columns.size());
  }
  table.rows.push_back(std::move(row));
  return table;
}

QueryTable ResolveUserOrEmail(const View& view, const AccessRequest& request) {
  AccessRequest by_id = request;
  // Services pass external ids; people often know the email.
  if (view.FindUserByExternalId(request.user_external_id) == nullptr) {
    if (const User* by_email = view.FindUserByEmail(request.user_external_id)) {
      by_id.user_external_id = by_email->external_id;
    }
  }
  QueryTable table = ResolveAccess(view, by_id);
  table.rows[0][2] = Text(request.user_external_id);
  return table;
}

}  // namespace hubreg::cli
