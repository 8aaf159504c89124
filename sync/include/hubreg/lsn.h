// PostgreSQL write-ahead-log positions (LSNs), as the follower stores and
// reports them. An LSN is a 64-bit byte position; its text form is two
// upper-case hexadecimal halves separated by a slash ("16/B374D848"), as
// PostgreSQL prints it (pg_lsn).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hubreg {

using Lsn = std::uint64_t;
inline constexpr Lsn kInvalidLsn = 0;  // PostgreSQL's InvalidXLogRecPtr

// "X/Y" with X the high and Y the low 32 bits, in hexadecimal without leading
// zeros (0 prints as "0/0").
std::string FormatLsn(Lsn lsn);

// Parses PostgreSQL's text form (either case, 1 to 8 hex digits per half);
// nullopt for anything else.
std::optional<Lsn> ParseLsn(std::string_view text);

}  // namespace hubreg
