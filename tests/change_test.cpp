// What a batch changed (hubreg/change.h): every mutation kind recorded with
// the rows before and after, cascades in place, nothing for a failed batch,
// and the `after` sides turning the state before into the state after.
#include <doctest/doctest.h>

#include <optional>
#include <random>

#include "feed_testutil.h"
#include "hubreg/feed.h"
#include "hubreg/registry.h"
#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

// Captures the ChangeBatch the commit hook sees.
struct Recorder {
  std::optional<ChangeBatch> last;
  int calls = 0;
  void Attach(Registry& registry) {
    registry.SetCommitHook([this](const CommitResult& result) {
      last = result.changes;
      ++calls;
      return Status::Ok();
    });
  }
};

template <typename Row>
const RowChange<Row>& As(const Change& change) {
  REQUIRE(std::holds_alternative<RowChange<Row>>(change));
  return std::get<RowChange<Row>>(change);
}

}  // namespace

TEST_CASE("an insert records the row with the id and timestamps the registry assigned") {
  Registry registry;
  registry.SetClock([] { return At(1'800'000'000); });
  Recorder recorder;
  recorder.Attach(registry);
  User user = MakeUser(kNoId, "U-1", "ann@example.com");
  user.created_at = {};
  user.updated_at = {};
  REQUIRE_OK(registry.Apply(Batch().Insert(user)));
  REQUIRE(recorder.last.has_value());
  CHECK(recorder.last->sequence == 1);
  CHECK(recorder.last->committed_at == At(1'800'000'000));
  REQUIRE(recorder.last->changes.size() == 1);
  const auto& change = As<User>(recorder.last->changes[0]);
  CHECK_FALSE(change.before.has_value());
  REQUIRE(change.after.has_value());
  CHECK(change.after->id == 1);
  CHECK(change.after->created_at == At(1'800'000'000));
  CHECK(*change.after == *registry.Read().FindUser(1));
}

TEST_CASE("an update records the row before and after") {
  auto registry = SampleRegistry();
  Recorder recorder;
  recorder.Attach(*registry);
  const Client before = *registry->Read().FindClient(3);
  Client moved = before;
  moved.db_host = "elsewhere.internal";
  REQUIRE_OK(registry->Apply(Batch().Update(moved)));
  REQUIRE(recorder.last->changes.size() == 1);
  const auto& change = As<Client>(recorder.last->changes[0]);
  CHECK(change.before == before);
  CHECK(change.after == *registry->Read().FindClient(3));
  CHECK(change.after->db_host == "elsewhere.internal");
}

TEST_CASE("erasing a client or a user lists its links' erases right before its own") {
  auto registry = SampleRegistry();
  Recorder recorder;
  recorder.Attach(*registry);
  SUBCASE("a client") {
    const Client client = *registry->Read().FindClient(1);  // linked to users 1, 2, 4
    REQUIRE_OK(registry->Apply(Batch().Erase<Client>(1)));
    const auto& changes = recorder.last->changes;
    REQUIRE(changes.size() == 4);
    std::vector<Id> users;
    for (int i = 0; i < 3; ++i) {
      const auto& link = As<ClientUserLink>(changes[i]);
      CHECK_FALSE(link.after.has_value());
      REQUIRE(link.before.has_value());
      CHECK(link.before->client_id == 1);
      users.push_back(link.before->user_id);
    }
    std::sort(users.begin(), users.end());
    CHECK(users == std::vector<Id>{1, 2, 4});
    CHECK(As<Client>(changes[3]).before == client);
    CHECK_FALSE(As<Client>(changes[3]).after.has_value());
  }
  SUBCASE("a user, after other mutations of the batch") {
    REQUIRE_OK(registry->Apply(Batch().Unlink(3, 3).Link(3, 5).Erase<User>(5)));
    const auto& changes = recorder.last->changes;
    REQUIRE(changes.size() == 5);
    CHECK(As<ClientUserLink>(changes[0]).before->client_id == 3);  // the unlink
    CHECK(As<ClientUserLink>(changes[1]).after->user_id == 5);     // the link
    std::vector<Id> clients{As<ClientUserLink>(changes[2]).before->client_id,
                            As<ClientUserLink>(changes[3]).before->client_id};
    std::sort(clients.begin(), clients.end());
    CHECK(clients == std::vector<Id>{3, 4});
    CHECK(As<User>(changes[4]).before->id == 5);
  }
}

TEST_CASE("every table's inserts, updates and erases are recorded in order") {
  auto registry = SampleRegistry();
  Recorder recorder;
  recorder.Attach(*registry);
  App app = *registry->Read().FindApp(2);
  app.name = "renamed";
  Organization organization = *registry->Read().FindOrganization(3);
  organization.name = "renamed";
  REQUIRE_OK(registry->Apply(Batch()
                                 .Insert(MakeApp(kNoId, "key-new"))
                                 .Update(app)
                                 .Update(organization)
                                 .Erase<Organization>(3)
                                 .Erase<App>(3)
                                 .Insert(MakeUser(kNoId, "U-9", "nine@example.com"))
                                 .Link(3, 6)));
  const auto& changes = recorder.last->changes;
  REQUIRE(changes.size() == 7);
  CHECK(As<App>(changes[0]).after->id == 3);
  CHECK(As<App>(changes[1]).after->name == "renamed");
  CHECK(As<Organization>(changes[2]).before->name == "Organization 3");
  CHECK(As<Organization>(changes[3]).before->name == "renamed");
  CHECK(As<App>(changes[4]).before->app_key == "key-new");
  CHECK(As<User>(changes[5]).after->id == 6);
  CHECK(As<ClientUserLink>(changes[6]).after == *registry->Read().FindLink(3, 6));
}

TEST_CASE("a failed batch yields no ChangeBatch and no sequence") {
  auto registry = SampleRegistry();
  Recorder recorder;
  recorder.Attach(*registry);
  CHECK(registry->Apply(Batch().Unlink(3, 3).Erase<User>(1)).status().code() == ErrorCode::kInUse);
  CHECK(recorder.calls == 0);
  CHECK(registry->LastSequence() == 1);
  StatusOr<std::optional<ChangeBatch>> next = registry->Changes(1, std::chrono::milliseconds(0));
  REQUIRE_OK(next);
  CHECK_FALSE(next->has_value());
}

TEST_CASE("a failing commit hook publishes nothing to the feed") {
  auto registry = SampleRegistry();
  registry->SetCommitHook([](const CommitResult&) { return Status::Io("disk on fire"); });
  CHECK(registry->Apply(Batch().Unlink(3, 3)).status().code() == ErrorCode::kIo);
  StatusOr<std::optional<ChangeBatch>> next = registry->Changes(1, std::chrono::milliseconds(0));
  REQUIRE_OK(next);
  CHECK_FALSE(next->has_value());
}

TEST_CASE("ApplyGroup records one ChangeBatch per batch, each with its sequence") {
  auto registry = SampleRegistry();
  std::vector<ChangeBatch> seen;
  std::vector<Batch> batches{Batch().Unlink(3, 3), Batch(), Batch().Link(3, 5)};
  Registry::GroupResult group =
      registry->ApplyGroup(batches, [&](std::span<const CommitResult> results) {
        for (const CommitResult& result : results) seen.push_back(result.changes);
        return Status::Ok();
      });
  REQUIRE_OK(group.status);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].sequence == 2);
  CHECK(seen[0].changes.size() == 1);
  CHECK(seen[1].changes.empty());  // the empty batch takes no sequence
  CHECK(seen[2].sequence == 3);
  CHECK(As<ClientUserLink>(seen[2].changes[0]).after->user_id == 5);
  for (std::uint64_t after : {1, 2}) {
    StatusOr<std::optional<ChangeBatch>> next =
        registry->Changes(after, std::chrono::milliseconds(0));
    REQUIRE_OK(next);
    REQUIRE(next->has_value());
    CHECK(**next == seen[after == 1 ? 0 : 2]);
  }
}

TEST_CASE("the after sides of random batches turn the state before into the state after") {
  const unsigned seed = 20261130;
  INFO("seed ", seed);
  std::mt19937 random(seed);
  auto registry = SampleRegistry();
  Recorder recorder;
  recorder.Attach(*registry);
  auto replica = SampleRegistry();  // rebuilt through ToBatch
  int applied = 0;
  for (int round = 0; round < 400; ++round) {
    RegistryRows before = SortedRows(registry->Read());
    recorder.last.reset();
    const Batch batch = RandomBatch(random, before);
    StatusOr<CommitResult> result = registry->Apply(batch);
    if (!result.ok() || batch.empty()) {
      CHECK_FALSE(recorder.last.has_value());
      continue;
    }
    ++applied;
    REQUIRE(recorder.last.has_value());
    ApplyAfterSides(before, *recorder.last);
    RegistryRows after = SortedRows(registry->Read());
    REQUIRE_MESSAGE(SameRows(before, after), "round ", round);
    REQUIRE_OK(replica->Apply(ToBatch(*recorder.last)));
  }
  MESSAGE(applied << " of 400 random batches applied");
  CHECK(applied > 100);
  CHECK(SameRows(SortedRows(replica->Read()), SortedRows(registry->Read())));
  CHECK(replica->LastSequence() == registry->LastSequence());
}
