// Runs this benchmark program again, as a new process, for the cases that
// measure what a fresh process pays (a service restart, a one-shot command).
#pragma once

#include <sys/resource.h>

#include <string>

namespace hubreg::bench {

struct SelfRunResult {
  std::string output;      // the child's stdout
  struct rusage usage {};  // the child's own resource use (wait4)
};

// Runs `/proc/self/exe flag` and returns its stdout and resource use. Exits
// the benchmark, naming `what`, when the child fails or prints nothing.
SelfRunResult RunSelf(const std::string& flag, const std::string& what);

}  // namespace hubreg::bench
