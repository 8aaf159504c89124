// Store::SaveSnapshotFile and RestoreSnapshotFile (hubreg/store.h): files
// saved from a live store, restored into data directories, and a target that
// is never harmed by a refused or failed restore.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <optional>
#include <thread>

#include "hubreg/store.h"
#include "snapshot_file.h"
#include "snapshot_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

const std::string kDataDir = HUBREG_TEST_DATA_DIR;

StoreOptions OptionsAt(const std::string& path) {
  StoreOptions options;
  options.path = path;
  return options;
}

std::unique_ptr<Store> OpenStore(const std::string& path) {
  StatusOr<std::unique_ptr<Store>> store = Store::Open(OptionsAt(path));
  REQUIRE_OK(store);
  return std::move(*store);
}

// Every file under `dir` with its bytes, to show a directory is untouched.
std::map<std::string, std::string> Contents(const std::filesystem::path& dir) {
  std::map<std::string, std::string> contents;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) contents[entry.path().string()] = ReadFile(entry.path().string());
  }
  return contents;
}

int Entries(const std::filesystem::path& dir) {
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++entries;
  return entries;
}

// A snapshot file of FixedRegistry() at sequence 2.
std::string SaveFixed(const TempDir& dir) {
  std::string file = dir.Path("fixed.snapshot");
  REQUIRE_OK(persist::WriteSnapshotFile(FixedRegistry()->Read(), file));
  return file;
}

// A data directory holding one user, "U-old".
std::string OldStore(const TempDir& dir) {
  std::string path = dir.Path("data");
  auto store = OpenStore(path);
  REQUIRE_OK(store->Apply(Batch().Insert(MakeUser(1, "U-old", "old@example.com"))));
  return path;
}

}  // namespace

TEST_CASE("a store's snapshot file holds its registry at its sequence") {
  TempDir dir;
  auto store = OpenStore(dir.Path("data"));
  REQUIRE_OK(store->Apply(SampleBatch()));
  std::string file = dir.Path("saved.snapshot");
  REQUIRE_OK(store->SaveSnapshotFile(file));
  StatusOr<persist::LoadedSnapshot> loaded = persist::ReadSnapshotFile(file);
  REQUIRE_OK(loaded);
  CHECK(loaded->info.sequence == store->Read().sequence());
  CheckSameRows(SortedRows(loaded->registry->Read()), SortedRows(store->Read()));
}

TEST_CASE("a store saves consistent snapshot files while a writer keeps committing") {
  TempDir dir;
  StoreOptions options = OptionsAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;  // the test is about consistency, not the disk
  StatusOr<std::unique_ptr<Store>> opened = Store::Open(options);
  REQUIRE_OK(opened);
  Store& store = **opened;
  REQUIRE_OK(store.Apply(Batch().Insert(MakeClient(1, kNoId, "ACC-1"))));
  std::uint64_t base = store.Read().sequence();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // Bounded, so the snapshots stay small and the test quick.
    for (Id n = 2; !stop && n < 3000; ++n) {
      if (!store.Apply(UserLinkedToClient1(n)).ok()) break;
    }
  });
  std::string file = dir.Path("live.snapshot");
  for (int round = 0; round < 10; ++round) {
    REQUIRE_OK(store.SaveSnapshotFile(file));
    StatusOr<SnapshotFileInfo> info = VerifySnapshotFile(file);
    REQUIRE_OK(info);
    CHECK(info->counts.users == info->sequence - base);
    CHECK(info->counts.links == info->sequence - base);
  }
  stop = true;
  writer.join();
}

TEST_CASE(
    "restoring into a missing directory creates a store with every row, sequence and next id") {
  TempDir dir;
  std::string file = SaveFixed(dir);
  std::string path = dir.Path("restored");
  REQUIRE_OK(RestoreSnapshotFile(file, OptionsAt(path)));
  auto store = OpenStore(path);
  CHECK(store->Read().sequence() == 2);
  CheckSameRows(SortedRows(store->Read()), SortedRows(FixedRegistry()->Read()));
  // User 7 was deleted before the snapshot; its id is not handed out again.
  StatusOr<CommitResult> inserted = store->Apply(Batch().Insert(MakeUser(0, "U-new", "n@x.io")));
  REQUIRE_OK(inserted);
  CHECK(inserted->sequence == 3);
  CHECK(std::get<InsertRow<User>>(inserted->applied.mutations()[0]).row.id == 8);
  CHECK(Entries(dir.path()) == 2);  // the file and the store: no temporary left
}

TEST_CASE("restoring into an empty directory works") {
  TempDir dir;
  std::string file = SaveFixed(dir);
  std::string path = dir.Path("empty");
  std::filesystem::create_directory(path);
  REQUIRE_OK(RestoreSnapshotFile(file, OptionsAt(path)));
  CHECK(OpenStore(path)->Read().counts() == FixedRegistry()->Read().counts());
}

TEST_CASE("restoring over a store is refused without overwrite and changes nothing") {
  TempDir dir;
  std::string file = SaveFixed(dir);
  std::string path = OldStore(dir);
  auto before = Contents(path);
  Status status = RestoreSnapshotFile(file, OptionsAt(path));
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() == path +
                                ": already holds data; restore refuses to replace it unless "
                                "asked to overwrite");
  CHECK(Contents(path) == before);
  CHECK(OpenStore(path)->Read().FindUserByExternalId("U-old") != nullptr);
}

TEST_CASE("restoring over a store with overwrite replaces it") {
  TempDir dir;
  std::string file = SaveFixed(dir);
  std::string path = OldStore(dir);
  REQUIRE_OK(RestoreSnapshotFile(file, OptionsAt(path), /*overwrite=*/true));
  auto store = OpenStore(path);
  CHECK(store->Read().FindUserByExternalId("U-old") == nullptr);
  CheckSameRows(SortedRows(store->Read()), SortedRows(FixedRegistry()->Read()));
  CHECK(Entries(dir.path()) == 2);
}

TEST_CASE("restoring over a store that is open for writing is refused and changes nothing") {
  TempDir dir;
  std::string file = SaveFixed(dir);
  std::string path = OldStore(dir);
  {
    auto open = OpenStore(path);
    auto before = Contents(path);
    Status status = RestoreSnapshotFile(file, OptionsAt(path), /*overwrite=*/true);
    CHECK(status.code() == ErrorCode::kIo);
    CHECK(status.message() == path +
                                  ": a store has this data directory open for writing; close it "
                                  "before restoring over it");
    CHECK(Contents(path) == before);
    CHECK(Entries(dir.path()) == 2);
  }
  REQUIRE_OK(RestoreSnapshotFile(file, OptionsAt(path), /*overwrite=*/true));
  CHECK(OpenStore(path)->Read().FindUserByExternalId("U-old") == nullptr);
}

TEST_CASE("a damaged file restores nothing and leaves the target untouched") {
  TempDir dir;
  std::string file = SaveFixed(dir);
  std::string bytes = ReadFile(file);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
  WriteFile(file, bytes);
  std::string path = OldStore(dir);
  auto before = Contents(path);
  Status status = RestoreSnapshotFile(file, OptionsAt(path), /*overwrite=*/true);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message().starts_with(file + ": checksum mismatch: expected "));
  CHECK(Contents(path) == before);
  CHECK(Entries(dir.path()) == 2);

  std::string missing = dir.Path("never");
  CHECK(RestoreSnapshotFile(file, OptionsAt(missing)).code() == ErrorCode::kCorruption);
  CHECK(!std::filesystem::exists(missing));
}

TEST_CASE("a v1.0 file restores into a v1.2 data directory") {
  TempDir dir;
  std::string path = dir.Path("migrated");
  REQUIRE_OK(RestoreSnapshotFile(kDataDir + "/registry-v1.0.snapshot", OptionsAt(path)));
  auto store = OpenStore(path);
  View view = store->Read();
  CHECK(view.sequence() == 7);
  CHECK(view.counts() == TableCounts{0, 0, 3, 4, 5});
  CHECK(view.ClientsOfOrganization(kNoId).size() == 3);
  std::string file = dir.Path("again.snapshot");
  REQUIRE_OK(store->SaveSnapshotFile(file));
  CHECK(VerifySnapshotFile(file)->schema_version == 102);
}

namespace {

// A data directory whose writer applied `batches` batches, user k in batch k.
std::string StoreAtSequence(const TempDir& dir, Id batches) {
  std::string path = dir.Path("data");
  auto store = OpenStore(path);
  for (Id k = 1; k <= batches; ++k) {
    REQUIRE_OK(store->Apply(
        Batch().Insert(MakeUser(k, "U-" + std::to_string(k), std::to_string(k) + "@example.com"))));
  }
  return path;
}

// A snapshot file of `users` users in one batch: sequence 1.
std::string SaveUsers(const TempDir& dir, Id users) {
  Registry registry;
  Batch batch;
  for (Id k = 1; k <= users; ++k) {
    batch.Insert(MakeUser(k, "R-" + std::to_string(k), "r" + std::to_string(k) + "@example.com"));
  }
  REQUIRE_OK(registry.Apply(batch));
  std::string file = dir.Path("users.snapshot");
  REQUIRE_OK(persist::WriteSnapshotFile(registry.Read(), file));
  return file;
}

}  // namespace

TEST_CASE("a restore over a data directory continues its sequence numbering") {
  TempDir dir;
  std::string path = StoreAtSequence(dir, 5);
  std::uint64_t sequence = 0;
  SUBCASE("a file behind the directory is restored one above its last batch") {
    REQUIRE_OK(RestoreSnapshotFile(SaveFixed(dir), OptionsAt(path), true, &sequence));
    CHECK(sequence == 6);
  }
  SUBCASE("a file ahead of it keeps its own sequence") {
    Registry registry;
    for (Id k = 1; k <= 9; ++k) {
      REQUIRE_OK(registry.Apply(Batch().Insert(
          MakeUser(k, "F-" + std::to_string(k), "f" + std::to_string(k) + "@x.org"))));
    }
    std::string file = dir.Path("ahead.snapshot");
    REQUIRE_OK(persist::WriteSnapshotFile(registry.Read(), file));
    REQUIRE_OK(RestoreSnapshotFile(file, OptionsAt(path), true, &sequence));
    CHECK(sequence == 9);
  }
  auto store = OpenStore(path);
  CHECK(store->Read().sequence() == sequence);
  StatusOr<CommitResult> next = store->Apply(Batch().Insert(MakeUser(50, "U-50", "50@x.org")));
  REQUIRE_OK(next);
  CHECK(next->sequence == sequence + 1);
}

TEST_CASE("restoring into an empty directory keeps the file's sequence") {
  TempDir dir;
  std::string path = dir.Path("empty");
  std::uint64_t sequence = 0;
  REQUIRE_OK(RestoreSnapshotFile(SaveFixed(dir), OptionsAt(path), false, &sequence));
  CHECK(sequence == 2);
  CHECK(OpenStore(path)->Read().sequence() == 2);
}

TEST_CASE("a read-only store open during restore --force serves the restored registry") {
  // Issue 11: a read-only process saw 7 users; a 6-user snapshot was
  // restored with --force into its directory; its refresh returned OK and
  // still served 7 users, at a sequence that could not reveal it.
  TempDir dir;
  std::string path = StoreAtSequence(dir, 7);
  StoreOptions read_only = OptionsAt(path);
  read_only.read_only = true;
  StatusOr<std::unique_ptr<Store>> opened = Store::Open(read_only);
  REQUIRE_OK(opened);
  std::unique_ptr<Store> reader = std::move(*opened);
  std::optional<View> before = reader->Read();
  CHECK(before->counts().users == 7);
  const std::string file = SaveUsers(dir, 6);

  // A thread of the reader's process waiting for the writer's next batch is
  // woken by the restore.
  std::atomic<bool> woke{false};
  std::thread waiter([&] { woke = reader->WaitForCommit(7, std::chrono::hours(1)).value(); });
  std::uint64_t sequence = 0;
  Status restored = RestoreSnapshotFile(file, OptionsAt(path), /*overwrite=*/true, &sequence);
  waiter.join();
  REQUIRE_OK(restored);
  CHECK(woke.load());
  CHECK(sequence == 8);

  REQUIRE_OK(reader->Refresh());
  CHECK(reader->Read().counts().users == 6);
  CHECK(reader->Read().sequence() == 8);
  CHECK(reader->Read().FindUserByExternalId("R-6") != nullptr);
  CHECK(reader->Stats().replacements == 1);
  CHECK_OK(reader->Verify());
  // A View of the old registry stays valid.
  CHECK(before->counts().users == 7);
  CHECK(before->FindUserByExternalId("U-7") != nullptr);
  before.reset();

  // The restored directory's writer continues; the reader follows it there.
  auto writer = OpenStore(path);
  REQUIRE_OK(writer->Apply(Batch().Insert(MakeUser(60, "U-60", "60@x.org"))));
  CHECK(reader->WaitForCommit(8, std::chrono::hours(1)).value());
  REQUIRE_OK(reader->Refresh());
  CHECK(reader->Read().sequence() == 9);
  CHECK(reader->Read().counts().users == 7);
  CHECK(reader->Stats().replacements == 1);
  CHECK(reader->Stats().commit_signal);
}
