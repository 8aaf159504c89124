// A value that must never be shown: a database password.
//
// Secret holds text but cannot be printed by accident: it has no stream
// operator, no formatter and no conversion to text. The code that must hand
// the value on (a connection string, an export with --include-secrets, the
// record encoder) calls Reveal(), which is easy to find in a review. Made
// from text implicitly, so `client.db_password = "..."` reads as before.
#pragma once

#include <string>
#include <utility>

namespace hubreg {

class Secret {
 public:
  Secret() = default;
  Secret(std::string value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Secret(const char* value) : value_(value) {}             // NOLINT: implicit by design

  // The value itself. Never put it in a message, log line or repr.
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  bool operator==(const Secret&) const = default;

 private:
  std::string value_;
};

}  // namespace hubreg
