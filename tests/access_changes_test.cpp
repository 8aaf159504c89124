// Access-changed events (ComputeAccessChanges, hubreg/change.h): one named case per kind
// of change, and random batches checked against a brute-force oracle that
// asks View::Resolve about every pair before and after each batch.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "change_recorder.h"
#include "hubreg/change.h"
#include "hubreg/generator.h"
#include "testutil.h"

namespace hubreg {

std::ostream& operator<<(std::ostream& out, const AccessChange& change) {
  return out << "(user " << change.user_id << ", account " << change.client_id << ": "
             << ToString(change.before) << " -> " << ToString(change.after) << ", organization "
             << change.organization_before << " -> " << change.organization_after << ")";
}

namespace {

using namespace hubreg::test;

template <typename T>
std::string Describe(const std::vector<T>& items) {
  std::ostringstream out;
  out << "[";
  for (const T& item : items) out << "\n  " << item;
  out << " ]";
  return out.str();
}

void CheckEvents(const ChangeBatch& batch, const std::vector<AccessChange>& access,
                 const std::vector<Id>& connection_changed = {}) {
  CHECK_MESSAGE(batch.access == access,
                "got " << Describe(batch.access) << "\nwant " << Describe(access));
  CHECK_MESSAGE(
      batch.connection_changed == connection_changed,
      "got " << Describe(batch.connection_changed) << "\nwant " << Describe(connection_changed));
}

// `batch` with its access events, `registry` holding the state after it.
ChangeBatch WithEvents(const Registry& registry, ChangeBatch batch) {
  const View view = registry.Read();
  ComputeAccessChanges(view, batch);
  return batch;
}

// Applies `mutations` (each must succeed) and returns the batch's events.
ChangeBatch Run(Registry& registry, const std::vector<Mutation>& mutations) {
  Recorder recorder(registry);
  for (const Mutation& mutation : mutations) REQUIRE(recorder.Apply(mutation));
  return WithEvents(registry, recorder.Finish());
}

template <typename Row>
Mutation Update(const Row* row, auto&& change) {
  REQUIRE(row != nullptr);
  Row copy = *row;
  copy.updated_at = {};
  change(copy);
  return UpdateRow<Row>{std::move(copy)};
}
Mutation UpdateUser(Registry& registry, Id id, auto&& change) {
  return Update(registry.Read().FindUser(id), change);
}
Mutation UpdateClient(Registry& registry, Id id, auto&& change) {
  return Update(registry.Read().FindClient(id), change);
}
Mutation Link(Id client_id, Id user_id) { return InsertRow<ClientUserLink>{{client_id, user_id}}; }
Mutation SetStatus(Registry& registry, const User& user, RecordStatus status) {
  return UpdateUser(registry, user.id, [status](User& row) { row.status = status; });
}

constexpr auto kAllowed = AccessVerdict::kAllowed;
constexpr auto kNoLink = AccessVerdict::kNoLink;
constexpr auto kUserDisabled = AccessVerdict::kUserDisabled;
constexpr auto kAccountDisabled = AccessVerdict::kAccountDisabled;
constexpr auto kUnknownUser = AccessVerdict::kUnknownUser;
constexpr auto kUnknownAccount = AccessVerdict::kUnknownAccount;

// The sample registry (testutil.h): users 1 ann, 2 bob, 3 cid, 4 dee
// (disabled), 5 eve; accounts 1 (org 1), 2 (org 1, disabled), 3 (org 2),
// 4 (v1.0, no organization); links (1,1) (2,1) (1,2) (3,3) (1,4) (4,5) as
// (account, user).

TEST_CASE("linking a user to an account lists the pair as newly allowed") {
  auto registry = SampleRegistry();
  CheckEvents(Run(*registry, {Link(3, 2)}), {{2, 3, kNoLink, kAllowed, 2, 2}});
}

TEST_CASE("unlinking lists the pair as no longer allowed") {
  auto registry = SampleRegistry();
  CheckEvents(Run(*registry, {EraseLink{1, 2}}), {{2, 1, kAllowed, kNoLink, 1, 1}});
}

TEST_CASE("disabling a user lists its linked accounts only") {
  auto registry = SampleRegistry();
  const ChangeBatch batch = Run(
      *registry, {UpdateUser(*registry, 1, [](User& u) { u.status = RecordStatus::kDisabled; })});
  // Account 2 was already refused (disabled); the reason changes too.
  CheckEvents(batch, {{1, 1, kAllowed, kUserDisabled, 1, 1},
                      {1, 2, kAccountDisabled, kUserDisabled, 1, 1}});
}

TEST_CASE("enabling a user or an account lists its linked pairs") {
  auto registry = SampleRegistry();
  SUBCASE("a user") {
    CheckEvents(Run(*registry,
                    {UpdateUser(*registry, 4, [](User& u) { u.status = RecordStatus::kActive; })}),
                {{4, 1, kUserDisabled, kAllowed, 1, 1}});
  }
  SUBCASE("an account") {
    CheckEvents(Run(*registry, {UpdateClient(*registry, 2,
                                             [](Client& c) { c.status = RecordStatus::kActive; })}),
                {{1, 2, kAccountDisabled, kAllowed, 1, 1}});
  }
}

TEST_CASE("deleting a user lists each of its links as unknown user") {
  auto registry = SampleRegistry();
  CheckEvents(Run(*registry, {EraseRow<User>{3}}), {{3, 3, kAllowed, kUnknownUser, 2, 2}});
}

TEST_CASE("deleting an account lists its users and its connection") {
  auto registry = SampleRegistry();
  CheckEvents(Run(*registry, {EraseRow<Client>{1}}),
              {{1, 1, kAllowed, kUnknownAccount, 1, kNoId},
               {2, 1, kAllowed, kUnknownAccount, 1, kNoId},
               {4, 1, kUserDisabled, kUnknownAccount, 1, kNoId}},
              {1});
}

TEST_CASE("moving an account to another organization lists its linked users") {
  auto registry = SampleRegistry();
  SUBCASE("the verdicts are unchanged and both organizations are given") {
    CheckEvents(Run(*registry, {UpdateClient(*registry, 1,
                                             [](Client& c) { c.threecolts_organization_id = 3; })}),
                {{1, 1, kAllowed, kAllowed, 1, 3},
                 {2, 1, kAllowed, kAllowed, 1, 3},
                 {4, 1, kUserDisabled, kUserDisabled, 1, 3}});
  }
  SUBCASE("a v1.0 account given an organization") {
    CheckEvents(Run(*registry, {UpdateClient(*registry, 4,
                                             [](Client& c) { c.threecolts_organization_id = 2; })}),
                {{5, 4, kAllowed, kAllowed, kNoId, 2}});
  }
}

TEST_CASE("changing connection details lists the account, not its users") {
  auto registry = SampleRegistry();
  Mutation change = UpdateClient(*registry, 3, [](Client&) {});
  Client& client = std::get<UpdateRow<Client>>(change).row;
  SUBCASE("db_host") { client.db_host = "elsewhere.internal"; }
  SUBCASE("db_port") { client.db_port = 6432; }
  SUBCASE("db_name") { client.db_name = "renamed"; }
  SUBCASE("db_user") { client.db_user = "other_user"; }
  SUBCASE("db_password") { client.db_password = "rotated"; }
  CheckEvents(Run(*registry, {change}), {}, {3});
}

TEST_CASE("changing an external id lists the linked pairs, whose old ids no longer resolve") {
  auto registry = SampleRegistry();
  SUBCASE("a user's") {
    CheckEvents(
        Run(*registry, {UpdateUser(*registry, 1, [](User& u) { u.external_id = "U-1-new"; })}),
        {{1, 1, kAllowed, kAllowed, 1, 1}, {1, 2, kAccountDisabled, kAccountDisabled, 1, 1}});
    CHECK(registry->Read()
              .Resolve({.account_external_id = "ACC-1", .user_external_id = "U-1"})
              .verdict == kUnknownUser);
  }
  SUBCASE("an account's") {
    CheckEvents(Run(*registry,
                    {UpdateClient(*registry, 3, [](Client& c) { c.external_id = "ACC-3-new"; })}),
                {{3, 3, kAllowed, kAllowed, 2, 2}});
  }
  SUBCASE("another user takes a deleted user's external id in the same batch") {
    // U-3 now names eve: the old pair (cid, account 3) goes, and eve's pair
    // (eve, account 4) is listed because requests name her differently.
    CheckEvents(Run(*registry, {EraseRow<User>{3},
                                UpdateUser(*registry, 5, [](User& u) { u.external_id = "U-3"; })}),
                {{3, 3, kAllowed, kUnknownUser, 2, 2}, {5, 4, kAllowed, kAllowed, kNoId, kNoId}});
  }
}

TEST_CASE("a change undone within the batch lists nothing") {
  auto registry = SampleRegistry();
  const User ann = *registry->Read().FindUser(1);
  SUBCASE("a link removed and added back") {
    CheckEvents(Run(*registry, {EraseLink{1, 1}, Link(1, 1)}), {});
  }
  SUBCASE("a link added and removed") {
    CheckEvents(Run(*registry, {Link(3, 1), EraseLink{3, 1}}), {});
  }
  SUBCASE("a user disabled and enabled again") {
    CheckEvents(Run(*registry, {SetStatus(*registry, ann, RecordStatus::kDisabled),
                                SetStatus(*registry, ann, RecordStatus::kActive)}),
                {});
  }
  SUBCASE("a password changed and changed back") {
    Recorder recorder(*registry);
    for (const char* password : {"rotated", "s3cret-1"}) {
      REQUIRE(recorder.Apply(
          UpdateClient(*registry, 1, [password](Client& c) { c.db_password = password; })));
    }
    CheckEvents(WithEvents(*registry, recorder.Finish()), {});
  }
}

TEST_CASE("changes that no answer depends on list nothing") {
  auto registry = SampleRegistry();
  CheckEvents(Run(*registry, {UpdateUser(*registry, 1,
                                         [](User& u) {
                                           u.email = "ann@elsewhere.example";
                                           u.name = "Ann B.";
                                         }),
                              UpdateClient(*registry, 1, [](Client& c) { c.name = "Renamed"; }),
                              Link(3, 4)}),  // dee is disabled: refused before and after
              {});
}

TEST_CASE("disabling a user linked to 800 accounts lists all 800 pairs") {
  constexpr Id kAccounts = 800;
  Registry registry;
  Batch setup;
  setup.Insert(MakeApp(1, "key-stage"))
      .Insert(MakeUser(1, "U-1", "ann@example.com"))
      .Insert(MakeUser(2, "U-2", "bob@example.com"))
      .Insert(MakeOrganization(1, 1, 1, "ORG-1"));
  for (Id id = 1; id <= kAccounts; ++id) {
    setup.Insert(MakeClient(id, 1, "ACC-" + std::to_string(id))).Link(id, 1);
  }
  setup.Link(1, 2);
  REQUIRE_OK(registry.Apply(setup));

  const User ann = *registry.Read().FindUser(1);
  const ChangeBatch batch = Run(registry, {SetStatus(registry, ann, RecordStatus::kDisabled)});
  std::vector<AccessChange> want;
  for (Id id = 1; id <= kAccounts; ++id) want.push_back({1, id, kAllowed, kUserDisabled, 1, 1});
  CheckEvents(batch, want);
}

// The oracle: what View::Resolve says about a pair in one state.
struct PairState {
  AccessVerdict verdict = kUnknownUser;
  bool linked = false;
  bool known = false;  // both rows exist
  Id organization = kNoId;
  std::string_view user_external_id;  // valid while the view lives
  std::string_view client_external_id;
};

PairState StateOf(const View& view, Id user_id, Id client_id) {
  // A row that is absent is asked for under an external id no row has.
  static constexpr std::string_view kAbsent = "(no such row)";
  const User* user = view.FindUser(user_id);
  const Client* client = view.FindClient(client_id);
  PairState state;
  state.known = user != nullptr && client != nullptr;
  state.linked = view.HasLink(client_id, user_id);
  state.organization = client ? client->threecolts_organization_id : kNoId;
  state.user_external_id = user ? std::string_view(user->external_id) : kAbsent;
  state.client_external_id = client ? std::string_view(client->external_id) : kAbsent;
  const AccessDecision decision = view.Resolve({.account_external_id = state.client_external_id,
                                                .user_external_id = state.user_external_id});
  if ((user != nullptr && decision.user != user) ||
      (client != nullptr && decision.account != client)) {
    FAIL("Resolve found other rows for user " << user_id << ", account " << client_id);
  }
  state.verdict = decision.verdict;
  return state;
}

// The access events the header's definition gives for `pairs`, each asked
// of Resolve in the state before and after.
std::vector<AccessChange> Oracle(const View& before, const View& after,
                                 const std::vector<std::pair<Id, Id>>& pairs) {
  std::vector<AccessChange> events;
  for (const auto& [user_id, client_id] : pairs) {
    const PairState then = StateOf(before, user_id, client_id);
    const PairState now = StateOf(after, user_id, client_id);
    if (!then.linked && !now.linked) continue;
    bool listed = then.verdict != now.verdict;
    if (then.linked && now.linked) {
      if (!then.known || !now.known)
        FAIL("a link without its rows: " << user_id << ", " << client_id);
      listed = listed || then.organization != now.organization ||
               then.user_external_id != now.user_external_id ||
               then.client_external_id != now.client_external_id;
    }
    if (listed) {
      events.push_back(
          {user_id, client_id, then.verdict, now.verdict, then.organization, now.organization});
    }
  }
  std::sort(events.begin(), events.end(), [](const AccessChange& a, const AccessChange& b) {
    return std::pair(a.user_id, a.client_id) < std::pair(b.user_id, b.client_id);
  });
  return events;
}

std::vector<Id> ConnectionOracle(const View& before, const View& after) {
  std::vector<Id> changed;
  for (const Client& then : before.Rows<Client>()) {
    const Client* now = after.FindClient(then.id);
    if (now == nullptr ||
        std::tie(then.db_host, then.db_port, then.db_name, then.db_user, then.db_password) !=
            std::tie(now->db_host, now->db_port, now->db_name, now->db_user, now->db_password)) {
      changed.push_back(then.id);
    }
  }
  std::sort(changed.begin(), changed.end());
  return changed;
}

template <typename Table>
std::vector<Id> IdsOf(const Table& before, const Table& after) {
  std::vector<Id> ids;
  for (const auto& row : before) ids.push_back(row.id);
  for (const auto& row : after) ids.push_back(row.id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// Random mutations of users, accounts and links, mostly valid; a few hot ids
// make several mutations of one batch touch the same rows.
class MutationSource {
 public:
  explicit MutationSource(unsigned seed) : random_(seed) {}

  std::vector<Mutation> Next(const View& view) {
    const Id user = PickId(view.next_ids().user);
    const Id client = PickId(view.next_ids().client);
    const User* user_row = view.FindUser(user);
    const Client* client_row = view.FindClient(client);
    auto update_user = [&](auto&& change) -> std::vector<Mutation> {
      if (user_row == nullptr) return {};
      return {Update(user_row, change)};
    };
    auto update_client = [&](auto&& change) -> std::vector<Mutation> {
      if (client_row == nullptr) return {};
      return {Update(client_row, change)};
    };
    auto flip = [](RecordStatus status) {
      return status == RecordStatus::kActive ? RecordStatus::kDisabled : RecordStatus::kActive;
    };
    switch (Below(15)) {
      case 0:
      case 1:
        return {Link(client, user)};
      case 2:
      case 3: {
        if (user_row == nullptr || view.ClientsOfUser(user).empty()) return {};
        const auto links = view.ClientsOfUser(user);
        auto it = links.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(Below(links.size())));
        return {EraseLink{it->id, user}};
      }
      case 4:
        return update_user([&](User& u) { u.status = flip(u.status); });
      case 5:
        return update_client([&](Client& c) { c.status = flip(c.status); });
      case 6:
        if (user_row != nullptr) retired_user_ids_.push_back(user_row->external_id);
        return {EraseRow<User>{user}};
      case 7:
        return {EraseRow<Client>{client}};
      case 8: {
        const Id organization = Below(8) == 0 ? kNoId : PickId(view.next_ids().organization);
        return update_client([&](Client& c) { c.threecolts_organization_id = organization; });
      }
      case 9:
        return update_client([&](Client& c) {
          switch (Below(5)) {
            case 0:
              c.db_host = Fresh("host");
              break;
            case 1:
              c.db_port = static_cast<std::uint16_t>(1024 + Below(60000));
              break;
            case 2:
              c.db_name = Fresh("db");
              break;
            case 3:
              c.db_user = Fresh("user");
              break;
            default:
              c.db_password = Fresh("password");
          }
        });
      case 10: {
        // Sometimes the external id a deleted or renamed user had.
        std::string external_id = Fresh("U");
        if (!retired_user_ids_.empty() && Below(2) == 0) {
          external_id = retired_user_ids_[Below(retired_user_ids_.size())];
        }
        if (user_row != nullptr) retired_user_ids_.push_back(user_row->external_id);
        return update_user([&](User& u) { u.external_id = external_id; });
      }
      case 11:
        return update_client([&](Client& c) { c.external_id = Fresh("ACC"); });
      case 12: {
        User row = MakeUser(view.next_ids().user, Fresh("U"), Fresh("e") + "@example.com");
        if (Below(4) == 0) row.status = RecordStatus::kDisabled;
        return {InsertRow<User>{row}};
      }
      case 13:
        return {InsertRow<Client>{MakeClient(view.next_ids().client,
                                             PickId(view.next_ids().organization), Fresh("ACC"))}};
      default:
        return update_user([&](User& u) { u.email = Fresh("e") + "@example.org"; });
    }
  }

  std::size_t Below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
  }

 private:
  // Half the time one of the first five ids, so batches revisit rows.
  Id PickId(Id next) {
    if (next <= 1) return 1;
    const Id last = Below(2) == 0 ? std::min<Id>(5, next - 1) : next - 1;
    return 1 + Below(last);
  }
  std::string Fresh(const char* prefix) {
    return prefix + std::string("-r") + std::to_string(++fresh_);
  }

  std::mt19937_64 random_;
  std::uint64_t fresh_ = 0;
  std::vector<std::string> retired_user_ids_;
};

// How often each kind of event came up, so a run that never exercised one
// fails instead of passing vacuously.
struct Coverage {
  std::size_t batches = 0;
  std::size_t mutations = 0;
  std::size_t events = 0;
  std::size_t unchanged_verdicts = 0;  // organization or external id changes
  std::size_t connection_changes = 0;
  std::size_t became_allowed = 0;
  std::size_t stopped_allowed = 0;
  std::size_t unknown_after = 0;

  void Count(const ChangeBatch& batch) {
    ++batches;
    events += batch.access.size();
    connection_changes += batch.connection_changed.size();
    for (const AccessChange& event : batch.access) {
      if (event.before == event.after) ++unchanged_verdicts;
      if (event.after == kAllowed && event.before != kAllowed) ++became_allowed;
      if (event.before == kAllowed && event.after != kAllowed) ++stopped_allowed;
      if (event.after == kUnknownUser || event.after == kUnknownAccount) ++unknown_after;
    }
  }
  void CheckExercised() const {
    MESSAGE(batches << " batches, " << mutations << " mutations, " << events << " events, "
                    << unchanged_verdicts << " with unchanged verdicts, " << connection_changes
                    << " connection changes");
    CHECK(mutations > batches);
    CHECK(unchanged_verdicts > 0);
    CHECK(connection_changes > 0);
    CHECK(became_allowed > 0);
    CHECK(stopped_allowed > 0);
    CHECK(unknown_after > 0);
  }
};

// Runs `batches` random batches on `registry`, checking each one's events
// against the oracle over the pairs `pairs_of` names. `shadow` holds the same
// state and follows one batch behind, as the state before.
template <typename PairsOf>
void RunRandomBatches(Registry& registry, Registry& shadow, unsigned seed, int batches,
                      PairsOf&& pairs_of) {
  MESSAGE("seed " << seed);
  MutationSource source(seed);
  Coverage coverage;
  for (int round = 0; round < batches; ++round) {
    CAPTURE(round);
    Recorder recorder(registry);
    const std::size_t size = 1 + source.Below(8);
    for (std::size_t i = 0; i < size; ++i) {
      std::vector<Mutation> mutations;
      {
        const View view = registry.Read();
        mutations = source.Next(view);
      }
      for (const Mutation& mutation : mutations) coverage.mutations += recorder.Apply(mutation);
    }
    const Batch applied = recorder.Applied();
    const ChangeBatch batch = WithEvents(registry, recorder.Finish());
    coverage.Count(batch);
    {
      const View before = shadow.Read();
      const View after = registry.Read();
      CheckEvents(batch, Oracle(before, after, pairs_of(before, after, batch)),
                  ConnectionOracle(before, after));
    }
    if (!applied.empty()) REQUIRE_OK(shadow.Apply(applied));
  }
  coverage.CheckExercised();
}

std::unique_ptr<Registry> Generated(const gen::GeneratorOptions& options) {
  StatusOr<std::unique_ptr<Registry>> registry = Registry::FromRows(gen::Generate(options), 1);
  REQUIRE_OK(registry);
  return std::move(*registry);
}

TEST_CASE("random batches list exactly the pairs whose Resolve answer changed, of all pairs") {
  gen::GeneratorOptions options;
  options.apps = 2;
  options.organizations = 5;
  options.clients = 20;
  options.users = 50;
  options.links = 150;
  options.seed = 11;
  auto registry = Generated(options);
  auto shadow = Generated(options);
  // Every user and account of either state, every pair asked; 80 batches
  // under sanitizers (each kind of event still comes up: CheckExercised).
  RunRandomBatches(*registry, *shadow, 20261130, kSanitized ? 80 : 200,
                   [](const View& before, const View& after, const ChangeBatch&) {
                     std::vector<std::pair<Id, Id>> pairs;
                     const std::vector<Id> clients =
                         IdsOf(before.Rows<Client>(), after.Rows<Client>());
                     for (Id user : IdsOf(before.Rows<User>(), after.Rows<User>())) {
                       for (Id client : clients) {
                         pairs.emplace_back(user, client);
                       }
                     }
                     return pairs;
                   });
}

TEST_CASE("random batches at size S list exactly the pairs whose Resolve answer changed") {
  auto registry = Generated(gen::SizeS());
  auto shadow = Generated(gen::SizeS());
  // A pair none of whose rows (user, account, link) the batch touched is the
  // same at both ends; every other pair is asked: each touched user with
  // every account, each touched account with every user.
  RunRandomBatches(
      *registry, *shadow, 7, 20,
      [](const View& before, const View& after, const ChangeBatch& batch) {
        std::vector<Id> users, clients;
        std::vector<std::pair<Id, Id>> pairs;
        for (const Change& change : batch.changes) {
          std::visit(
              [&](const auto& row_change) {
                const auto& row = row_change.before ? *row_change.before : *row_change.after;
                using Row = std::decay_t<decltype(row)>;
                if constexpr (std::is_same_v<Row, User>) users.push_back(row.id);
                if constexpr (std::is_same_v<Row, Client>) clients.push_back(row.id);
                if constexpr (std::is_same_v<Row, ClientUserLink>) {
                  pairs.emplace_back(row.user_id, row.client_id);
                }
              },
              change);
        }
        const std::vector<Id> all_clients = IdsOf(before.Rows<Client>(), after.Rows<Client>());
        const std::vector<Id> all_users = IdsOf(before.Rows<User>(), after.Rows<User>());
        for (Id user : users) {
          for (Id client : all_clients) pairs.emplace_back(user, client);
        }
        for (Id client : clients) {
          for (Id user : all_users) pairs.emplace_back(user, client);
        }
        std::sort(pairs.begin(), pairs.end());
        pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
        return pairs;
      });
}

}  // namespace
}  // namespace hubreg
