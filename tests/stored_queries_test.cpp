// The one-shot queries (stored_queries.h), answered from stored rows, give
// exactly what the same queries give on the registry Store::Open builds.
#include "stored_queries.h"

#include <doctest/doctest.h>

#include <random>

#include "feed_testutil.h"
#include "hubreg/store.h"
#include "query_output.h"
#include "temp_dir.h"

namespace hubreg::cli {
namespace {

StoreOptions StoreAt(const std::string& path) {
  StoreOptions options;
  options.path = path;
  return options;
}

std::unique_ptr<Store> OpenStore(const StoreOptions& options) {
  StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  REQUIRE_OK(store);
  return std::move(*store);
}

// What a query answered, as text: the JSON rendering, or the error.
std::string Shown(const StatusOr<QueryTable>& table) {
  if (!table.ok()) return "error: " + table.status().ToString();
  return RenderJson(*table);
}

TEST_CASE("every query answers from stored rows as from the built registry") {
  const unsigned seed = 20261201;
  INFO("seed ", seed);
  std::mt19937 random(seed);
  test::TempDir dir;
  const std::string path = dir.Path("data");
  {
    StoreOptions options = StoreAt(path);
    options.sync = SyncMode::kNoSync;
    options.min_journal_bytes = UINT64_MAX;
    auto store = OpenStore(options);
    REQUIRE_OK(store->Apply(test::SampleBatch()));
    for (int round = 0; round < 80; ++round) {
      if (round == 30) REQUIRE_OK(store->Compact());
      const RegistryRows before = test::SortedRows(store->Read());
      static_cast<void>(store->Apply(test::RandomBatch(random, before)));
    }
  }
  StatusOr<StoredRegistry> stored = ReadStoredRegistry(path);
  REQUIRE_OK(stored);
  StoreOptions options = StoreAt(path);
  options.read_only = true;
  auto store = OpenStore(options);
  const View view = store->Read();

  std::vector<std::string> users{"nobody", "ANN@example.com"}, clients{"ACC-none"},
      orgs{"ORG-none"}, apps{"key-stage", "key-prod", "key-none"};
  for (const User& user : view.Rows<User>()) {
    users.push_back(user.external_id);
    users.push_back(user.email);
  }
  for (const Client& client : view.Rows<Client>()) clients.push_back(client.external_id);
  for (const Organization& org : view.Rows<Organization>()) orgs.push_back(org.external_id);

  CHECK(Shown(NoOrgClients(*stored)) == Shown(NoOrgClients(view)));
  for (const std::string& user : users) {
    INFO("user ", user);
    CHECK(Shown(UserClients(*stored, user)) == Shown(UserClients(view, user)));
    CHECK(Shown(OwnedOrgs(*stored, user)) == Shown(OwnedOrgs(view, user)));
  }
  for (const std::string& client : clients) {
    INFO("client ", client);
    CHECK(Shown(ClientUsers(*stored, client)) == Shown(ClientUsers(view, client)));
  }
  for (const std::string& org : orgs) {
    INFO("organization ", org);
    CHECK(Shown(OrgOwner(*stored, org, std::nullopt)) == Shown(OrgOwner(view, org, std::nullopt)));
    CHECK(Shown(OrgClients(*stored, org, std::nullopt)) ==
          Shown(OrgClients(view, org, std::nullopt)));
    for (const std::string& app : apps) {
      CHECK(Shown(OrgOwner(*stored, org, app)) == Shown(OrgOwner(view, org, app)));
      CHECK(Shown(OrgClients(*stored, org, app)) == Shown(OrgClients(view, org, app)));
    }
  }
  // Every linked (user, account) pair and as many others, each plain and
  // with an app or organization, the user by external id or email.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const ClientUserLink& link : view.Rows<ClientUserLink>()) {
    const User* user = view.FindUser(link.user_id);
    const std::string account = view.FindClient(link.client_id)->external_id;
    pairs.emplace_back(pairs.size() % 2 == 0 ? user->external_id : user->email, account);
    pairs.emplace_back(users[random() % users.size()], clients[random() % clients.size()]);
  }
  int allowed = 0;
  for (const auto& [user, client] : pairs) {
    for (std::optional<std::string_view> org :
         {std::optional<std::string_view>(), std::optional<std::string_view>("ORG-1")}) {
      for (std::optional<std::string_view> app :
           {std::optional<std::string_view>(), std::optional<std::string_view>("key-stage"),
            std::optional<std::string_view>("key-none")}) {
        const AccessRequest request{client, user, app, org};
        const std::string expected = Shown(ResolveUserOrEmail(view, request));
        CHECK(Shown(ResolveUserOrEmail(*stored, request)) == expected);
        allowed += expected.find("\"allowed\"") != std::string::npos;
      }
    }
  }
  MESSAGE(allowed << " allowed answers");
  CHECK(allowed > 0);
}

}  // namespace
}  // namespace hubreg::cli
