// Renders query results: aligned columns for people, JSON for programs.
#pragma once

#include <string>

#include "queries.h"

namespace hubreg::cli {

// Columns padded to their widest cell (counted in code points), a header and
// a rule, NULL shown as empty, then "(N rows)". A single-record result is
// shown as "column: value" lines instead.
std::string RenderTable(const QueryTable& table);

// A JSON array of objects keyed by column (an object for a single record),
// integers as numbers, NULL as null; one line, ending with a newline.
std::string RenderJson(const QueryTable& table);

}  // namespace hubreg::cli
