#include "thread_cpu.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "temp_directory.h"

namespace hubreg::bench {
namespace {

double CpuSecondsFrom(const std::string& path) {
  std::ifstream file(path);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: count
  // the fields after its closing one. utime and stime are fields 14 and 15.
  const std::size_t end = text.rfind(')');
  std::istringstream fields(end == std::string::npos ? std::string() : text.substr(end + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::stoull(field);
    if (number == 15) stime = std::stoull(field);
  }
  if (!fields) CheckOk(Status::Io("cannot read utime and stime from " + path), "CPU time");
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

pid_t CurrentThreadId() { return ::gettid(); }

double ProcessCpuSeconds(pid_t pid) {
  return CpuSecondsFrom("/proc/" + std::to_string(pid) + "/stat");
}

double ThreadCpuSeconds(pid_t tid) {
  return CpuSecondsFrom("/proc/self/task/" + std::to_string(tid) + "/stat");
}

std::optional<pid_t> ThreadNamed(std::string_view name) {
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) {
      return static_cast<pid_t>(std::stol(task.path().filename().string()));
    }
  }
  return std::nullopt;
}

}  // namespace hubreg::bench
