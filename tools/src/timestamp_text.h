// Timestamps as PostgreSQL, MySQL and ISO 8601 write them.
#pragma once

#include <string>
#include <string_view>

#include "hubreg/model.h"
#include "hubreg/status.h"

namespace hubreg::cli {

// Accepts `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`, then optional
// fractional seconds (1 to 6 digits), then an optional UTC offset: `Z`, `+HH`,
// `+HHMM` or `+HH:MM` (or `-`). Without an offset the time is taken as UTC;
// with one it is converted to UTC, which must fall in the years 0000 to 9999
// (the form below has four-digit years). Returns InvalidArgument naming what
// was expected, without repeating the text.
StatusOr<Timestamp> ParseTimestamp(std::string_view text);

// The form export writes: ISO 8601 in UTC, e.g. `2026-01-02T03:04:05Z` or
// `2026-01-02T03:04:05.250000Z`. ParseTimestamp reads it back exactly.
std::string FormatTimestampText(Timestamp t);

}  // namespace hubreg::cli
