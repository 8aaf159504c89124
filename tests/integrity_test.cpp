// Every integrity rule, each with the exact error a caller sees. Each
// refused mutation must leave the registry unchanged.
#include <doctest/doctest.h>

#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

// Applies `batch`, expects it refused with `code` and `message`, and checks
// that nothing changed.
void CheckRefused(Registry& registry, const Batch& batch, ErrorCode code,
                  const std::string& message) {
  const TableCounts before = registry.Read().counts();
  const std::uint64_t sequence = registry.LastSequence();
  StatusOr<CommitResult> result = registry.Apply(batch);
  REQUIRE_FALSE(result.ok());
  CHECK(ErrorCodeName(result.status().code()) == ErrorCodeName(code));
  CHECK(result.status().message() == message);
  CHECK(registry.Read().counts() == before);
  CHECK(registry.LastSequence() == sequence);
}

}  // namespace

TEST_CASE("an insert with an id that exists is a duplicate") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Insert(MakeUser(1, "U-new", "new@example.com")),
               ErrorCode::kDuplicate, "user: id 1 already exists; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeApp(2, "key-new")), ErrorCode::kDuplicate,
               "threecolts_app: id 2 already exists; in mutation 1 of 1");
}

TEST_CASE("unique keys stay unique") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Insert(MakeApp(0, "key-prod")), ErrorCode::kDuplicate,
               "threecolts_app: app_key \"key-prod\" is already used by id 2; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeOrganization(0, 1, 1, "ORG-1")), ErrorCode::kDuplicate,
               "threecolts_organization: external_id \"ORG-1\" is already used in threecolts_app 1 "
               "by id 1; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeClient(0, 1, "ACC-1")), ErrorCode::kDuplicate,
               "client: external_id \"ACC-1\" is already used by id 1; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeUser(0, "U-1", "x@example.com")),
               ErrorCode::kDuplicate,
               "user: external_id \"U-1\" is already used by id 1; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Link(1, 1), ErrorCode::kDuplicate,
               "client_user: (client_id, user_id) (1, 1) already exists; in mutation 1 of 1");
}

TEST_CASE("emails are unique ignoring case") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Insert(MakeUser(0, "U-new", "ANN@example.com")),
               ErrorCode::kDuplicate,
               "user: email \"ANN@example.com\" is already used by id 1; in mutation 1 of 1");
}

TEST_CASE("foreign keys must point at existing rows") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Insert(MakeOrganization(0, 9, 1, "ORG-9")),
               ErrorCode::kForeignKey,
               "threecolts_organization: threecolts_app_id 9 does not exist in threecolts_app; "
               "in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeOrganization(0, 1, 9, "ORG-9")),
               ErrorCode::kForeignKey,
               "threecolts_organization: organization_owner_id 9 does not exist in user; in "
               "mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeClient(0, 9, "ACC-9")), ErrorCode::kForeignKey,
               "client: threecolts_organization_id 9 does not exist in threecolts_organization; "
               "in mutation 1 of 1");
  CheckRefused(*registry, Batch().Link(9, 1), ErrorCode::kForeignKey,
               "client_user: client_id 9 does not exist in client; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Link(1, 9), ErrorCode::kForeignKey,
               "client_user: user_id 9 does not exist in user; in mutation 1 of 1");
}

TEST_CASE("an update must keep foreign keys valid") {
  auto registry = SampleRegistry();
  Client moved = registry->Read().FindClient(1)[0];
  moved.threecolts_organization_id = 42;
  CheckRefused(*registry, Batch().Update(moved), ErrorCode::kForeignKey,
               "client: threecolts_organization_id 42 does not exist in threecolts_organization; "
               "in mutation 1 of 1");
}

TEST_CASE("an update must keep unique keys unique, but a row may keep its own key") {
  auto registry = SampleRegistry();
  User bob = registry->Read().FindUser(2)[0];
  bob.email = "Ann@Example.com";
  CheckRefused(*registry, Batch().Update(bob), ErrorCode::kDuplicate,
               "user: email \"Ann@Example.com\" is already used by id 1; in mutation 1 of 1");
  bob.email = "BOB@example.com";
  CHECK_OK(registry->Update(bob));
  CHECK(registry->Read().FindUserByEmail("bob@example.com")->email == "BOB@example.com");
}

TEST_CASE("deleting an app with organizations is refused") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Erase<App>(2), ErrorCode::kInUse,
               "threecolts_app: id 2 is still referenced by 2 threecolts_organization row(s) "
               "through threecolts_app_id; in mutation 1 of 1");
}

TEST_CASE("deleting an organization with clients is refused") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Erase<Organization>(1), ErrorCode::kInUse,
               "threecolts_organization: id 1 is still referenced by 2 client row(s) through "
               "threecolts_organization_id; in mutation 1 of 1");
}

TEST_CASE("deleting a user who owns an organization is refused") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Erase<User>(1), ErrorCode::kInUse,
               "user: id 1 is still referenced by 2 threecolts_organization row(s) through "
               "organization_owner_id; in mutation 1 of 1");
}

TEST_CASE("deleting a client removes its links") {
  auto registry = SampleRegistry();
  CHECK_OK(registry->Erase<Client>(1));
  View view = registry->Read();
  CHECK(view.FindClient(1) == nullptr);
  CHECK(view.UsersOfClient(1).empty());
  CHECK(view.ClientsOfUser(2).empty());
  CHECK(view.ClientsOfUser(1).size() == 1);
  CHECK(view.counts().links == 3);
}

TEST_CASE("deleting a user removes its links") {
  auto registry = SampleRegistry();
  CHECK_OK(registry->Erase<User>(3));
  View view = registry->Read();
  CHECK(view.FindUser(3) == nullptr);
  CHECK(view.UsersOfClient(3).empty());
  CHECK(view.counts().links == 5);
}

TEST_CASE("deleting an unreferenced organization and app works") {
  auto registry = SampleRegistry();
  CHECK_OK(registry->Erase<Organization>(3));
  CHECK_OK(registry->Apply(Batch().Erase<Client>(3).Erase<Organization>(2).Erase<App>(2)));
  CHECK(registry->Read().counts() == TableCounts{1, 1, 3, 5, 5});
}

TEST_CASE("updating or deleting a missing row is not found") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Update(MakeUser(99, "U-99", "x@example.com")),
               ErrorCode::kNotFound, "user: id 99 not found; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Erase<Client>(99), ErrorCode::kNotFound,
               "client: id 99 not found; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Erase<Organization>(99), ErrorCode::kNotFound,
               "threecolts_organization: id 99 not found; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Erase<App>(99), ErrorCode::kNotFound,
               "threecolts_app: id 99 not found; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Unlink(3, 1), ErrorCode::kNotFound,
               "client_user: (client_id, user_id) (3, 1) not found; in mutation 1 of 1");
}

TEST_CASE("malformed rows are invalid arguments") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Insert(MakeUser(0, "", "x@example.com")),
               ErrorCode::kInvalidArgument,
               "user: external_id must not be empty; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeUser(0, "U-9", "")), ErrorCode::kInvalidArgument,
               "user: email must not be empty; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeUser(0, "U-9", "not-an-email")),
               ErrorCode::kInvalidArgument,
               "user: email \"not-an-email\" is not an email address; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeApp(0, "")), ErrorCode::kInvalidArgument,
               "threecolts_app: app_key must not be empty; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeClient(0, 1, "")), ErrorCode::kInvalidArgument,
               "client: external_id must not be empty; in mutation 1 of 1");
  CheckRefused(*registry, Batch().Insert(MakeOrganization(0, 1, 1, "")),
               ErrorCode::kInvalidArgument,
               "threecolts_organization: external_id must not be empty; in mutation 1 of 1");
}

TEST_CASE("values in messages are quoted and escaped") {
  auto registry = SampleRegistry();
  CheckRefused(*registry, Batch().Insert(MakeUser(0, "U-9", "a \"b\"\nc")),
               ErrorCode::kInvalidArgument,
               "user: email \"a \\\"b\\\"\\x0ac\" is not an email address; in mutation 1 of 1");
}

TEST_CASE("no error message ever contains a database password") {
  auto registry = SampleRegistry();
  Client clash = MakeClient(0, 1, "ACC-1");
  clash.db_password = "hunter2-secret";
  Client orphan = MakeClient(0, 77, "ACC-77");
  orphan.db_password = "hunter2-secret";
  Client missing = MakeClient(99, 1, "ACC-99");
  missing.db_password = "hunter2-secret";
  for (const Batch& batch : {Batch().Insert(clash), Batch().Insert(orphan), Batch().Update(missing),
                             Batch().Insert(MakeClient(1, 1, "hunter2-secret"))}) {
    StatusOr<CommitResult> result = registry->Apply(batch);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().ToString().find("hunter2") == std::string::npos);
  }
}

TEST_CASE("a batch that fails part-way changes nothing") {
  auto registry = SampleRegistry();
  Batch batch;
  batch.Insert(MakeUser(10, "U-10", "ten@example.com"))
      .Link(1, 10)
      .Erase<Client>(3)
      .Update(MakeUser(2, "U-2", "bobby@example.com"))
      .Insert(MakeUser(11, "U-11", "TEN@example.com"));  // duplicate email of mutation 1
  CheckRefused(*registry, batch, ErrorCode::kDuplicate,
               "user: email \"TEN@example.com\" is already used by id 10; in mutation 5 of 5");
  View view = registry->Read();
  CHECK(view.FindUser(10) == nullptr);
  CHECK(view.FindClient(3) != nullptr);
  CHECK(view.UsersOfClient(3).size() == 1);
  CHECK(view.FindUser(2)->email == "bob@example.com");
  // The rolled-back ids are free again.
  CHECK_OK(registry->Insert(MakeUser(10, "U-10", "ten@example.com")));
}
