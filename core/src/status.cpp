#include "hubreg/status.h"

#include <cstdio>

namespace hubreg {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kDuplicate:
      return "duplicate";
    case ErrorCode::kForeignKey:
      return "foreign key";
    case ErrorCode::kInUse:
      return "in use";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kIo:
      return "I/O error";
    case ErrorCode::kVersion:
      return "unsupported version";
    case ErrorCode::kReadOnly:
      return "read-only";
    case ErrorCode::kResyncRequired:
      return "resync required";
  }
  return "unknown error";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string text(ErrorCodeName(code_));
  text += ": ";
  text += message_;
  return text;
}

std::string QuoteForMessage(std::string_view value, std::size_t max_shown) {
  std::string text = "\"";
  for (char c : value.substr(0, max_shown)) {
    if (c == '"' || c == '\\') {
      text += '\\';
      text += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
      text += escaped;
    } else {
      text += c;
    }
  }
  text += value.size() > max_shown ? "\"..." : "\"";
  return text;
}

Status Status::WithContext(std::string_view what) const {
  if (ok()) return *this;
  std::string message = message_;
  message += "; in ";
  message += what;
  return Status(code_, std::move(message));
}

}  // namespace hubreg
