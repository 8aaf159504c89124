// The read-only process of commit_signal_test: waits for the writer's commits
// through Store::WaitForCommit. Modes:
//
//   wait_child wait DIR AFTER TIMEOUT_MS
//     Opens DIR read-only, writes "ready <commit_signal 0|1>", then waits
//     for a batch after AFTER, at most TIMEOUT_MS, and writes
//     "<1 when one came, 0 on timeout> <elapsed ms> <CPU ms of the wait>",
//     then refreshes and writes "<status code> <last sequence> <users>".
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hubreg/store.h"

namespace {

void WriteLine(const std::string& line) {
  std::string text = line + "\n";
  if (::write(STDOUT_FILENO, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::_Exit(3);
  }
}

double CpuMilliseconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

int Wait(const std::string& dir, std::uint64_t after, long timeout_ms) {
  hubreg::StoreOptions options;
  options.path = dir;
  options.read_only = true;
  auto store = hubreg::Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "wait_child: %s\n", store.status().ToString().c_str());
    return 2;
  }
  WriteLine(std::string("ready ") + ((*store)->Stats().commit_signal ? "1" : "0"));
  const double cpu_before = CpuMilliseconds();
  const auto start = std::chrono::steady_clock::now();
  hubreg::StatusOr<bool> committed =
      (*store)->WaitForCommit(after, std::chrono::milliseconds(timeout_ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double cpu = CpuMilliseconds() - cpu_before;
  if (!committed.ok()) {
    std::fprintf(stderr, "wait_child: %s\n", committed.status().ToString().c_str());
    return 2;
  }
  WriteLine(std::string(*committed ? "1 " : "0 ") +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()) +
            " " + std::to_string(static_cast<long>(cpu)));
  hubreg::Status refreshed = (*store)->Refresh();
  hubreg::View view = (*store)->Read();
  WriteLine(std::to_string(static_cast<int>(refreshed.code())) + " " +
            std::to_string(view.sequence()) + " " + std::to_string(view.counts().users));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "wait" && argc == 5) {
    return Wait(argv[2], std::strtoull(argv[3], nullptr, 10), std::strtol(argv[4], nullptr, 10));
  }
  std::fprintf(stderr, "usage: wait_child wait DIR AFTER TIMEOUT_MS\n");
  return 2;
}
