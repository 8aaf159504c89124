// Store (hubreg/store.h): round trips through the journal and the snapshot,
// compaction, map growth, failed commits, read-only stores in this and in
// another process, and the data directory's permissions and reader slots.
#include <doctest/doctest.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

#include "codec.h"
#include "compaction.h"
#include "data_directory.h"
#include "lmdb_env.h"
#include "store_layout.h"
#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

const std::string kHelper = HUBREG_CRASH_WRITER;

Batch UpdateBatch() {
  Client client = MakeClient(3, 2, "ACC-3", RecordStatus::kDisabled);
  client.db_password = "rotated";
  return Batch().Update(client).Unlink(1, 2).Update(MakeApp(2, "key-prod-2", Environment::kProd));
}

// Applies the sample, awkward and update batches (sequences 1-3).
void Fill(Store& store) {
  REQUIRE_OK(store.Apply(SampleBatch()));
  REQUIRE_OK(store.Apply(AwkwardBatch()));
  REQUIRE_OK(store.Apply(UpdateBatch()));
}

// Which of the journal / snapshot a reopen has to use.
enum class Via { kJournal, kSnapshot, kBoth };

void CheckRoundTrip(Via via) {
  TempDir dir;
  const StoreOptions options = StoreAt(dir.Path("data"));
  RegistryRows before;
  {
    auto store = OpenStore(options);
    if (via == Via::kJournal) {
      Fill(*store);
    } else if (via == Via::kSnapshot) {
      Fill(*store);
      REQUIRE_OK(store->Compact());
    } else {
      REQUIRE_OK(store->Apply(SampleBatch()));
      REQUIRE_OK(store->Compact());
      REQUIRE_OK(store->Apply(AwkwardBatch()));
      REQUIRE_OK(store->Apply(UpdateBatch()));
    }
    before = SortedRows(store->Read());
  }
  auto store = OpenStore(options);
  StoreStats stats = store->Stats();
  CHECK(stats.last_sequence == 3);
  CHECK(stats.open_seconds > 0);
  CHECK(stats.snapshot_sequence == (via == Via::kJournal ? 0 : via == Via::kSnapshot ? 3 : 1));
  CHECK(stats.journal_batches == (via == Via::kJournal ? 3 : via == Via::kSnapshot ? 0 : 2));
  CheckSameRows(SortedRows(store->Read()), before);
  const Client* v10 = store->Read().FindClientByExternalId("ACC-4");
  REQUIRE(v10 != nullptr);
  CHECK(v10->threecolts_organization_id == kNoId);
  CHECK(store->Read().FindUser(4)->status == RecordStatus::kDisabled);
  CHECK(store->Read().FindClient(5)->db_password == std::string("p\0w\xff", 4));
  CHECK(store->Read().FindUser(7) == nullptr);
  CHECK_OK(store->Verify());
  // Ids of deleted rows are not handed out again.
  auto inserted = store->Apply(Batch().Insert(MakeUser(0, "U-8", "new@example.com")));
  REQUIRE_OK(inserted);
  CHECK(std::get<InsertRow<User>>(inserted->applied.mutations()[0]).row.id == 8);
}

std::string ReaderListing(const std::string& path) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_maxdbs(env, 4) == 0);
  REQUIRE(mdb_env_open(env, path.c_str(), MDB_RDONLY | MDB_NOTLS, 0600) == 0);
  std::string listing;
  mdb_reader_list(
      env,
      [](const char* message, void* context) {
        static_cast<std::string*>(context)->append(message);
        return 0;
      },
      &listing);
  mdb_env_close(env);
  return listing;
}

}  // namespace

TEST_CASE("a new data directory is created with owner-only permissions") {
  TempDir dir;
  const std::string path = dir.Path("nested/data");
  auto store = OpenStore(StoreAt(path));
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);
  CHECK(std::filesystem::exists(path + "/data.mdb"));
  CHECK(std::filesystem::exists(path + "/lock.mdb"));
  CHECK(store->Stats().last_sequence == 0);
  CHECK(store->Read().sequence() == 0);
}

TEST_CASE("every table and field survives reopening from the journal alone") {
  CheckRoundTrip(Via::kJournal);
}

TEST_CASE("every table and field survives reopening from the snapshot alone") {
  CheckRoundTrip(Via::kSnapshot);
}

TEST_CASE("every table and field survives reopening from a snapshot plus journal") {
  CheckRoundTrip(Via::kBoth);
}

TEST_CASE("the first batch has sequence 1 and an empty batch writes nothing") {
  TempDir dir;
  auto store = OpenStore(StoreAt(dir.Path("data")));
  auto empty = store->Apply(Batch());
  REQUIRE_OK(empty);
  CHECK(empty->sequence == 0);
  auto first = store->Apply(SampleBatch());
  REQUIRE_OK(first);
  CHECK(first->sequence == 1);
  CHECK(store->Stats().journal_batches == 1);
}

TEST_CASE("compaction runs by itself when the journal outgrows its share of the snapshot") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.min_journal_bytes = 2000;
  options.compaction_ratio = 0.5;
  RegistryRows before;
  {
    auto store = OpenStore(options);
    REQUIRE_OK(store->Apply(SampleBatch()));
    for (Id id = 10; id < 60; ++id) {
      REQUIRE_OK(store->Apply(
          Batch().Insert(MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@x.org"))));
      StoreStats stats = store->Stats();
      CHECK(stats.last_compaction_error == "");
      // Right after each Apply the journal is back under its threshold.
      CHECK((stats.journal_bytes < options.min_journal_bytes ||
             static_cast<double>(stats.journal_bytes) <=
                 0.5 * static_cast<double>(stats.snapshot_bytes)));
    }
    StoreStats stats = store->Stats();
    CHECK(stats.compactions >= 1);
    CHECK(stats.snapshot_sequence > 1);
    CHECK(stats.journal_batches == stats.last_sequence - stats.snapshot_sequence);
    before = SortedRows(store->Read());
  }
  auto store = OpenStore(options);
  CheckSameRows(SortedRows(store->Read()), before);
  CHECK_OK(store->Verify());
}

// Users with 300-byte names, ids `first` .. `first + count - 1`: a snapshot
// of several megabytes, which a compaction writes in several transactions.
Batch LongNamedUsers(Id first, Id count) {
  Batch batch;
  for (Id id = first; id < first + count; ++id) {
    User user = MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@x.org");
    user.name = std::string(300, 'n') + std::to_string(id);
    batch.Insert(std::move(user));
  }
  return batch;
}

TEST_CASE("batches committed while a compaction writes its snapshot stay its journal, counted") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;  // as many commits as possible during each compaction
  options.min_journal_bytes = UINT64_MAX;
  constexpr Id kUsers = 12000;
  auto store = OpenStore(options);
  REQUIRE_OK(store->Apply(LongNamedUsers(1, kUsers)));
  StoreOptions read_only = options;
  read_only.read_only = true;
  auto reader = OpenStore(read_only);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread committer([&] {
    for (int i = 0; !done; ++i) {
      User user = *store->Read().FindUser(1 + i % kUsers);
      user.name = std::string(300, 'r') + std::to_string(i);  // the snapshot keeps its size
      if (!store->Apply(Batch().Update(std::move(user))).ok()) ++failures;
    }
  });
  // A read-only store refreshing meanwhile finds snapshots behind what it
  // holds (the batches after them were committed while they were written).
  std::thread refresher([&] {
    while (!done) {
      if (!reader->Refresh().ok()) ++failures;
    }
  });
  for (int compaction = 0; compaction < 4; ++compaction) REQUIRE_OK(store->Compact());
  done = true;
  committer.join();
  refresher.join();
  CHECK(failures == 0);
  REQUIRE_OK(reader->Refresh());
  const StoreStats seen = reader->Stats();
  CHECK(seen.last_sequence == store->Stats().last_sequence);
  CHECK(seen.journal_batches == seen.last_sequence - seen.snapshot_sequence);
  reader.reset();
  // Every batch is one journal entry: those after the snapshot are the
  // journal, though some were committed after the snapshot was encoded.
  const StoreStats stats = store->Stats();
  CHECK(stats.snapshot_bytes > 3 * persist::kStageChunksPerTransaction * 4096);
  CHECK(stats.compactions == 4);
  CHECK(stats.journal_batches == stats.last_sequence - stats.snapshot_sequence);
  CHECK_OK(store->Verify());
  const RegistryRows before = SortedRows(store->Read());
  store.reset();
  auto reopened = OpenStore(options);
  CheckSameRows(SortedRows(reopened->Read()), before);
  CHECK(reopened->Stats().snapshot_sequence == stats.snapshot_sequence);
  CHECK(reopened->Stats().journal_batches == stats.journal_batches);
  CHECK(reopened->Stats().journal_bytes == stats.journal_bytes);
}

TEST_CASE("with background_compaction a thread of the store compacts, and stops when it closes") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;
  options.background_compaction = true;
  options.min_journal_bytes = 2000;
  RegistryRows before;
  {
    auto store = OpenStore(options);
    REQUIRE_OK(store->Apply(SampleBatch()));
    // Each commit past the threshold wakes the thread; go on until it has
    // compacted three times.
    Id id = 10;
    for (; store->Stats().compactions < 3; ++id) {
      REQUIRE(id < 1'000'000);
      REQUIRE_OK(store->Apply(
          Batch().Insert(MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@x.org"))));
    }
    CHECK(store->Stats().last_compaction_error == "");
    // A requested compaction waits for one under way, then writes its own.
    REQUIRE_OK(store->Compact());
    const StoreStats stats = store->Stats();
    CHECK(stats.snapshot_sequence == stats.last_sequence);
    CHECK(stats.journal_batches == 0);
    // Closing while the thread may be compacting: it stops between two
    // transactions, and the next open drops what it wrote.
    REQUIRE_OK(store->Apply(LongNamedUsers(id, 12000)));
    for (Id gone = id; gone < id + 100; ++gone) REQUIRE_OK(store->Apply(Batch().Erase<User>(gone)));
    before = SortedRows(store->Read());
  }
  auto store = OpenStore(options);
  CheckSameRows(SortedRows(store->Read()), before);
  CHECK_OK(store->Verify());
}

TEST_CASE("the map grows by itself: a full map never reaches the caller") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.initial_map_size = 256u << 10;
  options.min_journal_bytes = 64u << 10;  // compactions need room for two snapshots
  options.sync = SyncMode::kNoSync;       // thousands of commits; durability is tested elsewhere
  std::size_t first_map_size = 0;
  {
    auto store = OpenStore(options);
    first_map_size = store->Stats().map_size;
    for (Id id = 1; id <= 3000; ++id) {
      User user = MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@x.org");
      user.name = std::string(300, 'n');
      auto applied = store->Apply(Batch().Insert(user));
      REQUIRE_OK(applied);
    }
    StoreStats stats = store->Stats();
    CHECK(stats.map_size > first_map_size);
    CHECK(stats.map_used <= stats.map_size);
    CHECK(stats.compactions >= 1);
  }
  // Reopening with the small starting size keeps the grown map.
  auto store = OpenStore(options);
  CHECK(store->Read().counts().users == 3000);
  CHECK(store->Stats().map_size > first_map_size);
  CHECK_OK(store->Verify());
}

TEST_CASE("writers, readers and compactions on several threads agree with the disk") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;
  options.min_journal_bytes = 4096;
  options.initial_map_size = 512u << 10;
  auto store = OpenStore(options);
  constexpr int kWriters = 3, kBatches = 150;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kBatches; ++i) {
        const std::string key = std::to_string(w) + "-" + std::to_string(i);
        if (!store->Apply(Batch().Insert(MakeUser(0, "U-" + key, key + "@x.org"))).ok()) {
          ++failures;
        }
      }
    });
  }
  threads.emplace_back([&] {
    while (!done) {
      if (!store->Compact().ok()) ++failures;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  threads.emplace_back([&] {
    std::uint64_t last = 0;
    while (!done) {
      View view = store->Read();
      if (view.sequence() < last || view.counts().users != view.sequence()) ++failures;
      last = view.sequence();
    }
  });
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  done = true;
  for (std::size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  CHECK(failures == 0);
  CHECK(store->Read().counts().users == kWriters * kBatches);
  CHECK(store->Stats().last_compaction_error == "");
  CHECK_OK(store->Verify());
  RegistryRows before = SortedRows(store->Read());
  store.reset();
  CheckSameRows(SortedRows(OpenStore(options)->Read()), before);
}

TEST_CASE("a failed commit leaves the registry and the disk unchanged") {
  TempDir dir;
  const StoreOptions options = StoreAt(dir.Path("data"));
  auto store = OpenStore(options);
  REQUIRE_OK(store->Apply(SampleBatch()));
  RegistryRows before = SortedRows(store->Read());

  persist::lmdb::SetFaultHook(
      [](std::string_view call) { return call == "mdb_txn_commit" ? EIO : 0; });
  auto failed = store->Apply(AwkwardBatch());
  persist::lmdb::SetFaultHook(nullptr);
  REQUIRE(!failed.ok());
  CHECK(failed.status().code() == ErrorCode::kIo);
  CHECK(failed.status().message() == options.path +
                                         ": mdb_txn_commit: Input/output error; in committing "
                                         "batch 2 to the journal");
  CHECK(store->Read().sequence() == 1);
  CheckSameRows(SortedRows(store->Read()), before);
  CHECK(store->Stats().journal_batches == 1);

  // The same batch goes through once the disk is back, under sequence 2.
  auto retried = store->Apply(AwkwardBatch());
  REQUIRE_OK(retried);
  CHECK(retried->sequence == 2);
  store.reset();
  auto reopened = OpenStore(options);
  CHECK(reopened->Read().sequence() == 2);
  CHECK(reopened->Read().FindClient(5) != nullptr);
}

TEST_CASE("a failed commit after a restart is not visible either") {
  TempDir dir;
  const StoreOptions options = StoreAt(dir.Path("data"));
  {
    auto store = OpenStore(options);
    REQUIRE_OK(store->Apply(SampleBatch()));
    persist::lmdb::SetFaultHook(
        [](std::string_view call) { return call == "mdb_put" ? ENOSPC : 0; });
    auto failed = store->Apply(AwkwardBatch());
    persist::lmdb::SetFaultHook(nullptr);
    CHECK(failed.status().code() == ErrorCode::kIo);
  }
  auto store = OpenStore(options);
  CHECK(store->Read().sequence() == 1);
  CHECK(store->Read().FindClient(5) == nullptr);
}

TEST_CASE("an injected MDB_MAP_FULL is answered by growing the map and committing") {
  TempDir dir;
  auto store = OpenStore(StoreAt(dir.Path("data")));
  const std::size_t map_size = store->Stats().map_size;
  int failures = 2;
  persist::lmdb::SetFaultHook([&failures](std::string_view call) {
    return call == "mdb_put" && failures-- > 0 ? MDB_MAP_FULL : 0;
  });
  auto applied = store->Apply(SampleBatch());
  persist::lmdb::SetFaultHook(nullptr);
  REQUIRE_OK(applied);
  CHECK(store->Stats().map_size == 4 * map_size);
}

// A writer holding SampleBatch() and a read-only store on the same directory.
struct WriterAndReader {
  TempDir dir;
  std::unique_ptr<Store> writer;
  std::unique_ptr<Store> reader;
};

std::unique_ptr<WriterAndReader> OpenWriterAndReader() {
  auto stores = std::make_unique<WriterAndReader>();
  StoreOptions options = StoreAt(stores->dir.Path("data"));
  stores->writer = OpenStore(options);
  REQUIRE_OK(stores->writer->Apply(SampleBatch()));
  options.read_only = true;
  stores->reader = OpenStore(options);
  return stores;
}

TEST_CASE("a read-only store sees the writer's batches after Refresh, also across compactions") {
  auto stores = OpenWriterAndReader();
  Store* writer = stores->writer.get();
  Store* reader = stores->reader.get();
  CHECK(reader->Read().sequence() == 1);

  REQUIRE_OK(writer->Apply(AwkwardBatch()));
  CHECK(reader->Read().sequence() == 1);
  REQUIRE_OK(reader->Refresh());
  CHECK(reader->Read().sequence() == 2);
  CHECK(reader->Stats().journal_batches == 2);

  SUBCASE("compacted exactly up to the reader") {
    REQUIRE_OK(writer->Compact());
    REQUIRE_OK(writer->Apply(UpdateBatch()));
    REQUIRE_OK(reader->Refresh());
    CHECK(reader->Stats().snapshot_sequence == 2);
    CHECK(reader->Stats().journal_batches == 1);
  }
  SUBCASE("compacted past the reader") {
    const Registry* before = &reader->registry();
    std::optional<View> old_view = reader->Read();
    const TableCounts old_counts = old_view->counts();
    REQUIRE_OK(writer->Apply(UpdateBatch()));
    REQUIRE_OK(writer->Compact());
    REQUIRE_OK(reader->Refresh());
    CHECK(reader->Stats().snapshot_sequence == 3);
    CHECK(reader->Stats().journal_batches == 0);
    // A View taken before the reload stays usable, so its registry is kept...
    CHECK(reader->Stats().retired_registries == 1);
    CHECK(old_view->sequence() == 2);
    CHECK(before->LastSequence() == 2);
    CHECK(old_view->counts() == old_counts);
    for (const User& user : old_view->Rows<User>()) CHECK(old_view->FindUser(user.id) == &user);
    // ...until the View is gone: the next Refresh frees it (ASan checks
    // that nothing still points into it).
    old_view.reset();
    REQUIRE_OK(reader->Refresh());
    CHECK(reader->Stats().retired_registries == 0);
  }
  CHECK(reader->Read().sequence() == 3);
  CheckSameRows(SortedRows(reader->Read()), SortedRows(writer->Read()));
  CHECK_OK(reader->Verify());
  CHECK_OK(writer->Verify());
}

TEST_CASE("readers keep reading while a read-only store reloads again and again") {
  // Store::Read on two threads while the writer compacts past the read-only
  // store before each of its Refreshes, so every Refresh reloads and frees
  // what the readers no longer use. Under ASan, a registry freed while a
  // reader could still reach it is a use-after-free report.
  auto stores = OpenWriterAndReader();
  Store* writer = stores->writer.get();
  Store* reader = stores->reader.get();
  constexpr std::size_t kSampleUsers = 5;  // in SampleBatch()

  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> views{0};
  std::atomic<bool> consistent{true};
  auto read_loop = [&] {
    while (!done.load()) {
      View view = reader->Read();
      // Each batch below adds one user: a state's user count follows from
      // its sequence, in whichever registry the view landed.
      const std::size_t users = view.counts().users;
      if (users != kSampleUsers + (view.sequence() - 1)) consistent = false;
      for (const User& user : view.Rows<User>()) {
        if (view.FindUserByExternalId(user.external_id) != &user) consistent = false;
      }
      views.fetch_add(1);
    }
  };
  std::thread first(read_loop);
  std::thread second(read_loop);
  for (int round = 0; round < 40; ++round) {
    User user;
    user.external_id = "reload-" + std::to_string(round);
    user.email = "reload-" + std::to_string(round) + "@example.com";
    user.name = "Reload";
    // No REQUIRE while the readers run: it would leave them unjoined.
    Status step = writer->Apply(Batch().Insert(user)).status();
    if (step.ok()) step = writer->Compact();
    if (step.ok()) step = reader->Refresh();
    CHECK_OK(step);
    if (!step.ok()) break;
    CHECK(reader->Read().sequence() == writer->Read().sequence());
  }
  done = true;
  first.join();
  second.join();
  CHECK(consistent.load());
  CHECK(views.load() > 0);
  REQUIRE_OK(reader->Refresh());  // no View is left: every earlier registry goes
  CHECK(reader->Stats().retired_registries == 0);
}

TEST_CASE("a second writer is refused, in this process and in another") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  {
    auto writer = OpenStore(options);
    REQUIRE_OK(writer->Apply(SampleBatch()));
    const std::string refusal =
        options.path +
        ": another store has this data directory open for writing (only one writer at a time; "
        "open it read-only instead)";
    auto second = Store::Open(options);
    CHECK(second.status().code() == ErrorCode::kIo);
    CHECK(second.status().message() == refusal + "; in opening the store");
    Child child({kHelper, "check", options.path});
    CHECK(child.ReadLine() == "error I/O error: " + refusal + "; in opening the store");
    // Readers are welcome meanwhile.
    StoreOptions read_only = options;
    read_only.read_only = true;
    CHECK(OpenStore(read_only)->Read().sequence() == 1);
  }
  CHECK(OpenStore(options)->Read().sequence() == 1);
}

TEST_CASE("a read-only store refuses writes") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  OpenStore(options);
  options.read_only = true;
  auto store = OpenStore(options);
  auto applied = store->Apply(SampleBatch());
  CHECK(applied.status().code() == ErrorCode::kReadOnly);
  CHECK(applied.status().message() ==
        options.path + ": opened read-only; applying a batch needs the writing process");
  CHECK(store->Compact().code() == ErrorCode::kReadOnly);
}

TEST_CASE("a read-only open of a missing or empty directory is refused as not found") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("missing"));
  options.read_only = true;
  auto missing = Store::Open(options);
  CHECK(missing.status().code() == ErrorCode::kNotFound);
  CHECK(missing.status().message() ==
        options.path +
            ": no such data directory (a read-only store cannot create one); in opening the store");
  CHECK(!std::filesystem::exists(options.path));

  std::filesystem::create_directory(options.path);
  auto empty = Store::Open(options);
  CHECK(empty.status().code() == ErrorCode::kNotFound);
  CHECK(empty.status().message() ==
        options.path + ": holds no hubreg registry (data.mdb is missing); in opening the store");

  StoreOptions no_create = StoreAt(dir.Path("absent"));
  no_create.create_if_missing = false;
  CHECK(Store::Open(no_create).status().code() == ErrorCode::kNotFound);
}

TEST_CASE("a read-only store in another process sees the writer's batches after Refresh") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(SampleBatch()));

  Child reader({kHelper, "reader", options.path});
  reader.Send("refresh");
  CHECK(reader.ReadLine() == "0 1 5");
  REQUIRE_OK(writer->Apply(AwkwardBatch()));
  reader.Send("refresh");
  CHECK(reader.ReadLine() == "0 2 6");
  // Past a compaction, and past enough growth that the writer's map moved.
  REQUIRE_OK(writer->Compact());
  for (Id id = 100; id < 400; ++id) {
    User user = MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@x.org");
    user.name = std::string(400, 'n');
    REQUIRE_OK(writer->Apply(Batch().Insert(user)));
    if (id % 100 == 0) REQUIRE_OK(writer->Compact());
  }
  reader.Send("refresh");
  CHECK(reader.ReadLine() == "0 302 306");
}

TEST_CASE("a read-only store follows a writer whose map has grown") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.initial_map_size = 256u << 10;
  options.sync = SyncMode::kNoSync;
  auto writer = OpenStore(options);
  StoreOptions read_only = options;
  read_only.read_only = true;
  auto reader = OpenStore(read_only);
  const std::size_t map_size = writer->Stats().map_size;
  for (Id id = 1; id <= 2000; ++id) {
    User user = MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@x.org");
    user.name = std::string(200, 'n');
    REQUIRE_OK(writer->Apply(Batch().Insert(user)));
  }
  REQUIRE(writer->Stats().map_size > map_size);
  REQUIRE_OK(reader->Refresh());
  CHECK(reader->Read().counts().users == 2000);
}

TEST_CASE("reader slots of killed processes are cleared when a store opens") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  OpenStore(options);
  // The first process to open an environment resets its reader table, so
  // another one keeps it open throughout, as a long-running reader would.
  Child keeper({kHelper, "hold-open", options.path});
  REQUIRE(keeper.ReadLine() == "ready");
  Child holder({kHelper, "hold-read", options.path});
  REQUIRE(holder.ReadLine() == "ready");
  const std::string pid = " " + std::to_string(holder.pid()) + " ";
  holder.Kill();
  holder.Wait();
  REQUIRE(ReaderListing(options.path).find(pid) != std::string::npos);
  OpenStore(options);
  CHECK(ReaderListing(options.path).find(pid) == std::string::npos);
}

TEST_CASE("a v1.0 snapshot stored in the data directory is migrated on open") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  {
    StatusOr<std::unique_ptr<persist::DataDirectory>> directory =
        persist::DataDirectory::Open(options);
    REQUIRE_OK(directory);
    std::string payload = EncodeV10Payload(V10Clients(), V10Users(), V10Links());
    REQUIRE_OK((*directory)->Write([&](persist::lmdb::Txn& txn) {
      return persist::WriteSnapshotPayload(txn, (*directory)->dbs(), persist::kSchemaV10, 7,
                                           payload)
          .status();
    }));
  }
  {
    auto store = OpenStore(options);
    CHECK(store->Read().sequence() == 7);
    CHECK(store->Read().counts() == TableCounts{0, 0, 3, 4, 5});
    CHECK(store->Read().FindClient(1)->threecolts_organization_id == kNoId);
    CHECK(store->Stats().compactions == 1);  // the migrated snapshot was written back
  }
  StatusOr<std::unique_ptr<persist::DataDirectory>> directory =
      persist::DataDirectory::Open(options);
  REQUIRE_OK(directory);
  auto reader = (*directory)->BeginRead();
  REQUIRE_OK(reader);
  auto header = persist::ReadSnapshotHeader(reader->txn(), (*directory)->dbs());
  REQUIRE_OK(header);
  CHECK(header->schema_version == persist::kSchemaV12);
  CHECK(header->sequence == 7);
}

TEST_CASE("sync modes all commit every batch") {
  for (SyncMode mode : {SyncMode::kFull, SyncMode::kNoMetaSync, SyncMode::kNoSync}) {
    TempDir dir;
    StoreOptions options = StoreAt(dir.Path("data"));
    options.sync = mode;
    CHECK_OK(OpenStore(options)->Apply(SampleBatch()));
    CHECK(OpenStore(options)->Read().sequence() == 1);
  }
}
