// libFuzzer harness: the timestamp parser. A timestamp it accepts must come
// back unchanged through the form export writes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "timestamp_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hubreg;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const StatusOr<Timestamp> parsed = cli::ParseTimestamp(text);
  if (!parsed.ok()) return 0;
  const std::string written = cli::FormatTimestampText(*parsed);
  const StatusOr<Timestamp> again = cli::ParseTimestamp(written);
  if (!again.ok() || *again != *parsed) {
    std::fprintf(stderr, "\"%s\" does not read back\n", written.c_str());
    std::abort();
  }
  return 0;
}
