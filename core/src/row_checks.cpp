// Integrity rules for single rows: field validity, foreign keys and unique
// keys. Messages name the table, the column and the value, never a password.
#include <string>

#include "batch_applier.h"

namespace hubreg::detail {
namespace {

Status RequireNonEmpty(std::string_view table, std::string_view column, const std::string& value) {
  if (!value.empty()) return Status::Ok();
  return Status::InvalidArgument(std::string(table) + ": " + std::string(column) +
                                 " must not be empty");
}

Status MissingReference(std::string_view table, std::string_view column, Id value,
                        std::string_view target) {
  return Status::ForeignKey(std::string(table) + ": " + std::string(column) + " " +
                            std::to_string(value) + " does not exist in " + std::string(target));
}

template <typename Row>
Status DuplicateKey(std::string_view table, std::string_view column, const std::string& value,
                    const Row& holder) {
  return Status::Duplicate(std::string(table) + ": " + std::string(column) + " " +
                           QuoteForMessage(value) + " is already used by id " +
                           std::to_string(holder.id));
}

Status DuplicateId(std::string_view table, Id id) {
  return Status::Duplicate(std::string(table) + ": id " + std::to_string(id) + " already exists");
}

// A unique key is free when no row holds it, or the holder is the row being
// replaced.
template <typename Index, typename Key>
const auto* Holder(const Index& index, const Key& key, Id self, bool replacing) {
  auto it = index.find(key);
  using Row = typename Index::value_type;
  if (it == index.end() || (replacing && it->id == self)) return static_cast<const Row*>(nullptr);
  return &*it;
}

template <typename Table>
Status CheckId(const Table& table, std::string_view name, Id id, bool replacing) {
  if (id == kNoId) return Status::InvalidArgument(std::string(name) + ": id must not be 0");
  const bool exists = table.template get<ById>().count(id) != 0;
  if (replacing && !exists) {
    return Status::NotFound(std::string(name) + ": id " + std::to_string(id) + " not found");
  }
  if (!replacing && exists) return DuplicateId(name, id);
  return Status::Ok();
}

}  // namespace

Status CheckFields(const App& row) { return RequireNonEmpty(kAppTable, "app_key", row.app_key); }

Status CheckFields(const Organization& row) {
  return RequireNonEmpty(kOrganizationTable, "external_id", row.external_id);
}

Status CheckFields(const Client& row) {
  return RequireNonEmpty(kClientTable, "external_id", row.external_id);
}

Status CheckFields(const User& row) {
  HUBREG_RETURN_IF_ERROR(RequireNonEmpty(kUserTable, "external_id", row.external_id));
  HUBREG_RETURN_IF_ERROR(RequireNonEmpty(kUserTable, "email", row.email));
  if (row.email.find('@') == std::string::npos) {
    return Status::InvalidArgument(std::string(kUserTable) + ": email " +
                                   QuoteForMessage(row.email) + " is not an email address");
  }
  return Status::Ok();
}

bool ReferencesExist(const Tables& tables, const Organization& row) {
  return tables.apps.get<ById>().count(row.threecolts_app_id) != 0 &&
         tables.users.get<ById>().count(row.organization_owner_id) != 0;
}

bool ReferencesExist(const Tables& tables, const Client& row) {
  return row.threecolts_organization_id == kNoId ||
         tables.organizations.get<ById>().count(row.threecolts_organization_id) != 0;
}

bool ReferencesExist(const Tables& tables, const ClientUserLink& row) {
  return tables.clients.get<ById>().count(row.client_id) != 0 &&
         tables.users.get<ById>().count(row.user_id) != 0;
}

Status CheckRow(const Tables& tables, const App& row, bool replacing) {
  HUBREG_RETURN_IF_ERROR(CheckId(tables.apps, kAppTable, row.id, replacing));
  HUBREG_RETURN_IF_ERROR(CheckFields(row));
  if (const App* holder = Holder(tables.apps.get<ByAppKey>(), row.app_key, row.id, replacing)) {
    return DuplicateKey(kAppTable, "app_key", row.app_key, *holder);
  }
  return Status::Ok();
}

Status CheckRow(const Tables& tables, const Organization& row, bool replacing) {
  HUBREG_RETURN_IF_ERROR(CheckId(tables.organizations, kOrganizationTable, row.id, replacing));
  HUBREG_RETURN_IF_ERROR(CheckFields(row));
  if (tables.apps.get<ById>().count(row.threecolts_app_id) == 0) {
    return MissingReference(kOrganizationTable, "threecolts_app_id", row.threecolts_app_id,
                            kAppTable);
  }
  if (tables.users.get<ById>().count(row.organization_owner_id) == 0) {
    return MissingReference(kOrganizationTable, "organization_owner_id", row.organization_owner_id,
                            kUserTable);
  }
  const auto& by_key = tables.organizations.get<ByAppAndExternalId>();
  if (const Organization* holder = Holder(
          by_key, std::make_tuple(row.threecolts_app_id, row.external_id), row.id, replacing)) {
    return Status::Duplicate(
        std::string(kOrganizationTable) + ": external_id " + QuoteForMessage(row.external_id) +
        " is already used in threecolts_app " + std::to_string(row.threecolts_app_id) + " by id " +
        std::to_string(holder->id));
  }
  return Status::Ok();
}

Status CheckRow(const Tables& tables, const Client& row, bool replacing) {
  HUBREG_RETURN_IF_ERROR(CheckId(tables.clients, kClientTable, row.id, replacing));
  HUBREG_RETURN_IF_ERROR(CheckFields(row));
  if (row.threecolts_organization_id != kNoId &&
      tables.organizations.get<ById>().count(row.threecolts_organization_id) == 0) {
    return MissingReference(kClientTable, "threecolts_organization_id",
                            row.threecolts_organization_id, kOrganizationTable);
  }
  if (const Client* holder =
          Holder(tables.clients.get<ByExternalId>(), row.external_id, row.id, replacing)) {
    return DuplicateKey(kClientTable, "external_id", row.external_id, *holder);
  }
  return Status::Ok();
}

Status CheckRow(const Tables& tables, const User& row, bool replacing) {
  HUBREG_RETURN_IF_ERROR(CheckId(tables.users, kUserTable, row.id, replacing));
  HUBREG_RETURN_IF_ERROR(CheckFields(row));
  if (const User* holder =
          Holder(tables.users.get<ByExternalId>(), row.external_id, row.id, replacing)) {
    return DuplicateKey(kUserTable, "external_id", row.external_id, *holder);
  }
  if (const User* holder = Holder(tables.users.get<ByEmail>(), row.email, row.id, replacing)) {
    return DuplicateKey(kUserTable, "email", row.email, *holder);
  }
  return Status::Ok();
}

Status CheckRow(const Tables& tables, const ClientUserLink& row, bool /*replacing*/) {
  if (tables.clients.get<ById>().count(row.client_id) == 0) {
    return MissingReference(kClientUserTable, "client_id", row.client_id, kClientTable);
  }
  if (tables.users.get<ById>().count(row.user_id) == 0) {
    return MissingReference(kClientUserTable, "user_id", row.user_id, kUserTable);
  }
  if (tables.links.get<ByPair>().count(std::make_tuple(row.client_id, row.user_id)) != 0) {
    return Status::Duplicate(std::string(kClientUserTable) + ": (client_id, user_id) (" +
                             std::to_string(row.client_id) + ", " + std::to_string(row.user_id) +
                             ") already exists");
  }
  return Status::Ok();
}

}  // namespace hubreg::detail
