// libFuzzer entry point for the pgoutput decoder (sync/src/pgoutput.h), which
// parses bytes from the network: every input must be decoded or refused with
// a kCorruption error, never read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pgoutput.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const hubreg::StatusOr<hubreg::sync::PgMessage> message =
      hubreg::sync::DecodePgOutput(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!message.ok() && message.status().code() != hubreg::ErrorCode::kCorruption) __builtin_trap();
  return 0;
}
