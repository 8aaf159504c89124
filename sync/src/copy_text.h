// The initial copy's rows: lines of `COPY ... TO STDOUT` in text format
// (SourceMapping::CopyStatement asks for the columns in hubreg's order),
// converted with the same rules as the replication stream (source_rows.h).
#pragma once

#include <string_view>
#include <vector>

#include "hubreg/status.h"
#include "pgoutput.h"
#include "source_rows.h"

namespace hubreg::sync {

// COPY ... TO STDOUT text format, one line without its newline: fields
// separated by tabs, \N is NULL, backslash escapes (\t, \n, \\, \123, \x7F,
// ...) decoded. Corruption naming the byte offset for a malformed line.
StatusOr<std::vector<PgValue>> ParseCopyLine(std::string_view line);

// A row of the initial copy: a line of CopyStatement(table)'s output,
// converted with the rules of the stream. Errors name the table and the
// problem (InvalidArgument, or kCorruption for a malformed line).
StatusOr<SourceRow> ParseCopyRow(RegistryTable table, std::string_view line);

}  // namespace hubreg::sync
