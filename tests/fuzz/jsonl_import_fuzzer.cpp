// libFuzzer harness: a JSONL export through the JSONL reader and the row
// parser, then the import checks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "import_fuzzer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hubreg;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  cli::ImportedRows imported;
  std::vector<cli::RowError> errors;
  cli::ReadJsonlText("export.jsonl", text, &imported, &errors);
  fuzz::CheckAcceptedRowsLoad(imported, &errors);
  return 0;
}
