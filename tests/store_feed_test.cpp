// The change feed of a durable store: the cursor served from memory and
// from the LMDB journal, journal entries written before the feed, the
// retention window across compaction and reopening, read-only processes,
// and subscriptions that fall behind.
#include <doctest/doctest.h>

#include <future>
#include <random>

#include "codec.h"
#include "data_directory.h"
#include "feed_testutil.h"
#include "store_layout.h"
#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;
using std::chrono::milliseconds;

namespace {

Status ResyncOf(const Store& store, std::uint64_t after) {
  StatusOr<std::optional<ChangeBatch>> next = store.Changes(after, milliseconds(0));
  REQUIRE_FALSE(next.ok());
  return next.status();
}

// Batches 2..n+1 on top of the sample rows (batch 1): links of client 3
// toggled, each batch one change.
void Toggle(Store& store, int batches) {
  for (int i = 0; i < batches; ++i) {
    const bool linked = store.Read().HasLink(3, 3);
    REQUIRE_OK(store.Apply(linked ? Batch().Unlink(3, 3) : Batch().Link(3, 3)));
  }
}

}  // namespace

TEST_CASE("a store's cursor serves batches from memory, and after reopening from the journal") {
  TempDir dir;
  std::vector<ChangeBatch> seen;
  {
    auto store = OpenStore(StoreAt(dir.Path("data")));
    REQUIRE_OK(store->Apply(SampleBatch()));
    Toggle(*store, 4);
    for (std::uint64_t after = 0; after < 5; ++after) seen.push_back(Next(*store, after));
    StatusOr<std::optional<ChangeBatch>> none = store->Changes(5, milliseconds(1));
    REQUIRE_OK(none);
    CHECK_FALSE(none->has_value());
  }
  auto store = OpenStore(StoreAt(dir.Path("data")));
  for (std::uint64_t after = 0; after < 5; ++after) {
    CHECK(Next(*store, after) == seen[after]);  // commit times included
  }
  auto waiting =
      std::async(std::launch::async, [&] { return store->Changes(5, std::chrono::seconds(60)); });
  Toggle(*store, 1);
  StatusOr<std::optional<ChangeBatch>> woken = waiting.get();
  REQUIRE_OK(woken);
  REQUIRE(woken->has_value());
  CHECK((*woken)->sequence == 6);
}

TEST_CASE("journal entries written before the change feed load; the feed resyncs over them") {
  TempDir dir;
  const std::string path = dir.Path("data");
  std::vector<Batch> applied;
  {
    auto store = OpenStore(StoreAt(path));
    for (const Batch& batch : {SampleBatch(), Batch().Unlink(3, 3), Batch().Link(3, 5)}) {
      StatusOr<CommitResult> result = store->Apply(batch);
      REQUIRE_OK(result);
      applied.push_back(result->applied);
    }
  }
  {
    // Entries 2 and 3 as the build before the feed wrote them: EncodeBatch.
    auto directory = persist::DataDirectory::Open(StoreAt(path));
    REQUIRE_OK(directory);
    REQUIRE_OK((*directory)->Write([&](persist::lmdb::Txn& txn) -> Status {
      for (std::uint64_t sequence : {2, 3}) {
        HUBREG_RETURN_IF_ERROR(
            txn.Delete((*directory)->dbs().journal, persist::JournalKey(sequence)));
        StatusOr<std::size_t> put = persist::PutJournalEntry(
            txn, (*directory)->dbs(), sequence, persist::EncodeBatch(applied[sequence - 1]));
        if (!put.ok()) return put.status();
      }
      return Status::Ok();
    }));
  }
  // The commit record names the checksum of the entry rewritten here.
  StoreOptions reopen = StoreAt(path);
  reopen.accept_rollback = true;
  auto store = OpenStore(reopen);
  CHECK(store->Read().sequence() == 3);
  CHECK_FALSE(store->Read().HasLink(3, 3));
  CHECK(store->Read().HasLink(3, 5));
  CHECK_OK(store->Verify());
  CHECK(Next(*store, 0).sequence == 1);
  Status resync = ResyncOf(*store, 1);
  CHECK(resync.code() == ErrorCode::kResyncRequired);
  CHECK(resync.message() == "change feed: batch 2 is stored in " + path +
                                " by a build without the change feed, without the rows it "
                                "changed; start again from the snapshot at sequence 0 "
                                "(StoreStats::snapshot_sequence)");
  Toggle(*store, 1);
  CHECK(Next(*store, 3).sequence == 4);
}

TEST_CASE("compaction keeps the feed's window: a cursor inside resumes, one behind resyncs") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.feed_retention_batches = 5;
  options.feed_memory_batches = 0;  // every answer from the journal
  std::vector<ChangeBatch> seen;
  {
    auto store = OpenStore(options);
    REQUIRE_OK(store->Apply(SampleBatch()));
    Toggle(*store, 19);  // sequences 1..20
    for (std::uint64_t after = 15; after < 20; ++after) seen.push_back(Next(*store, after));
    REQUIRE_OK(store->Compact());
    CHECK(store->Stats().snapshot_sequence == 20);
    CHECK(store->Stats().journal_batches == 0);
    for (std::uint64_t after = 15; after < 20; ++after)
      CHECK(Next(*store, after) == seen[after - 15]);
    Status resync = ResyncOf(*store, 14);
    CHECK(resync.code() == ErrorCode::kResyncRequired);
    CHECK(resync.message() == "change feed: batch 15 is no longer stored in " + options.path +
                                  " (journal entries: 16..20); start again from the snapshot at "
                                  "sequence 20 (StoreStats::snapshot_sequence)");
    Toggle(*store, 2);  // 21, 22 after the snapshot
  }
  auto store = OpenStore(options);  // the kept entries are not replayed
  CHECK(store->Stats().journal_batches == 2);
  CHECK(store->Read().sequence() == 22);
  for (std::uint64_t after = 15; after < 20; ++after)
    CHECK(Next(*store, after) == seen[after - 15]);
  CHECK(Next(*store, 21).sequence == 22);
  CHECK_OK(store->Verify());
  // A later compaction moves the window on.
  REQUIRE_OK(store->Compact());
  CHECK(ResyncOf(*store, 16).code() == ErrorCode::kResyncRequired);
  CHECK(Next(*store, 17).sequence == 18);
}

TEST_CASE("a feed window of 0 batches or too few bytes keeps fewer entries") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.feed_memory_batches = 0;
  SUBCASE("0 batches keeps none") { options.feed_retention_batches = 0; }
  SUBCASE("0 bytes keeps none") { options.feed_retention_bytes = 0; }
  auto store = OpenStore(options);
  REQUIRE_OK(store->Apply(SampleBatch()));
  Toggle(*store, 3);
  REQUIRE_OK(store->Compact());
  CHECK(ResyncOf(*store, 3).code() == ErrorCode::kResyncRequired);
  StatusOr<std::optional<ChangeBatch>> none = store->Changes(4, milliseconds(0));
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
}

TEST_CASE("the byte limit of the window keeps only the newest entries that fit") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.feed_memory_batches = 0;
  std::uint64_t entry_bytes = 0;
  {
    auto store = OpenStore(options);
    REQUIRE_OK(store->Apply(SampleBatch()));
    const std::uint64_t first = store->Stats().journal_bytes;
    Toggle(*store, 9);  // entries 2..10, one link change each: all the same size
    entry_bytes = (store->Stats().journal_bytes - first) / 9;
  }
  options.feed_retention_bytes = 3 * entry_bytes + entry_bytes / 2;
  auto store = OpenStore(options);
  REQUIRE_OK(store->Compact());
  CHECK(Next(*store, 7).sequence == 8);
  CHECK(ResyncOf(*store, 6).code() == ErrorCode::kResyncRequired);
}

TEST_CASE("a read-only store's cursor sees the writer's batches without Refresh") {
  TempDir dir;
  auto writer = OpenStore(StoreAt(dir.Path("data")));
  REQUIRE_OK(writer->Apply(SampleBatch()));
  StoreOptions read_only = StoreAt(dir.Path("data"));
  read_only.read_only = true;
  auto reader = OpenStore(read_only);
  StatusOr<std::optional<ChangeBatch>> none = reader->Changes(1, milliseconds(0));
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
  Toggle(*writer, 2);
  CHECK(Next(*reader, 1) == Next(*writer, 1));
  CHECK(Next(*reader, 2) == Next(*writer, 2));
  CHECK(reader->Read().sequence() == 1);  // its registry follows on Refresh only
}

TEST_CASE("a read-only store's subscription follows the writer, and Stop ends it at once") {
  TempDir dir;
  auto writer = OpenStore(StoreAt(dir.Path("data")));
  REQUIRE_OK(writer->Apply(SampleBatch()));
  StoreOptions read_only = StoreAt(dir.Path("data"));
  read_only.read_only = true;
  auto reader = OpenStore(read_only);
  EventLog log;
  Subscription subscription = reader->Subscribe(0, [&](const FeedEvent& event) { log.Add(event); });
  Toggle(*writer, 2);
  REQUIRE(log.WaitFor([](const auto& events) {
    return !events.empty() &&
           (events.back().kind != FeedEvent::Kind::kBatch || events.back().batch.sequence == 3);
  }));
  const std::vector<FeedEvent> events = log.events();
  REQUIRE(events.size() == 3);
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].batch == Next(*writer, i));
  // The fan-out sleeps on the commit signal now (for up to kIdleWait, 10 s).
  const auto start = std::chrono::steady_clock::now();
  subscription.Stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
}

TEST_CASE("batches a large one pushed out of memory come from the journal, each once") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;
  options.feed_memory_bytes = std::size_t{256} << 10;
  auto store = OpenStore(options);
  REQUIRE_OK(store->Apply(SampleBatch()));
  EventLog log;
  Subscription subscription = store->Subscribe(0, [&](const FeedEvent& event) { log.Add(event); });
  Toggle(*store, 3);                                          // 2..4
  REQUIRE_OK(store->Apply(LargeBatch("first", 100, 1200)));   // 5: fits beside them
  REQUIRE_OK(store->Apply(LargeBatch("second", 200, 1200)));  // 6: larger than the bound
  Toggle(*store, 3);                                          // 7..9
  REQUIRE(log.WaitFor([](const auto& events) {
    return !events.empty() &&
           (events.back().kind != FeedEvent::Kind::kBatch || events.back().batch.sequence == 9);
  }));
  const std::vector<FeedEvent> events = log.events();
  REQUIRE(events.size() == 9);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].kind == FeedEvent::Kind::kBatch);
    CHECK(events[i].batch == Next(*store, i));  // the pull cursor: from the journal
  }
  CHECK(events[5].batch.changes.size() == 200);
}

TEST_CASE("a store subscriber behind the memory ring catches up from the journal") {
  constexpr int kBatches = 100;
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.feed_memory_batches = 8;
  options.feed_retention_batches = 10;
  auto store = OpenStore(options);
  REQUIRE_OK(store->Apply(SampleBatch()));
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  EventLog log;
  Subscription subscription = store->Subscribe(0, [&](const FeedEvent& event) {
    log.Add(event);
    released.wait();
  });
  REQUIRE(log.WaitFor([](const auto& events) { return !events.empty(); }));
  Toggle(*store, kBatches);  // while the subscriber is stuck on batch 1
  SUBCASE("inside the journal it sees every batch in order, once each") {
    release.set_value();
    REQUIRE(log.WaitFor([](const auto& events) {
      return events.back().kind != FeedEvent::Kind::kBatch ||
             events.back().batch.sequence == kBatches + 1;
    }));
    const std::vector<FeedEvent> events = log.events();
    REQUIRE(events.size() == kBatches + 1);
    for (std::size_t i = 0; i < events.size(); ++i) {
      CHECK(events[i].kind == FeedEvent::Kind::kBatch);
      CHECK(events[i].batch.sequence == i + 1);
    }
  }
  SUBCASE("compacted past the window it gets a resync naming the snapshot") {
    REQUIRE_OK(store->Compact());
    release.set_value();
    REQUIRE(log.WaitFor(
        [](const auto& events) { return events.back().kind == FeedEvent::Kind::kResync; }));
    CheckBatchesThenResync(log.events(), 1, kBatches + 1);
  }
}

TEST_CASE("a subscriber rebuilds the store's registry from a snapshot plus the feed") {
  const unsigned seed = 20261132;
  INFO("seed ", seed);
  std::mt19937 random(seed);
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.min_journal_bytes = 4096;  // automatic compactions along the way
  options.compaction_ratio = 0.1;
  options.feed_memory_batches = 16;
  options.sync = SyncMode::kNoSync;
  auto store = OpenStore(options);
  REQUIRE_OK(store->Apply(SampleBatch()));
  for (int i = 0; i < 50; ++i) {
    static_cast<void>(store->Apply(RandomBatch(random, SortedRows(store->Read()))));
  }
  const std::string snapshot = dir.Path("start.snapshot");
  REQUIRE_OK(store->SaveSnapshotFile(snapshot));
  StoreOptions replica_options = StoreAt(dir.Path("replica"));
  replica_options.sync = SyncMode::kNoSync;
  REQUIRE_OK(RestoreSnapshotFile(snapshot, replica_options));
  auto replica = OpenStore(replica_options);
  std::mutex mutex;
  Status failed;
  Subscription subscription =
      store->Subscribe(replica->Read().sequence(), [&](const FeedEvent& event) {
        std::lock_guard<std::mutex> lock(mutex);
        if (event.kind != FeedEvent::Kind::kBatch) {
          failed = event.status;
          return;
        }
        StatusOr<CommitResult> applied = replica->Apply(ToBatch(event.batch));
        if (!applied.ok()) failed = applied.status();
      });
  for (int i = 0; i < 600; ++i) {
    static_cast<void>(store->Apply(RandomBatch(random, SortedRows(store->Read()))));
  }
  CHECK(store->Stats().compactions > 0);
  const std::uint64_t last = store->Read().sequence();
  for (int waits = 0; waits < 600 && replica->Read().sequence() < last; ++waits) {
    static_cast<void>(replica->Changes(replica->Read().sequence(), milliseconds(100)));
  }
  subscription.Stop();
  CHECK_MESSAGE(failed.ok(), failed.ToString());
  CHECK(replica->Read().sequence() == last);
  CHECK(SameRows(SortedRows(replica->Read()), SortedRows(store->Read())));
}
