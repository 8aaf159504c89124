// Internal to the benchmark program: the two ways every lookup is timed.
//
// Throughput: keys are taken in (pre-shuffled) order, so consecutive lookups
// are independent and the CPU overlaps their cache misses, as a busy service
// handling many requests would.
// Latency: the position of the next key depends on the previous result
// (i += 1 + (result & 1)), so a lookup cannot start before the previous one
// has finished and its misses are paid one after another. The key arrays are
// walked almost in order, so fetching the key itself stays cheap.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace hubreg::bench {

enum class Mode { kThroughput, kLatency };

inline const char* ModeName(Mode mode) {
  return mode == Mode::kThroughput ? "throughput" : "latency";
}

// Runs `lookup(key) -> std::uint64_t` once per iteration. Reports items/s.
template <typename Key, typename Lookup>
void RunLookups(benchmark::State& state, Mode mode, const std::vector<Key>& keys, Lookup&& lookup) {
  const std::size_t count = keys.size();
  std::size_t i = 0;
  if (mode == Mode::kThroughput) {
    for (auto _ : state) {
      benchmark::DoNotOptimize(lookup(keys[i]));
      if (++i == count) i = 0;
    }
  } else {
    for (auto _ : state) {
      const std::uint64_t result = lookup(keys[i]);
      i += 1 + (result & 1);
      if (i >= count) i -= count;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace hubreg::bench
