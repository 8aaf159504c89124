// Timestamps as PostgreSQL, MySQL and ISO 8601 write them.
#include "timestamp_text.h"

#include <doctest/doctest.h>

#include "testutil.h"

namespace hubreg::cli {
namespace {

using std::chrono::microseconds;

// 2026-01-02 03:04:05 UTC.
const Timestamp kBase = test::At(1767323045);

Timestamp Parsed(std::string_view text) {
  StatusOr<Timestamp> parsed = ParseTimestamp(text);
  REQUIRE_MESSAGE(parsed.ok(), text, ": ", parsed.status().ToString());
  return *parsed;
}

std::string Refusal(std::string_view text) {
  StatusOr<Timestamp> parsed = ParseTimestamp(text);
  REQUIRE_MESSAGE(!parsed.ok(), text, " was accepted");
  return parsed.status().message();
}

TEST_CASE("PostgreSQL, MySQL and ISO 8601 forms are read as UTC") {
  CHECK(Parsed("2026-01-02 03:04:05") == kBase);
  CHECK(Parsed("2026-01-02 03:04:05+00") == kBase);
  CHECK(Parsed("2026-01-02 03:04:05+00:00") == kBase);
  CHECK(Parsed("2026-01-02 03:04:05Z") == kBase);
  CHECK(Parsed("2026-01-02T03:04:05Z") == kBase);
  CHECK(Parsed("2026-01-02T03:04:05") == kBase);
}

TEST_CASE("fractional seconds of 1 to 6 digits are kept to the microsecond") {
  CHECK(Parsed("2026-01-02 03:04:05.5") == kBase + microseconds(500000));
  CHECK(Parsed("2026-01-02 03:04:05.123456+00") == kBase + microseconds(123456));
  CHECK(Parsed("2026-01-02T03:04:05.000001Z") == kBase + microseconds(1));
}

TEST_CASE("other UTC offsets are converted to UTC") {
  CHECK(Parsed("2026-01-02 05:04:05+02") == kBase);
  CHECK(Parsed("2026-01-02 05:34:05+02:30") == kBase);
  CHECK(Parsed("2026-01-02 05:34:05+0230") == kBase);
  CHECK(Parsed("2026-01-01 22:04:05-05:00") == kBase);
}

TEST_CASE("the export form reads back to the same instant") {
  for (Timestamp t : {kBase, kBase + microseconds(250000), kBase + microseconds(1)}) {
    CHECK(Parsed(FormatTimestampText(t)) == t);
  }
  CHECK(FormatTimestampText(kBase) == "2026-01-02T03:04:05Z");
}

// The end of every refusal: the forms accepted.
const std::string kExpectedForms =
    " (expected e.g. 2026-01-02 03:04:05, optional .ffffff and +00, or 2026-01-02T03:04:05Z)";

TEST_CASE("malformed timestamps are refused with the reason") {
  const std::string& expected = kExpectedForms;
  CHECK(Refusal("yesterday") == "not a timestamp" + expected);
  CHECK(Refusal("2026-01-02") == "not a timestamp" + expected);
  CHECK(Refusal("2026-13-02 03:04:05") == "no such date" + expected);
  CHECK(Refusal("2026-02-30 03:04:05") == "no such date" + expected);
  CHECK(Refusal("2026-01-02 24:00:00") == "no such time of day" + expected);
  CHECK(Refusal("2026-01-02 03:04:05.") == "no digits after the decimal point" + expected);
  CHECK(Refusal("2026-01-02 03:04:05.1234567") == "more than 6 fractional digits" + expected);
  CHECK(Refusal("2026-01-02 03:04:05+1") == "malformed UTC offset" + expected);
  CHECK(Refusal("2026-01-02 03:04:05+16") == "UTC offset out of range" + expected);
  CHECK(Refusal("2026-01-02 03:04:05 UTC") == "unexpected text after the time" + expected);
}

// Found by timestamp_fuzzer: accepted, then exported as "10000-01-01T13:59:26Z",
// which import refused.
TEST_CASE("an offset that carries the time out of the years 0000 to 9999 is refused") {
  const std::string expected = "outside the years 0000 to 9999 in UTC" + kExpectedForms;
  CHECK(Refusal("9999-12-31 23:59:26-14") == expected);
  CHECK(Refusal("0000-01-01 00:30:00+01") == expected);
  CHECK(FormatTimestampText(Parsed("9999-12-31 23:59:59.999999+00")) ==
        "9999-12-31T23:59:59.999999Z");
  CHECK(FormatTimestampText(Parsed("0000-01-01 01:00:00+01")) == "0000-01-01T00:00:00Z");
}

}  // namespace
}  // namespace hubreg::cli
