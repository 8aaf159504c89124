// Links kept as sorted arrays in their users' and accounts' nodes
// (docs/design.md, "Links"): both ends stay in step through links, unlinks,
// updates, cascading deletes, undone batches, both left-right copies and a
// bulk load, whatever order the links come in.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

template <typename Range>
std::vector<Id> IdsInOrder(const Range& range) {
  std::vector<Id> ids;
  for (const auto& row : range) ids.push_back(row.id);
  return ids;
}

std::set<std::pair<Id, Id>> PairsOf(const View& view) {
  std::set<std::pair<Id, Id>> pairs;
  for (const ClientUserLink& link : view.Rows<ClientUserLink>()) {
    CHECK(pairs.emplace(link.client_id, link.user_id).second);
  }
  return pairs;
}

// Every link seen from both ends and through every lookup agrees with
// `pairs`: ClientsOfUser, UsersOfClient, HasLink, FindLink and the count;
// the rows reached through links are the rows the view finds by id.
void CheckLinks(const View& view, const std::set<std::pair<Id, Id>>& pairs) {
  CHECK(PairsOf(view) == pairs);
  CHECK(view.counts().links == pairs.size());
  CHECK(view.Rows<ClientUserLink>().size() == pairs.size());
  std::set<std::pair<Id, Id>> from_users;
  for (const User& user : view.Rows<User>()) {
    const auto clients = view.ClientsOfUser(user.id);
    const std::vector<Id> ids = IdsInOrder(clients);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(clients.size() == ids.size());
    for (auto it = clients.begin(); it != clients.end(); ++it) {
      // The array holds the account's node in this copy of the state.
      CHECK(&*it == view.FindClient(it->id));
      CHECK(it.link().user_id == user.id);
      CHECK(it.link().client_id == it->id);
      from_users.emplace(it->id, user.id);
    }
  }
  CHECK(from_users == pairs);
  std::set<std::pair<Id, Id>> from_clients;
  for (const Client& client : view.Rows<Client>()) {
    const auto users = view.UsersOfClient(client.id);
    const std::vector<Id> ids = IdsInOrder(users);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    for (auto it = users.begin(); it != users.end(); ++it) {
      CHECK(&*it == view.FindUser(it->id));
      CHECK(it.link() == *view.FindLink(client.id, it->id));
      from_clients.emplace(client.id, it->id);
    }
  }
  CHECK(from_clients == pairs);
  for (const auto& [client_id, user_id] : pairs) {
    CHECK(view.HasLink(client_id, user_id));
    REQUIRE(view.FindLink(client_id, user_id).has_value());
    CHECK(view.FindLink(client_id, user_id)->client_id == client_id);
  }
}

// The sample registry plus user 6 and clients 5..(4 + accounts), user 6
// linked to every one of them.
std::unique_ptr<Registry> RegistryWithLongArray(Id accounts) {
  auto registry = SampleRegistry();
  Batch batch;
  batch.Insert(MakeUser(6, "U-6", "fay@example.com"));
  for (Id id = 5; id < 5 + accounts; ++id)
    batch.Insert(MakeClient(id, 1, "ACC-" + std::to_string(id)));
  for (Id id = 5; id < 5 + accounts; ++id) batch.Link(id, 6);
  REQUIRE_OK(registry->Apply(batch));
  return registry;
}

std::set<std::pair<Id, Id>> SamplePairs() {
  return {{1, 1}, {2, 1}, {1, 2}, {3, 3}, {1, 4}, {4, 5}};
}

}  // namespace

TEST_CASE("a user's accounts and an account's users come in id order, whatever the link order") {
  auto registry = SampleRegistry();
  REQUIRE_OK(registry->Apply(Batch().Insert(MakeUser(6, "U-6", "fay@example.com"))));
  for (Id client : {3, 1, 4, 2}) REQUIRE_OK(registry->Link(client, 6));
  const View view = registry->Read();
  CHECK(IdsInOrder(view.ClientsOfUser(6)) == std::vector<Id>{1, 2, 3, 4});
  CHECK(IdsInOrder(view.UsersOfClient(1)) == std::vector<Id>{1, 2, 4, 6});
  auto pairs = SamplePairs();
  for (Id client : {1, 2, 3, 4}) pairs.emplace(client, 6);
  CheckLinks(view, pairs);
  CHECK(view.ClientsOfUser(99).empty());
  CHECK(view.UsersOfClient(99).size() == 0);
}

TEST_CASE("linking and unlinking inside a long array keeps both ends in step") {
  auto registry = RegistryWithLongArray(300);
  auto pairs = SamplePairs();
  for (Id id = 5; id < 305; ++id) pairs.emplace(id, 6);
  CheckLinks(registry->Read(), pairs);

  // Out of the middle, the front and the back; then back in.
  for (Id client : {150, 5, 304, 151}) {
    REQUIRE_OK(registry->Unlink(client, 6));
    pairs.erase({client, 6});
  }
  CHECK_FALSE(registry->Read().HasLink(150, 6));
  CHECK(registry->Unlink(150, 6).code() == ErrorCode::kNotFound);
  CheckLinks(registry->Read(), pairs);
  for (Id client : {151, 304, 150}) {
    REQUIRE_OK(registry->Link(client, 6));
    pairs.emplace(client, 6);
  }
  CHECK(registry->Link(151, 6).code() == ErrorCode::kDuplicate);
  CheckLinks(registry->Read(), pairs);
  CHECK(registry->Read().ClientsOfUser(6).size() == 299);
}

TEST_CASE("a long user array and a long account array find their links from either side") {
  // User 6 has 300 accounts (5..304); account 5 has 200 more users (7..206):
  // both arrays are longer than a scan (1 KiB), so a link between them is
  // searched by id in the shorter one, the account's, while their links to
  // short arrays are compared by address in those.
  auto registry = RegistryWithLongArray(300);
  Batch batch;
  for (Id id = 7; id < 207; ++id) {
    batch.Insert(MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@example.com"));
    batch.Link(5, id);
  }
  REQUIRE_OK(registry->Apply(batch));
  auto pairs = SamplePairs();
  for (Id id = 5; id < 305; ++id) pairs.emplace(id, 6);
  for (Id id = 7; id < 207; ++id) pairs.emplace(5, id);
  CheckLinks(registry->Read(), pairs);
  CHECK(registry->Read().UsersOfClient(5).size() == 201);
  CHECK_FALSE(registry->Read().HasLink(6, 7));
  CHECK_FALSE(registry->Read().FindLink(6, 7).has_value());

  REQUIRE_OK(registry->Unlink(5, 6));
  pairs.erase({5, 6});
  CHECK_FALSE(registry->Read().HasLink(5, 6));
  CheckLinks(registry->Read(), pairs);
  REQUIRE_OK(registry->Link(5, 6));
  pairs.emplace(5, 6);
  CheckLinks(registry->Read(), pairs);

  // Deleting either end takes its links out of the other ends' arrays.
  REQUIRE_OK(registry->Apply(Batch().Erase<User>(6)));
  std::erase_if(pairs, [](const auto& pair) { return pair.second == 6; });
  CheckLinks(registry->Read(), pairs);
  REQUIRE_OK(registry->Apply(Batch().Erase<Client>(5)));
  std::erase_if(pairs, [](const auto& pair) { return pair.first == 5; });
  CheckLinks(registry->Read(), pairs);
  CHECK(registry->Read().ClientsOfUser(100).empty());
}

TEST_CASE("updating a user or an account keeps its links") {
  auto registry = SampleRegistry();
  User ann = *registry->Read().FindUser(1);
  ann.name = "Ann renamed";
  ann.email = "ann.renamed.with.a.much.longer.address@example.com";
  Client account = *registry->Read().FindClient(1);
  account.name = "Account renamed";
  account.external_id = "ACC-1-renamed";
  REQUIRE_OK(registry->Apply(Batch().Update(ann).Update(account)));
  const View view = registry->Read();
  CHECK(view.FindUserByEmail("ANN.renamed.with.a.much.longer.address@example.com") ==
        view.FindUser(1));
  CHECK(view.FindClientByExternalId("ACC-1-renamed")->name == "Account renamed");
  CheckLinks(view, SamplePairs());
  CHECK(view.Resolve({"ACC-1-renamed", "U-1"}).allowed());
}

TEST_CASE("deleting a user or an account takes its links out of the other ends' arrays") {
  auto registry = SampleRegistry();
  REQUIRE_OK(registry->Apply(Batch().Erase<User>(3).Erase<Client>(1)));
  CheckLinks(registry->Read(), {{2, 1}, {4, 5}});
  CHECK(IdsInOrder(registry->Read().ClientsOfUser(1)) == std::vector<Id>{2});
}

TEST_CASE("a row deleted and inserted again is reached through its new links in both copies") {
  auto registry = SampleRegistry();
  const Client account = *registry->Read().FindClient(3);
  const User cid = *registry->Read().FindUser(3);
  Batch batch;
  batch.Erase<Client>(3).Erase<User>(3).Insert(account).Insert(cid).Link(3, 3).Link(3, 2);
  REQUIRE_OK(registry->Apply(batch));
  auto pairs = SamplePairs();
  pairs.emplace(3, 2);
  CheckLinks(registry->Read(), pairs);
  // The next write replays the batch on the other copy first.
  REQUIRE_OK(registry->Apply(Batch().Update(cid)));
  CheckLinks(registry->Read(), pairs);
}

TEST_CASE("a refused batch leaves every link array as it was") {
  auto registry = RegistryWithLongArray(50);
  const View before = registry->Read();
  const std::set<std::pair<Id, Id>> pairs = PairsOf(before);
  Batch batch;
  batch.Unlink(20, 6).Erase<Client>(1).Link(2, 2).Erase<User>(6).Link(3, 1);
  User renamed = *before.FindUser(2);
  renamed.name = "changed";
  batch.Update(renamed).Link(99, 1);  // no client 99: refused
  CHECK(registry->Apply(batch).status().code() == ErrorCode::kForeignKey);
  CheckLinks(registry->Read(), pairs);
  CHECK(registry->Read().FindUser(2)->name == "User 2");
}

TEST_CASE("both copies of the state hold the same links") {
  auto registry = RegistryWithLongArray(20);
  auto pairs = SamplePairs();
  for (Id id = 5; id < 25; ++id) pairs.emplace(id, 6);
  // Each write goes to the copy readers are not using, after replaying the
  // batch before it there: two more batches and both copies have had each.
  REQUIRE_OK(registry->Apply(Batch().Unlink(10, 6).Link(10, 2).Erase<User>(3)));
  pairs.erase({10, 6});
  pairs.emplace(10, 2);
  pairs.erase({3, 3});
  CheckLinks(registry->Read(), pairs);
  REQUIRE_OK(registry->Link(3, 2));
  pairs.emplace(3, 2);
  CheckLinks(registry->Read(), pairs);
  REQUIRE_OK(registry->Unlink(3, 2));
  pairs.erase({3, 2});
  CheckLinks(registry->Read(), pairs);
}

TEST_CASE("a bulk load takes links in any order and builds both copies alike") {
  auto source = RegistryWithLongArray(40);
  RegistryRows rows = SortedRows(source->Read());
  const std::set<std::pair<Id, Id>> pairs = PairsOf(source->Read());
  std::mt19937 random(7);  // fixed seed
  std::shuffle(rows.links.begin(), rows.links.end(), random);
  auto built = Registry::FromRows(rows, 3);
  REQUIRE_OK(built);
  CheckLinks((*built)->Read(), pairs);
  CHECK(SortedRows((*built)->Read()).links == SortedRows(source->Read()).links);
  // The writer's copy was built in the background: write twice, so readers
  // have used both copies.
  REQUIRE_OK((*built)->Link(2, 2));
  CheckLinks((*built)->Read(), [&] {
    auto more = pairs;
    more.emplace(2, 2);
    return more;
  }());
  REQUIRE_OK((*built)->Unlink(2, 2));
  CheckLinks((*built)->Read(), pairs);
}

TEST_CASE("a bulk load names a pair given twice and a link to a missing row") {
  RegistryRows rows = SortedRows(SampleRegistry()->Read());
  RegistryRows twice = rows;
  twice.links.push_back(twice.links[2]);
  auto duplicate = Registry::FromRows(twice, 1);
  CHECK(duplicate.status().code() == ErrorCode::kDuplicate);
  CHECK(duplicate.status().message().find("in client_user row 7") != std::string::npos);

  RegistryRows no_user = rows;
  no_user.links.push_back({1, 42, At(1)});
  CHECK(Registry::FromRows(no_user, 1).status().code() == ErrorCode::kForeignKey);
  CHECK(Registry::FromRows(no_user, 1).status().message() ==
        "client_user: user_id 42 does not exist in user; in client_user row 7");
  RegistryRows no_client = rows;
  no_client.links.insert(no_client.links.begin(), {42, 1, At(1)});
  CHECK(Registry::FromRows(no_client, 1).status().code() == ErrorCode::kForeignKey);
  CHECK(Registry::FromRows(no_client, 1).status().message() ==
        "client_user: client_id 42 does not exist in client; in client_user row 1");
}
