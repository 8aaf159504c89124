#include "hubreg/reconcile.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>

#include "hubreg/generator.h"
#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

constexpr std::size_t kApps = 0, kOrganizations = 1, kClients = 2, kUsers = 3, kLinks = 4;

Reconciliation Plan(const Registry& registry, const RegistryRows& target,
                    const ReconcileOptions& options = {}) {
  const View view = registry.Read();
  StatusOr<Reconciliation> plan = Reconcile(view, target, options);
  REQUIRE_OK(plan);
  return std::move(*plan);
}

RegistryRows RowsOf(const Registry& registry) { return SortedRows(registry.Read()); }

// The rows of the registry equal the target's (order aside).
void CheckHolds(const Registry& registry, const RegistryRows& target) {
  StatusOr<std::unique_ptr<Registry>> expected = Registry::FromRows(target, 1);
  REQUIRE_OK(expected);
  const RegistryRows want = RowsOf(**expected);
  const RegistryRows have = RowsOf(registry);
  CHECK(have.apps == want.apps);
  CHECK(have.organizations == want.organizations);
  CHECK(have.clients == want.clients);
  CHECK(have.users == want.users);
  CHECK(have.links == want.links);
}

// Reconciles, applies, and checks the registry then holds the target and a
// second reconciliation finds nothing to do.
Reconciliation ReconcileAndApply(Registry& registry, const RegistryRows& target,
                                 const ReconcileOptions& options = {}) {
  Reconciliation plan = Plan(registry, target, options);
  if (!plan.batch.empty()) REQUIRE_OK(registry.Apply(plan.batch));
  CheckHolds(registry, target);
  CHECK(Plan(registry, target).batch.empty());
  return plan;
}

std::size_t Changes(const Reconciliation& plan) {
  std::size_t total = 0;
  for (const TableChanges& table : plan.tables) {
    total += table.inserted.size() + table.updated.size() + table.deleted.size();
  }
  return total;
}

template <typename Row>
Row& ById(std::vector<Row>& rows, Id id) {
  auto it = std::find_if(rows.begin(), rows.end(), [id](const Row& row) { return row.id == id; });
  REQUIRE(it != rows.end());
  return *it;
}

void EraseLinks(RegistryRows& rows, auto predicate) { std::erase_if(rows.links, predicate); }

gen::GeneratorOptions SmallSize(std::uint64_t seed) {
  gen::GeneratorOptions options;
  options.apps = 3;
  options.organizations = 30;
  options.clients = 200;
  options.users = 400;
  options.links = 1200;
  options.seed = seed;
  return options;
}

}  // namespace

TEST_CASE("reconciling with identical rows gives an empty batch") {
  const RegistryRows rows = gen::Generate(SmallSize(7));
  StatusOr<std::unique_ptr<Registry>> registry = Registry::FromRows(rows, 1);
  REQUIRE_OK(registry);
  const Reconciliation plan = Plan(**registry, rows);
  CHECK(plan.batch.empty());
  CHECK(Changes(plan) == 0);
  CHECK(plan.tables[kClients].table == kClientTable);
  CHECK(plan.tables[kClients].before == rows.clients.size());
  CHECK(plan.tables[kLinks].before == rows.links.size());
}

TEST_CASE("each kind of change gives exactly the expected mutations") {
  auto registry = SampleRegistry();
  RegistryRows target = RowsOf(*registry);

  SUBCASE("a changed column is one update of that row") {
    ById(target.users, 3).name = "Cid Renamed";
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() == std::vector<Mutation>{UpdateRow<User>{ById(target.users, 3)}});
    CHECK(plan.tables[kUsers].updated == std::vector<RowKey>{{3, kNoId, "U-3"}});
    CHECK(Changes(plan) == 1);
  }
  SUBCASE("a changed password is an update that names the row, not the password") {
    ById(target.clients, 1).db_password = "rotated";
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() ==
          std::vector<Mutation>{UpdateRow<Client>{ById(target.clients, 1)}});
    CHECK(plan.tables[kClients].updated == std::vector<RowKey>{{1, kNoId, "ACC-1"}});
  }
  SUBCASE("a new row is one insert") {
    target.users.push_back(MakeUser(6, "U-6", "fay@example.com"));
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() == std::vector<Mutation>{InsertRow<User>{target.users.back()}});
    CHECK(plan.tables[kUsers].inserted == std::vector<RowKey>{{6, kNoId, "U-6"}});
    CHECK(Changes(plan) == 1);
  }
  SUBCASE("a missing client is deleted after its links") {
    std::erase_if(target.clients, [](const Client& c) { return c.id == 4; });
    EraseLinks(target, [](const ClientUserLink& l) { return l.client_id == 4; });
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() == std::vector<Mutation>{EraseLink{4, 5}, EraseRow<Client>{4}});
    CHECK(plan.tables[kClients].deleted == std::vector<RowKey>{{4, kNoId, "ACC-4"}});
    CHECK(plan.tables[kLinks].deleted == std::vector<RowKey>{{4, 5, ""}});
    CHECK(Changes(plan) == 2);
  }
  SUBCASE("links added and removed") {
    target.links.push_back(ClientUserLink{3, 5, At(1'700'001'000)});
    EraseLinks(target, [](const ClientUserLink& l) { return l.client_id == 1 && l.user_id == 2; });
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() ==
          std::vector<Mutation>{EraseLink{1, 2}, InsertRow<ClientUserLink>{target.links.back()}});
    CHECK(plan.tables[kLinks].inserted == std::vector<RowKey>{{3, 5, ""}});
    CHECK(plan.tables[kLinks].deleted == std::vector<RowKey>{{1, 2, ""}});
  }
  SUBCASE("a link whose created_at changed is erased and inserted again, counted as updated") {
    ClientUserLink& link = target.links.front();
    link.created_at = At(1'600'000'000);
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() == std::vector<Mutation>{EraseLink{link.client_id, link.user_id},
                                                          InsertRow<ClientUserLink>{link}});
    CHECK(plan.tables[kLinks].updated == std::vector<RowKey>{{link.client_id, link.user_id, ""}});
  }
  SUBCASE("an organization handed to a new user comes after that user's insert") {
    target.users.push_back(MakeUser(6, "U-6", "fay@example.com"));
    ById(target.organizations, 2).organization_owner_id = 6;
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() ==
          std::vector<Mutation>{InsertRow<User>{target.users.back()},
                                UpdateRow<Organization>{ById(target.organizations, 2)}});
    REQUIRE_OK(registry->Apply(plan.batch));
    CheckHolds(*registry, target);
  }
  SUBCASE("a new app, organization and client are inserted parents first") {
    target.clients.push_back(MakeClient(5, 4, "ACC-5"));
    target.organizations.push_back(MakeOrganization(4, 3, 2, "ORG-4"));
    target.apps.push_back(MakeApp(3, "key-new"));
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() ==
          std::vector<Mutation>{InsertRow<App>{target.apps.back()},
                                InsertRow<Organization>{target.organizations.back()},
                                InsertRow<Client>{target.clients.back()}});
    REQUIRE_OK(registry->Apply(plan.batch));
    CheckHolds(*registry, target);
  }
  SUBCASE("an organization is deleted after its clients move away, its owner after it") {
    ById(target.clients, 3).threecolts_organization_id = 1;
    std::erase_if(target.organizations, [](const Organization& o) { return o.id == 2; });
    std::erase_if(target.users, [](const User& u) { return u.id == 2; });
    EraseLinks(target, [](const ClientUserLink& l) { return l.user_id == 2; });
    const Reconciliation plan = Plan(*registry, target);
    CHECK(plan.batch.mutations() ==
          std::vector<Mutation>{EraseLink{1, 2}, UpdateRow<Client>{ById(target.clients, 3)},
                                EraseRow<Organization>{2}, EraseRow<User>{2}});
    REQUIRE_OK(registry->Apply(plan.batch));
    CheckHolds(*registry, target);
  }
  SUBCASE("a timestamp left at the epoch in the target matches the stored one") {
    ById(target.users, 1).updated_at = Timestamp{};
    ById(target.clients, 2).created_at = Timestamp{};
    target.links.front().created_at = Timestamp{};
    CHECK(Plan(*registry, target).batch.empty());
  }
  SUBCASE("an unchanged target leaves the registry alone") {
    CHECK(Plan(*registry, target).batch.empty());
  }
}

TEST_CASE("unique keys that move between rows apply cleanly") {
  auto registry = SampleRegistry();
  RegistryRows target = RowsOf(*registry);

  SUBCASE("two users swap emails and external ids") {
    std::swap(ById(target.users, 1).email, ById(target.users, 2).email);
    std::swap(ById(target.users, 1).external_id, ById(target.users, 2).external_id);
    const Reconciliation plan = ReconcileAndApply(*registry, target);
    CHECK(plan.tables[kUsers].updated.size() == 2);
    CHECK(Changes(plan) == 2);
    // Each first moves to a placeholder, then takes the other's keys.
    CHECK(plan.batch.size() == 4);
  }
  SUBCASE("a deleted user's email and a deleted client's account id are reused by new rows") {
    std::erase_if(target.users, [](const User& u) { return u.id == 5; });
    std::erase_if(target.clients, [](const Client& c) { return c.id == 4; });
    EraseLinks(target, [](const ClientUserLink& l) { return l.user_id == 5 || l.client_id == 4; });
    target.users.push_back(MakeUser(6, "U-5", "EVE@example.com"));
    target.clients.push_back(MakeClient(5, 1, "ACC-4"));
    ReconcileAndApply(*registry, target);
  }
  SUBCASE("two apps swap keys, two organizations of an app swap external ids") {
    std::swap(ById(target.apps, 1).app_key, ById(target.apps, 2).app_key);
    std::swap(ById(target.organizations, 2).external_id, ById(target.organizations, 3).external_id);
    ReconcileAndApply(*registry, target);
  }
  SUBCASE("a target giving one email to two users is refused when applied, changing nothing") {
    ById(target.users, 3).email = "Ann@example.com";
    const RegistryRows before = RowsOf(*registry);
    const Reconciliation plan = Plan(*registry, target);
    const auto applied = registry->Apply(plan.batch);
    CHECK(applied.status().code() == ErrorCode::kDuplicate);
    CHECK(RowsOf(*registry).users == before.users);
  }
}

TEST_CASE("a target holding an id or a link twice is refused") {
  auto registry = SampleRegistry();
  RegistryRows target = RowsOf(*registry);
  SUBCASE("id") {
    target.users.push_back(target.users.front());
    const View view = registry->Read();
    const auto plan = Reconcile(view, target);
    CHECK(plan.status().code() == ErrorCode::kInvalidArgument);
    CHECK(plan.status().message() == "user: id 1 appears twice in the target");
  }
  SUBCASE("link") {
    target.links.push_back(target.links.front());
    const View view = registry->Read();
    const auto plan = Reconcile(view, target);
    CHECK(plan.status().message() == "client_user: (client_id, user_id) (" +
                                         std::to_string(target.links.front().client_id) + ", " +
                                         std::to_string(target.links.front().user_id) +
                                         ") appears twice in the target");
  }
}

TEST_CASE("the delete guard refuses to empty a table unless forced") {
  auto registry = SampleRegistry();
  const RegistryRows empty;
  {
    const View view = registry->Read();
    const auto refused = Reconcile(view, empty);
    CHECK(refused.status().code() == ErrorCode::kInvalidArgument);
    CHECK(refused.status().message() ==
          "threecolts_app: reconciling would delete 2 of its 2 rows (100%), more than the limit "
          "of 50% of a table; nothing was changed (check that the source is complete, or force "
          "it)");
  }
  SUBCASE("a share at the limit is allowed, one row more is not") {
    RegistryRows target = RowsOf(*registry);
    // 6 links: deleting 3 is 50%, deleting 4 is not allowed.
    target.links.resize(3);
    CHECK(Plan(*registry, target).tables[kLinks].deleted.size() == 3);
    target.links.resize(2);
    const View view = registry->Read();
    const auto refused = Reconcile(view, target);
    CHECK(refused.status().message().starts_with(
        "client_user: reconciling would delete 4 of its 6 rows (66.67%), more than the limit"));
    CHECK(Reconcile(view, target, {.max_delete_ratio = 0.7}).ok());
    CHECK(Reconcile(view, target, {.max_delete_ratio = 1.5}).status().message() ==
          "the delete limit must be a share from 0 to 1, not 1.500000");
  }
  SUBCASE("forced, it empties the registry") {
    const Reconciliation plan = ReconcileAndApply(*registry, empty, {.force = true});
    CHECK(CheckDeleteRatio(plan, 0.5).code() == ErrorCode::kInvalidArgument);
    CHECK(CheckDeleteRatio(plan, 1.0).ok());
    CHECK(registry->Read().counts() == TableCounts{});
  }
}

TEST_CASE("v1.0 data: clients without an organization, no apps or organizations") {
  Registry registry;
  Batch v10;
  v10.Insert(MakeUser(1, "U-1", "ann@example.com")).Insert(MakeUser(2, "U-2", "bob@example.com"));
  v10.Insert(MakeClient(1, kNoId, "ACC-1")).Insert(MakeClient(2, kNoId, "ACC-2"));
  v10.Link(1, 1).Link(2, 1).Link(2, 2);
  REQUIRE_OK(registry.Apply(v10));
  RegistryRows target = RowsOf(registry);
  CHECK(Plan(registry, target).batch.empty());

  ById(target.clients, 2).db_host = "db-moved.internal";
  target.clients.push_back(MakeClient(3, kNoId, "ACC-3"));
  target.links.push_back(ClientUserLink{3, 2, At(1'700'002'000)});
  const Reconciliation plan = ReconcileAndApply(registry, target);
  CHECK(plan.tables[kClients].inserted == std::vector<RowKey>{{3, kNoId, "ACC-3"}});
  CHECK(plan.tables[kClients].updated == std::vector<RowKey>{{2, kNoId, "ACC-2"}});
  CHECK(plan.tables[kApps].before == 0);
  CHECK(Changes(plan) == 3);
}

TEST_CASE("applying the plan makes a random registry equal to a randomly changed copy") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    std::printf("reconcile_test: random changes, seed %llu\n",
                static_cast<unsigned long long>(seed));
    const RegistryRows original = gen::Generate(SmallSize(seed));
    StatusOr<std::unique_ptr<Registry>> loaded = Registry::FromRows(original, 1);
    REQUIRE_OK(loaded);
    Registry& registry = **loaded;
    RegistryRows target = RowsOf(registry);
    std::mt19937_64 random(seed);
    const auto chance = [&](unsigned percent) { return random() % 100 < percent; };
    const auto pick = [&](std::size_t size) { return static_cast<std::size_t>(random() % size); };

    // Column changes.
    for (User& user : target.users) {
      if (chance(5)) user.name += " (renamed)";
      if (chance(3)) user.status = RecordStatus::kDisabled;
      if (chance(2)) user.updated_at += std::chrono::seconds(1);
    }
    for (Client& client : target.clients) {
      if (chance(5)) client.db_host = "moved-" + client.db_host;
      if (chance(5)) client.db_password = client.db_password.Reveal() + "-rotated";
      if (chance(3)) client.db_port = static_cast<std::uint16_t>(6000 + pick(100));
    }
    for (App& app : target.apps) {
      if (chance(30)) app.name += " v2";
    }
    // Swapped unique keys between users, and between clients.
    for (int i = 0; i < 5; ++i) {
      std::swap(target.users[pick(target.users.size())].email,
                target.users[pick(target.users.size())].email);
      std::swap(target.clients[pick(target.clients.size())].external_id,
                target.clients[pick(target.clients.size())].external_id);
    }
    // New users, some owning organizations; clients moved between organizations.
    const Id first_new_user = target.users.back().id + 1;
    for (Id id = first_new_user; id < first_new_user + 20; ++id) {
      target.users.push_back(
          MakeUser(id, "NEW-U-" + std::to_string(id), "new" + std::to_string(id) + "@x.example"));
    }
    for (Organization& org : target.organizations) {
      if (chance(20)) org.organization_owner_id = first_new_user + pick(20);
    }
    for (Client& client : target.clients) {
      if (chance(5) && !target.organizations.empty()) {
        client.threecolts_organization_id =
            target.organizations[pick(target.organizations.size())].id;
      }
    }
    // A few organizations deleted, their clients moved to another one.
    for (int i = 0; i < 3; ++i) {
      const Id gone = target.organizations[pick(target.organizations.size())].id;
      std::erase_if(target.organizations, [gone](const Organization& o) { return o.id == gone; });
      for (Client& client : target.clients) {
        if (client.threecolts_organization_id == gone) {
          client.threecolts_organization_id = target.organizations.front().id;
        }
      }
    }
    // Deleted clients and users (users owning no organization), with their
    // links; a deleted user's email reused by a new one.
    std::vector<Id> gone_clients, gone_users;
    for (const Client& client : target.clients) {
      if (chance(4)) gone_clients.push_back(client.id);
    }
    for (const User& user : target.users) {
      const bool owns =
          std::any_of(target.organizations.begin(), target.organizations.end(),
                      [&](const Organization& o) { return o.organization_owner_id == user.id; });
      if (!owns && user.id < first_new_user && chance(4)) gone_users.push_back(user.id);
    }
    const auto in = [](const std::vector<Id>& ids, Id id) {
      return std::find(ids.begin(), ids.end(), id) != ids.end();
    };
    REQUIRE(!gone_users.empty());
    const std::string reused_email = ById(target.users, gone_users.front()).email;
    std::erase_if(target.clients, [&](const Client& c) { return in(gone_clients, c.id); });
    std::erase_if(target.users, [&](const User& u) { return in(gone_users, u.id); });
    EraseLinks(target, [&](const ClientUserLink& l) {
      return in(gone_clients, l.client_id) || in(gone_users, l.user_id) || chance(3);
    });
    target.users.push_back(MakeUser(first_new_user + 20, "NEW-REUSE", reused_email));
    // New clients and links, and links whose created_at changed.
    const Id first_new_client = registry.Read().next_ids().client;
    for (Id id = first_new_client; id < first_new_client + 10; ++id) {
      target.clients.push_back(
          MakeClient(id, target.organizations[pick(target.organizations.size())].id,
                     "NEW-ACC-" + std::to_string(id)));
      target.links.push_back(
          ClientUserLink{id, target.users[pick(target.users.size())].id, At(1'700'003'000)});
    }
    for (ClientUserLink& link : target.links) {
      if (chance(2)) link.created_at += std::chrono::seconds(5);
    }

    const Reconciliation plan = ReconcileAndApply(registry, target);
    CHECK(plan.tables[kUsers].inserted.size() == 21);
    CHECK(plan.tables[kClients].inserted.size() == 10);
    CHECK(plan.tables[kOrganizations].deleted.size() == 3);
    CHECK(plan.tables[kClients].deleted.size() == gone_clients.size());
    CHECK(plan.tables[kUsers].deleted.size() == gone_users.size());
  }
}

TEST_CASE("a registry becomes an unrelated one with the same ids when forced") {
  const std::uint64_t seed = 11;
  std::printf("reconcile_test: unrelated registries, seeds %llu and %llu\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed + 1));
  StatusOr<std::unique_ptr<Registry>> registry =
      Registry::FromRows(gen::Generate(SmallSize(seed)), 1);
  REQUIRE_OK(registry);
  gen::GeneratorOptions other = SmallSize(seed + 1);
  other.users -= 50;
  other.clients += 20;
  ReconcileAndApply(**registry, gen::Generate(other), {.force = true});
}
