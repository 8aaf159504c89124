// hubreg's five tables as a PostgreSQL source holds them: which source column
// types fit each column, and how a row of text values (from pgoutput or from
// COPY ... TO STDOUT) becomes a model row. Columns, their kinds and NULL rules
// come from hubreg/columns.h, as for `hubreg import`: ids are positive
// integers, a NULL in a nullable column (name, db_host, db_port, ...,
// threecolts_organization_id) is its zero value, any other NULL is refused.
//
// Timestamps are read in PostgreSQL's ISO output (DateStyle ISO, the
// default): "2026-01-02 03:04:05.123456+00" for timestamp with time zone
// (any offset, converted to UTC) and "2026-01-02 03:04:05" for timestamp
// without time zone, which is taken as UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hubreg/model.h"
#include "hubreg/status.h"
#include "pgoutput.h"

namespace hubreg::sync {

enum class RegistryTable : std::uint8_t { kApp, kOrganization, kClient, kUser, kClientUser };
// In the order rows may be inserted (referenced tables first).
inline constexpr RegistryTable kRegistryTables[] = {
    RegistryTable::kApp, RegistryTable::kUser, RegistryTable::kOrganization, RegistryTable::kClient,
    RegistryTable::kClientUser};

std::string_view TableName(RegistryTable table);  // "threecolts_app", ..., "client_user"

// The columns of a table in export order ("id", "name", ...).
std::span<const std::string_view> ColumnNames(RegistryTable table);
// Whether a column identifies the row: "id", or both columns of client_user.
bool IsKeyColumn(RegistryTable table, std::size_t column);

// Whether a source column of type `type_oid` can feed column `column` of
// `table`: nullopt when it can, else the difference, e.g. "source type text,
// expected an integer type". `type_name` names a type that is not built in
// (from a Type message); it may be empty. Types that are not built in (enums,
// domains, citext) fit the text columns; their values are checked per row.
std::optional<std::string> CheckColumnType(RegistryTable table, std::size_t column, PgOid type_oid,
                                           std::string_view type_name);
// PostgreSQL's name of a built-in type ("integer", "text", ...), else
// `type_name`, else "type OID <n>".
std::string PgTypeName(PgOid type_oid, std::string_view type_name);

using SourceRow = std::variant<App, Organization, Client, User, ClientUserLink>;

// Converts one row. `values[i]` is the value of ColumnNames(table)[i].
// A kUnchangedToast value takes that field from `current` (the row as it is
// now); without one it is an error. Errors (kInvalidArgument) name the
// column and the problem, e.g. `db_port: "70000" is not a port number (0 to
// 65535)`, each problem once, separated by "; "; a db_password value is
// never shown.
StatusOr<SourceRow> ParseSourceRow(RegistryTable table, std::span<const PgValue* const> values,
                                   const SourceRow* current);

// The key of a row, for messages: "5", or "(5, 7)" for a link.
std::string DescribeKey(const SourceRow& row);

// PostgreSQL's ISO timestamp output (see above) to UTC; InvalidArgument
// naming the expected form otherwise (without repeating the text).
StatusOr<Timestamp> ParsePgTimestamp(std::string_view text);

}  // namespace hubreg::sync
