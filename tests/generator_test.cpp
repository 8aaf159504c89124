#include "hubreg/generator.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>

#include "testutil.h"

namespace hubreg::gen {
namespace {

constexpr std::string_view kPinnedFirstEmail = "Grace.Wright1@Example.es";
constexpr std::string_view kPinnedFirstHost = "pg-02.eu-west-1.db.hub.internal";
constexpr Id kPinnedLink1001Client = 587;
constexpr Id kPinnedLink1001User = 412;

GeneratorOptions Small(std::uint64_t seed = 42) {
  GeneratorOptions options = SizeS();
  options.seed = seed;
  return options;
}

bool SameRows(const RegistryRows& a, const RegistryRows& b) {
  return a.apps == b.apps && a.organizations == b.organizations && a.clients == b.clients &&
         a.users == b.users && a.links == b.links;
}

TEST_CASE("sizes S and M are size L scaled down, every table by the same factor") {
  const GeneratorOptions l = SizeL();
  for (const GeneratorOptions& size : {SizeS(), SizeM()}) {
    CAPTURE(size.users);
    REQUIRE(size.users > 0);
    REQUIRE(l.users % size.users == 0);
    const std::size_t factor = l.users / size.users;
    CHECK(factor > 1);
    CHECK(size.organizations * factor == l.organizations);
    CHECK(size.clients * factor == l.clients);
    CHECK(size.links * factor == l.links);
    CHECK(size.apps == l.apps);  // stage and prod at every size
  }
  CHECK(SizeM().users == 10 * SizeS().users);
}

TEST_CASE("generated rows have exactly the requested counts and load into a registry") {
  INFO("seed 42");
  const GeneratorOptions options = Small();
  RegistryRows rows = Generate(options);
  const TableCounts requested{options.apps, options.organizations, options.clients, options.users,
                              options.links};
  CHECK(TableCounts{rows.apps.size(), rows.organizations.size(), rows.clients.size(),
                    rows.users.size(), rows.links.size()} == requested);
  auto registry = Registry::FromRows(std::move(rows), 1);
  REQUIRE_OK(registry);
  CHECK((*registry)->Read().counts() == requested);
}

TEST_CASE("the same seed gives the same rows and another seed other rows") {
  const RegistryRows first = Generate(Small(7));
  CHECK(SameRows(first, Generate(Small(7))));
  CHECK_FALSE(SameRows(first, Generate(Small(8))));
}

TEST_CASE("the rows of a fixed seed do not change between builds or platforms") {
  // Pinned values: a change here changes every benchmark's data set.
  const RegistryRows rows = Generate(Small());
  CHECK(rows.users[0].external_id == "usr_000001");
  CHECK(rows.clients[122].external_id == "acc_000123");
  CHECK(rows.organizations[0].external_id == "org_000001");
  CHECK(rows.apps[0].app_key == "hub_alpha_stage");
  CHECK(rows.apps[1].app_key == "hub_alpha_prod");
  CHECK(rows.apps[1].environment == Environment::kProd);
  MESSAGE("user 1: ", rows.users[0].email, ", client 1: ", rows.clients[0].db_host, ":",
          rows.clients[0].db_port, ", link 1001: ", rows.links[1000].client_id, "-",
          rows.links[1000].user_id);
  CHECK(rows.users[0].email == kPinnedFirstEmail);
  CHECK(rows.clients[0].db_host == kPinnedFirstHost);
  CHECK(rows.links[1000].client_id == kPinnedLink1001Client);
  CHECK(rows.links[1000].user_id == kPinnedLink1001User);
}

TEST_CASE("links are unique, most users have a handful and a few have hundreds") {
  const RegistryRows rows = Generate(Small());
  std::set<std::pair<Id, Id>> pairs;
  std::unordered_map<Id, std::size_t> per_user;
  for (const ClientUserLink& link : rows.links) {
    CHECK(pairs.emplace(link.client_id, link.user_id).second);
    ++per_user[link.user_id];
  }
  std::vector<std::size_t> counts;
  for (const auto& [user, count] : per_user) counts.push_back(count);
  std::sort(counts.begin(), counts.end());
  CHECK(counts.back() >= 100);
  CHECK(counts[counts.size() / 2] <= 5);
  CHECK(counts[counts.size() / 2] >= 1);
  const std::size_t heavy = static_cast<std::size_t>(
      std::count_if(counts.begin(), counts.end(), [](std::size_t c) { return c >= 100; }));
  CHECK(heavy >= 1);
  CHECK(heavy <= 10);
}

TEST_CASE("every organization's owner is linked to one of its accounts") {
  const RegistryRows rows = Generate(Small());
  auto registry = Registry::FromRows(rows, 1);
  REQUIRE_OK(registry);
  const View view = (*registry)->Read();
  for (const Organization& organization : rows.organizations) {
    bool linked = false;
    for (const Client& client : view.ClientsOfUser(organization.organization_owner_id)) {
      linked = linked || client.threecolts_organization_id == organization.id;
    }
    CHECK_MESSAGE(linked, "organization ", organization.id);
  }
}

TEST_CASE("emails come in mixed case and a small share of rows is disabled") {
  const RegistryRows rows = Generate(Small());
  const auto has_upper = [](const User& user) {
    return std::any_of(user.email.begin(), user.email.end(),
                       [](char c) { return c >= 'A' && c <= 'Z'; });
  };
  const auto upper = std::count_if(rows.users.begin(), rows.users.end(), has_upper);
  CHECK(upper > 1'000);
  CHECK(upper < 9'000);
  const auto disabled_users =
      std::count_if(rows.users.begin(), rows.users.end(),
                    [](const User& u) { return u.status == RecordStatus::kDisabled; });
  CHECK(disabled_users > 100);
  CHECK(disabled_users < 1'000);
  const auto disabled_clients =
      std::count_if(rows.clients.begin(), rows.clients.end(),
                    [](const Client& c) { return c.status == RecordStatus::kDisabled; });
  CHECK(disabled_clients > 0);
  CHECK(disabled_clients < 100);
  std::set<std::string> hosts;
  for (const Client& client : rows.clients) hosts.insert(client.db_host);
  CHECK(hosts.size() > 20);
  CHECK(hosts.size() <= 36);
}

TEST_CASE("shapes that cannot be honoured are clamped, and still load") {
  GeneratorOptions options;
  options.organizations = 10;  // no users to own them
  options.clients = 3;
  options.users = 0;
  options.links = 100;
  RegistryRows rows = Generate(options);
  CHECK(rows.organizations.empty());
  CHECK(rows.links.empty());
  CHECK(rows.clients[0].threecolts_organization_id == kNoId);
  CHECK_OK(Registry::FromRows(std::move(rows), 1));

  options.users = 4;
  options.links = 100;  // at most 4 x 3
  rows = Generate(options);
  CHECK(rows.links.size() == 12);
  CHECK(rows.organizations.size() == 10);
  CHECK_OK(Registry::FromRows(std::move(rows), 1));
}

}  // namespace
}  // namespace hubreg::gen
