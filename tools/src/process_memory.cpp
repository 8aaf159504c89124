#include "process_memory.h"

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
  return memory;
}

}  // namespace hubreg::cli
