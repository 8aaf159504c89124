// Every lookup of a View, on the sample registry of testutil.h.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <utility>
#include <vector>

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

TEST_CASE("emails of every length are found, whatever updates, deletes and rollbacks did") {
  // The table keeps a copy of emails up to 47 bytes inside the row and looks
  // longer ones up where std::string keeps them: both kinds must follow every
  // change of the row.
  auto registry = SampleRegistry();
  const std::string at_limit = std::string(47 - 12, 'x') + "@example.com";  // 47 bytes
  const std::string over_limit = std::string(48 - 12, 'y') + "@example.com";
  const std::string very_long = std::string(200, 'z') + "@example.com";
  REQUIRE_OK(registry->Apply(Batch()
                                 .Insert(MakeUser(10, "U-10", at_limit))
                                 .Insert(MakeUser(11, "U-11", over_limit))
                                 .Insert(MakeUser(12, "U-12", very_long))));
  auto upper = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  };
  {
    View view = registry->Read();
    for (const auto& [id, email] :
         {std::pair{10, at_limit}, std::pair{11, over_limit}, std::pair{12, very_long}}) {
      INFO(email.size(), " bytes");
      REQUIRE(view.FindUserByEmail(email) != nullptr);
      CHECK(view.FindUserByEmail(email)->id == static_cast<Id>(id));
      CHECK(view.FindUserByEmail(upper(email))->id == static_cast<Id>(id));
      CHECK(view.FindUserByEmail(email.substr(1)) == nullptr);
    }
  }
  // Long to short and short to long: the old key is gone, the new one found.
  REQUIRE_OK(registry->Apply(Batch()
                                 .Update(MakeUser(12, "U-12", "short@example.com"))
                                 .Update(MakeUser(10, "U-10", very_long + ".net"))));
  {
    View view = registry->Read();
    CHECK(view.FindUserByEmail(very_long) == nullptr);
    CHECK(view.FindUserByEmail(at_limit) == nullptr);
    CHECK(view.FindUserByEmail("SHORT@example.com")->id == 12);
    CHECK(view.FindUserByEmail(upper(very_long + ".net"))->id == 10);
  }
  // A batch that fails after changing emails is rolled back to the old keys.
  Status failed = registry
                      ->Apply(Batch()
                                  .Update(MakeUser(12, "U-12", over_limit + ".org"))
                                  .Erase<User>(11)
                                  .Insert(MakeUser(13, "U-13", upper(very_long + ".net"))))
                      .status();
  CHECK(failed.code() == ErrorCode::kDuplicate);
  {
    View view = registry->Read();
    CHECK(view.FindUserByEmail("short@example.com")->id == 12);
    CHECK(view.FindUserByEmail(over_limit)->id == 11);
    CHECK(view.FindUserByEmail(over_limit + ".org") == nullptr);
    CHECK(view.FindUser(13) == nullptr);
  }
  // A deleted user's email is free again, long or short.
  REQUIRE_OK(registry->Apply(Batch().Erase<User>(11).Erase<User>(12)));
  REQUIRE_OK(registry->Apply(Batch()
                                 .Insert(MakeUser(14, "U-14", upper(over_limit)))
                                 .Insert(MakeUser(15, "U-15", "Short@Example.com"))));
  View view = registry->Read();
  CHECK(view.FindUserByEmail(over_limit)->id == 14);
  CHECK(view.FindUserByEmail("short@example.com")->id == 15);
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

TEST_CASE("Rows walks every row of each table once, as references into the state") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  CHECK(IdsOf(view.Rows<App>()) == std::set<Id>{1, 2});
  CHECK(IdsOf(view.Rows<Organization>()) == std::set<Id>{1, 2, 3});
  CHECK(IdsOf(view.Rows<Client>()) == std::set<Id>{1, 2, 3, 4});
  CHECK(IdsOf(view.Rows<User>()) == std::set<Id>{1, 2, 3, 4, 5});
  CHECK(view.Rows<User>().size() == 5);
  for (const User& user : view.Rows<User>()) CHECK(&user == view.FindUser(user.id));
  std::set<std::pair<Id, Id>> links;
  for (const ClientUserLink& link : view.Rows<ClientUserLink>()) {
    CHECK(links.emplace(link.client_id, link.user_id).second);
  }
  CHECK(links == std::set<std::pair<Id, Id>>{{1, 1}, {2, 1}, {1, 2}, {3, 3}, {1, 4}, {4, 5}});
  Registry empty;
  CHECK(empty.Read().Rows<Client>().empty());
  CHECK(empty.Read().Rows<Client>().begin() == empty.Read().Rows<Client>().end());
}

TEST_CASE("SortedById lists a table's rows in id order, whatever order they were inserted in") {
  // Both ways of ordering: placing each row at its id (ids at most twice
  // the row count) and sorting (sparser ids).
  std::vector<Id> inserted, expected;
  SUBCASE("sparse ids") {
    inserted = {7, 3, 11, 1, 5};
    expected = {1, 3, 5, 7, 11};
  }
  SUBCASE("dense ids") {
    inserted = {4, 10, 2, 1, 3, 6};
    expected = {1, 2, 3, 4, 6, 10};
  }
  SUBCASE("one row, far from 0") {
    inserted = {1'000'000'000'000};
    expected = {1'000'000'000'000};
  }
  CAPTURE(inserted);
  Registry registry;
  Batch batch;
  for (Id id : inserted) {
    batch.Insert(MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@example.com"));
  }
  REQUIRE_OK(registry.Apply(std::move(batch)));
  View view = registry.Read();
  std::vector<Id> ids;
  for (const User* user : view.SortedById<User>()) {
    CHECK(user == view.FindUser(user->id));
    ids.push_back(user->id);
  }
  CHECK(ids == expected);
  CHECK(view.SortedById<App>().empty());
}

TEST_CASE("ClientsOfUser of a row the View handed out is ClientsOfUser of its id") {
  auto registry = SampleRegistry();
  View view = registry->Read();
  for (const User* user : view.SortedById<User>()) {
    CAPTURE(user->id);
    std::vector<ClientUserLink> by_row, by_id;
    const View::ClientsOfUserRange of_row = view.ClientsOfUser(*user);
    for (auto it = of_row.begin(); it != of_row.end(); ++it) by_row.push_back(it.link());
    const View::ClientsOfUserRange of_id = view.ClientsOfUser(user->id);
    for (auto it = of_id.begin(); it != of_id.end(); ++it) by_id.push_back(it.link());
    CHECK(by_row == by_id);
    CHECK(of_row.size() == of_id.size());
  }
}

TEST_CASE("next_ids are the ids the next inserts without an id receive") {
  auto registry = SampleRegistry();
  CHECK(registry->Read().next_ids() == NextIds{3, 4, 5, 6});
  Batch batch;
  batch.Insert(MakeUser(kNoId, "U-new", "new@example.com"));
  REQUIRE_OK(registry->Apply(std::move(batch)));
  View view = registry->Read();
  REQUIRE(view.FindUserByExternalId("U-new") != nullptr);
  CHECK(view.FindUserByExternalId("U-new")->id == 6);
  CHECK(view.next_ids() == NextIds{3, 4, 5, 7});
}

TEST_CASE("link iterators stop at the last link of their own user or client among many") {
  // Many users and clients whose links share buckets: each walk must yield
  // exactly its own links, however the index lays them out.
  constexpr Id kUsers = 300;
  constexpr Id kClients = 40;
  Registry registry;
  Batch batch;
  for (Id u = 1; u <= kUsers; ++u) {
    batch.Insert(MakeUser(u, "U-" + std::to_string(u), std::to_string(u) + "@example.com"));
  }
  for (Id c = 1; c <= kClients; ++c) batch.Insert(MakeClient(c, kNoId, "C-" + std::to_string(c)));
  const auto linked = [](Id c, Id u) { return (c * 7 + u * 3) % 5 == 0; };
  for (Id u = 1; u <= kUsers; ++u) {
    for (Id c = 1; c <= kClients; ++c) {
      if (linked(c, u)) batch.Link(c, u);
    }
  }
  REQUIRE_OK(registry.Apply(std::move(batch)));
  View view = registry.Read();
  for (Id u = 1; u <= kUsers; ++u) {
    std::set<Id> want;
    for (Id c = 1; c <= kClients; ++c) {
      if (linked(c, u)) want.insert(c);
    }
    CHECK(IdsOf(view.ClientsOfUser(u)) == want);
    CHECK(view.ClientsOfUser(u).size() == want.size());
  }
  for (Id c = 1; c <= kClients; ++c) {
    std::set<Id> want;
    for (Id u = 1; u <= kUsers; ++u) {
      if (linked(c, u)) want.insert(u);
    }
    CHECK(IdsOf(view.UsersOfClient(c)) == want);
  }
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

namespace hubreg {
namespace {

char ReferenceFold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool ReferenceEqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ReferenceFold(a[i]) != ReferenceFold(b[i])) return false;
  }
  return true;
}

TEST_CASE("emails compare and hash as ASCII case-folded bytes, every byte value at every offset") {
  // The word-at-a-time folding must match folding one byte at a time: only
  // 'A'-'Z' fold, and UTF-8 bytes (>= 0x80) are compared as they are.
  const detail::CaseInsensitiveHash hash;
  for (std::size_t length : {1, 7, 8, 9, 15, 16, 17, 31}) {
    for (std::size_t position = 0; position < length; ++position) {
      for (int value = 0; value < 256; ++value) {
        std::string text(length, 'm');
        text[position] = static_cast<char>(value);
        std::string folded = text;
        for (char& c : folded) c = ReferenceFold(c);
        INFO("length ", length, ", byte ", value, " at ", position);
        CHECK(EqualsIgnoreCase(text, folded));
        CHECK(hash(text) == hash(folded));
        // The same text with one other byte differs (unless both fold alike).
        std::string other = text;
        other[position] = static_cast<char>(value ^ 0x01);
        CHECK(EqualsIgnoreCase(text, other) == ReferenceEqualsIgnoreCase(text, other));
        other[position] = static_cast<char>(value ^ 0x20);  // the case bit
        CHECK(EqualsIgnoreCase(text, other) == ReferenceEqualsIgnoreCase(text, other));
      }
    }
  }
  CHECK_FALSE(EqualsIgnoreCase("a", std::string_view("a\0", 2)));
  CHECK(hash("a") != hash(std::string_view("a\0", 2)));
  CHECK(EqualsIgnoreCase("", ""));
  CHECK(EqualsIgnoreCase("Ann.Lee@Example.COM", "ann.lee@example.com"));
  CHECK(hash("Ann.Lee@Example.COM") == hash("ann.lee@example.com"));
  CHECK_FALSE(EqualsIgnoreCase("ann.lee@example.com", "ann.lee@example.con"));
}

}  // namespace
}  // namespace hubreg
