#include "stored_queries.h"

#include <memory>
#include <string>
#include <vector>

#include "hubreg/columns.h"
#include "row_cells.h"
#include "row_parser.h"
#include "row_picker.h"
#include "timestamp_text.h"

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

// A value as export shows it (row_cells.h): an id of 0 is NULL; integers
// stay integers.
Cell RecordCell(Id id) { return id == kNoId ? Cell() : Cell(id); }
Cell RecordCell(std::uint16_t port) { return static_cast<std::uint64_t>(port); }
Cell RecordCell(const std::string& text) { return text; }
Cell RecordCell(Environment environment) { return std::string(ToString(environment)); }
Cell RecordCell(RecordStatus status) { return std::string(ToString(status)); }
Cell RecordCell(Timestamp t) { return FormatTimestampText(t); }

template <typename Row>
QueryTable RecordTable(const Row& row, bool include_secrets) {
  QueryTable table;
  table.single = true;
  for (const ColumnInfo& column : kColumnInfos<Row>) table.columns.emplace_back(column.name);
  table.rows.push_back(
      MakeCells<Cell>(row, include_secrets, [](const auto& value) { return RecordCell(value); }));
  return table;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && text.size() <= 19 &&
         text.find_first_not_of("0123456789") == std::string_view::npos;
}

template <typename Row>
const Row* ById(const std::vector<Row>& rows, std::string_view key) {
  if (!AllDigits(key)) return nullptr;
  const Id id = std::stoull(std::string(key));
  auto at = std::lower_bound(rows.begin(), rows.end(), id,
                             [](const Row& row, Id wanted) { return row.id < wanted; });
  return at != rows.end() && at->id == id ? &*at : nullptr;
}

template <typename Row, typename Match>
const Row* FirstMatch(const std::vector<Row>& rows, Match match) {
  for (const Row& row : rows) {
    if (match(row)) return &row;
  }
  return nullptr;
}

// The row of `rows` with `key` as one of `kinds` (tried in order, or only
// `by` when given).
template <typename Row>
StatusOr<const Row*> FindRecord(
    const std::vector<Row>& rows, const RecordKey& key,
    std::initializer_list<
        std::pair<std::string_view, const Row* (*)(const std::vector<Row>&, std::string_view)>>
        kinds) {
  std::string names;
  for (const auto& [name, find] : kinds) {
    names += (names.empty() ? "" : ", ") + std::string(name);
    if (!key.by.empty() && key.by != name) continue;
    if (const Row* row = find(rows, key.key)) return row;
  }
  if (!key.by.empty() && names.find(key.by) == std::string::npos) {
    return Status::InvalidArgument("table " + std::string(key.table) + " has no key " +
                                   std::string(key.by) + " (keys: " + names + ")");
  }
  std::string kinds_text = key.by.empty() ? names : std::string(key.by);
  const std::size_t last = kinds_text.rfind(", ");
  if (last != std::string::npos) kinds_text.replace(last, 2, " or ");
  return Status::NotFound("no " + std::string(key.table) + " row with " + kinds_text + " " +
                          QuoteValue(key.key));
}

StatusOr<const Organization*> FindOrganizationRecord(const StoredRegistry& stored,
                                                     const RecordKey& key) {
  const auto& rows = stored.rows.organizations;
  if (!key.by.empty() && key.by != "id" && key.by != "external_id") {
    return Status::InvalidArgument("table threecolts_organization has no key " +
                                   std::string(key.by) + " (keys: id, external_id)");
  }
  // With --app the key is an external id: ids are the same in every app.
  if (key.by != "external_id" && !key.app_key) {
    if (const Organization* row = ById(rows, key.key)) return row;
    if (key.by == "id") {
      return Status::NotFound("no threecolts_organization row with id " + QuoteValue(key.key));
    }
  }
  // External ids are unique per app: the query's rules (--app) apply.
  RowPicker picker(stored);
  picker.PickAllApps();
  picker.PickOrganizations(key.key);
  StatusOr<std::unique_ptr<Registry>> picked = picker.Build();
  if (!picked.ok()) return picked.status();
  StatusOr<const Organization*> found =
      FindOrganizationByKey((*picked)->Read(), key.key, key.app_key);
  if (!found.ok()) return found.status();
  return ById(rows, std::to_string((*found)->id));
}

}  // namespace

std::vector<std::string_view> RecordTables() {
  return {kAppTable, kOrganizationTable, kClientTable, kUserTable};
}

StatusOr<QueryTable> GetRecord(const StoredRegistry& stored, const RecordKey& key,
                               bool include_secrets) {
  if (key.table == kAppTable) {
    StatusOr<const App*> row = FindRecord<App>(
        stored.rows.apps, key,
        {{"id", &ById<App>}, {"app_key", [](const std::vector<App>& rows, std::string_view k) {
                                return FirstMatch(rows,
                                                  [&](const App& r) { return r.app_key == k; });
                              }}});
    if (!row.ok()) return row.status();
    return RecordTable(**row, include_secrets);
  }
  if (key.table == kOrganizationTable) {
    StatusOr<const Organization*> row = FindOrganizationRecord(stored, key);
    if (!row.ok()) return row.status();
    return RecordTable(**row, include_secrets);
  }
  if (key.table == kClientTable) {
    StatusOr<const Client*> row = FindRecord<Client>(
        stored.rows.clients, key,
        {{"id", &ById<Client>},
         {"external_id", [](const std::vector<Client>& rows, std::string_view k) {
            return FirstMatch(rows, [&](const Client& r) { return r.external_id == k; });
          }}});
    if (!row.ok()) return row.status();
    return RecordTable(**row, include_secrets);
  }
  if (key.table == kUserTable) {
    StatusOr<const User*> row = FindRecord<User>(
        stored.rows.users, key,
        {{"id", &ById<User>},
         {"external_id",
          [](const std::vector<User>& rows, std::string_view k) {
            return FirstMatch(rows, [&](const User& r) { return r.external_id == k; });
          }},
         {"email", [](const std::vector<User>& rows, std::string_view k) {
            return FirstMatch(rows, [&](const User& r) { return EqualsIgnoreCase(r.email, k); });
          }}});
    if (!row.ok()) return row.status();
    return RecordTable(**row, include_secrets);
  }
  std::string tables;
  for (std::string_view table : RecordTables())
    tables += (tables.empty() ? "" : ", ") + std::string(table);
  return Status::InvalidArgument("get reads one of " + tables + ", not " + QuoteValue(key.table));
}

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
