// What a compaction costs the writer: a store holding the generated
// registry (one snapshot), one thread committing single-row batches as fast
// as it can (SyncMode::kFull, as a follower commits), another compacting.
// The time is Compact's; the counters say how long the committing thread
// was held up meanwhile (its slowest commit begun during the compaction) and
// how many commits got through. Without compaction a durable commit takes
// from a few tenths of a millisecond to a few milliseconds, as the disk
// syncs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "store_fixture.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

using Clock = std::chrono::steady_clock;

void CompactionStall(benchmark::State& state, Size size) {
  const auto directory = ScratchDirectory("compaction");
  std::filesystem::copy(
      GetDataDirectories(size).snapshot->path(), directory->path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  auto opened = Store::Open(NoAutoCompaction(directory->path()));
  CheckOk(opened.status(), "open store");
  Store& store = **opened;

  std::uint64_t number = 0;
  // The first commit after Open waits for the registry's second copy to be
  // built: not the compaction's doing.
  CheckOk(store.Apply(Batch().Insert(FreshUser(++number))).status(), "apply");
  double slowest_ms = 0, commits = 0;
  for (auto _ : state) {
    std::atomic<bool> compacting{false}, done{false};
    std::atomic<std::uint64_t> committed{0};
    double slowest = 0;
    std::uint64_t during = 0;
    std::thread committer([&] {
      while (!done.load()) {
        const bool counted = compacting.load();
        const auto begin = Clock::now();
        CheckOk(store.Apply(Batch().Insert(FreshUser(++number))).status(), "apply");
        committed.fetch_add(1);
        if (!counted) continue;  // begun before the compaction
        slowest = std::max(slowest, std::chrono::duration<double>(Clock::now() - begin).count());
        ++during;
      }
    });
    // The committer is running before the compaction starts.
    while (committed.load() < 3) std::this_thread::yield();
    compacting = true;
    const auto begin = Clock::now();
    CheckOk(store.Compact(), "compact");
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    compacting = false;
    done = true;
    committer.join();
    state.SetIterationTime(seconds);
    slowest_ms = std::max(slowest_ms, slowest * 1e3);
    commits += static_cast<double>(during);
  }
  state.counters["slowest_commit_ms"] = slowest_ms;
  state.counters["commits_per_compaction"] = commits / static_cast<double>(state.iterations());
  state.counters["snapshot_mb"] = static_cast<double>(store.Stats().snapshot_bytes) / 1e6;
}

}  // namespace

void RegisterCompactionBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    benchmark::RegisterBenchmark(("compaction/stall/" + std::string(SizeName(size))).c_str(),
                                 [size](benchmark::State& s) { CompactionStall(s, size); })
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3)
        ->UseManualTime();
  }
}

}  // namespace hubreg::bench
