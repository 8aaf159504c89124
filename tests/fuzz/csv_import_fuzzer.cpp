// libFuzzer harness: a CSV table file through the CSV reader and the row
// parser, then the import checks. The first byte chooses the table.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "import_fuzzer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hubreg;
  if (size == 0) return 0;
  const cli::Table table = cli::kAllTables[data[0] % std::size(cli::kAllTables)];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  cli::ImportedRows imported;
  std::vector<cli::RowError> errors;
  cli::ReadCsvText(table, std::string(cli::TableName(table)) + ".csv", text, &imported, &errors);
  fuzz::CheckAcceptedRowsLoad(imported, &errors);
  return 0;
}
