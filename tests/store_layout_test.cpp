// The data directory's LMDB layout, format version 3: the snapshot stored in
// one-page chunks, freed pages reused by later snapshots so that steady
// writes do not grow data.mdb; directories of format version 1 (the
// snapshot as one value) and 2 (no change-feed journal entries) read as they
// are and upgraded by a writer; newer formats refused.
#include "store_layout.h"

#include <doctest/doctest.h>
#include <lmdb.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "checksum.h"
#include "codec.h"
#include "compaction.h"
#include "data_directory.h"
#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

namespace fs = std::filesystem;

// `count` users from id `first` on: enough rows for a snapshot of many pages.
Batch ManyUsers(Id first, Id count) {
  Batch batch;
  for (Id id = first; id < first + count; ++id) {
    batch.Insert(MakeUser(id, "U-" + std::to_string(id), "user" + std::to_string(id) + "@x.org"));
  }
  return batch;
}

Batch Rename(const Store& store, Id id, const std::string& name) {
  User user = *store.Read().FindUser(id);
  user.name = name;
  return std::move(Batch().Update(std::move(user)));
}

std::string Little32(std::uint32_t value) {
  std::string bytes(4, '\0');
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

std::string Little64(std::uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

std::unique_ptr<persist::DataDirectory> OpenDirectory(const std::string& path, bool read_only) {
  StoreOptions options = StoreAt(path);
  options.read_only = read_only;
  auto directory = persist::DataDirectory::Open(options);
  REQUIRE_OK(directory);
  return std::move(*directory);
}

// Rewrites the closed data directory at `path` in format version 1, the
// layout hubreg wrote before snapshots were chunked: meta "format_version"
// = u32 LE 1; snapshot "header" = 24 bytes (u32 schema, u32 CRC-32C of the
// payload, u64 sequence, u64 payload length, all LE); snapshot "payload" =
// the encoded snapshot as one value. `payload` becomes the snapshot at
// `sequence`; journal entries up to it are dropped, later ones kept. Spelled
// out here byte by byte rather than with the store's code, so the test keeps
// checking what old directories really hold.
void RewriteAsFormatVersion1(const std::string& path, std::uint64_t sequence,
                             const std::string& payload, std::uint32_t stored_crc) {
  auto directory = OpenDirectory(path, /*read_only=*/false);
  REQUIRE_OK(directory->Write([&](persist::lmdb::Txn& txn) -> Status {
    const persist::StoreDbs& dbs = directory->dbs();
    HUBREG_RETURN_IF_ERROR(txn.Clear(dbs.snapshot));
    const std::string header = Little32(persist::kSchemaV12) + Little32(stored_crc) +
                               Little64(sequence) + Little64(payload.size());
    HUBREG_RETURN_IF_ERROR(txn.Put(dbs.snapshot, "header", header));
    HUBREG_RETURN_IF_ERROR(txn.Put(dbs.snapshot, "payload", payload));
    HUBREG_RETURN_IF_ERROR(txn.Put(dbs.meta, "format_version", Little32(1)));
    for (std::uint64_t s = 1; s <= sequence; ++s) {
      HUBREG_RETURN_IF_ERROR(txn.Delete(dbs.journal, persist::JournalKey(s)));
    }
    return Status::Ok();
  }));
}

// Sets meta "format_version" of the closed data directory at `path`.
void WriteFormatVersion(const std::string& path, std::uint32_t version) {
  auto directory = OpenDirectory(path, /*read_only=*/false);
  REQUIRE_OK(directory->Write([&](persist::lmdb::Txn& txn) -> Status {
    return txn.Put(directory->dbs().meta, "format_version", Little32(version));
  }));
}

// meta "format_version" of the closed data directory at `path`, read with
// LMDB's own calls (the store's code refuses some of the values tested).
std::uint32_t RawFormatVersion(const std::string& path) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_maxdbs(env, persist::kMaxDatabases) == 0);
  REQUIRE(mdb_env_open(env, path.c_str(), MDB_RDONLY, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
  MDB_dbi meta = 0;
  REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
  std::string key = "format_version";
  MDB_val k{key.size(), key.data()};
  MDB_val v{};
  REQUIRE(mdb_get(txn, meta, &k, &v) == 0);
  std::uint32_t version = 0;
  REQUIRE(v.mv_size == 4);
  std::memcpy(&version, v.mv_data, 4);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return version;
}

// What the directory at `path` holds, read without upgrading it.
struct Layout {
  std::uint32_t format_version = 0;
  persist::SnapshotHeader header;
  bool has_single_value_payload = false;
  MDB_stat snapshot_db{};
  std::size_t page_size = 0;
};

Layout ReadLayout(const std::string& path) {
  auto directory = OpenDirectory(path, /*read_only=*/true);
  auto reader = directory->BeginRead();
  REQUIRE_OK(reader);
  Layout layout;
  auto format = reader->txn().Get(directory->dbs().meta, "format_version");
  REQUIRE_OK(format);
  REQUIRE(format->has_value());
  REQUIRE((*format)->size() == 4);
  std::memcpy(&layout.format_version, (*format)->data(), 4);
  auto header = persist::ReadSnapshotHeader(reader->txn(), directory->dbs());
  REQUIRE_OK(header);
  layout.header = *header;
  auto payload = reader->txn().Get(directory->dbs().snapshot, "payload");
  REQUIRE_OK(payload);
  layout.has_single_value_payload = payload->has_value();
  REQUIRE(mdb_stat(reader->txn().handle(), directory->dbs().snapshot, &layout.snapshot_db) == 0);
  MDB_stat env{};
  REQUIRE(mdb_env_stat(directory->env().handle(), &env) == 0);
  layout.page_size = env.ms_psize;
  return layout;
}

// A data directory of format version 1: a snapshot at sequence 2 (the
// sample rows and 200 users) and batch 3 in the journal.
struct Version1Directory {
  std::string path;
  std::string payload;
  TableCounts counts;
};

Version1Directory MakeVersion1Directory(const TempDir& dir, bool damage_payload = false) {
  Version1Directory made;
  made.path = dir.Path("data");
  {
    auto store = OpenStore(StoreAt(made.path));
    REQUIRE_OK(store->Apply(SampleBatch()));
    REQUIRE_OK(store->Apply(ManyUsers(100, 200)));
    made.payload = persist::EncodeSnapshot(store->Read());
    REQUIRE_OK(store->Apply(Rename(*store, 100, "renamed in batch 3")));
    made.counts = store->Read().counts();
  }
  const std::uint32_t crc = persist::ComputeCrc32c(made.payload);
  std::string stored = made.payload;
  if (damage_payload) stored[stored.size() / 2] ^= 0x10;
  RewriteAsFormatVersion1(made.path, 2, stored, crc);
  return made;
}

}  // namespace

TEST_CASE("a snapshot is stored in chunks of one page each, keyed by sequence and index") {
  TempDir dir;
  const std::string path = dir.Path("data");
  std::uint64_t payload_bytes = 0;
  {
    auto store = OpenStore(StoreAt(path));
    REQUIRE_OK(store->Apply(ManyUsers(1, 400)));
    REQUIRE_OK(store->Compact());
    payload_bytes = store->Stats().snapshot_bytes;
  }
  const Layout layout = ReadLayout(path);
  CHECK(layout.format_version == 3);
  CHECK(layout.header.sequence == 1);
  CHECK(layout.header.payload_bytes == payload_bytes);
  CHECK(layout.header.chunk_bytes == layout.page_size - 16);
  const std::uint64_t chunks =
      (payload_bytes + layout.header.chunk_bytes - 1) / layout.header.chunk_bytes;
  CHECK(chunks >= 5);
  CHECK(layout.header.chunk_count == chunks);
  // A chunk takes at most one page: any single free page fits it.
  CHECK(layout.snapshot_db.ms_overflow_pages <= chunks);
  CHECK(layout.snapshot_db.ms_overflow_pages >= chunks - 1);  // a short last chunk may be inline
  CHECK(layout.snapshot_db.ms_entries == chunks + 1);         // the chunks and "header"
  CHECK(!layout.has_single_value_payload);

  auto directory = OpenDirectory(path, /*read_only=*/true);
  auto reader = directory->BeginRead();
  REQUIRE_OK(reader);
  for (std::uint32_t index : {0u, static_cast<std::uint32_t>(chunks - 1)}) {
    auto chunk = reader->txn().Get(directory->dbs().snapshot, persist::SnapshotChunkKey(1, index));
    REQUIRE_OK(chunk);
    CHECK(chunk->has_value());
  }
  CHECK(persist::SnapshotChunkKey(1, 2) == std::string("\0\0\0\0\0\0\0\1\0\0\0\2", 12));
  CHECK(OpenStore(StoreAt(path))->Read().counts().users == 400);
}

// A data directory with a snapshot at batch 1 (1000 users) and batches 2
// and 3 in the journal, and the encoded state after batch 2: a snapshot a
// compaction could have encoded at batch 2 while batch 3 was committed.
struct StagingDirectory {
  std::string path;
  std::string payload_at_2;
  RegistryRows rows;  // after batch 3
};

StagingDirectory MakeStagingDirectory(const TempDir& dir) {
  StagingDirectory made;
  made.path = dir.Path("data");
  auto store = OpenStore(StoreAt(made.path));
  REQUIRE_OK(store->Apply(ManyUsers(1, 1000)));
  REQUIRE_OK(store->Compact());
  REQUIRE_OK(store->Apply(Rename(*store, 1, "renamed in batch 2")));
  made.payload_at_2 = persist::EncodeSnapshot(store->Read());
  REQUIRE_OK(store->Apply(Rename(*store, 2, "renamed in batch 3")));
  made.rows = SortedRows(store->Read());
  return made;
}

// Plans the snapshot of `made` at batch 2 and writes its first `chunks`
// chunks (every one with UINT32_MAX), each step in a transaction of its own.
persist::SnapshotHeader StageAt2(persist::DataDirectory& directory, const StagingDirectory& made,
                                 std::uint32_t chunks) {
  persist::SnapshotHeader header;
  REQUIRE_OK(directory.Write([&](persist::lmdb::Txn& txn) -> Status {
    auto planned = persist::PlanStagedSnapshot(txn, directory.dbs(), persist::kCurrentSchema, 2,
                                               made.payload_at_2);
    if (!planned.ok()) return planned.status();
    header = *planned;
    return Status::Ok();
  }));
  for (std::uint32_t next = 0; next < std::min(chunks, header.chunk_count);) {
    REQUIRE_OK(directory.Write([&](persist::lmdb::Txn& txn) -> Status {
      auto end =
          persist::StageSnapshotChunks(txn, directory.dbs(), header, made.payload_at_2, next, 1);
      if (!end.ok()) return end.status();
      CHECK(*end == next + 1);
      next = *end;
      return Status::Ok();
    }));
  }
  return header;
}

TEST_CASE("a snapshot staged in several transactions is read only once switched to") {
  TempDir dir;
  const StagingDirectory made = MakeStagingDirectory(dir);
  const std::uint64_t stored_chunks = ReadLayout(made.path).header.chunk_count;
  persist::SnapshotHeader header;

  SUBCASE("written in part, then closed: the old snapshot is read, the part dropped on open") {
    {
      auto directory = OpenDirectory(made.path, /*read_only=*/false);
      header = StageAt2(*directory, made, 2);
      REQUIRE(header.chunk_count >= 5);
    }
    CHECK(ReadLayout(made.path).header.sequence == 1);
    CHECK(ReadLayout(made.path).snapshot_db.ms_entries == stored_chunks + 1 + 2);
    auto store = OpenStore(StoreAt(made.path));
    CheckSameRows(SortedRows(store->Read()), made.rows);
    CHECK(store->Stats().snapshot_sequence == 1);
    CHECK(store->Stats().journal_batches == 2);
    store.reset();
    CHECK(ReadLayout(made.path).snapshot_db.ms_entries == stored_chunks + 1);
  }

  SUBCASE("written whole and switched to: the batch after it stays its journal") {
    {
      auto directory = OpenDirectory(made.path, /*read_only=*/false);
      header = StageAt2(*directory, made, UINT32_MAX);
      CHECK(ReadLayout(made.path).header.sequence == 1);  // not before the switch
      REQUIRE_OK(directory->Write([&](persist::lmdb::Txn& txn) {
        return persist::SwitchToStagedSnapshot(txn, directory->dbs(), header);
      }));
      // Switching again, or planning a snapshot no newer than the stored
      // one, is refused with both batches named, and writes nothing.
      Status again = directory->Write([&](persist::lmdb::Txn& txn) {
        return persist::SwitchToStagedSnapshot(txn, directory->dbs(), header);
      });
      CHECK(again.code() == ErrorCode::kInvalidArgument);
      CHECK(
          again.message().find("a snapshot at batch 2 cannot replace the stored one at batch 2") !=
          std::string::npos);
      Status older = directory->Write([&](persist::lmdb::Txn& txn) {
        return persist::PlanStagedSnapshot(txn, directory->dbs(), persist::kCurrentSchema, 1,
                                           made.payload_at_2)
            .status();
      });
      CHECK(older.code() == ErrorCode::kInvalidArgument);
    }
    {
      // The journal after the new snapshot: batch 3 alone.
      auto directory = OpenDirectory(made.path, /*read_only=*/true);
      auto reader = directory->BeginRead();
      REQUIRE_OK(reader);
      auto tally = persist::TallyJournal(reader->txn(), directory->dbs(), 2, 3);
      REQUIRE_OK(tally);
      CHECK(tally->batches == 1);
      auto entry = reader->txn().Get(directory->dbs().journal, persist::JournalKey(3));
      REQUIRE_OK(entry);
      REQUIRE(entry->has_value());
      CHECK(tally->bytes == (*entry)->size());
      auto none = persist::TallyJournal(reader->txn(), directory->dbs(), 3, 3);
      REQUIRE_OK(none);
      CHECK(none->batches == 0);
      auto both = persist::TallyJournal(reader->txn(), directory->dbs(), 1, 3);
      REQUIRE_OK(both);
      CHECK(both->batches == 2);
      auto first = persist::TallyJournal(reader->txn(), directory->dbs(), 1, 2);
      REQUIRE_OK(first);
      CHECK(first->batches == 1);
    }
    const Layout layout = ReadLayout(made.path);
    CHECK(layout.header.sequence == 2);
    CHECK(layout.header.chunk_count == header.chunk_count);
    auto store = OpenStore(StoreAt(made.path));
    CheckSameRows(SortedRows(store->Read()), made.rows);
    CHECK(store->Read().sequence() == 3);
    CHECK(store->Stats().snapshot_sequence == 2);
    CHECK(store->Stats().journal_batches == 1);
    store.reset();
    // The old snapshot's chunks went when the store opened.
    CHECK(ReadLayout(made.path).snapshot_db.ms_entries == header.chunk_count + 1);
  }
}

TEST_CASE("a snapshot replacement stopped between its transactions leaves the stored one") {
  TempDir dir;
  const StagingDirectory made = MakeStagingDirectory(dir);
  {
    auto directory = OpenDirectory(made.path, /*read_only=*/false);
    // Stopped after its first chunks: the error is ReplaceSnapshot's.
    int calls = 0;
    auto replaced = persist::ReplaceSnapshot(*directory, 2, made.payload_at_2, [&] {
      return ++calls < 2 ? Status::Ok() : Status::Io("stopped by the test");
    });
    CHECK(replaced.status().code() == ErrorCode::kIo);
    CHECK(replaced.status().message() == "stopped by the test");
    CHECK(calls == 2);
    CHECK(ReadLayout(made.path).header.sequence == 1);
    // Not stopped, it stages and switches, calling `between` before each
    // transaction after the first: the chunks' and the switch's.
    calls = 0;
    auto header = persist::ReplaceSnapshot(*directory, 2, made.payload_at_2, [&] {
      ++calls;
      return Status::Ok();
    });
    REQUIRE_OK(header);
    CHECK(header->sequence == 2);
    CHECK(calls ==
          static_cast<int>((header->chunk_count + persist::kStageChunksPerTransaction - 1) /
                               persist::kStageChunksPerTransaction +
                           1));
  }
  CHECK(ReadLayout(made.path).header.sequence == 2);
  CheckSameRows(SortedRows(OpenStore(StoreAt(made.path))->Read()), made.rows);
}

TEST_CASE("compactions under steady writes reuse freed pages: data.mdb stops growing") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;
  options.min_journal_bytes = 16 << 10;  // a compaction every ~200 batches
  // The change feed's window, about one compaction's worth of batches: the
  // entries it keeps are dropped a compaction later, and their pages reused.
  options.feed_retention_batches = 200;
  auto store = OpenStore(options);
  REQUIRE_OK(store->Apply(ManyUsers(1, 1000)));
  const std::uint64_t snapshot_bytes = [&] {
    REQUIRE_OK(store->Compact());
    return store->Stats().snapshot_bytes;
  }();
  const std::string data_file = options.path + "/data.mdb";
  std::uint64_t warmed_up = 0;
  for (int batch = 1; store->Stats().compactions < 80; ++batch) {
    REQUIRE_OK(store->Apply(Rename(*store, 1 + batch % 1000, "name " + std::to_string(batch))));
    if (warmed_up == 0 && store->Stats().compactions == 20) warmed_up = fs::file_size(data_file);
  }
  CHECK(store->Stats().last_compaction_error.empty());
  const std::uint64_t end = fs::file_size(data_file);
  MESSAGE("snapshot " << snapshot_bytes << " bytes; data.mdb " << warmed_up << " after 20 "
                      << "compactions, " << end << " after 80");
  // A snapshot that cannot reuse freed pages extends the file by its own size
  // at every compaction: 60 snapshots here.
  CHECK(end <= warmed_up + snapshot_bytes / 2);
}

TEST_CASE("a format version 1 directory opens read-only as it is") {
  TempDir dir;
  const Version1Directory old = MakeVersion1Directory(dir);
  StoreOptions read_only = StoreAt(old.path);
  read_only.read_only = true;
  auto store = OpenStore(read_only);
  CHECK(store->Read().sequence() == 3);
  CHECK(store->Read().counts() == old.counts);
  CHECK(store->Read().FindUser(100)->name == "renamed in batch 3");
  CHECK(store->Stats().snapshot_sequence == 2);
  CHECK(store->Stats().snapshot_bytes == old.payload.size());
  CHECK_OK(store->Verify());
  const Layout layout = ReadLayout(old.path);
  CHECK(layout.format_version == 1);
  CHECK(layout.has_single_value_payload);
}

TEST_CASE("a writer upgrades a format version 1 directory on open; a reader follows") {
  TempDir dir;
  const Version1Directory old = MakeVersion1Directory(dir);
  StoreOptions read_only = StoreAt(old.path);
  read_only.read_only = true;
  auto reader = OpenStore(read_only);  // opened on the old layout

  auto writer = OpenStore(StoreAt(old.path));
  const Layout upgraded = ReadLayout(old.path);
  CHECK(upgraded.format_version == 3);
  CHECK(!upgraded.has_single_value_payload);
  // The same snapshot, only chunked: its sequence, bytes and checksum are kept.
  CHECK(upgraded.header.sequence == 2);
  CHECK(upgraded.header.payload_bytes == old.payload.size());
  CHECK(upgraded.header.payload_crc == persist::ComputeCrc32c(old.payload));
  CHECK(upgraded.header.chunk_count >= 2);
  CHECK(writer->Stats().snapshot_sequence == 2);
  CHECK(writer->Stats().journal_batches == 1);  // batch 3 is still in the journal
  CHECK(writer->Stats().compactions == 0);
  CHECK(writer->Read().counts() == old.counts);
  CHECK_OK(writer->Verify());

  REQUIRE_OK(writer->Apply(Rename(*writer, 101, "batch 4")));
  REQUIRE_OK(reader->Refresh());
  CHECK(reader->Read().sequence() == 4);
  CHECK(reader->Read().FindUser(101)->name == "batch 4");
  REQUIRE_OK(writer->Compact());
  REQUIRE_OK(writer->Apply(Rename(*writer, 102, "batch 5")));
  REQUIRE_OK(reader->Refresh());  // reloads from the chunks
  CHECK(reader->Stats().snapshot_sequence == 4);
  CHECK(reader->Read().sequence() == 5);
  CHECK(reader->Read().FindUser(102)->name == "batch 5");
  CHECK_OK(reader->Verify());
  writer.reset();
  auto reopened = OpenStore(StoreAt(old.path));
  CHECK(reopened->Read().sequence() == 5);
  CHECK(reopened->Read().counts() == old.counts);
}

TEST_CASE("a format version 1 directory with a damaged payload is refused and left as it was") {
  TempDir dir;
  const Version1Directory old = MakeVersion1Directory(dir, /*damage_payload=*/true);
  const std::string before = ReadFile(old.path + "/data.mdb");
  auto store = Store::Open(StoreAt(old.path));
  REQUIRE(!store.ok());
  CHECK(store.status().code() == ErrorCode::kCorruption);
  CHECK(store.status().message().rfind(old.path + ": snapshot payload checksum mismatch (stored " +
                                           std::to_string(persist::ComputeCrc32c(old.payload)) +
                                           ", computed ",
                                       0) == 0);
  CHECK(ReadFile(old.path + "/data.mdb") == before);
}

TEST_CASE("a format version 2 directory is read as it is read-only and set to 3 by a writer") {
  TempDir dir;
  const std::string path = dir.Path("data");
  std::vector<ChangeBatch> batches;
  {
    auto store = OpenStore(StoreAt(path));
    REQUIRE_OK(store->Apply(SampleBatch()));
    REQUIRE_OK(store->Apply(ManyUsers(100, 3)));
    for (std::uint64_t after = 0; after < 2; ++after) {
      auto next = store->Changes(after, std::chrono::milliseconds(0));
      REQUIRE_OK(next);
      REQUIRE(next->has_value());
      batches.push_back(**next);
    }
  }
  // What an early build of the change feed left: entries of version 2 in a
  // directory that says format 2.
  WriteFormatVersion(path, 2);
  {
    StoreOptions read_only = StoreAt(path);
    read_only.read_only = true;
    auto reader = OpenStore(read_only);
    CHECK(reader->Read().sequence() == 2);
    auto second = reader->Changes(1, std::chrono::milliseconds(0));
    REQUIRE_OK(second);
    REQUIRE(second->has_value());
    CHECK(**second == batches[1]);
    CHECK_OK(reader->Verify());
  }
  CHECK(RawFormatVersion(path) == 2);  // a read-only open never writes
  {
    auto writer = OpenStore(StoreAt(path));
    CHECK(RawFormatVersion(path) == 3);  // at open, before any entry
    CHECK(writer->Read().sequence() == 2);
    REQUIRE_OK(writer->Apply(Rename(*writer, 100, "batch 3")));
    for (std::uint64_t after = 0; after < 2; ++after) {
      auto next = writer->Changes(after, std::chrono::milliseconds(0));
      REQUIRE_OK(next);
      REQUIRE(next->has_value());
      CHECK(**next == batches[after]);
    }
  }
  CHECK(ReadLayout(path).format_version == 3);
}

TEST_CASE("a directory of a newer format is refused by name, and left as it is") {
  TempDir dir;
  const std::string path = dir.Path("data");
  {
    auto store = OpenStore(StoreAt(path));
    REQUIRE_OK(store->Apply(SampleBatch()));
  }
  WriteFormatVersion(path, 4);
  for (bool read_only : {true, false}) {
    StoreOptions options = StoreAt(path);
    options.read_only = read_only;
    auto store = Store::Open(options);
    REQUIRE_FALSE(store.ok());
    CHECK(store.status().code() == ErrorCode::kVersion);
    CHECK(store.status().message() ==
          path +
              ": written by a newer hubreg (format 4, this build reads up to 3); in opening the "
              "store");
  }
  CHECK(RawFormatVersion(path) == 4);
}
