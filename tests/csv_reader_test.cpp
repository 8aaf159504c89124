// The CSV reader, one test per well-formed and malformed shape, and the
// writer's quoting read back.
#include "csv_reader.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "csv_writer.h"

namespace hubreg::cli {
namespace {

using Fields = std::vector<std::optional<std::string>>;

// Every record of `text`, failing the test on a malformed one.
std::vector<CsvRecord> ReadAll(std::string_view text) {
  CsvReader reader(text);
  std::vector<CsvRecord> records;
  CsvRecord record;
  CsvError error;
  for (CsvStep step; (step = reader.Next(&record, &error)) != CsvStep::kEnd;) {
    REQUIRE_MESSAGE(step == CsvStep::kRecord, "line ", error.line, ": ", error.reason);
    records.push_back(record);
  }
  return records;
}

// The first error of `text`.
CsvError FirstError(std::string_view text) {
  CsvReader reader(text);
  CsvRecord record;
  CsvError error;
  for (CsvStep step; (step = reader.Next(&record, &error)) != CsvStep::kEnd;) {
    if (step == CsvStep::kError) return error;
  }
  FAIL("no error in ", text);
  return {};
}

TEST_CASE("plain fields are split at commas and records at line ends") {
  const auto records = ReadAll("a,b,c\n1,2,3\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == Fields{"a", "b", "c"});
  CHECK(records[1].fields == Fields{"1", "2", "3"});
  CHECK(records[1].line == 2);
}

TEST_CASE("an empty unquoted field is NULL and an empty quoted field is the empty string") {
  const auto records = ReadAll("a,,\"\",d\n");
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == Fields{"a", std::nullopt, "", "d"});
}

TEST_CASE("quoted fields hold commas, doubled quotes and newlines") {
  const auto records = ReadAll("h\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nnext,2,3\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].fields == Fields{"x, y", "say \"hi\"", "two\nlines"});
  CHECK(records[1].line == 2);
  CHECK(records[2].line == 4);  // physical lines: the quoted newline counts
}

TEST_CASE("CRLF line ends, a missing final newline and a byte order mark are accepted") {
  const auto records = ReadAll(
      "\xEF\xBB\xBF"
      "a,b\r\n1,2");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == Fields{"a", "b"});
  CHECK(records[1].fields == Fields{"1", "2"});
}

TEST_CASE("blank lines are skipped but still counted") {
  const auto records = ReadAll("a\n\n\nb\n");
  REQUIRE(records.size() == 2);
  CHECK(records[1].line == 4);
}

TEST_CASE("a trailing comma gives a last NULL field") {
  const auto records = ReadAll("a,\n");
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == Fields{"a", std::nullopt});
}

TEST_CASE("UTF-8 text passes through unchanged") {
  const auto records = ReadAll("Zoë,日本語,\"Ünïcödé, ok\"\n");
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields == Fields{"Zoë", "日本語", "Ünïcödé, ok"});
}

TEST_CASE("a quoted field not closed before the end of the file is reported at its first line") {
  const CsvError error = FirstError("a,b\n1,\"open\nstill open\n");
  CHECK(error.line == 2);
  CHECK(error.field == 1);
  CHECK(error.reason == "quoted field is not closed before the end of the file");
}

TEST_CASE("a character after a closing quote is reported") {
  const CsvError error = FirstError("a,b\n\"x\"y,2\n");
  CHECK(error.line == 2);
  CHECK(error.field == 0);
  CHECK(error.reason == "unexpected character after a closing quote");
}

TEST_CASE("a quote inside an unquoted field is reported") {
  const CsvError error = FirstError("a,b\n1,ab\"c\n");
  CHECK(error.line == 2);
  CHECK(error.field == 1);
  CHECK(error.reason ==
        "quote inside an unquoted field (quote the whole field and double the quote)");
}

TEST_CASE("invalid UTF-8 is reported with its offset in the field but not the byte") {
  const CsvError error = FirstError("a,b\n1,ab\xff\n");
  CHECK(error.line == 2);
  CHECK(error.field == 1);
  CHECK(error.reason == "invalid UTF-8 at offset 2 of the field");
}

TEST_CASE("after a malformed record the reader goes on with the next line") {
  CsvReader reader("a,b\n\"x\"y,2\n3,4\n1,ab\"c\n5,6\n");
  CsvRecord record;
  CsvError error;
  std::vector<std::size_t> good_lines, bad_lines;
  for (CsvStep step; (step = reader.Next(&record, &error)) != CsvStep::kEnd;) {
    if (step == CsvStep::kRecord) good_lines.push_back(record.line);
    if (step == CsvStep::kError) bad_lines.push_back(error.line);
  }
  CHECK(good_lines == std::vector<std::size_t>{1, 3, 5});
  CHECK(bad_lines == std::vector<std::size_t>{2, 4});
}

TEST_CASE("a field over the limit is reported at its record's line and ends the reading") {
  const std::string longest(kMaxFieldBytes, 'x');
  CHECK(ReadAll("a,b\n1," + longest + "\n").size() == 2);
  CHECK(ReadAll("a,b\n1,\"" + longest + "\"\n").size() == 2);
  for (const std::string& field :
       {longest + "x", "\"" + longest + "x\"", "\"\n" + longest + "\""}) {
    const std::string text = "a,b\n1,2\n3," + field + "\n5,6\n";
    CsvReader reader(text);
    CsvRecord record;
    CsvError error;
    CHECK(reader.Next(&record, &error) == CsvStep::kRecord);
    CHECK(reader.Next(&record, &error) == CsvStep::kRecord);
    REQUIRE(reader.Next(&record, &error) == CsvStep::kError);
    CHECK(error.line == 3);
    CHECK(error.field == 1);
    CHECK(error.reason ==
          "field longer than 65536 bytes (the limit); the rest of the file is not read");
    CHECK(reader.Next(&record, &error) == CsvStep::kEnd);
  }
}

TEST_CASE("an unclosed quote does not build a field beyond the limit") {
  // The rest of a large file would otherwise become one field.
  const CsvError error = FirstError("a,b\n1,\"" + std::string(kMaxFieldBytes * 3, 'x'));
  CHECK(error.line == 2);
  CHECK(error.reason ==
        "field longer than 65536 bytes (the limit); the rest of the file is not read");
}

TEST_CASE("a record over the row limit is reported at its line") {
  std::string row;
  while (row.size() <= kMaxRowBytes) row += std::string(1000, 'y') + ",";
  const CsvError error = FirstError("a\n" + row + "\n");
  CHECK(error.line == 2);
  CHECK(error.reason ==
        "row longer than 1048576 bytes (the limit); the rest of the file is not read");
}

TEST_CASE("malformed UTF-8 shapes are all found") {
  CHECK(FindInvalidUtf8("plain ascii") == std::nullopt);
  CHECK(FindInvalidUtf8("caf\xc3\xa9") == std::nullopt);
  CHECK(FindInvalidUtf8("\xf0\x9f\x98\x80") == std::nullopt);  // emoji
  CHECK(FindInvalidUtf8("ab\x80") == 2u);                      // stray continuation
  CHECK(FindInvalidUtf8("\xc0\xaf") == 0u);                    // overlong
  CHECK(FindInvalidUtf8("\xe0\x80\xaf") == 0u);                // overlong, 3 bytes
  CHECK(FindInvalidUtf8("\xed\xa0\x80") == 0u);                // surrogate
  CHECK(FindInvalidUtf8("\xf4\x90\x80\x80") == 0u);            // above U+10FFFF
  CHECK(FindInvalidUtf8("x\xc3") == 1u);                       // truncated
  CHECK(FindInvalidUtf8("\xe2\x82x") == 0u);                   // bad continuation
}

TEST_CASE("CSV fields are quoted only when needed and read back unchanged") {
  std::string out;
  AppendCsvRecord(&out, {"plain", std::nullopt, "", "a,b", "say \"hi\"", "two\nlines", " pad"});
  CHECK(out == "plain,,\"\",\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\"\n");
  CsvReader reader(out);
  CsvRecord record;
  CsvError error;
  REQUIRE(reader.Next(&record, &error) == CsvStep::kRecord);
  CHECK(record.fields ==
        Fields{"plain", std::nullopt, "", "a,b", "say \"hi\"", "two\nlines", " pad"});
}

}  // namespace
}  // namespace hubreg::cli
