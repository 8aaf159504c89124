// Internal: the columns the follower reads from each source table, listed
// once for the schema check, the first copy and the stream. Names are those
// of hubreg's export; a source table may have more columns (ignored).
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "hubreg/follower.h"

namespace hubreg::sync {

enum class SourceTable { kApp, kOrganization, kClient, kUser, kClientUser };
// Parents before children: the order of a first copy.
inline constexpr std::array<SourceTable, 5> kCopyOrder = {
    SourceTable::kApp, SourceTable::kUser, SourceTable::kOrganization, SourceTable::kClient,
    SourceTable::kClientUser};

// What a column's source type must be.
enum class ColumnKind { kInteger, kText, kTextOrEnum, kTime };

struct SourceColumn {
  std::string_view name;
  ColumnKind kind;
};

// hubreg's name for the table ("threecolts_app", ...).
std::string_view RegistryTableName(SourceTable table);
// The source's name for it, per `tables`.
const std::string& SourceTableName(const SourceTables& tables, SourceTable table);
// The columns read, in the order the row readers take them.
std::span<const SourceColumn> ColumnsOf(SourceTable table);

}  // namespace hubreg::sync
