// Internal: CRC-32C (Castagnoli, as in iSCSI, ext4 and leveldb), the checksum
// of snapshots, standalone snapshot files and journal entries.
// Check value: Crc32c("123456789") == 0xE3069283.
//
// Opening a data directory checksums the whole snapshot before decoding it,
// so this is on the start-up path: on x86-64 CPUs with SSE4.2 the CRC32
// instruction does it at about 10 GB/s (0.02 s for the 192 MB snapshot of
// size L, against 0.39 s table-driven); other CPUs use a table.
#pragma once

#include <cstdint>
#include <string_view>

namespace hubreg::persist {

// Accumulates a CRC-32C over several pieces: Update(a); Update(b) equals
// Update(a + b).
class Crc32c {
 public:
  Crc32c& Update(std::string_view bytes);
  std::uint32_t Value() const { return ~state_; }

 private:
  std::uint32_t state_ = 0xFFFFFFFFu;  // the register, before the final inversion
};

inline std::uint32_t ComputeCrc32c(std::string_view bytes) {
  return Crc32c().Update(bytes).Value();
}

// For tests: the portable table-driven path, whatever the CPU supports.
std::uint32_t ComputeCrc32cPortable(std::string_view bytes);

}  // namespace hubreg::persist
