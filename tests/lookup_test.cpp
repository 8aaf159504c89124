// Every lookup of a View, on the sample registry of testutil.h.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

template <typename Range>
std::set<Id> IdsOf(const Range& range) {
  std::set<Id> ids;
  for (const auto& row : range) ids.insert(row.id);
  return ids;
}

}  // namespace

TEST_CASE("every table is found by id") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  REQUIRE(view.FindApp(2) != nullptr);
  CHECK(view.FindApp(2)->app_key == "key-prod");
  CHECK(view.FindOrganization(3)->external_id == "ORG-1");
  CHECK(view.FindClient(3)->external_id == "ACC-3");
  CHECK(view.FindUser(4)->email == "dee@example.com");
  CHECK(view.FindApp(99) == nullptr);
  CHECK(view.FindOrganization(99) == nullptr);
  CHECK(view.FindClient(99) == nullptr);
  CHECK(view.FindUser(99) == nullptr);
}

TEST_CASE("apps are found by app key") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  REQUIRE(view.FindAppByKey("key-stage") != nullptr);
  CHECK(view.FindAppByKey("key-stage")->id == 1);
  CHECK(view.FindAppByKey("key-STAGE") == nullptr);
}

TEST_CASE("organizations are found by app and external id") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  CHECK(view.FindOrganizationByExternalId(1, "ORG-1")->id == 1);
  CHECK(view.FindOrganizationByExternalId(2, "ORG-1")->id == 3);
  CHECK(view.FindOrganizationByExternalId(1, "ORG-2") == nullptr);
}

TEST_CASE("clients and users are found by external id") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  CHECK(view.FindClientByExternalId("ACC-2")->id == 2);
  CHECK(view.FindClientByExternalId("acc-2") == nullptr);
  CHECK(view.FindUserByExternalId("U-5")->id == 5);
  CHECK(view.FindUserByExternalId("U-6") == nullptr);
}

TEST_CASE("users are found by email ignoring ASCII case") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  CHECK(view.FindUserByEmail("ann@example.com")->id == 1);
  CHECK(view.FindUserByEmail("ANN@Example.COM")->id == 1);
  CHECK(view.FindUserByEmail("ann@example.org") == nullptr);
}

TEST_CASE("links are found by their pair") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  CHECK(view.HasLink(1, 1));
  CHECK(view.HasLink(4, 5));
  CHECK_FALSE(view.HasLink(5, 4));
  CHECK(view.FindLink(2, 1)->created_at == view.FindLink(2, 1)->created_at);
}

TEST_CASE("the owner of an organization and the organizations a user owns") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  CHECK(view.OwnerOfOrganization(1)->id == 1);
  CHECK(view.OwnerOfOrganization(2)->id == 2);
  CHECK(view.OwnerOfOrganization(99) == nullptr);
  CHECK(IdsOf(view.OrganizationsOwnedBy(1)) == std::set<Id>{1, 3});
  CHECK(IdsOf(view.OrganizationsOwnedBy(2)) == std::set<Id>{2});
  CHECK(view.OrganizationsOwnedBy(5).empty());
}

TEST_CASE("the clients of a user and the users of a client") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  CHECK(IdsOf(view.ClientsOfUser(1)) == std::set<Id>{1, 2});
  CHECK(view.ClientsOfUser(1).size() == 2);
  CHECK(IdsOf(view.ClientsOfUser(5)) == std::set<Id>{4});
  CHECK(view.ClientsOfUser(99).empty());
  CHECK(IdsOf(view.UsersOfClient(1)) == std::set<Id>{1, 2, 4});
  CHECK(IdsOf(view.UsersOfClient(3)) == std::set<Id>{3});
  CHECK(view.UsersOfClient(99).empty());
}

TEST_CASE("user-to-clients yields references into the registry, not copies") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  const Client* direct = view.FindClient(1);
  bool seen = false;
  for (auto it = view.ClientsOfUser(2).begin(); it != view.ClientsOfUser(2).end(); ++it) {
    CHECK(&*it == direct);
    CHECK(it.link().user_id == 2);
    seen = true;
  }
  CHECK(seen);
}

TEST_CASE("the organizations of an app and the clients of an organization") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  CHECK(IdsOf(view.OrganizationsOfApp(1)) == std::set<Id>{1});
  CHECK(IdsOf(view.OrganizationsOfApp(2)) == std::set<Id>{2, 3});
  CHECK(IdsOf(view.ClientsOfOrganization(1)) == std::set<Id>{1, 2});
  CHECK(IdsOf(view.ClientsOfOrganization(3)).empty());
  CHECK(IdsOf(view.ClientsOfOrganization(kNoId)) == std::set<Id>{4});
}

TEST_CASE("counts report the rows of each table") {
  auto registry = SampleRegistry();
  CHECK(registry->Read().counts() == TableCounts{2, 3, 4, 5, 6});
}

TEST_CASE("resolve allows a linked active user and returns the connection details") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  AccessDecision decision =
      view.Resolve({.account_external_id = "ACC-1", .user_external_id = "U-2"});
  REQUIRE(decision.allowed());
  CHECK(decision.verdict == AccessVerdict::kAllowed);
  CHECK(decision.account->db_host == "db1.internal");
  CHECK(decision.account->db_port == 5432);
  CHECK(decision.account->db_name == "account_1");
  CHECK(decision.account->db_user == "svc_1");
  CHECK(decision.account->db_password == "s3cret-1");
  CHECK(decision.user->id == 2);
}

TEST_CASE("resolve checks the app and organization when they are given") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  AccessRequest request{.account_external_id = "ACC-1", .user_external_id = "U-1"};
  request.app_key = "key-stage";
  request.organization_external_id = "ORG-1";
  CHECK(view.Resolve(request).verdict == AccessVerdict::kAllowed);

  request.app_key = "key-prod";  // ORG-1 exists in prod too, but ACC-1 is in stage's ORG-1
  CHECK(view.Resolve(request).verdict == AccessVerdict::kWrongOrganization);

  request.app_key = "key-nope";
  CHECK(view.Resolve(request).verdict == AccessVerdict::kUnknownApp);

  request.app_key = "key-stage";
  request.organization_external_id = "ORG-9";
  CHECK(view.Resolve(request).verdict == AccessVerdict::kUnknownOrganization);

  request.app_key.reset();
  request.organization_external_id = "ORG-2";
  CHECK(view.Resolve(request).verdict == AccessVerdict::kWrongOrganization);
  request.organization_external_id = "ORG-1";
  CHECK(view.Resolve(request).verdict == AccessVerdict::kAllowed);
}

TEST_CASE("resolve says why access is refused") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  auto verdict = [&](std::string_view account, std::string_view user) {
    return view.Resolve({.account_external_id = account, .user_external_id = user}).verdict;
  };
  CHECK(verdict("ACC-1", "U-9") == AccessVerdict::kUnknownUser);
  CHECK(verdict("ACC-9", "U-1") == AccessVerdict::kUnknownAccount);
  CHECK(verdict("ACC-3", "U-1") == AccessVerdict::kNoLink);
  CHECK(verdict("ACC-1", "U-4") == AccessVerdict::kUserDisabled);
  CHECK(verdict("ACC-2", "U-1") == AccessVerdict::kAccountDisabled);
  CHECK(verdict("ACC-4", "U-5") == AccessVerdict::kAllowed);
  CHECK(ToString(AccessVerdict::kNoLink) == "no link");
  CHECK_FALSE(view.Resolve({.account_external_id = "ACC-3", .user_external_id = "U-1"}));
}

TEST_CASE("a v1.0 account without organization fails any organization or app check") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  AccessRequest request{.account_external_id = "ACC-4", .user_external_id = "U-5"};
  request.organization_external_id = "ORG-1";
  CHECK(view.Resolve(request).verdict == AccessVerdict::kWrongOrganization);
  request.organization_external_id.reset();
  request.app_key = "key-stage";
  CHECK(view.Resolve(request).verdict == AccessVerdict::kWrongOrganization);
}
