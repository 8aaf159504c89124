// The registry's change feed: the pull cursor (Registry::Changes) and
// subscriptions on it (Registry::Subscribe).
#include "hubreg/feed.h"

#include <doctest/doctest.h>

#include <future>
#include <random>
#include <thread>

#include "feed_testutil.h"
#include "hubreg/registry.h"
#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;
using std::chrono::milliseconds;

namespace {

bool Delivered(const std::vector<FeedEvent>& events, std::uint64_t sequence) {
  return !events.empty() && events.back().kind == FeedEvent::Kind::kBatch &&
         events.back().batch.sequence >= sequence;
}

}  // namespace

TEST_CASE("the cursor returns each batch after it in order and waits for the next") {
  auto registry = SampleRegistry();
  REQUIRE_OK(registry->Apply(Batch().Unlink(3, 3)));
  REQUIRE_OK(registry->Apply(Batch().Link(3, 5)));
  CHECK(Next(*registry, 0).sequence == 1);
  CHECK(Next(*registry, 0).changes.size() == SampleBatch().size());
  CHECK(Next(*registry, 1).sequence == 2);
  CHECK(Next(*registry, 2).sequence == 3);

  StatusOr<std::optional<ChangeBatch>> none = registry->Changes(3, milliseconds(1));
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());

  auto waiting = std::async(std::launch::async,
                            [&] { return registry->Changes(3, std::chrono::seconds(60)); });
  REQUIRE_OK(registry->Apply(Batch().Unlink(3, 5)));
  StatusOr<std::optional<ChangeBatch>> woken = waiting.get();
  REQUIRE_OK(woken);
  REQUIRE(woken->has_value());
  CHECK((*woken)->sequence == 4);
}

TEST_CASE("empty batches take no sequence and publish nothing") {
  auto registry = SampleRegistry();
  REQUIRE_OK(registry->Apply(Batch()));
  CHECK(registry->LastSequence() == 1);
  StatusOr<std::optional<ChangeBatch>> none = registry->Changes(1, milliseconds(0));
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
}

TEST_CASE("a cursor older than the batches kept gets kResyncRequired naming what is kept") {
  auto registry = SampleRegistry();
  registry->SetFeedCapacity(2);
  for (int i = 0; i < 3; ++i) {
    REQUIRE_OK(registry->Apply(Batch().Unlink(3, 3)));
    REQUIRE_OK(registry->Apply(Batch().Link(3, 3)));
  }  // sequences 2..7; 6 and 7 kept
  StatusOr<std::optional<ChangeBatch>> old = registry->Changes(4, milliseconds(0));
  CHECK(old.status().code() == ErrorCode::kResyncRequired);
  CHECK(old.status().message() ==
        "change feed: batch 5 is no longer kept in memory (batches kept: 6..7); start again "
        "from a view of the registry (now at sequence 7)");
  CHECK(Next(*registry, 5).sequence == 6);
  CHECK(Next(*registry, 6).sequence == 7);
  registry->SetFeedCapacity(0);
  CHECK(registry->Changes(6, milliseconds(0)).status().code() == ErrorCode::kResyncRequired);
}

TEST_CASE("the feed's memory is bounded by bytes too: a large batch pushes older ones out") {
  auto registry = SampleRegistry();
  registry->SetFeedMemoryBytes(std::size_t{256} << 10);
  REQUIRE_OK(registry->Apply(Batch().Unlink(3, 3)));             // 2
  REQUIRE_OK(registry->Apply(LargeBatch("first", 100, 1200)));   // 3: 150 to 190 KiB
  CHECK(Next(*registry, 1).sequence == 2);                       // both fit
  REQUIRE_OK(registry->Apply(LargeBatch("second", 100, 1200)));  // 4: 3 and 4 do not
  CHECK(registry->Changes(1, milliseconds(0)).status().code() == ErrorCode::kResyncRequired);
  CHECK(registry->Changes(2, milliseconds(0)).status().code() == ErrorCode::kResyncRequired);
  CHECK(Next(*registry, 3).sequence == 4);
  registry->SetFeedMemoryBytes(std::size_t{64} << 10);  // less than one large batch
  CHECK(registry->Changes(3, milliseconds(0)).status().message() ==
        "change feed: batch 4 is no longer kept in memory (batches kept: none); start again "
        "from a view of the registry (now at sequence 4)");
  REQUIRE_OK(registry->Apply(LargeBatch("third", 100, 1200)));  // 5: never kept
  REQUIRE_OK(registry->Apply(Batch().Link(3, 3)));              // 6
  CHECK(registry->Changes(4, milliseconds(0)).status().code() == ErrorCode::kResyncRequired);
  CHECK(Next(*registry, 5).sequence == 6);
}

TEST_CASE("a registry built from rows starts its feed at its sequence") {
  auto source = SampleRegistry();
  StatusOr<std::unique_ptr<Registry>> built = Registry::FromRows(SortedRows(source->Read()), 40);
  REQUIRE_OK(built);
  Registry& registry = **built;
  CHECK(registry.Changes(39, milliseconds(0)).status().code() == ErrorCode::kResyncRequired);
  REQUIRE_OK(registry.Apply(Batch().Unlink(3, 3)));
  CHECK(Next(registry, 40).sequence == 41);
}

TEST_CASE("a subscription delivers every batch in order, once each, and stops when destroyed") {
  auto registry = SampleRegistry();
  EventLog log;
  {
    Subscription subscription =
        registry->Subscribe(1, [&log](const FeedEvent& event) { log.Add(event); });
    CHECK(subscription.running());
    for (int i = 0; i < 20; ++i) {
      REQUIRE_OK(registry->Apply(i % 2 == 0 ? Batch().Unlink(3, 3) : Batch().Link(3, 3)));
    }
    REQUIRE(log.WaitFor([](const auto& events) { return Delivered(events, 21); }));
    CHECK(subscription.position() == 21);
  }
  const std::vector<FeedEvent> events = log.events();
  REQUIRE(events.size() == 20);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].kind == FeedEvent::Kind::kBatch);
    CHECK(events[i].batch.sequence == i + 2);
  }
  REQUIRE_OK(registry->Apply(Batch().Link(3, 5)));  // nobody listens any more
  CHECK(log.events().size() == 20);
}

TEST_CASE("a stuck subscriber does not hold the writer up and catches up afterwards") {
  constexpr int kBatches = 200;
  auto registry = SampleRegistry();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  EventLog log;
  SUBCASE("inside the feed's window it sees every batch, in order, once") {
    Subscription subscription = registry->Subscribe(1, [&](const FeedEvent& event) {
      log.Add(event);
      released.wait();  // stuck until the writer is done
    });
    REQUIRE_OK(registry->Apply(Batch().Unlink(3, 3)));
    REQUIRE(log.WaitFor([](const auto& events) { return !events.empty(); }));
    for (int i = 1; i < kBatches; ++i) {
      REQUIRE_OK(registry->Apply(i % 2 == 0 ? Batch().Unlink(3, 3) : Batch().Link(3, 3)));
    }
    CHECK(log.events().size() == 1);  // still stuck on the first while the writer finished
    release.set_value();
    REQUIRE(log.WaitFor([](const auto& events) { return Delivered(events, kBatches + 1); }));
    const std::vector<FeedEvent> events = log.events();
    REQUIRE(events.size() == kBatches);
    for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].batch.sequence == i + 2);
  }
  SUBCASE("fallen out of the window it gets one resync event and nothing more") {
    registry->SetFeedCapacity(10);
    Subscription subscription = registry->Subscribe(1, [&](const FeedEvent& event) {
      log.Add(event);
      released.wait();
    });
    REQUIRE_OK(registry->Apply(Batch().Unlink(3, 3)));
    REQUIRE(log.WaitFor([](const auto& events) { return !events.empty(); }));
    for (int i = 1; i < kBatches; ++i) {
      REQUIRE_OK(registry->Apply(i % 2 == 0 ? Batch().Unlink(3, 3) : Batch().Link(3, 3)));
    }
    release.set_value();
    REQUIRE(log.WaitFor(
        [](const auto& events) { return events.back().kind == FeedEvent::Kind::kResync; }));
    CheckBatchesThenResync(log.events(), 2, kBatches + 1);
    CHECK_FALSE(subscription.running());
  }
}

TEST_CASE("a stuck subscriber does not hold up the other subscribers") {
  constexpr int kBatches = 3 * static_cast<int>(Subscription::kQueueBatches);
  auto registry = SampleRegistry();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  EventLog stuck_log;
  EventLog live_log;
  Subscription stuck = registry->Subscribe(1, [&](const FeedEvent& event) {
    stuck_log.Add(event);
    released.wait();
  });
  Subscription live = registry->Subscribe(1, [&](const FeedEvent& event) { live_log.Add(event); });
  for (int i = 0; i < kBatches; ++i) {
    REQUIRE_OK(registry->Apply(i % 2 == 0 ? Batch().Unlink(3, 3) : Batch().Link(3, 3)));
  }
  REQUIRE(live_log.WaitFor([](const auto& events) { return Delivered(events, kBatches + 1); }));
  CHECK(stuck_log.events().size() <= 1);  // still in its first callback
  release.set_value();
  REQUIRE(stuck_log.WaitFor([](const auto& events) { return Delivered(events, kBatches + 1); }));
  for (EventLog* log : {&stuck_log, &live_log}) {
    const std::vector<FeedEvent> events = log->events();
    REQUIRE(events.size() == kBatches);
    for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].batch.sequence == i + 2);
  }
}

TEST_CASE("Stop wakes the fan-out at once instead of waiting out its idle wait") {
  static_assert(Subscription::kIdleWait >= std::chrono::seconds(10));
  auto registry = SampleRegistry();
  EventLog first_log;
  EventLog second_log;
  Subscription first =
      registry->Subscribe(1, [&](const FeedEvent& event) { first_log.Add(event); });
  Subscription second =
      registry->Subscribe(1, [&](const FeedEvent& event) { second_log.Add(event); });
  REQUIRE_OK(registry->Apply(Batch().Unlink(3, 3)));
  REQUIRE(first_log.WaitFor([](const auto& events) { return Delivered(events, 2); }));
  REQUIRE(second_log.WaitFor([](const auto& events) { return Delivered(events, 2); }));
  // Both idle now, the fan-out asleep until the next commit. A Stop that sat
  // out that sleep would take the whole idle wait; half of it leaves room for
  // a loaded machine's scheduling.
  constexpr auto kAtOnce = Subscription::kIdleWait / 2;
  auto stop_time = [](Subscription& subscription) {
    const auto start = std::chrono::steady_clock::now();
    subscription.Stop();
    return std::chrono::steady_clock::now() - start;
  };
  CHECK(stop_time(first) < kAtOnce);
  CHECK_FALSE(first.running());
  REQUIRE_OK(registry->Apply(Batch().Link(3, 3)));  // the other one still runs
  REQUIRE(second_log.WaitFor([](const auto& events) { return Delivered(events, 3); }));
  CHECK(stop_time(second) < kAtOnce);  // the last: ends the fan-out
  CHECK(first_log.events().size() == 1);

  // A subscription after the last one has ended starts a fan-out anew.
  EventLog third_log;
  Subscription third =
      registry->Subscribe(2, [&](const FeedEvent& event) { third_log.Add(event); });
  REQUIRE_OK(registry->Apply(Batch().Unlink(3, 3)));
  REQUIRE(third_log.WaitFor([](const auto& events) { return Delivered(events, 4); }));
  CHECK(third_log.events().size() == 2);
  CHECK(stop_time(third) < kAtOnce);
}

TEST_CASE("a subscriber rebuilds the registry from a view plus the feed") {
  const unsigned seed = 20261131;
  INFO("seed ", seed);
  std::mt19937 random(seed);
  auto registry = SampleRegistry();
  for (int i = 0; i < 50; ++i) {
    static_cast<void>(registry->Apply(RandomBatch(random, SortedRows(registry->Read()))));
  }
  std::unique_ptr<Registry> replica;
  std::uint64_t start = 0;
  {
    View view = registry->Read();
    start = view.sequence();
    StatusOr<std::unique_ptr<Registry>> built = Registry::FromRows(SortedRows(view), start);
    REQUIRE_OK(built);
    replica = std::move(*built);
  }
  std::mutex mutex;
  Status failed;
  Subscription subscription = registry->Subscribe(start, [&](const FeedEvent& event) {
    std::lock_guard<std::mutex> lock(mutex);
    if (event.kind != FeedEvent::Kind::kBatch) {
      failed = event.status;
      return;
    }
    StatusOr<CommitResult> applied = replica->Apply(ToBatch(event.batch));
    if (!applied.ok()) failed = applied.status();
  });
  for (int i = 0; i < 500; ++i) {
    static_cast<void>(registry->Apply(RandomBatch(random, SortedRows(registry->Read()))));
  }
  const std::uint64_t last = registry->LastSequence();
  for (int spins = 0; spins < 600 && replica->LastSequence() < last; ++spins) {
    StatusOr<std::optional<ChangeBatch>> ignored =
        replica->Changes(replica->LastSequence(), milliseconds(100));
    static_cast<void>(ignored);
  }
  subscription.Stop();
  CHECK_MESSAGE(failed.ok(), failed.ToString());
  CHECK(replica->LastSequence() == last);
  CHECK(SameRows(SortedRows(replica->Read()), SortedRows(registry->Read())));
}
