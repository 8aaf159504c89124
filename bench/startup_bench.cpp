// Start-up through the store: opening a data directory that holds the
// registry as one snapshot, and one that holds the same registry only as 100
// journal batches; and opening the snapshot in a new process, as a service
// restarting does. The parts of a snapshot load (decode, FromRows) and the
// memcpy floor are in snapshot_file_bench.cpp.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "self_process.h"
#include "store_fixture.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void ReportRates(benchmark::State& state, std::uint64_t entities, std::uint64_t bytes) {
  state.counters["entities"] = static_cast<double>(entities);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["entities_per_second"] = benchmark::Counter(
      static_cast<double>(entities), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB_per_second"] = benchmark::Counter(
      static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}

// Times Store::Open only; closing (freeing the registry) is not start-up.
void OpenStore(benchmark::State& state, Size size, bool from_snapshot) {
  const DataDirectories& dirs = GetDataDirectories(size);
  const std::string& path = from_snapshot ? dirs.snapshot->path() : dirs.journal->path();
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    auto store = Store::Open(NoAutoCompaction(path));
    state.SetIterationTime(Seconds(start));
    CheckOk(store.status(), "open store");
  }
  ReportRates(state, dirs.entities, dirs.snapshot_bytes);
}

// Runs this program again as `hubreg_bench --hubreg_open_store=DIR` (see
// RunOpenStoreChild) and returns the seconds its Store::Open took. Nothing
// this process allocated before (datasets, SQLite, LMDB) is in the child's
// heap, so this is what a service pays when it restarts.
double OpenInNewProcess(const std::string& path) {
  const std::string flag = std::string(kOpenStoreFlag) + path;
  const SelfRunResult run = RunSelf(flag, "opening " + path + " in a new process");
  return std::strtod(run.output.c_str(), nullptr);
}

void OpenStoreInNewProcess(benchmark::State& state, Size size) {
  const DataDirectories& dirs = GetDataDirectories(size);
  for (auto _ : state) state.SetIterationTime(OpenInNewProcess(dirs.snapshot->path()));
  ReportRates(state, dirs.entities, dirs.snapshot_bytes);
}

}  // namespace

int RunOpenStoreChild(const char* path) {
  const Clock::time_point start = Clock::now();
  auto store = Store::Open(NoAutoCompaction(path));
  const double seconds = Seconds(start);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::printf("%.9f\n", seconds);
  std::fflush(stdout);
  std::_Exit(0);  // a restarting service does not wait for its old registry to be freed
}

void RegisterStartupBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    const std::string suffix = "/" + std::string(SizeName(size));
    const int repeats = size == Size::kL ? 2 : 5;
    benchmark::RegisterBenchmark(("startup/snapshot" + suffix).c_str(),
                                 [size](benchmark::State& s) { OpenStore(s, size, true); })
        ->UseManualTime()
        ->MeasureProcessCPUTime()
        ->Iterations(repeats)
        ->Unit(benchmark::kMillisecond);
    // CPU time is not measured here: it would be this process's, not the child's.
    benchmark::RegisterBenchmark(("startup/snapshot_new_process" + suffix).c_str(),
                                 [size](benchmark::State& s) { OpenStoreInNewProcess(s, size); })
        ->UseManualTime()
        ->Iterations(size == Size::kL ? 3 : 5)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("startup/journal" + suffix).c_str(),
                                 [size](benchmark::State& s) { OpenStore(s, size, false); })
        ->UseManualTime()
        ->MeasureProcessCPUTime()
        ->Iterations(size == Size::kL ? 1 : 3)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace hubreg::bench
