// Reads under writes: 1 or 2 reader threads look users up (Read() plus one
// lookup per request) while a writer commits durable batches through the
// store; each request is timed, and p50/p99/p99.9 are reported next to the
// same readers' figures with no writer.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "dataset.h"
#include "store_fixture.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPhase = std::chrono::milliseconds(1500);
constexpr std::size_t kUpdatesPerBatch = 100;

struct Percentiles {
  double p50 = 0, p99 = 0, p999 = 0;
  std::size_t samples = 0;
};

Percentiles Summarise(std::vector<std::uint32_t> nanos) {
  Percentiles p;
  p.samples = nanos.size();
  if (nanos.empty()) return p;
  std::sort(nanos.begin(), nanos.end());
  auto at = [&](double q) {
    return static_cast<double>(
        nanos[std::min(nanos.size() - 1, static_cast<std::size_t>(q * nanos.size()))]);
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  return p;
}

// Each reader times requests until `stop`; returns every reader's samples.
std::vector<std::uint32_t> RunReaders(const Store& store, const QueryKeys& keys, int readers,
                                      const std::atomic<bool>& stop) {
  std::vector<std::vector<std::uint32_t>> samples(readers);
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&, r] {
      std::vector<std::uint32_t>& mine = samples[r];
      mine.reserve(1 << 22);
      std::size_t i = static_cast<std::size_t>(r) * 7919;
      const std::vector<std::string>& ids = keys.user_external_ids;
      while (!stop.load(std::memory_order_relaxed)) {
        const Clock::time_point start = Clock::now();
        {
          const View view = store.Read();
          benchmark::DoNotOptimize(view.FindUserByExternalId(ids[i % ids.size()]));
        }
        const auto nanos =
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
        mine.push_back(static_cast<std::uint32_t>(std::min<long long>(nanos, UINT32_MAX)));
        ++i;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<std::uint32_t> all;
  for (const auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  return all;
}

// Readers for one phase, with or without a writer committing batches of
// user updates (default sync: kFull).
Percentiles Phase(Store& store, const Dataset& data, int readers, bool with_writer,
                  std::uint64_t* batches) {
  std::atomic<bool> stop{false};
  std::thread writer;
  if (with_writer) {
    writer = std::thread([&] {
      std::size_t next = 0;
      std::uint64_t round = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        Batch batch;
        ++round;
        for (std::size_t k = 0; k < kUpdatesPerBatch; ++k) {
          User user = data.rows.users[next++ % data.rows.users.size()];
          user.name = "Renamed " + std::to_string(round);
          batch.Update(std::move(user));
        }
        CheckOk(store.Apply(batch).status(), "writer apply");
        ++*batches;
      }
    });
  }
  std::thread timer([&] {
    std::this_thread::sleep_for(kPhase);
    stop = true;
  });
  Percentiles p = Summarise(RunReaders(store, data.keys, readers, stop));
  timer.join();
  if (writer.joinable()) writer.join();
  return p;
}

void ReadsUnderWrites(benchmark::State& state, Size size, int readers) {
  const Dataset& data = GetDataset(size);
  const auto directory = ScratchDirectory("contention");
  auto store = Store::Open(NoAutoCompaction(directory->path()));
  CheckOk(store.status(), "open store");
  CheckOk(LoadRows(**store, data.rows, 10), "load rows");
  Percentiles idle, busy;
  std::uint64_t batches = 0;
  for (auto _ : state) {
    idle = Phase(**store, data, readers, false, &batches);
    busy = Phase(**store, data, readers, true, &batches);
  }
  state.counters["idle_p50_ns"] = idle.p50;
  state.counters["idle_p99_ns"] = idle.p99;
  state.counters["idle_p999_ns"] = idle.p999;
  state.counters["busy_p50_ns"] = busy.p50;
  state.counters["busy_p99_ns"] = busy.p99;
  state.counters["busy_p999_ns"] = busy.p999;
  state.counters["p99_ratio"] = idle.p99 > 0 ? busy.p99 / idle.p99 : 0;
  state.counters["writer_batches_per_second"] =
      static_cast<double>(batches) / std::chrono::duration<double>(kPhase).count();
  state.counters["reads_per_second_busy"] =
      static_cast<double>(busy.samples) / std::chrono::duration<double>(kPhase).count();
}

}  // namespace

// Sizes S and M only: loading size L through the store would dominate the run.
void RegisterContentionBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    if (size == Size::kL) continue;
    for (int readers : {1, 2}) {
      const std::string name =
          "under_writes/" + std::to_string(readers) + "/" + std::string(SizeName(size));
      benchmark::RegisterBenchmark(
          name.c_str(),
          [size, readers](benchmark::State& s) { ReadsUnderWrites(s, size, readers); })
          ->Iterations(1)
          ->Unit(benchmark::kSecond);
    }
  }
}

}  // namespace hubreg::bench
