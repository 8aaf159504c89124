// Internal: renders a user-supplied value for an error message.
#pragma once

#include <string>
#include <string_view>

namespace hubreg::detail {

// The value in double quotes, with quotes, backslashes and control bytes
// escaped so that a message stays on one line and shows where a value ends.
std::string Quote(std::string_view value);

}  // namespace hubreg::detail
