// The queries of `hubreg query` and how their results are shown.
#include "query_output.h"

#include <doctest/doctest.h>

#include "testutil.h"

namespace hubreg::cli {
namespace {

// The sample registry, its links made at a fixed time.
std::unique_ptr<Registry> Sample() {
  auto registry = std::make_unique<Registry>();
  registry->SetClock([] { return test::At(1'700'000'400); });
  REQUIRE_OK(registry->Apply(test::SampleBatch()));
  return registry;
}

TEST_CASE("user-clients finds the user by external id or email and lists linked clients") {
  auto registry = Sample();
  const View view = registry->Read();
  StatusOr<QueryTable> by_id = UserClients(view, "U-1");
  REQUIRE_OK(by_id);
  CHECK(RenderTable(*by_id) ==
        "id  external_id  name       organization  status    linked_at\n"
        "--  -----------  ---------  ------------  --------  --------------------\n"
        "1   ACC-1        Account 1  ORG-1         active    2023-11-14T22:20:00Z\n"
        "2   ACC-2        Account 2  ORG-1         disabled  2023-11-14T22:20:00Z\n"
        "(2 rows)\n");
  StatusOr<QueryTable> by_email = UserClients(view, "ANN@example.com");
  REQUIRE_OK(by_email);
  CHECK(by_email->rows == by_id->rows);
  CHECK(UserClients(view, "nobody").status().message() ==
        "no user with external id or email \"nobody\"");
}

TEST_CASE("JSON output has one object per row with integers as numbers and NULL as null") {
  auto registry = Sample();
  StatusOr<QueryTable> users = UserClients(registry->Read(), "eve@example.com");
  REQUIRE_OK(users);
  CHECK(RenderJson(*users) ==
        R"([{"id":4,"external_id":"ACC-4","name":"Account 4","organization":null,)"
        R"("status":"active","linked_at":"2023-11-14T22:20:00Z"}])"
        "\n");
}

TEST_CASE("client-users lists the users linked to a client") {
  auto registry = Sample();
  StatusOr<QueryTable> users = ClientUsers(registry->Read(), "ACC-1");
  REQUIRE_OK(users);
  REQUIRE(users->rows.size() == 3);
  CHECK(users->rows[2][2] == Cell(std::string("dee@example.com")));
  CHECK(ClientUsers(registry->Read(), "ACC-9").status().message() ==
        "no client with external id \"ACC-9\"");
}

TEST_CASE("an organization id used in two apps needs --app") {
  auto registry = Sample();
  const View view = registry->Read();
  CHECK(OrgOwner(view, "ORG-1", std::nullopt).status().message() ==
        "organization \"ORG-1\" exists in apps key-prod, key-stage: pass --app KEY");
  StatusOr<QueryTable> owner = OrgOwner(view, "ORG-1", "key-prod");
  REQUIRE_OK(owner);
  CHECK(RenderTable(*owner) ==
        "organization: ORG-1\n"
        "app:          key-prod\n"
        "owner_id:     1\n"
        "external_id:  U-1\n"
        "email:        ann@example.com\n"
        "name:         User 1\n"
        "status:       active\n");
  CHECK(OrgOwner(view, "ORG-2", std::nullopt).ok());
  CHECK(OrgOwner(view, "ORG-1", "nope").status().message() == "no app with key \"nope\"");
}

TEST_CASE("owned-orgs and org-clients list organizations and their clients") {
  auto registry = Sample();
  const View view = registry->Read();
  StatusOr<QueryTable> owned = OwnedOrgs(view, "U-1");
  REQUIRE_OK(owned);
  CHECK(owned->rows.size() == 2);
  StatusOr<QueryTable> clients = OrgClients(view, "ORG-1", "key-stage");
  REQUIRE_OK(clients);
  CHECK(RenderJson(*clients).find("s3cret") == std::string::npos);
  CHECK(clients->rows.size() == 2);
}

TEST_CASE("resolve shows the verdict and the connection without the password") {
  auto registry = Sample();
  const View view = registry->Read();
  const QueryTable allowed = ResolveAccess(view, AccessRequest{"ACC-1", "U-1"});
  CHECK(RenderJson(allowed) ==
        R"({"verdict":"allowed","account":"ACC-1","user":"U-1","organization":"ORG-1",)"
        R"("db_host":"db1.internal","db_port":5432,"db_name":"account_1","db_user":"svc_1"})"
        "\n");
  const QueryTable refused = ResolveAccess(view, AccessRequest{"ACC-3", "U-1"});
  CHECK(RenderTable(refused) ==
        "verdict:      no link\n"
        "account:      ACC-3\n"
        "user:         U-1\n"
        "organization:\n"
        "db_host:\n"
        "db_port:\n"
        "db_name:\n"
        "db_user:\n");
}

TEST_CASE("an empty result still shows the header and the row count") {
  auto registry = Sample();
  StatusOr<QueryTable> owned = OwnedOrgs(registry->Read(), "U-5");
  REQUIRE_OK(owned);
  CHECK(RenderTable(*owned) ==
        "id  external_id  name  app  clients\n"
        "--  -----------  ----  ---  -------\n"
        "(0 rows)\n");
}

TEST_CASE("JSON output replaces bytes that are not UTF-8 instead of failing") {
  QueryTable table{{"name"}, {{Cell(std::string("bad \xff byte"))}}, false};
  CHECK(RenderJson(table) == "[{\"name\":\"bad \xEF\xBF\xBD byte\"}]\n");
}

}  // namespace
}  // namespace hubreg::cli
