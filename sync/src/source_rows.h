// Internal: one source row's text values (from COPY or from pgoutput) read as
// the registry's model, column by column, as `import` reads an export:
// integers, enums by name, timestamps with or without time zone to UTC, NULL
// as empty text, no organization (kNoId), port 0 or the epoch.
#pragma once

#include <string_view>
#include <vector>

#include "hubreg/model.h"
#include "hubreg/status.h"
#include "source_columns.h"

namespace hubreg::sync {

struct SourceValue {
  enum class Kind { kNull, kUnchanged, kText };  // kUnchanged: an update's unsent TOAST value
  Kind kind = Kind::kNull;
  std::string_view text;
};
// One value per column of ColumnsOf(table), in that order.
using SourceValues = std::vector<SourceValue>;

// Sets the columns of *row that `values` holds (kUnchanged ones are left as
// they are). kInvalidArgument "table KEY: column: reason" for a value the
// registry cannot hold; a password is never quoted.
Status ReadRow(const SourceValues& values, App* row);
Status ReadRow(const SourceValues& values, Organization* row);
Status ReadRow(const SourceValues& values, Client* row);
Status ReadRow(const SourceValues& values, User* row);
Status ReadRow(const SourceValues& values, ClientUserLink* row);

// "2026-01-02 03:04:05.25+01" (ISO, PostgreSQL's output with DateStyle ISO;
// the offset optional, absent means UTC) as a Timestamp; nullopt otherwise.
std::optional<Timestamp> ParseSourceTime(std::string_view text);

// How a row is named in messages: "client 12", "client_user (3, 4)".
std::string RowKeyText(SourceTable table, const SourceValues& values);

}  // namespace hubreg::sync
