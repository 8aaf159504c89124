#include "hubreg/model.h"

#include <cstdio>
#include <ctime>

#include "hubreg/detail/tables.h"

namespace hubreg {

std::string_view ToString(Environment environment) {
  return environment == Environment::kProd ? "prod" : "stage";
}

std::string_view ToString(RecordStatus status) {
  return status == RecordStatus::kDisabled ? "disabled" : "active";
}

std::optional<Environment> ParseEnvironment(std::string_view text) {
  if (text == "stage") return Environment::kStage;
  if (text == "prod") return Environment::kProd;
  return std::nullopt;
}

std::optional<RecordStatus> ParseRecordStatus(std::string_view text) {
  if (text == "active") return RecordStatus::kActive;
  if (text == "disabled") return RecordStatus::kDisabled;
  return std::nullopt;
}

std::string FormatTimestamp(Timestamp t) {
  using namespace std::chrono;
  const sys_days day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<microseconds> time{t - day};
  char text[48];
  int length = std::snprintf(
      text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
      static_cast<int>(time.seconds().count()));
  if (time.subseconds().count() != 0) {
    length += std::snprintf(text + length, sizeof text - static_cast<std::size_t>(length),
                            ".%06lld", static_cast<long long>(time.subseconds().count()));
  }
  return std::string(text, static_cast<std::size_t>(length)) + "Z";
}

namespace {
constexpr char FoldCase(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (FoldCase(a[i]) != FoldCase(b[i])) return false;
  }
  return true;
}

namespace detail {

// FNV-1a over the case-folded bytes: cheap for short keys such as emails.
std::size_t CaseInsensitiveHash::operator()(std::string_view text) const noexcept {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(FoldCase(c));
    hash *= 1099511628211ull;
  }
  return static_cast<std::size_t>(hash);
}

void StoredUser::CopyEmail() noexcept {
  if (email.size() > kInlineEmailBytes) {
    inline_email_size_ = kInlineEmailBytes + 1;
    return;
  }
  email.copy(inline_email_, email.size());
  inline_email_size_ = static_cast<std::uint8_t>(email.size());
}

}  // namespace detail
}  // namespace hubreg
