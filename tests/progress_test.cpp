// Progress lines and the CSV writer's quoting.
#include "progress.h"

#include <doctest/doctest.h>

#include "csv_reader.h"
#include "csv_writer.h"

namespace hubreg::cli {
namespace {

TEST_CASE("a progress bar shows the share done, the amounts, the rate and the ETA") {
  CHECK(RenderProgress("import", 25'000'000, 100'000'000, "bytes", 2.0, true) ==
        "import [######..................]  25%  25.0 MB of 100.0 MB  12.5 MB/s  ETA 6s");
  CHECK(RenderProgress("export", 1500, 3000, "rows", 0.5, false) ==
        "export:  50%  1500 rows of 3000 rows  3000 rows/s  ETA 1s");
}

TEST_CASE("a finished or empty job shows no ETA") {
  CHECK(RenderProgress("load", 10, 10, "rows", 1.0, false) ==
        "load: 100%  10 rows of 10 rows  10 rows/s");
  CHECK(RenderProgress("load", 0, 0, "rows", 0.0, false) == "load: 100%  0 rows of 0 rows");
}

TEST_CASE("long ETAs are shown in minutes") {
  CHECK(RenderProgress("demo", 1, 1000, "rows", 1.0, false) ==
        "demo:   0%  1 rows of 1000 rows  1 rows/s  ETA 16m39s");
}

TEST_CASE("CSV fields are quoted only when needed and read back unchanged") {
  std::string out;
  AppendCsvRecord(&out, {"plain", std::nullopt, "", "a,b", "say \"hi\"", "two\nlines", " pad"});
  CHECK(out == "plain,,\"\",\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\"\n");
  CsvReader reader(out);
  CsvRecord record;
  CsvError error;
  REQUIRE(reader.Next(&record, &error) == CsvStep::kRecord);
  CHECK(record.fields == std::vector<std::optional<std::string>>{
                             "plain", std::nullopt, "", "a,b", "say \"hi\"", "two\nlines", " pad"});
}

}  // namespace
}  // namespace hubreg::cli
