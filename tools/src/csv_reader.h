// Reads CSV as PostgreSQL's `COPY ... CSV HEADER` and spreadsheets write it
// (RFC 4180): comma-separated fields, fields in double quotes may hold commas,
// newlines and doubled quotes; an empty unquoted field is NULL, an empty
// quoted field ("") is the empty string. Records end with LF or CRLF; a UTF-8
// byte order mark at the start is skipped; blank lines are skipped.
//
// Line numbers are physical lines of the file, the first line being 1, so
// that a message points where an editor shows the row.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubreg::cli {

struct CsvRecord {
  std::size_t line = 0;                            // physical line on which the record starts
  std::vector<std::optional<std::string>> fields;  // nullopt: NULL
};

// A malformed record. `field` is the 0-based position of the field in which
// the problem was found.
struct CsvError {
  std::size_t line = 0;
  std::size_t field = 0;
  std::string reason;
};

enum class CsvStep { kRecord, kError, kEnd };

// Import refuses a longer field, or a longer row (a CSV record, a JSONL
// line), with a file:line error: far above any value hub_alpha holds, and a
// bound on what one damaged or hostile row can make the reader build.
inline constexpr std::size_t kMaxFieldBytes = std::size_t{64} << 10;
inline constexpr std::size_t kMaxRowBytes = std::size_t{1} << 20;

// "<what> longer than <limit> bytes (the limit)".
std::string TooLong(std::string_view what, std::size_t limit);

// Splits a whole file held in memory into records. Not thread-safe.
class CsvReader {
 public:
  // `text` must outlive the reader.
  explicit CsvReader(std::string_view text);

  // kRecord: `record` holds the next record. kError: `error` describes a
  // malformed record and the reader has moved to the next physical line, so
  // that every bad record of a file can be reported. kEnd: no more input.
  // Fields are checked to be valid UTF-8 and against kMaxFieldBytes, records
  // against kMaxRowBytes; a field or record over its limit is the last
  // error: the reader cannot tell where it was meant to end, so it stops.
  CsvStep Next(CsvRecord* record, CsvError* error);

  // Bytes consumed so far, for progress reports.
  std::size_t offset() const { return pos_; }

 private:
  CsvStep Fail(CsvError* error, std::size_t line, std::size_t field, std::string reason);
  CsvStep Stop(CsvError* error, std::size_t line, std::size_t field, std::string reason);
  void SkipLine();

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// The offset of the first byte of `text` that is not part of well-formed
// UTF-8 (overlong forms, surrogates and code points above U+10FFFF are
// malformed), or nullopt when all of it is well-formed.
std::optional<std::size_t> FindInvalidUtf8(std::string_view text);

}  // namespace hubreg::cli
