// Internal: CRC-32C (Castagnoli, as in iSCSI, ext4 and leveldb), the checksum
// of standalone snapshot files. Computed with Boost.CRC's table-driven
// crc_optimal; check value: Crc32c("123456789") == 0xE3069283.
#pragma once

#include <boost/crc.hpp>
#include <cstdint>
#include <string_view>

namespace hubreg::persist {

// Accumulates a CRC-32C over several pieces: Update(a); Update(b) equals
// Update(a + b).
class Crc32c {
 public:
  Crc32c& Update(std::string_view bytes) {
    crc_.process_bytes(bytes.data(), bytes.size());
    return *this;
  }
  std::uint32_t Value() const { return crc_.checksum(); }

 private:
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc_;
};

inline std::uint32_t ComputeCrc32c(std::string_view bytes) {
  return Crc32c().Update(bytes).Value();
}

}  // namespace hubreg::persist
