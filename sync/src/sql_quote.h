// Internal: quoting for the SQL text the follower sends to PostgreSQL. Pure
// string functions, so the source mapping can use them without libpq.
#pragma once

#include <string>
#include <string_view>

namespace hubreg::sync {

// "name" with embedded double quotes doubled: a PostgreSQL identifier that
// keeps its case and may hold any character.
std::string QuoteIdentifier(std::string_view name);

// 'text' with embedded single quotes doubled (standard_conforming_strings,
// on by default since PostgreSQL 9.1, leaves backslashes alone).
std::string QuoteLiteral(std::string_view text);

}  // namespace hubreg::sync
