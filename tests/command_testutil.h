// Runs a program to its end and captures what it printed, for the tests that
// drive the `hubreg` command as a child process.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace hubreg::test {

struct CommandOutput {
  int wait_status = 0;  // as waitpid reports it
  std::string output;   // stdout and stderr, interleaved as written
};

// Runs argv[0] (a path) with `argv`, waits for it and returns its status and
// output. The child's stdin is the test's.
inline CommandOutput RunCommand(const std::vector<std::string>& argv) {
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  CommandOutput result;
  char chunk[4096];
  for (ssize_t n; (n = ::read(out[0], chunk, sizeof chunk)) > 0;) {
    result.output.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  REQUIRE(::waitpid(pid, &result.wait_status, 0) == pid);
  return result;
}

}  // namespace hubreg::test
