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

#include "hubreg/columns.h"
#include "hubreg/model.h"

namespace hubreg::cli {

enum class Table { kApp, kOrganization, kClient, kUser, kClientUser };
inline constexpr Table kAllTables[] = {Table::kApp, Table::kUser, Table::kOrganization,
                                       Table::kClient, Table::kClientUser};  // dependency order

std::string_view TableName(Table table);  // "threecolts_app", ..., "client_user"
std::optional<Table> TableByName(std::string_view name);
// The columns of a table in schema order (the order export writes), as
// hubreg/columns.h describes them.
std::span<const ColumnInfo> ColumnsOf(Table table);
// Whether a row of the table may hold a secret; messages then quote none of
// its values.
bool HoldsSecret(Table table);

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

// Returns the row, or nullopt after appending one error per bad column to
// `errors`; each column is read as hubreg/columns.h describes it. No message
// quotes a value of a row that holds a secret (a client row): a file whose
// columns are not where its header says may have the password anywhere.
// Defined for App, Organization, Client, User and ClientUserLink.
template <typename Row>
std::optional<Row> ParseRow(const RawRow& raw, std::vector<RowError>* errors);

// A value for a message: in double quotes, control bytes escaped, cut after
// 60 bytes.
std::string QuoteValue(std::string_view value);

}  // namespace hubreg::cli
