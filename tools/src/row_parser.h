// Turns one row of an export (a CSV record or a JSONL object, as text) into a
// model struct, checking every column on its own: numbers, enums, timestamps,
// required values. Rules that need other rows (unique keys, references) are
// checked by the importer.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hubreg/model.h"

namespace hubreg::cli {

enum class Table { kApp, kOrganization, kClient, kUser, kClientUser };
inline constexpr Table kAllTables[] = {Table::kApp, Table::kUser, Table::kOrganization,
                                       Table::kClient, Table::kClientUser};  // dependency order

std::string_view TableName(Table table);  // "threecolts_app", ..., "client_user"
std::optional<Table> TableByName(std::string_view name);
// The columns of a table in schema order (the order export writes).
std::span<const std::string_view> ColumnsOf(Table table);
// Whether a file may leave the column out: client.threecolts_organization_id
// (v1.0 exports have no organizations).
bool IsOptionalColumn(Table table, std::string_view column);

// `file:line: column: reason`, the shape of every import error.
struct RowError {
  std::string file;
  std::size_t line = 0;
  std::string column;
  std::string reason;
  std::string ToString() const;
  bool operator==(const RowError&) const = default;
};

// One row as text. `columns[i]` names `values[i]`; a column the source does
// not have is absent, a NULL is nullopt.
struct RawRow {
  std::string_view file;
  std::size_t line = 0;
  const std::vector<std::string>* columns = nullptr;
  std::vector<std::optional<std::string>> values;
};

// Each returns the row, or nullopt after appending one error per bad column
// to `errors`. Values are never repeated in messages for db_password.
std::optional<App> ParseApp(const RawRow& raw, std::vector<RowError>* errors);
std::optional<Organization> ParseOrganization(const RawRow& raw, std::vector<RowError>* errors);
std::optional<Client> ParseClient(const RawRow& raw, std::vector<RowError>* errors);
std::optional<User> ParseUser(const RawRow& raw, std::vector<RowError>* errors);
std::optional<ClientUserLink> ParseLink(const RawRow& raw, std::vector<RowError>* errors);

// A value for a message: in double quotes, control bytes escaped, cut after
// 60 bytes.
std::string QuoteValue(std::string_view value);

}  // namespace hubreg::cli
