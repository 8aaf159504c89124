// Writes through the durable store: one mutation per commit (each sync mode;
// kFull is the default) and one bulk batch of 100,000 rows. The store starts
// with size S's registry; automatic compaction is off so that each figure is
// the commit alone. Timed in wall time: a commit mostly waits for the disk.
#include <benchmark/benchmark.h>

#include <string>

#include "dataset.h"
#include "store_fixture.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

constexpr std::size_t kBulkRows = 100'000;

std::unique_ptr<Store> OpenLoaded(const std::string& path, SyncMode sync) {
  StoreOptions options = NoAutoCompaction(path);
  options.sync = sync;
  auto store = Store::Open(options);
  CheckOk(store.status(), "open store");
  CheckOk(LoadRows(**store, GetDataset(Size::kS).rows, 1), "load size S");
  return std::move(*store);
}

void SingleMutation(benchmark::State& state, SyncMode sync) {
  const auto directory = ScratchDirectory("write");
  std::unique_ptr<Store> store = OpenLoaded(directory->path(), sync);
  std::uint64_t number = 0;
  for (auto _ : state) {
    CheckOk(store->Apply(Batch().Insert(FreshUser(++number))).status(), "apply");
  }
  state.SetItemsProcessed(state.iterations());
}

void BulkBatch(benchmark::State& state) {
  const auto directory = ScratchDirectory("bulk");
  std::unique_ptr<Store> store = OpenLoaded(directory->path(), SyncMode::kFull);
  std::uint64_t number = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Batch batch;
    for (std::size_t i = 0; i < kBulkRows; ++i) batch.Insert(FreshUser(++number));
    state.ResumeTiming();
    CheckOk(store->Apply(batch).status(), "apply bulk");
  }
  state.counters["rows_per_second"] = benchmark::Counter(
      static_cast<double>(kBulkRows), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

void RegisterWriteBenchmarks() {
  benchmark::RegisterBenchmark("write/single_full_sync",
                               [](benchmark::State& s) { SingleMutation(s, SyncMode::kFull); })
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(1.0)
      ->UseRealTime();
  benchmark::RegisterBenchmark(
      "write/single_no_meta_sync",
      [](benchmark::State& s) { SingleMutation(s, SyncMode::kNoMetaSync); })
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(1.0)
      ->UseRealTime();
  benchmark::RegisterBenchmark("write/single_no_sync",
                               [](benchmark::State& s) { SingleMutation(s, SyncMode::kNoSync); })
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(1.0)
      ->UseRealTime();
  benchmark::RegisterBenchmark("write/bulk_100k_full_sync", BulkBatch)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(3)
      ->UseRealTime();
}

}  // namespace hubreg::bench
