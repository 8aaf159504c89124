// Start-up: opening a data directory (snapshot load plus index build) beside
// the floor (memcpy of the snapshot's bytes), opening the same registry held
// only as journal batches, and building it from rows already in memory
// (Registry::FromRows, the core's share of a snapshot load).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dataset.h"
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

void CopySnapshotBytes(benchmark::State& state, Size size) {
  const DataDirectories& dirs = GetDataDirectories(size);
  std::ifstream file(dirs.snapshot_file, std::ios::binary);
  const std::vector<char> source((std::istreambuf_iterator<char>(file)),
                                 std::istreambuf_iterator<char>());
  std::vector<char> target(source.size(), 1);  // touched: the copy is measured warm
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    std::memcpy(target.data(), source.data(), source.size());
    benchmark::ClobberMemory();
    state.SetIterationTime(Seconds(start));
  }
  ReportRates(state, dirs.entities, source.size());
}

void BuildFromRows(benchmark::State& state, Size size) {
  const Dataset& data = GetDataset(size);
  const DataDirectories& dirs = GetDataDirectories(size);
  for (auto _ : state) {
    RegistryRows rows = data.rows;
    const Clock::time_point start = Clock::now();
    auto registry = Registry::FromRows(std::move(rows), 1);
    state.SetIterationTime(Seconds(start));
    CheckOk(registry.status(), "FromRows");
  }
  ReportRates(state, dirs.entities, dirs.snapshot_bytes);
}

}  // namespace

void RegisterStartupBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    const std::string suffix = "/" + std::string(SizeName(size));
    const int repeats = size == Size::kL ? 2 : 5;
    benchmark::RegisterBenchmark(("startup/snapshot" + suffix).c_str(),
                                 [size](benchmark::State& s) { OpenStore(s, size, true); })
        ->UseManualTime()->Iterations(repeats)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("startup/journal" + suffix).c_str(),
                                 [size](benchmark::State& s) { OpenStore(s, size, false); })
        ->UseManualTime()->Iterations(size == Size::kL ? 1 : 3)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("startup/memcpy" + suffix).c_str(),
                                 [size](benchmark::State& s) { CopySnapshotBytes(s, size); })
        ->UseManualTime()->Iterations(20)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("startup/from_rows" + suffix).c_str(),
                                 [size](benchmark::State& s) { BuildFromRows(s, size); })
        ->UseManualTime()->Iterations(repeats)->Unit(benchmark::kMillisecond);
  }
}

}  // namespace hubreg::bench
