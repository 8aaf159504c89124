// Encoding the records a writer stores on every commit, hubreg's encoder
// (StringOutputArchive, persist/src/string_archive.h) beside cereal's own
// BinaryOutputArchive writing the same bytes (persist/src/cereal_reference.h):
// a source transaction of follow/throughput's burst, 100 users updated, as the
// journal record (each row before and after) and as the batch.
#include <benchmark/benchmark.h>

#include <string>

#include "cereal_reference.h"
#include "codec.h"
#include "hubreg/registry.h"
#include "suite.h"
#include "temp_directory.h"

namespace hubreg::bench {
namespace {

constexpr Id kUsers = 100;

User BurstUser(Id id, const std::string& name) {
  User user;
  user.id = id;
  user.external_id = "burst_user_" + std::to_string(id);
  user.email = "burst.user" + std::to_string(id) + "@bench.example.com";
  user.name = name;
  return user;
}

struct Fixture {
  Batch update;
  ChangeBatch changes;
};

const Fixture& GetFixture() {
  static const Fixture fixture = [] {
    Fixture built;
    Registry registry;
    Batch insert;
    for (Id id = 1; id <= kUsers; ++id) {
      insert.Insert(BurstUser(id, "User " + std::to_string(id)));
      built.update.Update(BurstUser(id, "Renamed user " + std::to_string(id)));
    }
    CheckOk(registry.Apply(insert).status(), "insert the burst's users");
    // Row changes are recorded for a commit hook (as a store installs).
    registry.SetCommitHook([&built](const CommitResult& result) {
      built.changes = result.changes;
      return Status::Ok();
    });
    CheckOk(registry.Apply(built.update).status(), "update the burst's users");
    return built;
  }();
  return fixture;
}

template <typename Encode>
void Run(benchmark::State& state, Encode&& encode) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out = encode();
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(kUsers),
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = static_cast<double>(bytes);
}

}  // namespace

void RegisterCodecBenchmarks() {
  benchmark::RegisterBenchmark("codec/journal_record/hubreg", [](benchmark::State& state) {
    Run(state, [] { return persist::EncodeJournalRecord(GetFixture().changes); });
  });
  benchmark::RegisterBenchmark("codec/journal_record/cereal", [](benchmark::State& state) {
    Run(state, [] { return persist::reference::EncodeJournalRecord(GetFixture().changes); });
  });
  benchmark::RegisterBenchmark("codec/batch/hubreg", [](benchmark::State& state) {
    Run(state, [] { return persist::EncodeBatch(GetFixture().update); });
  });
  benchmark::RegisterBenchmark("codec/batch/cereal", [](benchmark::State& state) {
    Run(state, [] { return persist::reference::EncodeBatch(GetFixture().update); });
  });
}

}  // namespace hubreg::bench
