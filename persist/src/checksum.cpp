// CRC-32C, reflected, polynomial 0x1EDC6F41 (0x82F63B78 reversed). The
// hardware and table paths keep the same register, so a running checksum
// could switch between them; which one runs is decided once per process.
#include "checksum.h"

#include <array>
#include <cstring>

namespace hubreg::persist {
namespace {

constexpr std::uint32_t kReversedPolynomial = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> MakeTable() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kReversedPolynomial : 0u);
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kTable = MakeTable();

std::uint32_t UpdatePortable(std::uint32_t crc, const unsigned char* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) crc = (crc >> 8) ^ kTable[(crc ^ data[i]) & 0xFFu];
  return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HUBREG_HAVE_CRC32_INSTRUCTION 1

__attribute__((target("sse4.2"))) std::uint32_t UpdateHardware(std::uint32_t crc,
                                                               const unsigned char* data,
                                                               std::size_t size) {
  std::uint64_t wide = crc;
  while (size >= 8) {
    std::uint64_t word;
    std::memcpy(&word, data, 8);  // unaligned-safe; compiles to one load
    wide = __builtin_ia32_crc32di(wide, word);
    data += 8;
    size -= 8;
  }
  crc = static_cast<std::uint32_t>(wide);
  while (size > 0) {
    crc = __builtin_ia32_crc32qi(crc, *data);
    ++data;
    --size;
  }
  return crc;
}

bool CpuHasCrc32Instruction() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

Crc32c& Crc32c::Update(std::string_view bytes) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
#ifdef HUBREG_HAVE_CRC32_INSTRUCTION
  if (CpuHasCrc32Instruction()) {
    state_ = UpdateHardware(state_, data, bytes.size());
    return *this;
  }
#endif
  state_ = UpdatePortable(state_, data, bytes.size());
  return *this;
}

std::uint32_t ComputeCrc32cPortable(std::string_view bytes) {
  return ~UpdatePortable(0xFFFFFFFFu, reinterpret_cast<const unsigned char*>(bytes.data()),
                         bytes.size());
}

}  // namespace hubreg::persist
