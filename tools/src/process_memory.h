// How much memory this process uses, from /proc/self/status (Linux).
#pragma once

#include <cstdint>

namespace hubreg::cli {

struct ProcessMemory {
  std::uint64_t rss_bytes = 0;   // resident now (VmRSS)
  std::uint64_t peak_bytes = 0;  // highest resident so far (VmHWM)
};

// Zeros when /proc is not available.
ProcessMemory ReadProcessMemory();

}  // namespace hubreg::cli
