// Group commit (Registry::ApplyGroup, Store::ApplyGroup and SourceState):
// several batches in one durable commit, each still atomic with its own
// sequence, with the source position stored beside them.
#include <doctest/doctest.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "commit_record.h"
#include "lmdb_env.h"
#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

Batch NewUser(Id id) {
  return Batch().Insert(
      MakeUser(id, "U-" + std::to_string(id), "u" + std::to_string(id) + "@example.com"));
}

// A batch that breaks a rule: links a client that does not exist.
Batch BrokenBatch() { return Batch().Insert(MakeUser(90, "U-90", "x@example.com")).Link(77, 90); }

}  // namespace

TEST_CASE("a group inserting many rows is replayed on the other copy to the same state") {
  // A group goes to one of the registry's two copies and is replayed, without
  // its rules checked again, on the other before the next write: reading
  // after each of two writes reads each copy once.
  auto registry = SampleRegistry();
  constexpr Id kUsers = 3000;
  constexpr Id kFirst = 10'000;  // above the ids given to the rows inserted without one
  Batch without_ids, with_ids, changes;
  for (Id i = 0; i < kUsers; ++i) {
    const std::string n = std::to_string(i);
    without_ids.Insert(MakeUser(kNoId, "N-" + n, "n" + n + "@example.com"));
    with_ids.Insert(MakeUser(kFirst + i, "E-" + n, "e" + n + "@example.com"))
        .Link(1 + i % 4, kFirst + i);
  }
  for (Id i = 0; i < kUsers; i += 3) {
    User renamed =
        MakeUser(kFirst + i, "E-" + std::to_string(i), "r" + std::to_string(i) + "@x.io");
    renamed.name = "Renamed";
    changes.Update(renamed);
  }
  std::size_t erased = 0, unlinked = 0;
  for (Id i = 1; i < kUsers; i += 7, ++erased) changes.Erase<User>(kFirst + i);  // and its link
  for (Id i = 2; i < kUsers; i += 7, ++unlinked) changes.Unlink(1 + i % 4, kFirst + i);
  const std::vector<Batch> group = {without_ids, with_ids, changes};
  REQUIRE_OK(registry->ApplyGroup(group, nullptr).status);
  const RegistryRows first = SortedRows(registry->Read());
  CHECK(first.users.size() == 5 + 2 * kUsers - erased);
  CHECK(first.links.size() == 6 + kUsers - erased - unlinked);
  CHECK(first.next_user_id == kFirst + kUsers);

  // The other copy replays the group, then takes the next user (given the
  // next id, which the replay must have moved on too).
  REQUIRE_OK(registry->Apply(Batch().Insert(MakeUser(kNoId, "LAST", "last@example.com"))));
  RegistryRows second = SortedRows(registry->Read());
  REQUIRE(!second.users.empty());
  CHECK(second.users.back().id == first.next_user_id);
  CHECK(second.users.back().external_id == "LAST");
  second.users.pop_back();
  CHECK(second.users == first.users);
  CHECK(second.links == first.links);
  CHECK(second.clients == first.clients);
  CHECK(second.organizations == first.organizations);
  CHECK(second.apps == first.apps);
  CHECK(second.next_user_id == first.next_user_id + 1);
  // Lookups by every unique key find the replayed rows in this copy too.
  View view = registry->Read();
  CHECK(view.FindUserByEmail("R3@X.IO") != nullptr);
  CHECK(view.FindUserByEmail("e3@example.com") == nullptr);
  CHECK(view.FindUserByExternalId("N-2999") != nullptr);
  CHECK(view.FindUserByExternalId("E-1") == nullptr);
}

TEST_CASE("a group gives each batch its own sequence and publishes them together") {
  Registry registry;
  std::vector<Batch> batches = {NewUser(1), Batch(), NewUser(2), NewUser(3)};
  std::vector<std::uint64_t> seen_at_commit;
  Registry::GroupResult result =
      registry.ApplyGroup(batches, [&](std::span<const CommitResult> group) {
        for (const CommitResult& r : group) seen_at_commit.push_back(r.sequence);
        // Nothing is visible before the commit returns.
        CHECK(registry.Read().sequence() == 0);
        CHECK(registry.Read().FindUser(1) == nullptr);
        return Status::Ok();
      });
  REQUIRE_OK(result.status);
  CHECK(seen_at_commit == std::vector<std::uint64_t>{1, 1, 2, 3});
  REQUIRE(result.committed.size() == 4);
  CHECK(result.committed[1].applied.empty());
  CHECK(registry.Read().sequence() == 3);
  CHECK(registry.Read().counts().users == 3);
  // The next write lands on the other copy, which must have caught up.
  REQUIRE_OK(registry.Apply(NewUser(4)));
  CHECK(registry.Read().counts().users == 4);
  CHECK(registry.Read().sequence() == 4);
}

TEST_CASE("a batch that breaks a rule stops the group after the ones before it") {
  Registry registry;
  std::vector<Batch> batches = {NewUser(1), NewUser(2), BrokenBatch(), NewUser(3)};
  int commits = 0;
  Registry::GroupResult result = registry.ApplyGroup(batches, [&](std::span<const CommitResult> g) {
    ++commits;
    CHECK(g.size() == 2);
    return Status::Ok();
  });
  CHECK(commits == 1);
  CHECK(result.status.code() == ErrorCode::kForeignKey);
  CHECK(result.status.message().ends_with("; in mutation 2 of 2; in batch 3 of 4"));
  CHECK(result.committed.size() == 2);
  View view = registry.Read();
  CHECK(view.sequence() == 2);
  CHECK(view.FindUser(2) != nullptr);
  CHECK(view.FindUser(90) == nullptr);  // the broken batch is undone whole
  CHECK(view.FindUser(3) == nullptr);
}

TEST_CASE("a group whose first batch breaks a rule commits nothing") {
  Registry registry;
  std::vector<Batch> batches = {BrokenBatch(), NewUser(1)};
  bool committed = false;
  Registry::GroupResult result = registry.ApplyGroup(batches, [&](std::span<const CommitResult>) {
    committed = true;
    return Status::Ok();
  });
  CHECK_FALSE(committed);
  CHECK(result.status.code() == ErrorCode::kForeignKey);
  CHECK(result.committed.empty());
  CHECK(registry.Read().counts().users == 0);
}

TEST_CASE("a failed group commit undoes every batch of the group") {
  Registry registry;
  REQUIRE_OK(registry.Apply(NewUser(1)));
  std::vector<Batch> batches = {NewUser(2), NewUser(3)};
  Registry::GroupResult result = registry.ApplyGroup(
      batches, [](std::span<const CommitResult>) { return Status::Io("disk gone"); });
  CHECK(result.status.code() == ErrorCode::kIo);
  CHECK(result.committed.empty());
  CHECK(registry.Read().sequence() == 1);
  CHECK(registry.Read().FindUser(2) == nullptr);
  // The same batches go through afterwards, under the same sequences.
  result = registry.ApplyGroup(batches, nullptr);
  REQUIRE_OK(result.status);
  CHECK(result.committed.back().sequence == 3);
  CHECK(registry.Read().counts().users == 3);
}

TEST_CASE("a store keeps a group and its source state across a reopen") {
  TempDir dir;
  const StoreOptions options = StoreAt(dir.Path("data"));
  {
    auto store = OpenStore(options);
    CHECK(*store->SourceState() == "");
    std::vector<Batch> batches = {NewUser(1), NewUser(2)};
    std::vector<std::string> states = {"at 1", "at 2"};
    REQUIRE_OK(store->ApplyGroup(batches, states).status);
    CHECK(*store->SourceState() == "at 2");
    // Source transactions that touch nothing still move the position.
    std::vector<Batch> empty = {Batch()};
    std::vector<std::string> moved = {"at 3"};
    REQUIRE_OK(store->ApplyGroup(empty, moved).status);
    CHECK(store->Stats().journal_batches == 2);
    // Compaction keeps the position.
    REQUIRE_OK(store->Compact());
  }
  auto store = OpenStore(options);
  CHECK(*store->SourceState() == "at 3");
  CHECK(store->Read().sequence() == 2);
  CHECK(store->Read().counts().users == 2);
  CHECK_OK(store->Verify());
}

TEST_CASE("a rule-breaking batch stores the position of the batch before it") {
  TempDir dir;
  const StoreOptions options = StoreAt(dir.Path("data"));
  {
    auto store = OpenStore(options);
    std::vector<Batch> batches = {NewUser(1), NewUser(2), BrokenBatch()};
    std::vector<std::string> states = {"at 1", "at 2", "at 3"};
    Registry::GroupResult result = store->ApplyGroup(batches, states);
    CHECK(result.status.code() == ErrorCode::kForeignKey);
    CHECK(result.committed.size() == 2);
    CHECK(*store->SourceState() == "at 2");
  }
  auto store = OpenStore(options);
  CHECK(*store->SourceState() == "at 2");
  CHECK(store->Read().counts().users == 2);
}

TEST_CASE("a group whose LMDB commit fails leaves neither batches nor position") {
  TempDir dir;
  const StoreOptions options = StoreAt(dir.Path("data"));
  auto store = OpenStore(options);
  std::vector<Batch> first = {NewUser(1)};
  std::vector<std::string> first_state = {"at 1"};
  REQUIRE_OK(store->ApplyGroup(first, first_state).status);
  persist::lmdb::SetFaultHook(
      [](std::string_view call) { return call == "mdb_txn_commit" ? EIO : 0; });
  std::vector<Batch> batches = {NewUser(2), NewUser(3)};
  std::vector<std::string> states = {"at 2", "at 3"};
  Registry::GroupResult failed = store->ApplyGroup(batches, states);
  persist::lmdb::SetFaultHook(nullptr);
  CHECK(failed.status.code() == ErrorCode::kIo);
  CHECK(failed.status.message() == options.path +
                                       ": mdb_txn_commit: Input/output error; in committing a "
                                       "group of 2 batches to the journal");
  CHECK(failed.committed.empty());
  CHECK(store->Read().sequence() == 1);
  CHECK(*store->SourceState() == "at 1");
  store.reset();
  store = OpenStore(options);
  CHECK(store->Read().sequence() == 1);
  CHECK(*store->SourceState() == "at 1");
}

TEST_CASE("group commit checks its arguments and needs a writable store") {
  TempDir dir;
  const StoreOptions options = StoreAt(dir.Path("data"));
  auto store = OpenStore(options);
  std::vector<Batch> batches = {NewUser(1)};
  std::vector<std::string> none;
  CHECK(store->ApplyGroup(batches, none).status.code() == ErrorCode::kInvalidArgument);
  std::vector<std::string> states = {"at 1"};
  REQUIRE_OK(store->ApplyGroup(batches, states).status);

  StoreOptions read_only = options;
  read_only.read_only = true;
  auto reader = OpenStore(read_only);
  CHECK(reader->ApplyGroup(batches, states).status.code() == ErrorCode::kReadOnly);
  // A reader sees the writer's position (for stats) and, after Refresh, its batches.
  CHECK(*reader->SourceState() == "at 1");
  std::vector<Batch> more = {NewUser(2)};
  std::vector<std::string> more_state = {"at 2"};
  REQUIRE_OK(store->ApplyGroup(more, more_state).status);
  CHECK(*reader->SourceState() == "at 2");
  REQUIRE_OK(reader->Refresh());
  CHECK(reader->Read().FindUser(2) != nullptr);
}

TEST_CASE("a group's durable commit is marked in the commit record by its last batch") {
  TempDir dir;
  const std::string path = dir.Path("data");
  auto store = OpenStore(StoreAt(path));
  std::vector<Batch> batches = {NewUser(1), Batch(), NewUser(2), NewUser(3)};
  std::vector<std::string> states = {"at 1", "at 2", "at 3", "at 4"};
  REQUIRE_OK(store->ApplyGroup(batches, states).status);
  // The record is what rollback detection compares with data.mdb on open: a
  // record left at an earlier batch would let a rolled-back group pass.
  StatusOr<std::optional<persist::CommitMark>> record = persist::ReadCommitRecord(path);
  REQUIRE_OK(record);
  REQUIRE(record->has_value());
  CHECK((*record)->sequence == 3);
  CHECK((*record)->batch_crc.has_value());
}
