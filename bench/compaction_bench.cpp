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
#include <vector>

#include "copy_compaction.h"
#include "store_fixture.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

using Clock = std::chrono::steady_clock;

// `copying`: every compaction also copies data.mdb compacted (docs/storage.md,
// "Copying compaction"), which otherwise happens only when the file is
// mostly free pages, at most once a minute; the counters *_in_copy_ms are
// those of the commits under way while it copied.
void CompactionStall(benchmark::State& state, Size size, bool copying) {
  const auto directory = ScratchDirectory("compaction");
  std::filesystem::copy(
      GetDataDirectories(size).snapshot->path(), directory->path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  StoreOptions options = NoAutoCompaction(directory->path());
  options.copy_compaction_ratio = copying ? 1.0 : 0;
  options.copy_compaction_min_free_bytes = 0;
  options.copy_compaction_interval = std::chrono::seconds(0);
  auto opened = Store::Open(options);
  CheckOk(opened.status(), "open store");
  Store& store = **opened;

  std::uint64_t number = 0;
  // The first commit after Open waits for the registry's second copy to be
  // built: not the compaction's doing.
  CheckOk(store.Apply(Batch().Insert(FreshUser(++number))).status(), "apply");
  // Phases of an iteration: commits begun before, during and after Compact.
  enum Phase : int { kBefore, kDuring, kAfter, kDone };
  constexpr std::uint64_t kCommitsAfter = 50;
  double slowest_after_ms = 0, commits = 0;
  std::vector<double> slowest_during_ms;       // per iteration
  std::vector<double> slowest_during_copy_ms;  // per iteration, copying only
  // When the copying compaction began and swapped its copy in (the test seam
  // of persist/src/copy_compaction.h).
  std::atomic<Clock::rep> copy_begun{0}, copy_exchanged{0};
  if (copying) {
    persist::SetCopyStepHook([&](std::string_view step) {
      if (step == "begun") copy_begun = Clock::now().time_since_epoch().count();
      if (step == "exchanged") copy_exchanged = Clock::now().time_since_epoch().count();
    });
  }
  for (auto _ : state) {
    std::atomic<int> phase{kBefore};
    std::atomic<std::uint64_t> committed[kDone] = {0, 0, 0};
    double slowest[kDone] = {0, 0, 0};
    struct Commit {
      Clock::rep begun;
      double seconds;
    };
    std::vector<Commit> during;
    std::thread committer([&] {
      for (int now = phase.load(); now != kDone; now = phase.load()) {
        const auto begin = Clock::now();
        CheckOk(store.Apply(Batch().Insert(FreshUser(++number))).status(), "apply");
        const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
        slowest[now] = std::max(slowest[now], seconds);
        if (now == kDuring) during.push_back({begin.time_since_epoch().count(), seconds});
        committed[now].fetch_add(1);
      }
    });
    // The committer is running before the compaction starts.
    while (committed[kBefore].load() < 3) std::this_thread::yield();
    phase = kDuring;
    const auto begin = Clock::now();
    CheckOk(store.Compact(), "compact");
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    phase = kAfter;
    while (committed[kAfter].load() < kCommitsAfter) std::this_thread::yield();
    phase = kDone;
    committer.join();
    state.SetIterationTime(seconds);
    slowest_during_ms.push_back(slowest[kDuring] * 1e3);
    if (copying) {
      double slowest_in_copy = 0;
      for (const Commit& commit : during) {
        const auto ended = commit.begun + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(commit.seconds))
                                              .count();
        if (ended >= copy_begun.load() && commit.begun <= copy_exchanged.load()) {
          slowest_in_copy = std::max(slowest_in_copy, commit.seconds);
        }
      }
      slowest_during_copy_ms.push_back(slowest_in_copy * 1e3);
    }
    slowest_after_ms = std::max(slowest_after_ms, slowest[kAfter] * 1e3);
    commits += static_cast<double>(committed[kDuring].load());
  }
  persist::SetCopyStepHook(nullptr);
  // The slowest commit of all iterations, and the median of each
  // iteration's slowest (one slow compaction in a run shows in the first).
  std::sort(slowest_during_ms.begin(), slowest_during_ms.end());
  state.counters["slowest_commit_ms"] = slowest_during_ms.back();
  state.counters["median_slowest_commit_ms"] = slowest_during_ms[slowest_during_ms.size() / 2];
  if (copying) {
    // Only the commits that overlap the copy (from its start to the swap),
    // apart from the snapshot written before it.
    std::sort(slowest_during_copy_ms.begin(), slowest_during_copy_ms.end());
    state.counters["slowest_in_copy_ms"] = slowest_during_copy_ms.back();
    state.counters["median_slowest_in_copy_ms"] =
        slowest_during_copy_ms[slowest_during_copy_ms.size() / 2];
  }
  // The first commits after it, which pay for the pages it freed.
  state.counters["slowest_of_next_50_ms"] = slowest_after_ms;
  state.counters["commits_per_compaction"] = commits / static_cast<double>(state.iterations());
  state.counters["snapshot_mb"] = static_cast<double>(store.Stats().snapshot_bytes) / 1e6;
  if (copying) state.counters["copies"] = static_cast<double>(store.Stats().copies);
}

}  // namespace

void RegisterCompactionBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    for (const bool copying : {false, true}) {
      const std::string name =
          std::string(copying ? "compaction/copy_stall/" : "compaction/stall/") +
          std::string(SizeName(size));
      benchmark::RegisterBenchmark(
          name.c_str(), [size, copying](benchmark::State& s) { CompactionStall(s, size, copying); })
          ->Unit(benchmark::kMillisecond)
          ->Iterations(5)
          ->UseManualTime();
    }
  }
}

}  // namespace hubreg::bench
