#include "thread_cpu.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "temp_directory.h"

namespace hubreg::bench {
namespace {

// Fields 3 on of a /proc stat file (proc(5)), after the command name, which
// is in parentheses and may hold spaces; none when the file cannot be read
// (the process has ended).
std::vector<std::string> StatFieldsFrom(const std::string& path) {
  std::ifstream file(path);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const std::size_t end = text.rfind(')');
  std::istringstream stream(end == std::string::npos ? std::string() : text.substr(end + 1));
  return {std::istream_iterator<std::string>(stream), std::istream_iterator<std::string>()};
}

double CpuSecondsFrom(const std::string& path) {
  // utime and stime are fields 14 and 15.
  const std::vector<std::string> fields = StatFieldsFrom(path);
  if (fields.size() < 13) {
    CheckOk(Status::Io("cannot read utime and stime from " + path), "CPU time");
  }
  const unsigned long long utime = std::stoull(fields[14 - 3]), stime = std::stoull(fields[15 - 3]);
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

std::vector<pid_t> ChildProcesses(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // Field 4, the parent's pid.
    const std::vector<std::string> fields = StatFieldsFrom(entry.path() / "stat");
    if (fields.size() > 4 - 3 && std::stol(fields[4 - 3]) == parent) {
      children.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return children;
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
