// The follower (hubreg/follower.h) against a private PostgreSQL 15: the first
// copy, a random stream of transactions, kill -9 of the follower process,
// a server restart, a rule-breaking source, TRUNCATE, a schema that does not
// fit, a dropped or invalidated slot, another cluster or slot, `follow
// --drop-slot`, and a read-only process that sees the changes.
#include "hubreg/follower.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <set>

#include "command_testutil.h"
#include "follower_testutil.h"
#include "hubreg/generator.h"

using namespace hubreg;
using namespace hubreg::test;
using namespace std::chrono_literals;

namespace {

const std::string kCli = HUBREG_CLI;
const std::string kHelper = HUBREG_CRASH_WRITER;

void CheckSameTables(const RegistryRows& a, const RegistryRows& b) {
  CHECK(a.apps == b.apps);
  CHECK(a.organizations == b.organizations);
  CHECK(a.clients == b.clients);
  CHECK(a.users == b.users);
  CHECK(a.links == b.links);
}

bool SameTables(const RegistryRows& a, const RegistryRows& b) {
  return a.apps == b.apps && a.organizations == b.organizations && a.clients == b.clients &&
         a.users == b.users && a.links == b.links;
}

// Which rows two registries disagree on (users and links), for failure messages.
std::string Difference(const RegistryRows& a, const RegistryRows& b) {
  std::string text;
  std::map<Id, const User*> users;
  for (const User& u : a.users) users[u.id] = &u;
  for (const User& u : b.users) {
    auto it = users.find(u.id);
    if (it == users.end())
      text += " missing user " + std::to_string(u.id);
    else if (!(*it->second == u))
      text += " different user " + std::to_string(u.id);
  }
  std::set<std::pair<Id, Id>> links;
  for (const ClientUserLink& l : a.links) links.insert({l.client_id, l.user_id});
  for (const ClientUserLink& l : b.links) {
    if (!links.contains({l.client_id, l.user_id}))
      text += " missing link " + std::to_string(l.client_id) + "," + std::to_string(l.user_id);
  }
  std::map<Id, const Client*> clients;
  for (const Client& c : a.clients) clients[c.id] = &c;
  for (const Client& c : b.clients) {
    auto it = clients.find(c.id);
    if (it == clients.end())
      text += " missing client " + std::to_string(c.id);
    else if (!(*it->second == c))
      text += " different client " + std::to_string(c.id);
  }
  return text + " sizes " + std::to_string(a.users.size()) + "/" + std::to_string(b.users.size()) +
         " " + std::to_string(a.links.size()) + "/" + std::to_string(b.links.size());
}

// Random source transactions, written to PostgreSQL and mirrored into an
// in-memory registry that says what the follower must end with.
class SourceWriter {
 public:
  SourceWriter(const SourceDatabase& source, const RegistryRows& base, unsigned seed)
      : conninfo_(source.ConnectionString()), random_(seed) {
    Reconnect();
    auto expected = Registry::FromRows(base, 0);
    REQUIRE_OK(expected);
    expected_ = std::move(*expected);
    next_user_ = base.users.size() + 1;
    next_client_ = base.clients.size() + 1;
  }

  // One transaction of 1 to 4 changes, in the source and in the mirror.
  void WriteTransaction() {
    std::string sql = "BEGIN;";
    Batch batch;
    touched_.clear();
    deleted_.clear();
    const int changes = 1 + static_cast<int>(random_() % 4);
    for (int i = 0; i < changes; ++i) AddChange(&sql, &batch);
    if (batch.empty()) return WriteTransaction();  // PostgreSQL would not send it
    REQUIRE_OK(conn_->Exec(sql + "COMMIT"));
    REQUIRE_OK(expected_->Apply(batch));
    ++transactions_;
  }

  // Opens the connection the transactions go through again (after the
  // server restarted).
  void Reconnect() {
    StatusOr<PgConnection> conn = PgConnection::Open(conninfo_);
    REQUIRE_OK(conn);
    conn_ = std::move(*conn);
  }

  RegistryRows Expected() const { return SortedRows(expected_->Read()); }
  std::uint64_t transactions() const { return transactions_; }

 private:
  void AddChange(std::string* sql, Batch* batch) {
    View view = expected_->Read();
    const Timestamp now = At(1'760'000'000 + static_cast<long long>(random_() % 1000));
    switch (random_() % 7) {
      case 0: {  // a new user
        User user = MakeUser(next_user_, "SU-" + std::to_string(next_user_),
                             "s" + std::to_string(next_user_) + "@example.com");
        user.created_at = user.updated_at = now;
        ++next_user_;
        *sql += InsertSql(user) + ";";
        fresh_users_.insert(user.id);
        batch->Insert(std::move(user));
        return;
      }
      case 1: {  // a new account in an organization
        const auto organizations = view.Rows<Organization>();
        if (organizations.empty()) return;
        const Id organization = 1 + random_() % organizations.size();
        Client client =
            MakeClient(next_client_, organization, "SACC-" + std::to_string(next_client_));
        client.created_at = client.updated_at = now;
        ++next_client_;
        *sql += InsertSql(client) + ";";
        batch->Insert(std::move(client));
        return;
      }
      case 2: {  // rename or disable a user
        const User* user = view.FindUser(1 + random_() % (next_user_ - 1));
        if (user == nullptr) return;
        User changed = *user;
        changed.name = "Renamed " + std::to_string(random_() % 1000);
        changed.status = random_() % 2 ? RecordStatus::kActive : RecordStatus::kDisabled;
        changed.updated_at = now;
        *sql += "UPDATE \"user\" SET name = " + Sql(changed.name) +
                ", status = " + Sql(ToString(changed.status)) + ", updated_at = " + Sql(now) +
                " WHERE id = " + std::to_string(changed.id) + ";";
        batch->Update(std::move(changed));
        return;
      }
      case 3: {  // move an account to another database host
        const Client* client = view.FindClient(1 + random_() % (next_client_ - 1));
        if (client == nullptr) return;
        Client changed = *client;
        changed.db_host = "db" + std::to_string(random_() % 50) + ".internal";
        changed.db_port = static_cast<std::uint16_t>(5432 + random_() % 3);
        changed.updated_at = now;
        *sql += "UPDATE client SET db_host = " + Sql(changed.db_host) +
                ", db_port = " + std::to_string(changed.db_port) + ", updated_at = " + Sql(now) +
                " WHERE id = " + std::to_string(changed.id) + ";";
        batch->Update(std::move(changed));
        return;
      }
      case 4: {  // link
        const Id client = 1 + random_() % (next_client_ - 1);
        const Id user = 1 + random_() % (next_user_ - 1);
        if (!view.FindClient(client) || !view.FindUser(user) || view.HasLink(client, user)) return;
        if (Touched(client, user)) return;
        ClientUserLink link{client, user, now};
        *sql += InsertSql(link) + ";";
        batch->Insert(link);
        return;
      }
      case 5: {  // unlink
        const Id user = 1 + random_() % (next_user_ - 1);
        for (const Client& client : view.ClientsOfUser(user)) {
          if (Touched(client.id, user)) return;
          *sql += "DELETE FROM client_user WHERE client_id = " + std::to_string(client.id) +
                  " AND user_id = " + std::to_string(user) + ";";
          batch->Unlink(client.id, user);
          return;
        }
        return;
      }
      default: {  // delete a user the stream created, once nothing refers to it
        for (Id id : fresh_users_) {
          if (view.FindUser(id) && view.ClientsOfUser(id).begin() == view.ClientsOfUser(id).end() &&
              !Mentioned(*batch, id)) {
            *sql += "DELETE FROM \"user\" WHERE id = " + std::to_string(id) + ";";
            batch->Erase<User>(id);
            fresh_users_.erase(id);
            deleted_.insert(id);
            return;
          }
        }
      }
    }
  }
  // Whether the transaction so far already links or unlinks this pair, or
  // deletes the user.
  bool Touched(Id client, Id user) {
    return deleted_.contains(user) || !touched_.insert({client, user}).second;
  }
  static bool Mentioned(const Batch& batch, Id user) {
    for (const Mutation& m : batch.mutations()) {
      if (auto* link = std::get_if<InsertRow<ClientUserLink>>(&m);
          link && link->row.user_id == user)
        return true;
      if (auto* insert = std::get_if<InsertRow<User>>(&m); insert && insert->row.id == user)
        return true;
    }
    return false;
  }

  std::string conninfo_;
  std::optional<PgConnection> conn_;
  std::mt19937 random_;
  std::unique_ptr<Registry> expected_;
  Id next_user_ = 1;
  Id next_client_ = 1;
  std::set<Id> fresh_users_;
  std::set<std::pair<Id, Id>> touched_;
  std::set<Id> deleted_;
  std::uint64_t transactions_ = 0;
};

gen::GeneratorOptions SmallSource() {
  gen::GeneratorOptions options;
  options.organizations = 5;
  options.clients = 40;
  options.users = 200;
  options.links = 300;
  return options;
}

// Fills `source`'s tables with a generated registry and returns its rows.
RegistryRows LoadGeneratedSource(const SourceDatabase& source, const gen::GeneratorOptions& size) {
  const RegistryRows base = gen::Generate(size);
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  LoadSource(*conn, base);
  return base;
}

std::string QueryOne(const SourceDatabase& source, const std::string& sql) {
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  StatusOr<std::vector<PgRow>> rows = conn->Query(sql);
  REQUIRE_OK(rows);
  REQUIRE(rows->size() == 1);
  return rows->front().front().value_or("NULL");
}

bool SawEventSaying(RunningFollower& follower, FollowerEvent::Kind kind, std::string_view text) {
  for (const FollowerEvent& e : follower.Events()) {
    if (e.kind == kind && e.message.find(text) != std::string::npos) return true;
  }
  return false;
}

constexpr const char* kSystemIdSql = "SELECT system_identifier FROM pg_control_system()";

std::string SlotSql(std::string_view column, std::string_view slot) {
  return "SELECT " + std::string(column) +
         " FROM pg_replication_slots WHERE slot_name = " + Sql(slot);
}

}  // namespace

TEST_CASE(
    "the first copy of a size-S registry equals the source, and a random stream keeps it equal") {
  SourceDatabase source;
  const RegistryRows base = LoadGeneratedSource(source, gen::SizeS());
  FollowedStore followed;
  Store& store = followed.store();
  RunningFollower& follower = followed.Follow(source);
  CHECK(follower.SawEvent(FollowerEvent::Kind::kCopied));
  SourceWriter writer(source, base, 20261130);
  CheckSameTables(SortedRows(store.Read()), writer.Expected());
  CHECK(store.Read().sequence() == 1);  // the copy is one batch

  MESSAGE("seed 20261130");
  for (int i = 0; i < 300; ++i) writer.WriteTransaction();
  // Each source transaction is one batch: a transaction applied twice would
  // show as a sequence beyond this.
  const std::uint64_t target = 1 + writer.transactions();
  REQUIRE_MESSAGE(follower.WaitFor([&] { return store.Read().sequence() >= target; }),
                  "at sequence " << store.Read().sequence() << " of " << target << ", "
                                 << follower.follower().status().transactions
                                 << " transactions: " << follower.Describe()
                                 << Difference(SortedRows(store.Read()), writer.Expected()));
  CHECK_OK(follower.Stop());
  CHECK(store.Read().sequence() == target);
  CheckSameTables(SortedRows(store.Read()), writer.Expected());
  StatusOr<std::optional<FollowState>> state = ReadFollowState(store);
  REQUIRE_OK(state);
  REQUIRE(state->has_value());
  CHECK((*state)->slot == source.slot());
  CHECK((*state)->source.find("postgresql://postgres@") == 0);
  CHECK((*state)->commit_time != Timestamp{});
  CHECK((*state)->lag() >= 0us);
}

TEST_CASE(
    "a burst committed in groups while the follower keeps receiving: equal to the source, "
    "nothing confirmed before it is durable") {
  SourceDatabase source;
  const RegistryRows base = LoadGeneratedSource(source, SmallSource());
  FollowedStore followed;
  Store& store = followed.store();
  followed.Follow(source);
  followed.Stop();
  // Written while no follower runs, so that the next one receives them as
  // fast as the server sends them, much faster than LMDB commits.
  MESSAGE("seed 20261201");
  SourceWriter writer(source, base, 20261201);
  // bounds[k]: a WAL position at or after the commit of transaction k and
  // before that of transaction k+1.
  std::vector<Lsn> bounds;
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  for (int i = 0; i < 400; ++i) {
    writer.WriteTransaction();
    StatusOr<std::vector<PgRow>> insert_lsn = conn->Query("SELECT pg_current_wal_insert_lsn()");
    REQUIRE_OK(insert_lsn);
    const std::optional<Lsn> bound = ParseLsn(insert_lsn->at(0).at(0).value_or("NULL"));
    REQUIRE(bound.has_value());
    bounds.push_back(*bound);
  }
  const std::uint64_t target = 1 + writer.transactions();

  RunningFollower follower(store, OptionsFor(source));
  // At every observation, the transactions the server counts as confirmed
  // (committed at or before the slot's confirmed position) are durable.
  // Observed as often as one connection can ask, so that a position
  // confirmed while its group still commits is seen.
  StatusOr<PgConnection> observer = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(observer);
  std::uint64_t observations = 0;
  std::string violation;
  const auto observe = [&] {
    StatusOr<std::vector<PgRow>> slot =
        observer->Query(SlotSql("confirmed_flush_lsn", source.slot()));
    REQUIRE_OK(slot);
    REQUIRE(slot->size() == 1);
    const std::optional<Lsn> confirmed = ParseLsn(slot->front().front().value_or("NULL"));
    REQUIRE(confirmed.has_value());
    const std::uint64_t applied = store.Read().sequence() - 1;
    const auto confirmed_transactions = static_cast<std::uint64_t>(std::count_if(
        bounds.begin(), bounds.end(), [&](Lsn bound) { return bound <= *confirmed; }));
    ++observations;
    if (confirmed_transactions > applied && violation.empty()) {
      violation = "confirmed " + FormatLsn(*confirmed) + " covers " +
                  std::to_string(confirmed_transactions) + " transactions but only " +
                  std::to_string(applied) + " are applied";
    }
    return applied + 1 >= target;
  };
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!observe()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                    "at sequence " << store.Read().sequence() << " of " << target << ": "
                                   << follower.Describe());
  }
  CHECK_MESSAGE(violation.empty(), violation);
  CHECK(observations > 0);
  CHECK_OK(follower.Stop());
  CHECK(store.Read().sequence() == target);
  CheckSameTables(SortedRows(store.Read()), writer.Expected());

  const FollowerStatus status = follower.follower().status();
  CHECK(status.transactions == writer.transactions());
  CHECK(status.largest_group > 1);
  CHECK(status.groups < status.transactions);
  // One kApplied event per LMDB commit, with its transactions.
  std::uint64_t applied_events = 0, applied_transactions = 0;
  for (const FollowerEvent& e : follower.Events()) {
    if (e.kind != FollowerEvent::Kind::kApplied) continue;
    ++applied_events;
    applied_transactions += e.transactions;
  }
  CHECK(applied_events == status.groups);
  CHECK(applied_transactions == status.transactions);
  // The stored position is the last transaction's, and it is confirmed.
  StatusOr<std::optional<FollowState>> state = ReadFollowState(store);
  REQUIRE_OK(state);
  REQUIRE(state->has_value());
  CHECK((*state)->lsn > bounds[bounds.size() - 2]);
  CHECK((*state)->lsn <= bounds.back());
  CHECK(*ParseLsn(QueryOne(source, SlotSql("confirmed_flush_lsn", source.slot()))) >=
        (*state)->lsn);
}

TEST_CASE("the follower survives PostgreSQL restarting mid-stream") {
  SourceDatabase source;
  const RegistryRows base = LoadGeneratedSource(source, SmallSource());
  FollowedStore followed;
  Store& store = followed.store();
  // Transactions committed before the slot exists are in the copy, not in
  // the stream: write once streaming, so that each is one batch.
  RunningFollower& follower = followed.Follow(source);
  SourceWriter writer(source, base, 7);
  for (int i = 0; i < 40; ++i) writer.WriteTransaction();
  REQUIRE(follower.WaitFor([&] { return store.Read().sequence() >= 1 + 20; }));
  REQUIRE_OK(source.server().Restart(PgServer::StopMode::kFast));
  writer.Reconnect();
  for (int i = 0; i < 40; ++i) writer.WriteTransaction();
  REQUIRE_OK(source.server().Restart(PgServer::StopMode::kImmediate));
  writer.Reconnect();
  for (int i = 0; i < 20; ++i) writer.WriteTransaction();
  const std::uint64_t target = 1 + writer.transactions();
  REQUIRE_MESSAGE(follower.WaitFor([&] { return store.Read().sequence() >= target; }),
                  "at sequence " << store.Read().sequence() << " of " << target << ", "
                                 << follower.follower().status().transactions
                                 << " transactions: " << follower.Describe()
                                 << Difference(SortedRows(store.Read()), writer.Expected()));
  CHECK_OK(follower.Stop());
  CHECK(follower.SawEvent(FollowerEvent::Kind::kDisconnected));
  CHECK(store.Read().sequence() == target);
  CheckSameTables(SortedRows(store.Read()), writer.Expected());
}

TEST_CASE(
    "a source transaction that breaks the registry's rules stops the follower, keeping what came "
    "before") {
  SourceDatabase source;
  FollowedStore followed;
  Store& store = followed.store();
  RunningFollower& follower = followed.Follow(source);
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  // A source without the registry's case-insensitive unique email.
  REQUIRE_OK(conn->Exec("DROP INDEX user_email_key"));
  REQUIRE_OK(conn->Exec(
      "INSERT INTO \"user\" (id, external_id, email) VALUES (1, 'U-1', 'ann@example.com')"));
  REQUIRE(follower.WaitFor([&] { return store.Read().sequence() == 1; }));
  const std::string lsn_before = QueryOne(source, "SELECT pg_current_wal_lsn()");
  REQUIRE_OK(conn->Exec(
      "INSERT INTO \"user\" (id, external_id, email) VALUES (2, 'U-2', 'ANN@example.com')"));
  std::optional<Status> ended = follower.WaitForEnd();
  REQUIRE(ended.has_value());
  CHECK(ended->code() == ErrorCode::kDuplicate);
  CHECK(ended->message().find("ANN@example.com") != std::string::npos);
  CHECK(ended->message().find("source transaction committed at ") != std::string::npos);
  CHECK(ended->message().find("it is not applied nor confirmed") != std::string::npos);
  // Everything before it is there; it is not, nor confirmed to the server.
  CHECK(store.Read().FindUser(1) != nullptr);
  CHECK(store.Read().FindUser(2) == nullptr);
  CHECK(store.Read().sequence() == 1);
  const std::optional<Lsn> confirmed =
      ParseLsn(QueryOne(source, SlotSql("confirmed_flush_lsn", source.slot())));
  REQUIRE(confirmed.has_value());
  CHECK(*confirmed <= *ParseLsn(lsn_before));
}

TEST_CASE("TRUNCATE at the source empties the table in the registry") {
  SourceDatabase source;
  const RegistryRows base = LoadGeneratedSource(source, SmallSource());
  FollowedStore followed;
  Store& store = followed.store();
  RunningFollower& follower = followed.Follow(source);
  REQUIRE(store.Read().counts().links == base.links.size());
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  REQUIRE_OK(conn->Exec("TRUNCATE client_user"));
  REQUIRE(follower.WaitFor([&] { return store.Read().sequence() == 2; }));
  CHECK(store.Read().counts().links == 0);
  CHECK(store.Read().counts().users == base.users.size());
  CHECK_OK(follower.Stop());
}

TEST_CASE("a source column of the wrong type is refused at start with the exact difference") {
  SourceDatabase source;
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  REQUIRE_OK(
      conn->Exec("ALTER TABLE client DROP CONSTRAINT client_db_port_check; "
                 "ALTER TABLE client ALTER COLUMN db_port TYPE text; "
                 "ALTER TABLE \"user\" DROP COLUMN email"));
  FollowedStore followed;
  Store& store = followed.store();
  Follower follower(store, OptionsFor(source));
  std::stop_source stop;
  const Status status = follower.Run(stop.get_token());
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() ==
        "the source schema does not fit: user.email: missing in source table public.user; "
        "client.db_port: source type text, expected an integer type");
  CHECK(QueryOne(source,
                 "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()") ==
        "0");
}

TEST_CASE("a dropped slot leads to a fresh copy reconciled with the registry, never to skipping") {
  SourceDatabase source;
  const RegistryRows base = LoadGeneratedSource(source, SmallSource());
  FollowedStore followed;
  Store& store = followed.store();
  SourceWriter writer(source, base, 11);
  {
    RunningFollower& follower = followed.Follow(source);
    CHECK_OK(follower.Stop());
  }
  REQUIRE_OK(DropFollowerSlot(source.ConnectionString(), source.slot()));
  CHECK(DropFollowerSlot(source.ConnectionString(), source.slot()).code() == ErrorCode::kNotFound);
  // Changes made while no slot kept them.
  for (int i = 0; i < 20; ++i) writer.WriteTransaction();
  RunningFollower& follower = followed.Follow(source);
  bool said_gone = false;
  for (const FollowerEvent& e : follower.Events()) {
    if (e.kind == FollowerEvent::Kind::kCopyStarted &&
        e.message.find("replication slot " + source.slot() + " is gone") != std::string::npos) {
      said_gone = true;
    }
  }
  CHECK(said_gone);
  CHECK_OK(follower.Stop());
  CheckSameTables(SortedRows(store.Read()), writer.Expected());
}

TEST_CASE("a read-only process sees the followed changes after Refresh") {
  SourceDatabase source;
  FollowedStore followed;
  RunningFollower& follower = followed.Follow(source);
  Child reader({kHelper, "reader", followed.path()});
  reader.Send("refresh");
  CHECK(reader.ReadLine() == "0 0 0");  // an empty source: the copy wrote nothing
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  REQUIRE_OK(conn->Exec(
      "INSERT INTO \"user\" (id, external_id, email) VALUES (1, 'U-1', 'a@example.com')"));
  REQUIRE(follower.WaitFor([&] { return followed.store().Read().sequence() == 1; }));
  reader.Send("refresh");
  CHECK(reader.ReadLine() == "0 1 1");
  CHECK_OK(follower.Stop());
}

TEST_CASE(
    "kill -9 of the follower process at random moments: equal at the end, nothing applied twice") {
  SourceDatabase source;
  const RegistryRows base = LoadGeneratedSource(source, SmallSource());
  TempDir dir;
  const std::string path = dir.Path("data");
  const unsigned seed = 20261201;
  MESSAGE("seed " << seed);
  std::mt19937 random(seed);
  SourceWriter writer(source, base, seed);
  // The password is ignored by the test server (trust), but must never show.
  const std::string source_uri = source.Uri() + "?password=Pw-Never-Shown";
  const std::vector<std::string> follow = {kCli,
                                           "--data",
                                           path,
                                           "-q",
                                           "follow",
                                           source_uri,
                                           "--slot",
                                           source.slot(),
                                           "--publication",
                                           source.publication()};
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    Child child(follow);
    // Transactions committed before the first slot exists are in the copy:
    // write once the child streams, so that each is one batch.
    for (;;) {
      std::optional<std::string> line = child.ReadLine(120'000);
      REQUIRE_MESSAGE(line.has_value(), "the follower did not start streaming");
      if (line->rfind("streaming from ", 0) == 0) break;
    }
    // Writes while the child follows, and kills it after a random number of
    // applied groups.
    const int kill_after = 1 + static_cast<int>(random() % 3);
    int applied = 0;
    for (int written = 0; applied < kill_after && written < 200; ++written) {
      writer.WriteTransaction();
      for (const std::string& line : child.ReadAvailableLines(0)) {
        CHECK(line.find("Pw-Never-Shown") == std::string::npos);
        if (line.rfind("applied ", 0) == 0) ++applied;
      }
    }
    while (applied < kill_after) {
      std::optional<std::string> line = child.ReadLine(60'000);
      REQUIRE_MESSAGE(line.has_value(), "the follower printed nothing for 60 s");
      if (line->rfind("applied ", 0) == 0) ++applied;
    }
    child.Kill();
    const int status = child.Wait();
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
    // Started again at once: the killed command's supervised child may
    // still hold the data directory for a moment; the next one waits.
  }
  // A last run catches up and stops cleanly on SIGTERM.
  const std::uint64_t target = 1 + writer.transactions();
  Child child(follow);
  StoreOptions read_only = StoreAt(path);
  read_only.read_only = true;
  std::unique_ptr<Store> reader;
  // SIGTERM must wait for the command to stream: the killed runs may have
  // applied everything already, and before it streams the command may not
  // yet have taken SIGTERM for itself (it would die by it, not stop cleanly).
  bool streaming = false;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<std::string> line = child.ReadLine(1000);
    if (line && line->rfind("streaming from ", 0) == 0) streaming = true;
    if (!reader) {
      StatusOr<std::unique_ptr<Store>> opened = Store::Open(read_only);
      if (opened.ok()) reader = std::move(*opened);
    }
    if (reader) {
      REQUIRE_OK(reader->Refresh());
      if (streaming && reader->Read().sequence() >= target) break;
    }
  }
  REQUIRE(streaming);
  REQUIRE(reader != nullptr);
  CHECK(reader->Read().sequence() == target);  // no transaction applied twice
  ::kill(child.pid(), SIGTERM);
  const int status = child.Wait();
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CheckSameTables(SortedRows(reader->Read()), writer.Expected());

  Child stats({kCli, "--data", path, "--json", "stats"});
  std::optional<std::string> json = stats.ReadLine();
  REQUIRE(json.has_value());
  CHECK(json->find("\"follow\":{\"source\":\"postgresql://postgres@") != std::string::npos);
  CHECK(json->find("\"slot\":\"" + source.slot() + "\"") != std::string::npos);
  CHECK(json->find("Pw-Never-Shown") == std::string::npos);
}

TEST_CASE("a slot invalidated because its WAL was removed leads to a fresh copy, never to a gap") {
  PgServerOptions small_wal;
  small_wal.settings = {"max_slot_wal_keep_size = 1MB"};
  // Its own server: the WAL allowance is the whole cluster's.
  auto server = StartSourceServer(small_wal);
  SourceDatabase source(*server);
  const RegistryRows base = LoadGeneratedSource(source, SmallSource());
  FollowedStore followed;
  Store& store = followed.store();
  SourceWriter writer(source, base, 17);
  {
    RunningFollower& follower = followed.Follow(source);
    for (int i = 0; i < 5; ++i) writer.WriteTransaction();
    REQUIRE(follower.WaitFor([&] { return store.Read().sequence() >= 1 + 5; }));
    CHECK_OK(follower.Stop());
  }
  // While no follower runs, the source changes and the server removes WAL
  // the slot still needs (its 1 MB allowance is one segment here).
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  std::string wal_status;
  for (int i = 0; i < 50 && wal_status != "lost"; ++i) {
    writer.WriteTransaction();
    REQUIRE_OK(conn->Exec("SELECT pg_switch_wal()"));
    REQUIRE_OK(conn->Exec("CHECKPOINT"));
    wal_status = QueryOne(source, SlotSql("wal_status", source.slot()));
  }
  REQUIRE(wal_status == "lost");

  RunningFollower& follower = followed.Follow(source);
  CHECK_MESSAGE(SawEventSaying(follower, FollowerEvent::Kind::kDisconnected,
                               "replication slot " + source.slot() +
                                   " cannot serve the stored position; dropping it to start "
                                   "again from a fresh copy"),
                follower.Describe());
  CHECK(SawEventSaying(follower, FollowerEvent::Kind::kCopyStarted,
                       "replication slot " + source.slot() + " is gone"));
  for (int i = 0; i < 10; ++i) writer.WriteTransaction();
  REQUIRE_MESSAGE(
      follower.WaitFor([&] { return SameTables(SortedRows(store.Read()), writer.Expected()); }),
      follower.Describe() << Difference(SortedRows(store.Read()), writer.Expected()));
  CHECK_OK(follower.Stop());
  CHECK(QueryOne(source, SlotSql("wal_status", source.slot())) == "reserved");
}

TEST_CASE(
    "a registry that followed another cluster, or another slot, is copied afresh, never resumed") {
  SourceDatabase first;
  const RegistryRows base = LoadGeneratedSource(first, SmallSource());
  FollowedStore followed;
  Store& store = followed.store();
  {
    SourceWriter writer(first, base, 21);
    RunningFollower& follower = followed.Follow(first);
    for (int i = 0; i < 10; ++i) writer.WriteTransaction();
    REQUIRE(follower.WaitFor([&] { return store.Read().sequence() >= 1 + 10; }));
    CHECK_OK(follower.Stop());
  }
  // The same data in a rebuilt cluster, which then went its own way, with a
  // slot of the follower's name that a resumed follower would stream from.
  PgServerOptions own_cluster;
  own_cluster.own_cluster = true;
  auto second_server = StartSourceServer(own_cluster);
  SourceDatabase second(*second_server, first.name());
  const std::string second_system = QueryOne(second, kSystemIdSql);
  REQUIRE(QueryOne(first, kSystemIdSql) != second_system);
  LoadGeneratedSource(second, SmallSource());
  {
    StatusOr<PgConnection> conn = PgConnection::Open(second.ConnectionString());
    REQUIRE_OK(conn);
    REQUIRE_OK(conn->Exec("SELECT pg_create_logical_replication_slot(" + Sql(second.slot()) +
                          ", 'pgoutput')"));
  }
  SourceWriter writer(second, base, 22);
  for (int i = 0; i < 20; ++i) writer.WriteTransaction();
  {
    RunningFollower& follower = followed.Follow(second);
    CHECK_MESSAGE(SawEventSaying(follower, FollowerEvent::Kind::kCopyStarted,
                                 "the source is another PostgreSQL cluster (system " +
                                     second_system + ", the registry followed "),
                  follower.Describe());
    for (int i = 0; i < 5; ++i) writer.WriteTransaction();
    REQUIRE_MESSAGE(
        follower.WaitFor([&] { return SameTables(SortedRows(store.Read()), writer.Expected()); }),
        follower.Describe() << Difference(SortedRows(store.Read()), writer.Expected()));
    CHECK_OK(follower.Stop());
    StatusOr<std::optional<FollowState>> state = ReadFollowState(store);
    REQUIRE_OK(state);
    REQUIRE(state->has_value());
    CHECK((*state)->system_id == second_system);
  }
  // Changes the old slot keeps, then a follower told to use another slot.
  for (int i = 0; i < 5; ++i) writer.WriteTransaction();
  FollowerOptions other_slot = OptionsFor(second);
  other_slot.slot = second.slot() + "_b";
  RunningFollower& follower = followed.Follow(other_slot);
  CHECK_MESSAGE(SawEventSaying(follower, FollowerEvent::Kind::kCopyStarted,
                               "following slot " + other_slot.slot + " instead of " +
                                   second.slot() + ": starting again from a fresh copy"),
                follower.Describe());
  for (int i = 0; i < 5; ++i) writer.WriteTransaction();
  REQUIRE_MESSAGE(
      follower.WaitFor([&] { return SameTables(SortedRows(store.Read()), writer.Expected()); }),
      follower.Describe() << Difference(SortedRows(store.Read()), writer.Expected()));
  CHECK_OK(follower.Stop());
  StatusOr<std::optional<FollowState>> state = ReadFollowState(store);
  REQUIRE_OK(state);
  REQUIRE(state->has_value());
  CHECK((*state)->slot == other_slot.slot);
  CHECK(QueryOne(second, SlotSql("count(*)", other_slot.slot)) == "1");
}

TEST_CASE("hubreg follow --drop-slot drops the slot and leaves the data directory as it was") {
  SourceDatabase source;
  LoadGeneratedSource(source, SmallSource());
  FollowedStore followed;
  const std::string path = followed.path();
  const std::vector<std::string> drop = {kCli,          "--data",     path,     "follow",
                                         "--drop-slot", source.Uri(), "--slot", source.slot()};
  RegistryRows rows;
  std::uint64_t sequence = 0;
  std::string source_state;
  {
    Store& store = followed.store();
    RunningFollower& follower = followed.Follow(source);
    // A slot in use is refused at once, not waited for.
    const CommandOutput busy = RunCommand(drop);
    CHECK((WIFEXITED(busy.wait_status) && WEXITSTATUS(busy.wait_status) == 1));
    CHECK_MESSAGE(busy.output.find("hubreg: ") == 0, busy.output);
    CHECK_MESSAGE(busy.output.find("is active for PID") != std::string::npos, busy.output);
    CHECK(follower.follower().status().streaming);
    CHECK_OK(follower.Stop());
    rows = SortedRows(store.Read());
    sequence = store.Read().sequence();
    StatusOr<std::string> state = store.SourceState();
    REQUIRE_OK(state);
    source_state = *state;
    followed.Close();
  }
  REQUIRE(QueryOne(source, SlotSql("count(*)", source.slot())) == "1");

  const CommandOutput dropped = RunCommand(drop);
  CHECK((WIFEXITED(dropped.wait_status) && WEXITSTATUS(dropped.wait_status) == 0));
  CHECK(dropped.output == "dropped replication slot " + source.slot() + "\n");
  CHECK(QueryOne(source, SlotSql("count(*)", source.slot())) == "0");
  const CommandOutput again = RunCommand(drop);
  CHECK((WIFEXITED(again.wait_status) && WEXITSTATUS(again.wait_status) == 1));
  CHECK_MESSAGE(again.output.find("replication slot " + source.slot() + " does not exist") !=
                    std::string::npos,
                again.output);

  auto store = OpenStore(StoreAt(path));
  CHECK(store->Read().sequence() == sequence);
  CheckSameTables(SortedRows(store->Read()), rows);
  StatusOr<std::string> state = store->SourceState();
  REQUIRE_OK(state);
  CHECK(*state == source_state);
}

TEST_CASE(
    "a user's id changed at a source with ON UPDATE CASCADE moves its links and organizations") {
  SourceDatabase source;
  LoadGeneratedSource(source, SmallSource());
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  REQUIRE_OK(conn->Exec(
      "ALTER TABLE client_user DROP CONSTRAINT client_user_user_id_fkey,"
      " ADD FOREIGN KEY (user_id) REFERENCES \"user\" (id) ON UPDATE CASCADE;"
      "ALTER TABLE threecolts_organization"
      " DROP CONSTRAINT threecolts_organization_organization_owner_id_fkey,"
      " ADD FOREIGN KEY (organization_owner_id) REFERENCES \"user\" (id) ON UPDATE CASCADE"));
  const Id owner = std::stoull(
      QueryOne(source, "SELECT organization_owner_id FROM threecolts_organization WHERE id = 1"));
  const std::string owned = QueryOne(
      source, "SELECT count(*) FROM threecolts_organization WHERE organization_owner_id = " +
                  std::to_string(owner));
  REQUIRE_OK(conn->Exec("INSERT INTO client_user SELECT id, " + std::to_string(owner) +
                        ", now() FROM client WHERE id <= 3 ON CONFLICT DO NOTHING"));
  const std::string links =
      QueryOne(source, "SELECT count(*) FROM client_user WHERE user_id = " + std::to_string(owner));
  FollowedStore followed;
  Store& store = followed.store();
  RunningFollower& follower = followed.Follow(source);
  const std::uint64_t before = store.Read().sequence();
  const User old_user = *store.Read().FindUser(owner);

  constexpr Id kNewId = 100'000;
  REQUIRE_OK(conn->Exec("UPDATE \"user\" SET id = " + std::to_string(kNewId) +
                        " WHERE id = " + std::to_string(owner)));
  REQUIRE_MESSAGE(follower.WaitFor([&] { return store.Read().sequence() > before; }),
                  follower.Describe());
  CHECK_OK(follower.Stop());
  const View view = store.Read();
  CHECK(view.sequence() == before + 1);  // one source transaction, one batch
  CHECK(view.FindUser(owner) == nullptr);
  const User* moved = view.FindUser(kNewId);
  REQUIRE(moved != nullptr);
  CHECK(moved->email == old_user.email);
  CHECK(moved->external_id == old_user.external_id);
  CHECK(view.FindOrganization(1)->organization_owner_id == kNewId);
  std::size_t owned_now = 0;
  for (const Organization& o : view.Rows<Organization>())
    owned_now += o.organization_owner_id == kNewId;
  CHECK(std::to_string(owned_now) == owned);
  std::size_t linked = 0;
  for (const Client& c : view.ClientsOfUser(kNewId)) {
    (void)c;
    ++linked;
  }
  CHECK(std::to_string(linked) == links);
  CHECK(view.ClientsOfUser(owner).begin() == view.ClientsOfUser(owner).end());
}

TEST_CASE("hubreg follow waits a bounded time for the writer lock, saying who holds it") {
  TempDir dir;
  const std::string path = dir.Path("data");
  const std::string holder = "pid " + std::to_string(::getpid());
  auto store = OpenStore(StoreAt(path));
  // Refused after --lock-wait, before any connection to the source.
  const CommandOutput refused = RunCommand({kCli, "--data", path, "follow", "--lock-wait", "0.2",
                                            "postgresql://nobody@127.0.0.1:1/none"});
  CHECK((WIFEXITED(refused.wait_status) && WEXITSTATUS(refused.wait_status) == 1));
  CHECK(refused.output == "hubreg: waiting for the writer lock held by " + holder +
                              "\nhubreg: " + path +
                              ": another store has this data directory open for writing (only one "
                              "writer at a time; open it read-only instead; still held by " +
                              holder + " after waiting 200 ms); in opening the store\n");

  // Released while it waits: it goes on.
  SourceDatabase source;
  Child child({"/bin/sh", "-c",
               "exec \"$0\" --data \"$1\" -q follow \"$2\" --slot \"$3\" --publication \"$4\" "
               "2>&1",
               kCli, path, source.Uri(), source.slot(), source.publication()});
  CHECK(child.ReadLine() == "hubreg: waiting for the writer lock held by " + holder);
  store.reset();
  for (;;) {
    std::optional<std::string> line = child.ReadLine(120'000);
    REQUIRE_MESSAGE(line.has_value(), "the follower did not start streaming");
    if (line->rfind("streaming from ", 0) == 0) break;
  }
  ::kill(child.pid(), SIGTERM);
  const int status = child.Wait();
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

TEST_CASE(
    "the follower's backlog is bounded in bytes; a transaction larger than the bound is "
    "applied alone") {
  SourceDatabase source;
  FollowedStore followed;
  followed.Follow(source);
  followed.Stop();
  const std::uint64_t before = followed.store().Read().sequence();
  // Written while no follower runs, so that the next one receives them much
  // faster than LMDB commits them: 4 users of ~1 kB each per transaction.
  StatusOr<PgConnection> conn = PgConnection::Open(source.ConnectionString());
  REQUIRE_OK(conn);
  const auto insert_users = [&](int first, int count) {
    return "INSERT INTO \"user\" (id, external_id, email, name) SELECT g, 'BU-' || g, 'b' || g || "
           "'@example.com', repeat(md5(g::text), 30) FROM generate_series(" +
           std::to_string(first) + ", " + std::to_string(first + count - 1) + ") g";
  };
  constexpr int kTransactions = 200;
  for (int i = 0; i < kTransactions; ++i) REQUIRE_OK(conn->Exec(insert_users(1 + 4 * i, 4)));

  FollowerOptions options = OptionsFor(source);
  options.max_backlog_bytes = 16 << 10;
  RunningFollower& follower = followed.Follow(options);
  Store& store = followed.store();
  REQUIRE_MESSAGE(
      follower.WaitFor([&] { return store.Read().sequence() == before + kTransactions; }),
      follower.Describe());
  const FollowerStatus burst = follower.follower().status();
  MESSAGE("peak backlog " << burst.peak_backlog_bytes << " bytes, largest transaction "
                          << burst.largest_transaction_bytes << " bytes, largest group "
                          << burst.largest_group);
  CHECK(burst.largest_transaction_bytes > 4000);
  CHECK(burst.largest_transaction_bytes < options.max_backlog_bytes);
  CHECK(burst.peak_backlog_bytes <= options.max_backlog_bytes + burst.largest_transaction_bytes);
  CHECK(burst.peak_backlog_bytes >= burst.largest_transaction_bytes);

  // One transaction of ~200 kB, over ten times the bound.
  REQUIRE_OK(conn->Exec(insert_users(1 + 4 * kTransactions, 200)));
  REQUIRE_MESSAGE(
      follower.WaitFor([&] { return store.Read().sequence() == before + kTransactions + 1; }),
      follower.Describe());
  const FollowerStatus huge = follower.follower().status();
  CHECK(huge.largest_transaction_bytes > 200'000);
  CHECK(huge.peak_backlog_bytes == huge.largest_transaction_bytes);
  CHECK(store.Read().counts().users == 4 * kTransactions + 200);
  followed.Stop();
}
