// The change feed's cost to the writer (issue 11): the writer's commit rate
// with 0, 1 and 8 subscribers whose callbacks do trivial work (count
// batches), and with one subscriber stuck in its callback for the whole run.
// The target is a rate within 10% of none: a subscription reads the feed on
// its own thread, and the writer never waits for it.
//
// Each iteration commits one single-row batch (a user's new name) with
// SyncMode::kNoSync, so that no fsync hides what the feed costs. Timed in
// wall time: the subscribers' threads share the machine's cores with the
// writer, and the commit rate is what the writer achieves beside them.
#include <benchmark/benchmark.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "hubreg/store.h"
#include "store_fixture.h"
#include "suite.h"
#include "temp_directory.h"

namespace hubreg::bench {
namespace {

// What one subscriber has seen: the last batch's sequence, and whether a
// batch was skipped or the subscription ended early.
struct Seen {
  std::mutex mutex;
  std::condition_variable advanced;
  std::uint64_t last = 0;
  bool broken = false;

  void Record(const FeedEvent& event) {
    {
      std::lock_guard lock(mutex);
      if (event.kind != FeedEvent::Kind::kBatch || event.batch.sequence != last + 1) {
        broken = true;
      } else {
        last = event.batch.sequence;
      }
    }
    advanced.notify_all();
  }

  // True once `sequence` has been seen; false if a batch was skipped, the
  // subscription ended or a minute passed.
  bool WaitFor(std::uint64_t sequence) {
    std::unique_lock lock(mutex);
    advanced.wait_for(lock, std::chrono::minutes(1), [&] { return broken || last >= sequence; });
    return !broken && last >= sequence;
  }
};

// One single-row batch per iteration; `subscribers` count batches, and with
// `stuck` one more blocks in its callback until the timing has ended.
void CommitRate(benchmark::State& state, int subscribers, bool stuck) {
  const auto directory = ScratchDirectory("feed");
  StoreOptions options = NoAutoCompaction(directory->Path("data"));
  options.sync = SyncMode::kNoSync;
  auto store = Store::Open(options);
  CheckOk(store.status(), "open store");
  User user;
  user.external_id = "feed-bench";
  user.email = "feed-bench@example.com";
  user.name = "Feed 0";
  auto inserted = (*store)->Apply(Batch().Insert(user));
  CheckOk(inserted.status(), "insert the user");
  user = std::get<InsertRow<User>>(inserted->applied.mutations().front()).row;
  const std::uint64_t start = inserted->sequence;

  std::vector<std::unique_ptr<Seen>> seen;
  std::vector<Subscription> subscriptions;
  for (int k = 0; k < subscribers; ++k) {
    seen.push_back(std::make_unique<Seen>());
    seen.back()->last = start;
    Seen* counter = seen.back().get();
    subscriptions.push_back(
        (*store)->Subscribe(start, [counter](const FeedEvent& event) { counter->Record(event); }));
  }
  std::latch release(1);
  Subscription stuck_subscription;
  if (stuck) {
    stuck_subscription =
        (*store)->Subscribe(start, [&release](const FeedEvent&) { release.wait(); });
  }

  std::uint64_t number = 0;
  std::uint64_t last = start;
  for (auto _ : state) {
    user.name = "Feed " + std::to_string(++number);
    auto applied = (*store)->Apply(Batch().Update(user));
    CheckOk(applied.status(), "update the user");
    last = applied->sequence;
  }
  state.SetItemsProcessed(state.iterations());

  release.count_down();
  for (const auto& counter : seen) {
    if (!counter->WaitFor(last)) {
      state.SkipWithError("a subscriber skipped a batch, ended early or did not catch up");
      break;
    }
  }
}

}  // namespace

void RegisterFeedBenchmarks() {
  for (int subscribers : {0, 1, 8}) {
    benchmark::RegisterBenchmark(("feed/commit_rate/" + std::to_string(subscribers)).c_str(),
                                 CommitRate, subscribers, false)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("feed/commit_rate_stuck", CommitRate, 0, true)->UseRealTime();
}

}  // namespace hubreg::bench
