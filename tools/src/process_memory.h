// How much memory this process uses, as the kernel counts it (Linux).
#pragma once

#include <cstdint>

namespace hubreg::cli {

struct ProcessMemory {
  std::uint64_t rss_bytes = 0;  // resident now (VmRSS of /proc/self/status)
  // The highest resident size so far: the kernel's high-water mark, the
  // larger of VmHWM and getrusage's ru_maxrss (the figure `time -v` shows as
  // "Maximum resident set size"), and never below rss_bytes.
  std::uint64_t peak_bytes = 0;
};

// Zeros for what cannot be read (/proc not mounted).
ProcessMemory ReadProcessMemory();

}  // namespace hubreg::cli
