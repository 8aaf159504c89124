#include "source_columns.h"

namespace hubreg::sync {
namespace {

using K = ColumnKind;

constexpr SourceColumn kAppColumns[] = {{"id", K::kInteger},      {"name", K::kText},
                                        {"app_key", K::kText},    {"environment", K::kTextOrEnum},
                                        {"created_at", K::kTime}, {"updated_at", K::kTime}};
constexpr SourceColumn kOrganizationColumns[] = {{"id", K::kInteger},
                                                 {"threecolts_app_id", K::kInteger},
                                                 {"organization_owner_id", K::kInteger},
                                                 {"external_id", K::kText},
                                                 {"name", K::kText},
                                                 {"created_at", K::kTime},
                                                 {"updated_at", K::kTime}};
constexpr SourceColumn kClientColumns[] = {
    {"id", K::kInteger},       {"threecolts_organization_id", K::kInteger},
    {"external_id", K::kText}, {"name", K::kText},
    {"db_host", K::kText},     {"db_port", K::kInteger},
    {"db_name", K::kText},     {"db_user", K::kText},
    {"db_password", K::kText}, {"status", K::kTextOrEnum},
    {"created_at", K::kTime},  {"updated_at", K::kTime}};
constexpr SourceColumn kUserColumns[] = {{"id", K::kInteger},        {"external_id", K::kText},
                                         {"email", K::kText},        {"name", K::kText},
                                         {"status", K::kTextOrEnum}, {"created_at", K::kTime},
                                         {"updated_at", K::kTime}};
constexpr SourceColumn kClientUserColumns[] = {
    {"client_id", K::kInteger}, {"user_id", K::kInteger}, {"created_at", K::kTime}};

}  // namespace

std::string_view RegistryTableName(SourceTable table) {
  switch (table) {
    case SourceTable::kApp:
      return kAppTable;
    case SourceTable::kOrganization:
      return kOrganizationTable;
    case SourceTable::kClient:
      return kClientTable;
    case SourceTable::kUser:
      return kUserTable;
    case SourceTable::kClientUser:
      return kClientUserTable;
  }
  return {};
}

const std::string& SourceTableName(const SourceTables& tables, SourceTable table) {
  switch (table) {
    case SourceTable::kApp:
      return tables.app;
    case SourceTable::kOrganization:
      return tables.organization;
    case SourceTable::kClient:
      return tables.client;
    case SourceTable::kUser:
      return tables.user;
    case SourceTable::kClientUser:
      break;
  }
  return tables.client_user;
}

std::span<const SourceColumn> ColumnsOf(SourceTable table) {
  switch (table) {
    case SourceTable::kApp:
      return kAppColumns;
    case SourceTable::kOrganization:
      return kOrganizationColumns;
    case SourceTable::kClient:
      return kClientColumns;
    case SourceTable::kUser:
      return kUserColumns;
    case SourceTable::kClientUser:
      break;
  }
  return kClientUserColumns;
}

}  // namespace hubreg::sync
