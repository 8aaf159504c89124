// Internal: the generator's random numbers. Written out by hand because the
// standard distributions (std::uniform_int_distribution and friends) may give
// different numbers on different standard libraries; these give the same
// sequence everywhere for a seed.
#pragma once

#include <cstdint>

namespace hubreg::gen {

// SplitMix64 (Steele, Lea, Flood 2014): tiny state, passes BigCrush, and
// fast enough that generating size L is dominated by building strings.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound); 0 when bound is 0. Lemire's multiply-shift: the
  // bias is below 2^-32 for the bounds used here, and no loop.
  std::uint64_t Below(std::uint64_t bound) {
    return static_cast<std::uint64_t>((static_cast<Wide>(Next()) * bound) >> 64);
  }

  // Uniform in [low, high].
  std::uint64_t Between(std::uint64_t low, std::uint64_t high) {
    return low + Below(high - low + 1);
  }

  // True with probability per_mille / 1000.
  bool Chance(std::uint32_t per_mille) { return Below(1000) < per_mille; }

  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // An independent stream for one table, so that changing how one table is
  // generated does not change the others.
  Random Fork(std::uint64_t stream) { return Random(Next() ^ (stream * 0xD1B54A32D192ED03ull)); }

 private:
  // GCC and Clang's 128-bit integer; __extension__ keeps -Wpedantic quiet.
  __extension__ using Wide = unsigned __int128;
  std::uint64_t state_;
};

}  // namespace hubreg::gen
