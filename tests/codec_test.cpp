// The cereal encodings of batches and snapshots (persist/src/codec.h).
#include "codec.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <tuple>
#include <variant>
#include <vector>

#include "cereal_reference.h"
#include "hubreg/feed.h"
#include "snapshot_testutil.h"

using namespace hubreg;
using namespace hubreg::test;
using persist::DecodeBatch;
using persist::DecodeSnapshot;
using persist::EncodeBatch;
using persist::EncodeSnapshot;
using persist::kSchemaV10;
using persist::kSchemaV12;

namespace {

// One mutation of every kind, with non-default values in every field.
Batch EveryMutation() {
  App app = MakeApp(3, "key-ü", Environment::kProd);
  app.updated_at = Timestamp(std::chrono::microseconds(1'700'000'000'000'001));
  Organization organization = MakeOrganization(4, 3, 2, "ORG-4");
  Client client = MakeClient(9, 4, "ACC-9", RecordStatus::kDisabled);
  client.db_port = 65535;
  User user = MakeUser(8, "U-8", "Hal@Example.com", RecordStatus::kDisabled);
  user.created_at = Timestamp(std::chrono::microseconds(-5));
  Batch batch;
  batch.Insert(app).Update(app).Erase<App>(3);
  batch.Insert(organization).Update(organization).Erase<Organization>(4);
  batch.Insert(client).Update(client).Erase<Client>(9);
  batch.Insert(user).Update(user).Erase<User>(8);
  batch.Insert(ClientUserLink{9, 8, At(1'700'000'500)}).Unlink(9, 8);
  return batch;
}

void PutU64(std::string& bytes, std::size_t offset, std::uint64_t value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(value));
}

}  // namespace

TEST_CASE("every mutation kind survives encoding and decoding") {
  Batch batch = EveryMutation();
  REQUIRE(batch.size() == std::variant_size_v<Mutation>);
  Batch decoded;
  REQUIRE_OK(DecodeBatch(EncodeBatch(batch), &decoded));
  CHECK(decoded.mutations() == batch.mutations());
}

TEST_CASE("an empty batch survives encoding and decoding") {
  Batch decoded = EveryMutation();
  REQUIRE_OK(DecodeBatch(EncodeBatch(Batch()), &decoded));
  CHECK(decoded.empty());
}

TEST_CASE("every row of every table and the next ids survive a snapshot") {
  auto registry = FixedRegistry();
  View view = registry->Read();
  StatusOr<RegistryRows> rows = DecodeSnapshot(EncodeSnapshot(view), kSchemaV12);
  REQUIRE_OK(rows);
  CHECK(rows->next_user_id == 8);  // user 7 was deleted; its id stays used
  CHECK(rows->users.size() == 6);
  RegistryRows expected = SortedRows(view);
  auto rebuilt = Registry::FromRows(std::move(*rows), view.sequence());
  REQUIRE_OK(rebuilt);
  CheckSameRows(SortedRows((*rebuilt)->Read()), expected);
}

TEST_CASE("a snapshot lists rows by id and links by user, whatever the insertion order") {
  // The same registry built in two orders: its hash indexes iterate
  // differently, its snapshots are the same bytes.
  Batch forward = SampleBatch();
  Batch backward;
  const auto& mutations = forward.mutations();
  // Parents must precede children: reverse within each table only.
  std::vector<Mutation> apps, users, organizations, clients, links;
  for (const Mutation& m : mutations) {
    if (std::holds_alternative<InsertRow<App>>(m)) apps.push_back(m);
    if (std::holds_alternative<InsertRow<User>>(m)) users.push_back(m);
    if (std::holds_alternative<InsertRow<Organization>>(m)) organizations.push_back(m);
    if (std::holds_alternative<InsertRow<Client>>(m)) clients.push_back(m);
    if (std::holds_alternative<InsertRow<ClientUserLink>>(m)) links.push_back(m);
  }
  for (auto* table : {&apps, &users, &organizations, &clients, &links}) {
    for (auto it = table->rbegin(); it != table->rend(); ++it) backward.Add(*it);
  }
  Registry first;
  Registry second;
  const auto fixed_now = [] { return Timestamp(std::chrono::seconds(1'800'000'000)); };
  first.SetClock(fixed_now);
  second.SetClock(fixed_now);
  REQUIRE_OK(first.Apply(forward));
  REQUIRE_OK(second.Apply(backward));
  const std::string bytes = EncodeSnapshot(first.Read());
  CHECK(bytes == EncodeSnapshot(second.Read()));

  StatusOr<RegistryRows> rows = DecodeSnapshot(bytes, kSchemaV12);
  REQUIRE_OK(rows.status());
  auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
  CHECK(std::is_sorted(rows->users.begin(), rows->users.end(), by_id));
  CHECK(std::is_sorted(rows->clients.begin(), rows->clients.end(), by_id));
  CHECK(std::is_sorted(rows->links.begin(), rows->links.end(),
                       [](const ClientUserLink& a, const ClientUserLink& b) {
                         return std::tie(a.user_id, a.client_id) < std::tie(b.user_id, b.client_id);
                       }));
}

TEST_CASE("a snapshot encoded on two threads is the same bytes as on one") {
  // Users linked to accounts in a shuffled order, some to none: the two
  // halves of the users, and of their links, meet anywhere.
  std::mt19937 random(20261202);
  Registry registry;
  Batch batch;
  constexpr Id kClients = 12;
  for (Id id = 1; id <= kClients; ++id) {
    batch.Insert(MakeClient(id, kNoId, "ACC-" + std::to_string(id)));
  }
  for (Id id = 1; id <= 301; ++id) {
    batch.Insert(MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@x.org"));
  }
  std::vector<std::pair<Id, Id>> links;
  for (Id user = 1; user <= 301; ++user) {
    for (Id client = 1; client <= kClients; ++client) {
      if (random() % 4 == 0) links.emplace_back(client, user);
    }
  }
  std::shuffle(links.begin(), links.end(), random);
  for (const auto& [client, user] : links) batch.Link(client, user);
  REQUIRE_OK(registry.Apply(std::move(batch)));
  const View view = registry.Read();
  const std::string serial = EncodeSnapshot(view, SIZE_MAX);
  for (std::size_t from : {std::size_t{1}, std::size_t{2}, std::size_t{301}}) {
    CAPTURE(from);
    CHECK(EncodeSnapshot(view, from) == serial);
  }
  CHECK(EncodeSnapshot(view) == serial);  // below kParallelEncodeUsers
  StatusOr<RegistryRows> rows = DecodeSnapshot(serial, kSchemaV12);
  REQUIRE_OK(rows.status());
  CHECK(rows->links.size() == links.size());

  // One user, and none.
  Registry one;
  REQUIRE_OK(one.Apply(Batch().Insert(MakeUser(7, "U-7", "7@x.org"))));
  CHECK(EncodeSnapshot(one.Read(), 1) == EncodeSnapshot(one.Read(), SIZE_MAX));
  Registry none;
  CHECK(EncodeSnapshot(none.Read(), 1) == EncodeSnapshot(none.Read(), SIZE_MAX));
}

TEST_CASE("an empty registry survives a snapshot") {
  Registry registry;
  StatusOr<RegistryRows> rows = DecodeSnapshot(EncodeSnapshot(registry.Read()), kSchemaV12);
  REQUIRE_OK(rows);
  CHECK(rows->users.empty());
  CHECK(rows->links.empty());
  CHECK(rows->next_user_id == 1);
}

TEST_CASE("a schema v1.0 snapshot decodes into v1.2 rows with clients outside organizations") {
  StatusOr<RegistryRows> rows =
      DecodeSnapshot(EncodeV10Payload(V10Clients(), V10Users(), V10Links()), kSchemaV10);
  REQUIRE_OK(rows);
  CHECK(rows->apps.empty());
  CHECK(rows->organizations.empty());
  REQUIRE(rows->clients.size() == 3);
  Client expected = MakeClient(3, kNoId, "ACC-3", RecordStatus::kDisabled);
  CHECK(rows->clients[2] == expected);
  CHECK(rows->users == V10Users());
  CHECK(rows->links == V10Links());
  CHECK(rows->next_client_id == 0);  // derived from the rows by FromRows
}

TEST_CASE("an unknown snapshot schema version is refused as a version error") {
  StatusOr<RegistryRows> rows = DecodeSnapshot("", 101);
  CHECK(rows.status().code() == ErrorCode::kVersion);
  CHECK(rows.status().message() ==
        "snapshot schema version 101 is not supported (supported: 100 (v1.0), 102 (v1.2))");
}

TEST_CASE("a batch cut short at any byte is corruption, never a crash") {
  std::string bytes = EncodeBatch(EveryMutation());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    Batch decoded;
    Status status = DecodeBatch(std::string_view(bytes).substr(0, size), &decoded);
    REQUIRE_MESSAGE(status.code() == ErrorCode::kCorruption, "size ", size);
    CHECK(status.message().starts_with("batch: "));
  }
}

TEST_CASE("a snapshot cut short at any byte is corruption, never a crash") {
  std::string bytes = EncodeSnapshot(FixedRegistry()->Read());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    StatusOr<RegistryRows> rows =
        DecodeSnapshot(std::string_view(bytes).substr(0, size), kSchemaV12);
    REQUIRE_MESSAGE(rows.status().code() == ErrorCode::kCorruption, "size ", size);
  }
}

TEST_CASE("random damage to a batch or snapshot decodes or is corruption, never a crash") {
  const unsigned seed = 20261129;
  INFO("seed ", seed);
  std::mt19937 random(seed);
  std::string batch = EncodeBatch(EveryMutation());
  std::string snapshot = EncodeSnapshot(FixedRegistry()->Read());
  for (int round = 0; round < 3000; ++round) {
    std::string damaged_batch = batch;
    std::string damaged_snapshot = snapshot;
    for (int flips = 0; flips < 1 + round % 4; ++flips) {
      damaged_batch[random() % damaged_batch.size()] = static_cast<char>(random());
      damaged_snapshot[random() % damaged_snapshot.size()] = static_cast<char>(random());
    }
    Batch decoded;
    Status status = DecodeBatch(damaged_batch, &decoded);
    CHECK((status.ok() || status.code() == ErrorCode::kCorruption));
    StatusOr<RegistryRows> rows = DecodeSnapshot(damaged_snapshot, kSchemaV12);
    CHECK((rows.ok() || rows.status().code() == ErrorCode::kCorruption));
  }
}

TEST_CASE("random bytes never decode into a crash") {
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string garbage(random() % 200, '\0');
    for (char& c : garbage) c = static_cast<char>(random());
    Batch decoded;
    (void)DecodeBatch(garbage, &decoded);
    (void)DecodeSnapshot(garbage, kSchemaV12);
    (void)DecodeSnapshot(garbage, kSchemaV10);
  }
}

// Batch layout used below: u64 count @0, i32 index @8, u32 version of
// InsertRow<User> @12, u32 version of User @16, user id @20, external_id
// length @28.
TEST_CASE("a huge string length is refused before anything is allocated") {
  std::string bytes = EncodeBatch(Batch().Insert(MakeUser(1, "U-1", "a@b.c")));
  PutU64(bytes, 28, std::uint64_t{1} << 60);
  Batch decoded;
  Status status = DecodeBatch(bytes, &decoded);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() ==
        "batch: mutation 1 of 1: a string length of 1152921504606846976 exceeds the " +
            std::to_string(bytes.size() - 36) + " bytes left at byte offset 28");
}

TEST_CASE("a huge row count is refused before anything is reserved") {
  std::string bytes = EncodeSnapshot(SampleRegistry()->Read());
  PutU64(bytes, 32, std::uint64_t{1} << 50);  // the app count, after four next ids
  StatusOr<RegistryRows> rows = DecodeSnapshot(bytes, kSchemaV12);
  CHECK(rows.status().code() == ErrorCode::kCorruption);
  CHECK(rows.status().message() ==
        "snapshot (schema v1.2): threecolts_app row: a count of 1125899906842624 cannot fit in "
        "the " +
            std::to_string(bytes.size() - 40) + " bytes left at byte offset 32");
}

TEST_CASE("an unknown mutation kind is corruption") {
  std::string bytes = EncodeBatch(Batch().Unlink(1, 2));
  std::int32_t index = 14;
  std::memcpy(bytes.data() + 8, &index, sizeof(index));
  Batch decoded;
  Status status = DecodeBatch(bytes, &decoded);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() ==
        "batch: mutation 1 of 1: Invalid 'index' selector when deserializing std::variant at "
        "byte offset 12");
}

TEST_CASE("a record version newer than this build is corruption naming the type") {
  std::string bytes = EncodeBatch(Batch().Insert(MakeUser(1, "U-1", "a@b.c")));
  std::uint32_t version = 2;
  std::memcpy(bytes.data() + 16, &version, sizeof(version));
  Batch decoded;
  Status status = DecodeBatch(bytes, &decoded);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() ==
        "batch: mutation 1 of 1: user record version 2 is newer than this build reads (1) at "
        "byte offset 20");
}

TEST_CASE("record version 0 never existed and is corruption") {
  std::string bytes = EncodeBatch(Batch().Insert(MakeUser(1, "U-1", "a@b.c")));
  std::uint32_t version = 0;
  std::memcpy(bytes.data() + 12, &version, sizeof(version));
  Batch decoded;
  Status status = DecodeBatch(bytes, &decoded);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() ==
        "batch: mutation 1 of 1: insert record version 0 does not exist (versions start at 1) at "
        "byte offset 16");
}

TEST_CASE("an enum value outside its range is corruption") {
  std::string bytes = EncodeBatch(Batch().Insert(MakeUser(1, "U-1", "a@b.c")));
  // id 8, "U-1" 8+3, "a@b.c" 8+5, name "User 1" 8+6: status at 20+46.
  REQUIRE(bytes[66] == 0);
  bytes[66] = 2;
  Batch decoded;
  Status status = DecodeBatch(bytes, &decoded);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == "batch: mutation 1 of 1: invalid status 2 at byte offset 66");
}

TEST_CASE("bytes after the last record are corruption") {
  std::string bytes = EncodeBatch(Batch().Unlink(1, 2)) + "xy";
  Batch decoded;
  Status status = DecodeBatch(bytes, &decoded);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == "batch: end: 2 unexpected bytes after the last record at byte offset " +
                                std::to_string(bytes.size() - 2));
}

TEST_CASE("snapshot bytes are exactly cereal's encoding of the tables, row by row") {
  auto registry = FixedRegistry();
  View view = registry->Read();
  RegistryRows rows;  // in the view's own order
  rows.apps.assign(view.Rows<App>().begin(), view.Rows<App>().end());
  rows.organizations.assign(view.Rows<Organization>().begin(), view.Rows<Organization>().end());
  rows.clients.assign(view.Rows<Client>().begin(), view.Rows<Client>().end());
  rows.users.assign(view.Rows<User>().begin(), view.Rows<User>().end());
  rows.links.assign(view.Rows<ClientUserLink>().begin(), view.Rows<ClientUserLink>().end());
  const NextIds next = view.next_ids();
  rows.next_app_id = next.app;
  rows.next_organization_id = next.organization;
  rows.next_client_id = next.client;
  rows.next_user_id = next.user;
  CHECK(EncodeSnapshot(view) == EncodeV12Payload(rows));
}

namespace {

// A ChangeBatch with a change of every table and every side, as a registry
// records it (a cascaded link erase among them).
ChangeBatch EveryChange() {
  Registry registry;
  registry.SetClock([] { return At(1'800'000'000); });
  std::optional<ChangeBatch> seen;
  registry.SetCommitHook([&seen](const CommitResult& result) {
    seen = result.changes;
    return Status::Ok();
  });
  REQUIRE_OK(registry.Apply(Batch().Insert(MakeUser(2, "U-2", "owner@example.com"))));
  App app = MakeApp(3, "key-ü", Environment::kProd);
  Organization organization = MakeOrganization(4, 3, 2, "ORG-4");
  Client client = MakeClient(9, 4, "ACC-9", RecordStatus::kDisabled);
  User user = MakeUser(8, "U-8", "Hal@Example.com", RecordStatus::kDisabled);
  Batch batch;
  batch.Insert(app).Update(app).Insert(organization).Update(organization);
  batch.Insert(client).Update(client).Insert(user).Update(user);
  batch.Link(9, 8).Unlink(9, 8).Link(9, 8);
  batch.Erase<Client>(9).Erase<User>(8).Erase<Organization>(4).Erase<App>(3);
  REQUIRE_OK(registry.Apply(batch));
  REQUIRE(seen.has_value());
  return *seen;
}

}  // namespace

TEST_CASE("a journal record holds a ChangeBatch: every change kind survives, and replays") {
  const ChangeBatch changes = EveryChange();
  REQUIRE(changes.changes.size() == 16);
  persist::JournalRecord record;
  REQUIRE_OK(persist::DecodeJournalRecord(persist::EncodeJournalRecord(changes), &record));
  CHECK(record.entry_version == persist::kJournalEntryV2);
  CHECK(record.changes.committed_at == At(1'800'000'000));
  CHECK(record.changes.changes == changes.changes);
  CHECK(record.batch.mutations() == ToBatch(changes).mutations());
}

TEST_CASE("a journal record written before the change feed decodes as version 1, its batch") {
  persist::JournalRecord record;
  REQUIRE_OK(persist::DecodeJournalRecord(EncodeBatch(EveryMutation()), &record));
  CHECK(record.entry_version == persist::kJournalEntryV1);
  CHECK(record.changes.changes.empty());
  CHECK(record.batch.mutations() == EveryMutation().mutations());
}

TEST_CASE("a journal record cut short at any byte is corruption, never a crash") {
  const std::string bytes = persist::EncodeJournalRecord(EveryChange());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    persist::JournalRecord record;
    Status status = persist::DecodeJournalRecord(std::string_view(bytes).substr(0, size), &record);
    REQUIRE_MESSAGE(status.code() == ErrorCode::kCorruption, "size ", size);
  }
}

// Record layout: u64 tag @0, i64 commit time @8, u64 change count @16, then
// per change u8 table @24, u8 sides @25, the rows.
TEST_CASE("a journal record with an impossible change is corruption naming it") {
  ChangeBatch changes;
  changes.changes.push_back(RowChange<ClientUserLink>{std::nullopt, ClientUserLink{1, 2, At(5)}});
  const std::string bytes = persist::EncodeJournalRecord(changes);
  persist::JournalRecord record;
  SUBCASE("a link with both sides") {
    std::string damaged = bytes;
    damaged[25] = 3;
    Status status = persist::DecodeJournalRecord(damaged, &record);
    CHECK(
        status.message() ==
        "journal record: change 1 of 1: invalid sides 3 of a change to table 4 at byte offset 24");
  }
  SUBCASE("an unknown table") {
    std::string damaged = bytes;
    damaged[24] = 9;
    Status status = persist::DecodeJournalRecord(damaged, &record);
    CHECK(status.message() == "journal record: change 1 of 1: unknown table 9 at byte offset 24");
  }
  SUBCASE("no side") {
    std::string damaged = bytes;
    damaged[25] = 0;
    Status status = persist::DecodeJournalRecord(damaged, &record);
    CHECK(status.code() == ErrorCode::kCorruption);
  }
}

TEST_CASE("batch bytes are exactly cereal's encoding, versions before each type's first record") {
  Batch batch = EveryMutation();
  // Repeats of types already seen carry no version the second time.
  batch.Insert(MakeUser(10, "U-10", "ten@example.com")).Erase<User>(10).Unlink(9, 8);
  CHECK(EncodeBatch(batch) == persist::reference::EncodeBatch(batch));
  CHECK(EncodeBatch(Batch()) == persist::reference::EncodeBatch(Batch()));
}

TEST_CASE("journal record bytes are exactly cereal's encoding of the entry's fields") {
  ChangeBatch changes = EveryChange();
  // The encoder writes what it is given: events that the batch above does
  // not cause still fill every field.
  changes.access.push_back(
      {8, 9, AccessVerdict::kUnknownAccount, AccessVerdict::kAllowed, kNoId, 4});
  changes.access.push_back({7, 9, AccessVerdict::kAllowed, AccessVerdict::kAccountDisabled, 4, 4});
  changes.connection_changed = {9, 11};
  CHECK(persist::EncodeJournalRecord(changes) == persist::reference::EncodeJournalRecord(changes));
}
