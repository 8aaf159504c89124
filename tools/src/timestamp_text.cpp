#include "timestamp_text.h"

#include <chrono>
#include <optional>

namespace hubreg::cli {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Take(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // Exactly `digits` decimal digits.
  std::optional<int> Number(int digits) {
    int value = 0;
    for (int i = 0; i < digits; ++i) {
      const char c = Peek();
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
      ++pos_;
    }
    return value;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Status Malformed(std::string_view what) {
  return Status::InvalidArgument(std::string(what) +
                                 " (expected e.g. 2026-01-02 03:04:05, optional .ffffff and "
                                 "+00, or 2026-01-02T03:04:05Z)");
}

}  // namespace

StatusOr<Timestamp> ParseTimestamp(std::string_view text) {
  using namespace std::chrono;
  Cursor in(text);
  const auto year = in.Number(4);
  if (!year || !in.Take('-')) return Malformed("not a timestamp");
  const auto month = in.Number(2);
  if (!month || !in.Take('-')) return Malformed("not a timestamp");
  const auto day = in.Number(2);
  if (!day || !(in.Take(' ') || in.Take('T'))) return Malformed("not a timestamp");
  const auto hour = in.Number(2);
  if (!hour || !in.Take(':')) return Malformed("not a timestamp");
  const auto minute = in.Number(2);
  if (!minute || !in.Take(':')) return Malformed("not a timestamp");
  const auto second = in.Number(2);
  if (!second) return Malformed("not a timestamp");

  long long micros = 0;
  if (in.Take('.')) {
    int digits = 0;
    while (in.Peek() >= '0' && in.Peek() <= '9') {
      if (++digits > 6) return Malformed("more than 6 fractional digits");
      micros = micros * 10 + (in.Peek() - '0');
      in.Take(in.Peek());
    }
    if (digits == 0) return Malformed("no digits after the decimal point");
    for (int i = digits; i < 6; ++i) micros *= 10;
  }

  int offset_minutes = 0;
  if (in.Take('Z')) {
  } else if (in.Peek() == '+' || in.Peek() == '-') {
    const int sign = in.Peek() == '-' ? -1 : 1;
    in.Take(in.Peek());
    const auto offset_hours = in.Number(2);
    if (!offset_hours) return Malformed("malformed UTC offset");
    int offset_mins = 0;
    if (!in.AtEnd()) {
      in.Take(':');
      const auto parsed = in.Number(2);
      if (!parsed) return Malformed("malformed UTC offset");
      offset_mins = *parsed;
    }
    if (*offset_hours > 15 || offset_mins > 59) return Malformed("UTC offset out of range");
    offset_minutes = sign * (*offset_hours * 60 + offset_mins);
  }
  if (!in.AtEnd()) return Malformed("unexpected text after the time");

  const year_month_day date{std::chrono::year(*year),
                            std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return Malformed("no such date");
  if (*hour > 23 || *minute > 59 || *second > 59) return Malformed("no such time of day");

  const Timestamp local =
      sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) + microseconds(micros);
  const Timestamp utc = local - minutes(offset_minutes);
  // Export writes four-digit years in UTC: an offset must not carry the time
  // out of them, or the export could not be imported again.
  const auto utc_year = year_month_day(floor<days>(utc)).year();
  if (utc_year < std::chrono::year(0) || utc_year > std::chrono::year(9999)) {
    return Malformed("outside the years 0000 to 9999 in UTC");
  }
  return utc;
}

std::string FormatTimestampText(Timestamp t) { return FormatTimestamp(t); }

}  // namespace hubreg::cli
