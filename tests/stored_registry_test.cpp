// Reading a data directory or snapshot file as plain rows
// (hubreg/stored_registry.h) gives what Store::Open builds.
#include "hubreg/stored_registry.h"

#include <doctest/doctest.h>

#include <fstream>
#include <random>

#include "codec.h"
#include "data_directory.h"
#include "feed_testutil.h"
#include "store_layout.h"
#include "store_testutil.h"
#include "temp_dir.h"

namespace hubreg::test {
namespace {

// What a read-only Store::Open of `path` holds, in the reader's order, and
// its stats.
RegistryRows OpenedRows(const std::string& path, StoreStats* stats) {
  StoreOptions options = StoreAt(path);
  options.read_only = true;
  auto store = OpenStore(options);
  *stats = store->Stats();
  return SortedRows(store->Read());
}

// The rows (and their counts) are those Store::Open loads from `path`.
void CheckSameAsStore(const std::string& path, const StoredRegistry& read) {
  StoreStats stats;
  RegistryRows opened = OpenedRows(path, &stats);
  CHECK(read.stats.last_sequence == stats.last_sequence);
  CHECK(read.stats.counts == stats.counts);
  CHECK(read.stats.open_seconds > 0);
  RegistryRows rows = read.rows;
  // Links come sorted by (user, client); SortRows orders them by (client, user).
  CHECK(std::is_sorted(rows.links.begin(), rows.links.end(), [](const auto& a, const auto& b) {
    return std::pair(a.user_id, a.client_id) < std::pair(b.user_id, b.client_id);
  }));
  CHECK(std::is_sorted(rows.users.begin(), rows.users.end(),
                       [](const auto& a, const auto& b) { return a.id < b.id; }));
  SortRows(rows);
  CheckSameRows(rows, opened);
}

// The stats of a data directory read as rows are those Store::Stats reports
// of a read-only Store opened on it.
void CheckSameStatsAsStore(const std::string& path, const StoredRegistry& read) {
  StoreStats stats;
  OpenedRows(path, &stats);
  CHECK(read.stats.snapshot_sequence == stats.snapshot_sequence);
  CHECK(read.stats.snapshot_bytes == stats.snapshot_bytes);
  CHECK(read.stats.journal_batches == stats.journal_batches);
  CHECK(read.stats.journal_bytes == stats.journal_bytes);
  CHECK(read.stats.map_size == stats.map_size);
  CHECK(read.stats.commit_signal == stats.commit_signal);
}

// Random batches (inserts, updates, erases with their cascades) on the
// sample registry; a compaction after `compact_after` of them, so the rest
// are in the journal.
void WriteRandomDirectory(const std::string& path, unsigned seed, int batches, int compact_after) {
  std::mt19937 random(seed);
  StoreOptions options = StoreAt(path);
  options.min_journal_bytes = UINT64_MAX;  // compactions only when asked
  options.sync = SyncMode::kNoSync;        // what is read is what was written, crash or not
  auto store = OpenStore(options);
  REQUIRE_OK(store->Apply(SampleBatch()));
  for (int round = 0; round < batches; ++round) {
    if (round == compact_after) REQUIRE_OK(store->Compact());
    const RegistryRows before = SortedRows(store->Read());
    static_cast<void>(store->Apply(RandomBatch(random, before)));  // some break a rule
  }
}

TEST_CASE("a data directory read as rows equals what Store::Open loads") {
  for (unsigned seed : {20261201u, 7u, 99u}) {
    INFO("seed ", seed);
    TempDir dir;
    const std::string path = dir.Path("data");
    WriteRandomDirectory(path, seed, 120, 40);
    StatusOr<StoredRegistry> read = ReadStoredRegistry(path);
    REQUIRE_OK(read);
    CHECK_FALSE(read->opened_store);
    CHECK(read->stats.journal_batches > 0);
    CHECK(read->stats.snapshot_sequence + read->stats.journal_batches == read->stats.last_sequence);
    CHECK(read->stats.map_size >= read->stats.map_used);
    CheckSameAsStore(path, *read);
    CheckSameStatsAsStore(path, *read);
  }
}

TEST_CASE("a directory with only a snapshot, and one with only a journal, read the same") {
  TempDir dir;
  const std::string journal_only = dir.Path("journal");
  WriteRandomDirectory(journal_only, 3, 30, -1);
  StatusOr<StoredRegistry> read = ReadStoredRegistry(journal_only);
  REQUIRE_OK(read);
  CHECK(read->stats.snapshot_sequence == 0);
  CheckSameAsStore(journal_only, *read);

  const std::string snapshot_only = dir.Path("snapshot");
  WriteRandomDirectory(snapshot_only, 4, 30, 30);
  {
    auto store = OpenStore(StoreAt(snapshot_only));
    REQUIRE_OK(store->Compact());
  }
  read = ReadStoredRegistry(snapshot_only);
  REQUIRE_OK(read);
  CHECK(read->stats.journal_batches == 0);
  CheckSameAsStore(snapshot_only, *read);
}

TEST_CASE("a snapshot file read as rows holds the saved state") {
  TempDir dir;
  const std::string path = dir.Path("data");
  WriteRandomDirectory(path, 5, 40, 20);
  const std::string file = dir.Path("backup.snap");
  {
    auto store = OpenStore(StoreAt(path));
    REQUIRE_OK(store->SaveSnapshotFile(file));
  }
  StatusOr<StoredRegistry> read = ReadStoredSnapshotFile(file);
  REQUIRE_OK(read);
  CHECK(read->stats.journal_batches == 0);
  CheckSameAsStore(path, *read);

  // One flipped payload byte: the file checksum names it.
  std::fstream bytes(file, std::ios::in | std::ios::out | std::ios::binary);
  bytes.seekp(100);
  bytes.put('\x7f');
  bytes.close();
  read = ReadStoredSnapshotFile(file);
  REQUIRE_FALSE(read.ok());
  CHECK(read.status().code() == ErrorCode::kCorruption);
  CHECK(read.status().message().find(file + ": checksum mismatch") == 0);
}

TEST_CASE("a damaged journal entry is reported with its sequence") {
  TempDir dir;
  const std::string path = dir.Path("data");
  WriteRandomDirectory(path, 6, 10, -1);
  {
    auto directory = persist::DataDirectory::Open(StoreAt(path));
    REQUIRE_OK(directory);
    REQUIRE_OK((*directory)->Write([&](persist::lmdb::Txn& txn) -> Status {
      return txn.Put((*directory)->dbs().journal, persist::JournalKey(2), "\1\2\3\4garbage");
    }));
  }
  StatusOr<StoredRegistry> read = ReadStoredRegistry(path);
  REQUIRE_FALSE(read.ok());
  CHECK(read.status().code() == ErrorCode::kCorruption);
  CHECK(read.status().message().find(path + ": journal entry 2: checksum mismatch") == 0);
  StatusOr<DirectoryLayout> layout = InspectDataDirectory(path, 0);
  REQUIRE_FALSE(layout.ok());
  CHECK(layout.status().message() == read.status().message());
  CHECK(ReadStoredRegistry(dir.Path("none")).status().code() == ErrorCode::kNotFound);
}

TEST_CASE("journal entries from before the change feed are read through a full open") {
  TempDir dir;
  const std::string path = dir.Path("data");
  std::vector<Batch> applied;
  {
    auto store = OpenStore(StoreAt(path));
    for (const Batch& batch : {SampleBatch(), Batch().Unlink(3, 3), Batch().Erase<User>(5)}) {
      StatusOr<CommitResult> result = store->Apply(batch);
      REQUIRE_OK(result);
      applied.push_back(result->applied);
    }
  }
  {
    auto directory = persist::DataDirectory::Open(StoreAt(path));
    REQUIRE_OK(directory);
    REQUIRE_OK((*directory)->Write([&](persist::lmdb::Txn& txn) -> Status {
      HUBREG_RETURN_IF_ERROR(txn.Delete((*directory)->dbs().journal, persist::JournalKey(3)));
      return persist::PutJournalEntry(txn, (*directory)->dbs(), 3, persist::EncodeBatch(applied[2]))
          .status();
    }));
  }
  StoreOptions reopen = StoreAt(path);
  reopen.accept_rollback = true;  // the commit record names the entry rewritten here
  OpenStore(reopen).reset();
  StatusOr<StoredRegistry> read = ReadStoredRegistry(path);
  REQUIRE_OK(read);
  CHECK(read->opened_store);
  CHECK(read->stats.last_sequence == 3);
  CheckSameAsStore(path, *read);
  CheckSameStatsAsStore(path, *read);
}

TEST_CASE("inspecting a directory lists its journal entries") {
  TempDir dir;
  const std::string path = dir.Path("data");
  {
    auto store = OpenStore(StoreAt(path));
    REQUIRE_OK(store->Apply(SampleBatch()));
    REQUIRE_OK(store->Compact());
    REQUIRE_OK(store->Apply(Batch().Erase<Client>(1)));  // and its three links
    REQUIRE_OK(store->Apply(Batch().Insert(MakeUser(kNoId, "U-9", "nia@example.com"))));
  }
  StatusOr<DirectoryLayout> layout = InspectDataDirectory(path, 0);
  REQUIRE_OK(layout);
  CHECK(layout->format_version == persist::kStoreFormatVersion);
  CHECK(layout->schema_version == persist::kCurrentSchema);
  CHECK(layout->snapshot_sequence == 1);
  CHECK(layout->snapshot_chunks >= 1);
  REQUIRE(layout->journal_entries == 3);  // the feed's window keeps entry 1
  REQUIRE(layout->entries.size() == 3);
  CHECK(layout->entries[0].covered);
  CHECK(layout->entries[1].sequence == 2);
  CHECK_FALSE(layout->entries[1].covered);
  CHECK(layout->entries[1].entry_version == 2);
  CHECK(layout->entries[1].mutations == 4);  // as replayed: the cascade is explicit
  CHECK(layout->entries[1].changes == 4);
  CHECK(layout->entries[1].committed_at != Timestamp{});
  CHECK(layout->map_size >= layout->map_used);
  CHECK(layout->page_size >= 4096);
  layout = InspectDataDirectory(path, 1);
  REQUIRE_OK(layout);
  REQUIRE(layout->entries.size() == 1);
  CHECK(layout->entries[0].sequence == 3);
  CHECK(layout->journal_entries == 3);
}

}  // namespace
}  // namespace hubreg::test
