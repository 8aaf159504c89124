// Internal to the benchmark program: the same five tables in SQLite, in
// memory, with the same unique and foreign-key indexes as hubreg, queried
// through prepared statements. The baseline a service would otherwise embed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "hubreg/registry.h"

namespace hubreg::bench {

class SqliteRegistry {
 public:
  // Loads `rows` in one transaction, then builds the indexes. Aborts the
  // program on any SQLite error (a benchmark has no one to report to).
  explicit SqliteRegistry(const RegistryRows& rows);
  ~SqliteRegistry();
  SqliteRegistry(const SqliteRegistry&) = delete;
  SqliteRegistry& operator=(const SqliteRegistry&) = delete;

  // Each returns the id of the row found (0: none), or for the joins the sum
  // of the ids of the rows visited, after reading the columns a caller uses.
  Id FindUser(Id id);
  Id FindUserByExternalId(std::string_view external_id);
  Id FindUserByEmail(std::string_view email);
  Id OwnerOfOrganization(Id organization_id);
  std::uint64_t ClientsOfUser(Id user_id);
  std::uint64_t UsersOfClient(Id client_id);
  // The access check as one query: the account's routing and both rows'
  // status and whether the link exists. Returns the account id when allowed.
  Id Resolve(std::string_view account_external_id, std::string_view user_external_id);

 private:
  struct Statement;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statement> user_by_id_, user_by_external_id_, user_by_email_, owner_,
      clients_of_user_, users_of_client_, resolve_;
};

}  // namespace hubreg::bench
