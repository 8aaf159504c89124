// Batches, ids, timestamps, sequence numbers, views and bulk loading.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;

TEST_CASE("an empty registry is at sequence 0 and finds nothing") {
  Registry registry;
  View view = registry.Read();
  CHECK(view.sequence() == 0);
  CHECK(registry.LastSequence() == 0);
  CHECK(view.counts() == TableCounts{});
  CHECK(view.FindUserByEmail("a@b.c") == nullptr);
}

TEST_CASE("HasViews tells whether any View of the registry is alive") {
  auto registry = SampleRegistry();
  CHECK_FALSE(registry->HasViews());
  {
    View first = registry->Read();
    CHECK(registry->HasViews());
    REQUIRE_OK(registry->Apply(Batch().Insert(MakeUser(9, "U-9", "nine@example.com"))));
    View second = registry->Read();  // on the other copy
    CHECK(first.sequence() != second.sequence());
    View moved = std::move(first);
    CHECK(registry->HasViews());
  }
  CHECK_FALSE(registry->HasViews());
}

TEST_CASE("each applied batch gets the next sequence number") {
  Registry registry;
  StatusOr<CommitResult> first = registry.Apply(SampleBatch());
  REQUIRE_OK(first);
  CHECK(first->sequence == 1);
  StatusOr<CommitResult> second = registry.Apply(Batch().Unlink(1, 1));
  REQUIRE_OK(second);
  CHECK(second->sequence == 2);
  CHECK(registry.LastSequence() == 2);
  CHECK(registry.Read().sequence() == 2);
}

TEST_CASE("an empty batch changes nothing and takes no sequence number") {
  auto registry = SampleRegistry();
  StatusOr<CommitResult> result = registry->Apply(Batch());
  REQUIRE_OK(result);
  CHECK(result->sequence == 1);
  CHECK(registry->LastSequence() == 1);
}

TEST_CASE("ids left at 0 are assigned per table, after the largest id seen") {
  auto registry = SampleRegistry();
  StatusOr<Id> user = registry->Insert(MakeUser(0, "U-new", "new@example.com"));
  REQUIRE_OK(user);
  CHECK(*user == 6);
  StatusOr<Id> app = registry->Insert(MakeApp(0, "key-new"));
  REQUIRE_OK(app);
  CHECK(*app == 3);
  CHECK_OK(registry->Insert(MakeUser(100, "U-100", "hundred@example.com")));
  CHECK(*registry->Insert(MakeUser(0, "U-101", "next@example.com")) == 101);
}

TEST_CASE("ids of deleted rows are not handed out again") {
  auto registry = SampleRegistry();
  CHECK_OK(registry->Erase<User>(5));
  CHECK_OK(registry->Erase<User>(4));
  CHECK(*registry->Insert(MakeUser(0, "U-again", "again@example.com")) == 6);
}

TEST_CASE("the applied batch records assigned ids and filled timestamps, so it can be replayed") {
  Registry registry;
  registry.SetClock([] { return At(1'800'000'000); });
  User user;
  user.external_id = "U-1";
  user.email = "a@example.com";
  StatusOr<CommitResult> result = registry.Apply(Batch().Insert(user));
  REQUIRE_OK(result);
  const User& applied = std::get<InsertRow<User>>(result->applied.mutations()[0]).row;
  CHECK(applied.id == 1);
  CHECK(applied.created_at == At(1'800'000'000));
  CHECK(applied.updated_at == At(1'800'000'000));

  Registry replica;
  REQUIRE_OK(replica.Apply(result->applied));
  CHECK(*replica.Read().FindUser(1) == *registry.Read().FindUser(1));
}

TEST_CASE("an update keeps created_at unless given and sets updated_at to now") {
  auto registry = SampleRegistry();
  registry->SetClock([] { return At(1'900'000'000); });
  User ann = *registry->Read().FindUser(1);
  ann.name = "Ann B.";
  ann.created_at = {};
  ann.updated_at = {};
  CHECK_OK(registry->Update(ann));
  const User* stored = registry->Read().FindUser(1);
  CHECK(stored->name == "Ann B.");
  CHECK(stored->created_at == At(1'700'000'100));
  CHECK(stored->updated_at == At(1'900'000'000));
}

// Updates that change no indexed column are written into the node in place
// (batch_applier.cpp, UpdateInPlace); the others move the node in the
// indexes. Both copies of the state must answer every lookup the same: the
// second batch makes the writer replay the first on the other copy, and each
// Read() then sees one copy or the other.
TEST_CASE("updates with and without a changed key keep every index right on both copies") {
  auto registry = SampleRegistry();
  std::optional<View> before = registry->Read();  // released before the writes
  App app = *before->FindApp(1);
  Organization organization = *before->FindOrganization(1);
  Client client = *before->FindClient(1);
  User user = *before->FindUser(1);
  User mover = *before->FindUser(2);
  Client moved_client = *before->FindClient(3);
  before.reset();
  app.name = "Renamed app";
  organization.name = "Renamed organization";
  client.name = "Renamed account";
  client.db_host = "db9.example.com";
  user.name = "Renamed user";
  user.status = RecordStatus::kDisabled;
  mover.email = "Bob.New@example.com";
  mover.external_id = "U-2-new";
  moved_client.threecolts_organization_id = 1;
  moved_client.external_id = "ACC-3-new";
  Batch batch;
  batch.Update(app).Update(organization).Update(client).Update(user);
  batch.Update(mover).Update(moved_client);

  auto check = [&](const View& view, std::size_t users) {
    CAPTURE(view.sequence());
    CHECK(view.FindAppByKey("key-stage")->name == "Renamed app");
    CHECK(view.FindOrganizationByExternalId(1, "ORG-1")->name == "Renamed organization");
    CHECK(view.FindClientByExternalId("ACC-1")->db_host == "db9.example.com");
    CHECK(view.FindUserByEmail("ANN@example.com")->name == "Renamed user");
    CHECK(view.FindUserByExternalId("U-1")->status == RecordStatus::kDisabled);
    CHECK(view.FindUser(1)->name == "Renamed user");
    CHECK(view.FindUserByEmail("bob@example.com") == nullptr);
    CHECK(view.FindUserByExternalId("U-2") == nullptr);
    CHECK(view.FindUserByEmail("bob.new@EXAMPLE.com")->id == 2);
    CHECK(view.FindUserByExternalId("U-2-new")->id == 2);
    CHECK(view.FindClientByExternalId("ACC-3") == nullptr);
    CHECK(view.FindClientByExternalId("ACC-3-new")->id == 3);
    std::vector<Id> accounts;
    for (const Client& c : view.ClientsOfOrganization(1)) accounts.push_back(c.id);
    std::sort(accounts.begin(), accounts.end());
    CHECK(accounts == std::vector<Id>{1, 2, 3});
    // Links live in the nodes and survive both kinds of update.
    std::vector<Id> users_of_first;
    for (const User& u : view.UsersOfClient(1)) users_of_first.push_back(u.id);
    CHECK(users_of_first == std::vector<Id>{1, 2, 4});
    CHECK(view.counts() == TableCounts{2, 3, 4, users, 6});
  };
  REQUIRE_OK(registry->Apply(batch));
  check(registry->Read(), 5);
  REQUIRE_OK(registry->Apply(Batch().Insert(MakeUser(9, "U-9", "nine@example.com"))));
  check(registry->Read(), 6);
  REQUIRE_OK(registry->Apply(Batch().Erase<User>(9)));
  check(registry->Read(), 5);
}

TEST_CASE("mutations in a batch see the ones before them") {
  Registry registry;
  Batch batch;
  batch.Insert(MakeApp(0, "k"))
      .Insert(MakeUser(0, "U-1", "a@example.com"))
      .Insert(MakeOrganization(0, 1, 1, "O"))
      .Insert(MakeClient(0, 1, "C"))
      .Link(1, 1)
      .Unlink(1, 1)
      .Link(1, 1);
  REQUIRE_OK(registry.Apply(batch));
  CHECK(registry.Read().counts() == TableCounts{1, 1, 1, 1, 1});
}

TEST_CASE("a view keeps its state while later batches are applied") {
  auto registry = SampleRegistry();
  View before = registry->Read();
  // Two batches, so the writer has to bring both copies up to date while
  // the old view is gone and the new one still exists.
  std::thread writer([&] { CHECK_OK(registry->Insert(MakeUser(0, "U-6", "six@example.com"))); });
  // The writer may wait for `before` only on the second batch; release it
  // after the first has certainly been published.
  while (registry->LastSequence() < 2) std::this_thread::yield();
  CHECK(before.FindUser(6) == nullptr);
  CHECK(before.sequence() == 1);
  writer.join();
  View after = registry->Read();
  CHECK(after.FindUser(6) != nullptr);
  { View released = std::move(before); }
  CHECK_OK(registry->Insert(MakeUser(0, "U-7", "seven@example.com")));
  CHECK(after.FindUser(7) == nullptr);
  CHECK(registry->Read().FindUser(7) != nullptr);
}

TEST_CASE("a failing commit hook rolls the batch back and returns its error") {
  auto registry = SampleRegistry();
  registry->SetCommitHook([](const CommitResult&) { return Status::Io("disk full"); });
  StatusOr<CommitResult> result = registry->Apply(Batch().Erase<Client>(1));
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().ToString() == "I/O error: disk full");
  CHECK(registry->Read().FindClient(1) != nullptr);
  CHECK(registry->Read().UsersOfClient(1).size() == 3);
  CHECK(registry->LastSequence() == 1);

  registry->SetCommitHook({});
  CHECK_OK(registry->Erase<Client>(1));
  CHECK(registry->Read().FindClient(1) == nullptr);
}

TEST_CASE("the commit hook sees the batch before readers do") {
  auto registry = SampleRegistry();
  std::uint64_t hooked = 0;
  registry->SetCommitHook([&](const CommitResult& result) {
    hooked = result.sequence;
    CHECK(registry->Read().FindUser(6) == nullptr);  // not visible yet
    return Status::Ok();
  });
  CHECK_OK(registry->Insert(MakeUser(6, "U-6", "six@example.com")));
  CHECK(hooked == 2);
  CHECK(registry->Read().FindUser(6) != nullptr);
}

TEST_CASE("RunExclusive sees the latest state") {
  auto registry = SampleRegistry();
  CHECK_OK(registry->RunExclusive([](const View& view) {
    CHECK(view.sequence() == 1);
    CHECK(view.counts().users == 5);
    return Status::Ok();
  }));
}

TEST_CASE("a registry built from rows equals one built by inserts") {
  auto reference = SampleRegistry();
  View view = reference->Read();
  RegistryRows rows = SortedRows(view);
  rows.next_user_id = 50;

  auto built = Registry::FromRows(rows, 7);
  REQUIRE_OK(built);
  Registry& registry = **built;
  CHECK(registry.LastSequence() == 7);
  {
    View copy = registry.Read();
    CHECK(copy.sequence() == 7);
    CHECK(copy.counts() == view.counts());
    for (const User& user : view.Rows<User>()) CHECK(*copy.FindUser(user.id) == user);
    for (const Client& client : view.Rows<Client>()) CHECK(*copy.FindClient(client.id) == client);
    CHECK(copy.UsersOfClient(1).size() == 3);
  }  // a thread must not hold a View while it applies batches
  CHECK(*registry.Insert(MakeUser(0, "U-50", "fifty@example.com")) == 50);
  // Both copies of the state were built: a second batch uses the other one.
  CHECK_OK(registry.Erase<User>(50));
  CHECK_OK(registry.Insert(MakeUser(0, "U-51", "fiftyone@example.com")));
  CHECK(registry.Read().FindUser(5) != nullptr);
  CHECK(registry.Read().counts().users == 6);
}

TEST_CASE("building from rows refuses integrity violations and names the row") {
  RegistryRows rows;
  rows.users = {MakeUser(1, "U-1", "a@example.com"), MakeUser(2, "U-2", "A@example.com")};
  auto duplicate = Registry::FromRows(rows, 1);
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.status().ToString() ==
        "duplicate: user: email \"A@example.com\" is already used by id 1; in user row 2");

  rows.users.pop_back();
  rows.links = {ClientUserLink{3, 1, At(0)}};
  auto dangling = Registry::FromRows(rows, 1);
  REQUIRE_FALSE(dangling.ok());
  CHECK(dangling.status().ToString() ==
        "foreign key: client_user: client_id 3 does not exist in client; in client_user row 1");
}
