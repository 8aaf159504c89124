#include "process_memory.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace hubreg::cli {

ProcessMemory ReadProcessMemory() {
  ProcessMemory memory;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    // Lines look like "VmRSS:	   12345 kB".
    const auto kilobytes = [&] { return std::stoull(line.substr(line.find(':') + 1)) * 1024; };
    if (line.starts_with("VmRSS:")) memory.rss_bytes = kilobytes();
    if (line.starts_with("VmHWM:")) memory.peak_bytes = kilobytes();
  }
  // Both come from the same counters, but are read at different moments.
  struct rusage usage {};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    memory.peak_bytes =
        std::max(memory.peak_bytes, static_cast<std::uint64_t>(usage.ru_maxrss) * 1024);
  }
  memory.peak_bytes = std::max(memory.peak_bytes, memory.rss_bytes);
  return memory;
}

}  // namespace hubreg::cli
