#include "self_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace hubreg::bench {

SelfRunResult RunSelf(const std::string& flag, const std::string& what) {
  int pipe_ends[2];
  if (::pipe(pipe_ends) != 0) std::abort();
  const pid_t child = ::fork();
  if (child < 0) std::abort();
  if (child == 0) {
    ::dup2(pipe_ends[1], STDOUT_FILENO);
    ::close(pipe_ends[0]);
    ::execl("/proc/self/exe", "hubreg_bench", flag.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_ends[1]);
  SelfRunResult result;
  char buffer[256];
  for (ssize_t got; (got = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0;) {
    result.output.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(pipe_ends[0]);
  int status = 0;
  ::wait4(child, &status, 0, &result.usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || result.output.empty()) {
    std::fprintf(stderr, "hubreg_bench: %s failed\n", what.c_str());
    std::exit(1);
  }
  return result;
}

}  // namespace hubreg::bench
