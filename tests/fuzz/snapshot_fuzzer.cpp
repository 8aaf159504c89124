// libFuzzer harness: snapshot decoding and verification. An even first byte:
// the rest is a whole snapshot file (header, checksums, payload, rows,
// integrity). An odd one: the rest is a payload of schema v1.0 (byte 1 odd)
// or v1.2, decoded and checked past the checksums a mutated file would fail.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec.h"
#include "snapshot_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hubreg;
  if (size < 2) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    (void)persist::DecodeSnapshotFile(rest, "fuzz.snapshot");
    return 0;
  }
  const std::uint32_t schema = data[1] % 2 == 1 ? persist::kSchemaV10 : persist::kSchemaV12;
  StatusOr<RegistryRows> rows = persist::DecodeSnapshot(rest.substr(1), schema);
  if (rows.ok()) (void)Registry::FromRows(std::move(*rows), 1);
  return 0;
}
