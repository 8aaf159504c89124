// Writes CSV that CsvReader (and PostgreSQL's COPY ... CSV) reads back to the
// same values: NULL as an empty unquoted field, the empty string as "".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubreg::cli {

// Appends one field, quoted when it is empty or holds a comma, a quote, CR
// or LF, or starts or ends with a space.
void AppendCsvField(std::string* out, const std::optional<std::string>& value);

// Appends a whole record and its LF.
void AppendCsvRecord(std::string* out, const std::vector<std::optional<std::string>>& fields);

}  // namespace hubreg::cli
