// One-shot reads (issue 13): what `hubreg query` pays to answer one question
// from a data directory, through a full Store::Open (the registry built with
// its indexes) beside reading the stored rows (hubreg/stored_registry.h)
// and answering from the few rows the query needs. Each case runs in a new
// process (this program again, `--hubreg_oneshot=MODE:DIR`), so its peak
// memory is its own, reported as the counter peak_rss_MB: the child's VmHWM
// (/proc/self/status), the high-water mark of its address space since exec.
// Not getrusage's ru_maxrss: Linux carries the forked copy's resident size
// (this process's, which holds the datasets) over the exec into it. The
// time is the child's, from before opening to the answer; child_cpu_s is
// its user + system time over all its threads (wait4).
#include <benchmark/benchmark.h>
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "hubreg/store.h"
#include "hubreg/stored_registry.h"
#include "self_process.h"
#include "store_fixture.h"
#include "stored_queries.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct ChildResult {
  double seconds = 0;
  double peak_rss_bytes = 0;
  double cpu_seconds = 0;  // user + system, every thread of the child
};

ChildResult RunChild(const std::string& mode, const std::string& path) {
  const std::string flag = std::string(kOneShotFlag) + mode + ":" + path;
  const SelfRunResult run = RunSelf(flag, "one-shot " + mode + " of " + path);
  char* rest = nullptr;
  ChildResult result;
  result.seconds = std::strtod(run.output.c_str(), &rest);
  result.peak_rss_bytes = std::strtod(rest, nullptr);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  result.cpu_seconds = seconds(run.usage.ru_utime) + seconds(run.usage.ru_stime);
  return result;
}

void OneShot(benchmark::State& state, Size size, const std::string& mode) {
  const DataDirectories& dirs = GetDataDirectories(size);
  double peak = 0;
  double cpu = 0;
  for (auto _ : state) {
    const ChildResult result = RunChild(mode, dirs.snapshot->path());
    state.SetIterationTime(result.seconds);
    peak = std::max(peak, result.peak_rss_bytes);
    cpu += result.cpu_seconds;
  }
  state.counters["peak_rss_MB"] = peak / 1e6;
  // The child's whole CPU time (start-up and exit included): what the load
  // of a shared machine does not change, unlike the wall time.
  state.counters["child_cpu_s"] = cpu / static_cast<double>(state.iterations());
  state.counters["snapshot_MB"] = static_cast<double>(dirs.snapshot_bytes) / 1e6;
}

// This process's resident high-water mark in bytes (VmHWM), 0 if unknown.
double PeakResidentBytes() {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return 0;
  char line[256];
  double kib = 0;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::strtod(line + 6, nullptr);
  }
  std::fclose(status);
  return kib * 1024;
}

}  // namespace

int RunOneShotChild(const char* mode_and_path) {
  const std::string text(mode_and_path);
  const std::string mode = text.substr(0, text.find(':'));
  const std::string path = text.substr(text.find(':') + 1);
  const Clock::time_point start = Clock::now();
  StatusOr<cli::QueryTable> answer = Status::InvalidArgument("unknown mode " + mode);
  if (mode == "store") {
    StoreOptions options = NoAutoCompaction(path);
    options.read_only = true;
    auto store = Store::Open(options);
    if (!store.ok()) answer = store.status();
    if (store.ok()) {
      const View view = (*store)->Read();
      const Id user = (*view.Rows<ClientUserLink>().begin()).user_id;
      answer = cli::UserClients(view, view.FindUser(user)->external_id);
    }
  } else if (mode == "rows") {
    StatusOr<StoredRegistry> stored = ReadStoredRegistry(path);
    if (!stored.ok()) answer = stored.status();
    if (stored.ok()) {
      const Id user = stored->rows.links.front().user_id;
      const auto& users = stored->rows.users;
      const auto found = std::lower_bound(users.begin(), users.end(), user,
                                          [](const User& row, Id id) { return row.id < id; });
      answer = cli::UserClients(*stored, found->external_id);
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!answer.ok() || answer->rows.empty()) {
    std::fprintf(stderr, "%s\n", answer.ok() ? "no rows" : answer.status().ToString().c_str());
    return 1;
  }
  std::printf("%.9f %.0f\n", seconds, PeakResidentBytes());
  std::fflush(stdout);
  std::_Exit(0);  // a one-shot command exits without freeing what it read
}

void RegisterOneShotBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    const std::string suffix = "/" + std::string(SizeName(size));
    const int repeats = size == Size::kL ? 3 : 5;
    for (const char* mode : {"store", "rows"}) {
      benchmark::RegisterBenchmark(
          ("oneshot/" + std::string(mode == std::string("store") ? "store_open" : "stored_rows") +
           suffix)
              .c_str(),
          [size, mode](benchmark::State& s) { OneShot(s, size, mode); })
          ->UseManualTime()
          ->Iterations(repeats)
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace hubreg::bench
