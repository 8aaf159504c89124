// Every integrity rule, each with the exact error a caller sees. Each
// refused mutation must leave the registry unchanged.
#include "hubreg/integrity.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

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
  const RegistryRows before = SortedRows(registry->Read());
  Batch batch;
  batch.Insert(MakeUser(10, "U-10", "ten@example.com"))
      .Insert(MakeUser(kNoId, "U-auto", "auto@example.com"))  // takes the next id
      .Link(1, 10)
      .Unlink(1, 2)
      .Erase<Client>(3)
      .Erase<User>(5)  // with its link to client 4
      .Update(MakeUser(2, "U-2", "bobby@example.com"))
      .Update(MakeUser(3, "U-3", "cid@example.com", RecordStatus::kDisabled))  // keys unchanged
      .Insert(MakeUser(20, "U-20", "TEN@example.com"));  // duplicate email of mutation 1
  CheckRefused(*registry, batch, ErrorCode::kDuplicate,
               "user: email \"TEN@example.com\" is already used by id 10; in mutation 9 of 9");
  // Every row, link and next id as before (SortedRows), on the copy
  // readers see now and, after the next batch, on the other one too.
  CheckSameRows(SortedRows(registry->Read()), before);
  {
    View view = registry->Read();
    CHECK(view.FindUser(2)->email == "bob@example.com");
    CHECK(view.FindUserByEmail("bob@example.com") != nullptr);
    CHECK(view.FindUserByEmail("bobby@example.com") == nullptr);
    CHECK(view.UsersOfClient(3).size() == 1);
    CHECK(view.UsersOfClient(4).size() == 1);
  }
  // The rolled-back ids are free again: the next assigned id is the one the
  // refused batch had taken.
  StatusOr<Id> assigned = registry->Insert(MakeUser(kNoId, "U-auto", "auto@example.com"));
  REQUIRE_OK(assigned);
  CHECK(*assigned == before.next_user_id);
  CHECK_OK(registry->Insert(MakeUser(10, "U-10", "ten@example.com")));
  CHECK_OK(registry->Erase<User>(10));
  CHECK_OK(registry->Erase<User>(*assigned));
  CHECK(SortedRows(registry->Read()).users == before.users);
  CHECK(SortedRows(registry->Read()).links == before.links);
}

TEST_CASE("a group whose batch fails part-way keeps the batches before it, all of each") {
  auto registry = SampleRegistry();
  std::vector<Batch> batches(2);
  batches[0].Insert(MakeUser(10, "U-10", "ten@example.com")).Link(1, 10);
  batches[1]
      .Erase<User>(5)
      .Unlink(1, 1)
      .Update(MakeUser(2, "U-2", "bobby@example.com"))
      .Insert(MakeUser(11, "U-11", "TEN@example.com"));  // duplicate email of batch 1
  Registry::GroupResult result = registry->ApplyGroup(batches, nullptr);
  CHECK(result.status.code() == ErrorCode::kDuplicate);
  CHECK(result.committed.size() == 1);
  RegistryRows expected = SortedRows(registry->Read());
  // Both copies: the next batch makes the other one active.
  REQUIRE_OK(registry->Apply(Batch().Insert(MakeApp(3, "key-3"))));
  REQUIRE_OK(registry->Erase<App>(3));
  expected.next_app_id = 4;
  CheckSameRows(SortedRows(registry->Read()), expected);
  View view = registry->Read();
  CHECK(view.FindUser(10) != nullptr);
  CHECK(view.FindUser(5) != nullptr);
  CHECK(view.UsersOfClient(1).size() == 4);
  CHECK(view.FindUser(2)->email == "bob@example.com");
}

// CheckNewRows: the same rules over a set of new rows, every violation.

namespace {

std::vector<std::string> Described(const std::vector<Violation>& violations) {
  std::vector<std::string> lines;
  for (const Violation& v : violations) {
    lines.push_back(std::string(v.table) + "[" + std::to_string(v.row) + "] " + v.column + ": " +
                    v.reason + " (" + std::string(ErrorCodeName(v.code)) + ")");
  }
  return lines;
}

}  // namespace

TEST_CASE("a set of new rows that breaks no rule has no violation") {
  Registry empty;
  RegistryRows rows;
  rows.apps = {MakeApp(1, "key-1")};
  rows.users = {MakeUser(1, "U-1", "ann@example.com")};
  rows.organizations = {MakeOrganization(1, 1, 1, "ORG-1")};
  rows.clients = {MakeClient(1, 1, "ACC-1"), MakeClient(2, kNoId, "ACC-2")};
  rows.links = {ClientUserLink{1, 1, At(1'700'000'000)}};
  CHECK(CheckNewRows(empty.Read(), rows).empty());
  CHECK(CheckNewRows(SampleRegistry()->Read(), RegistryRows()).empty());
}

TEST_CASE("every violation of a set is reported with its table, row and column") {
  auto registry = SampleRegistry();
  RegistryRows rows;
  rows.apps = {MakeApp(7, "key-new"), MakeApp(8, "key-new"), MakeApp(1, "key-prod")};
  rows.users = {MakeUser(7, "U-7", "Ann@Example.com"), MakeUser(8, "U-8", "no-at"),
                MakeUser(7, "U-7", "")};
  rows.organizations = {MakeOrganization(7, 8, 99, "ORG-1"), MakeOrganization(8, 99, 7, "ORG-7")};
  rows.clients = {MakeClient(7, 8, "ACC-1"), MakeClient(8, 42, "ACC-8")};
  rows.links = {ClientUserLink{7, 8, At(1)}, ClientUserLink{7, 8, At(1)},
                ClientUserLink{1, 1, At(1)}, ClientUserLink{9, 99, At(1)}};
  CHECK(Described(CheckNewRows(registry->Read(), rows)) ==
        std::vector<std::string>{
            "threecolts_app[1] app_key: \"key-new\" is already used by id 7 (duplicate)",
            "threecolts_app[2] id: 1 already exists (duplicate)",
            "threecolts_app[2] app_key: \"key-prod\" is already used by id 2 (duplicate)",
            "user[0] email: \"Ann@Example.com\" is already used by id 1 (duplicate)",
            "user[1] email: \"no-at\" is not an email address (invalid argument)",
            "user[2] id: 7 already exists (duplicate)",
            "user[2] email: must not be empty (invalid argument)",
            "user[2] external_id: \"U-7\" is already used by id 7 (duplicate)",
            "threecolts_organization[0] organization_owner_id: 99 does not exist in user "
            "(foreign key)",
            "threecolts_organization[1] threecolts_app_id: 99 does not exist in threecolts_app "
            "(foreign key)",
            "client[0] external_id: \"ACC-1\" is already used by id 1 (duplicate)",
            "client[1] threecolts_organization_id: 42 does not exist in threecolts_organization "
            "(foreign key)",
            "client_user[1] (client_id, user_id): (7, 8) already exists (duplicate)",
            "client_user[2] (client_id, user_id): (1, 1) already exists (duplicate)",
            "client_user[3] client_id: 9 does not exist in client (foreign key)",
            "client_user[3] user_id: 99 does not exist in user (foreign key)",
        });
}

TEST_CASE("a clash inside a set names the earlier row as the caller names it") {
  Registry empty;
  RegistryRows rows;
  rows.users = {MakeUser(1, "U-1", "ann@example.com"), MakeUser(1, "U-2", "ANN@example.com")};
  rows.clients = {MakeClient(1, kNoId, "ACC-1"), MakeClient(2, kNoId, "ACC-1")};
  CheckOptions options;
  options.name_row = [](std::string_view table, std::size_t row) {
    return std::string(table) + ".csv:" + std::to_string(row + 2);
  };
  options.show_client_values = false;
  CHECK(Described(CheckNewRows(empty.Read(), rows, options)) ==
        std::vector<std::string>{
            "user[1] id: 1 is already used at user.csv:2 (duplicate)",
            "user[1] email: \"ANN@example.com\" is already used at user.csv:2 (duplicate)",
            "client[1] external_id: the value is already used at client.csv:2 (duplicate)",
        });
}

TEST_CASE("a set's violation reads as the batch's error for the same row") {
  auto registry = SampleRegistry();
  RegistryRows rows;
  rows.users = {MakeUser(9, "U-9", "BOB@example.com")};
  const std::vector<Violation> violations = CheckNewRows(registry->Read(), rows);
  REQUIRE(violations.size() == 1);
  CheckRefused(*registry, Batch().Insert(rows.users[0]), violations[0].code,
               violations[0].ToStatus().message() + "; in mutation 1 of 1");
  CHECK(violations[0].ToStatus().message() ==
        "user: email \"BOB@example.com\" is already used by id 2");
}
