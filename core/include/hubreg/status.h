// hubreg's one error type. Every fallible call returns a Status or a
// StatusOr<T>: a code a program can switch on and a message a person can act
// on. Messages name the table, key and value (or the file, offset and what was
// expected); they never contain a database password.
#pragma once

#include <cassert>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hubreg {

enum class ErrorCode {
  kOk = 0,
  kNotFound,         // the row (or file) named does not exist
  kDuplicate,        // a unique key would be used twice
  kForeignKey,       // a reference points at a row that does not exist
  kInUse,            // a row cannot be deleted while others refer to it
  kInvalidArgument,  // a value is malformed or out of range
  kCorruption,       // stored bytes are damaged or inconsistent
  kIo,               // the operating system or LMDB refused an operation
  kVersion,          // a format or schema version this build cannot read
  kReadOnly,         // a write was attempted through a read-only handle
  kResyncRequired,   // a change feed cursor is older than what is kept: start again from a state
};

// Stable lower-case name of a code, e.g. "not found", "foreign key".
std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status NotFound(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
  static Status Duplicate(std::string message) {
    return {ErrorCode::kDuplicate, std::move(message)};
  }
  static Status ForeignKey(std::string message) {
    return {ErrorCode::kForeignKey, std::move(message)};
  }
  static Status InUse(std::string message) { return {ErrorCode::kInUse, std::move(message)}; }
  static Status InvalidArgument(std::string message) {
    return {ErrorCode::kInvalidArgument, std::move(message)};
  }
  static Status Corruption(std::string message) {
    return {ErrorCode::kCorruption, std::move(message)};
  }
  static Status Io(std::string message) { return {ErrorCode::kIo, std::move(message)}; }
  static Status Version(std::string message) { return {ErrorCode::kVersion, std::move(message)}; }
  static Status ReadOnly(std::string message) { return {ErrorCode::kReadOnly, std::move(message)}; }
  static Status ResyncRequired(std::string message) {
    return {ErrorCode::kResyncRequired, std::move(message)};
  }

  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  // The message alone, e.g. `user: email "a@b.c" is already used by user 7`.
  const std::string& message() const { return message_; }
  // "<code name>: <message>", or "ok".
  std::string ToString() const;

  // Returns this error with "; in <what>" appended, so an error passed up
  // tells where it happened. OK stays OK.
  Status WithContext(std::string_view what) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A value or the error explaining why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
  StatusOr(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok() && "StatusOr needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(state_);
  }
  // REQUIRES: ok().
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

// A user-supplied value for an error message: in double quotes, with quotes,
// backslashes and control bytes escaped, so that a message stays on one line
// and shows where the value ends. Longer values are cut after `max_shown`
// bytes and marked with "...".
std::string QuoteForMessage(std::string_view value, std::size_t max_shown = std::string_view::npos);

}  // namespace hubreg

// Returns early from the enclosing function when `expr` yields an error.
#define HUBREG_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::hubreg::Status hubreg_status_ = (expr);        \
    if (!hubreg_status_.ok()) return hubreg_status_; \
  } while (false)
