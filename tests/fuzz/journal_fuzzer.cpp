// libFuzzer harness: decoding a journal record's batch. A batch that decodes
// must encode and decode to the same mutations, and applying it to a registry
// must succeed or fail with an error, like any batch.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hubreg;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Batch batch;
  if (!persist::DecodeBatch(bytes, &batch).ok()) return 0;
  Batch again;
  const Status decoded = persist::DecodeBatch(persist::EncodeBatch(batch), &again);
  if (!decoded.ok() || again.mutations() != batch.mutations()) {
    std::fprintf(stderr, "a decoded batch does not survive encoding: %s\n",
                 decoded.ToString().c_str());
    std::abort();
  }
  Registry registry;
  (void)registry.Apply(batch);
  return 0;
}
