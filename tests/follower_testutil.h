// Fixtures for the follower tests: a private PostgreSQL shared by the cases,
// each with its own database holding hub_alpha's source schema, rows written
// to it as SQL, and a Follower running on its own thread whose events a test
// can wait for.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "hubreg/follower.h"
#include "pg_testutil.h"
#include "store_testutil.h"
#include "temp_dir.h"

namespace hubreg::test {

inline std::string Sql(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + "'";
}
inline std::string Sql(Timestamp t) { return Sql(FormatTimestamp(t)); }
inline std::string SqlId(Id id) { return id == kNoId ? "NULL" : std::to_string(id); }

// A private PostgreSQL for the follower tests, holding the source schema in
// the database kTemplateDatabase, from which each SourceDatabase is copied.
inline constexpr std::string_view kTemplateDatabase = "source_template";
inline std::unique_ptr<PgServer> StartSourceServer(PgServerOptions options = {}) {
  StatusOr<std::unique_ptr<PgServer>> server = PgServer::Create(std::move(options));
  REQUIRE_OK(server);
  {
    StatusOr<PgConnection> conn = PgConnection::Open((*server)->ConnectionString());
    REQUIRE_OK(conn);
    REQUIRE_OK(conn->Exec("CREATE DATABASE " + std::string(kTemplateDatabase)));
  }
  StatusOr<PgConnection> conn = PgConnection::Open((*server)->ConnectionString(kTemplateDatabase));
  REQUIRE_OK(conn);
  StatusOr<std::string> schema = SourceSchemaSql();
  REQUIRE_OK(schema);
  REQUIRE_OK(conn->Exec(*schema));
  return std::move(server).value();
}

// The source server the test cases share: started on the first call (from
// the main thread, which it dies with), and again if a case left it stopped.
inline PgServer& SharedSourceServer() {
  static std::unique_ptr<PgServer> server = StartSourceServer();
  if (!server->running()) REQUIRE_OK(server->Start());
  return *server;
}

// A source of its own for one test case: a database copied from the
// template, whose name is also its slot's, with its own publication, so that
// cases sharing a server stay independent and may run in any order. The
// destructor drops the database and its slots (ending what still uses them).
class SourceDatabase {
 public:
  explicit SourceDatabase(PgServer& server = SharedSourceServer())
      : SourceDatabase(server, "follower_" + std::to_string(++counter_)) {}
  // A database called `name` (a name another server's source may share).
  SourceDatabase(PgServer& server, std::string name) : server_(server), name_(std::move(name)) {
    {
      StatusOr<PgConnection> conn = PgConnection::Open(server_.ConnectionString());
      REQUIRE_OK(conn);
      REQUIRE_OK(
          conn->Exec("CREATE DATABASE " + name_ + " TEMPLATE " + std::string(kTemplateDatabase)));
    }
    StatusOr<PgConnection> conn = PgConnection::Open(ConnectionString());
    REQUIRE_OK(conn);
    REQUIRE_OK(conn->Exec("ALTER PUBLICATION " + std::string(kSourcePublication) + " RENAME TO " +
                          publication()));
  }
  ~SourceDatabase() {
    if (!server_.running()) return;
    const std::string slots = " FROM pg_replication_slots WHERE database = " + Sql(name_);
    StatusOr<PgConnection> conn = PgConnection::Open(server_.ConnectionString());
    Status dropped = conn.status();
    for (const std::string& sql :
         {"SELECT pg_terminate_backend(active_pid, 60000)" + slots + " AND active_pid IS NOT NULL",
          "SELECT pg_drop_replication_slot(slot_name)" + slots,
          "DROP DATABASE " + name_ + " WITH (FORCE)"}) {
      if (dropped.ok()) dropped = conn->Exec(sql);
    }
    if (!dropped.ok())
      FAIL_CHECK("cannot drop source database " << name_ << ": " << dropped.ToString());
  }
  SourceDatabase(const SourceDatabase&) = delete;
  SourceDatabase& operator=(const SourceDatabase&) = delete;

  PgServer& server() const { return server_; }
  const std::string& name() const { return name_; }
  // The follower's slot in the tests.
  const std::string& slot() const { return name_; }
  std::string publication() const { return name_ + "_pub"; }
  std::string ConnectionString() const { return server_.ConnectionString(name_); }
  std::string Uri() const { return server_.Uri(name_); }

 private:
  static inline int counter_ = 0;
  PgServer& server_;
  std::string name_;
};

inline std::string InsertSql(const App& r) {
  return "INSERT INTO threecolts_app VALUES (" + std::to_string(r.id) + ", " + Sql(r.name) + ", " +
         Sql(r.app_key) + ", " + Sql(ToString(r.environment)) + ", " + Sql(r.created_at) + ", " +
         Sql(r.updated_at) + ")";
}
inline std::string InsertSql(const User& r) {
  return "INSERT INTO \"user\" VALUES (" + std::to_string(r.id) + ", " + Sql(r.external_id) + ", " +
         Sql(r.email) + ", " + Sql(r.name) + ", " + Sql(ToString(r.status)) + ", " +
         Sql(r.created_at) + ", " + Sql(r.updated_at) + ")";
}
inline std::string InsertSql(const Organization& r) {
  return "INSERT INTO threecolts_organization VALUES (" + std::to_string(r.id) + ", " +
         std::to_string(r.threecolts_app_id) + ", " + std::to_string(r.organization_owner_id) +
         ", " + Sql(r.external_id) + ", " + Sql(r.name) + ", " + Sql(r.created_at) + ", " +
         Sql(r.updated_at) + ")";
}
inline std::string InsertSql(const Client& r) {
  return "INSERT INTO client VALUES (" + std::to_string(r.id) + ", " +
         SqlId(r.threecolts_organization_id) + ", " + Sql(r.external_id) + ", " + Sql(r.name) +
         ", " + Sql(r.db_host) + ", " + std::to_string(r.db_port) + ", " + Sql(r.db_name) + ", " +
         Sql(r.db_user) + ", " + Sql(r.db_password.Reveal()) + ", " + Sql(ToString(r.status)) +
         ", " + Sql(r.created_at) + ", " + Sql(r.updated_at) + ")";
}
inline std::string InsertSql(const ClientUserLink& r) {
  return "INSERT INTO client_user VALUES (" + std::to_string(r.client_id) + ", " +
         std::to_string(r.user_id) + ", " + Sql(r.created_at) + ")";
}

// A follower of `source` as the tests run it: its slot and publication,
// short backoff.
inline FollowerOptions OptionsFor(const SourceDatabase& source) {
  FollowerOptions options;
  options.conninfo = source.ConnectionString();
  options.publication = source.publication();
  options.slot = source.slot();
  options.min_backoff = std::chrono::milliseconds(20);
  options.max_backoff = std::chrono::milliseconds(500);
  return options;
}

// Writes `rows` to the source, parents first, in transactions of ~2,000 rows.
inline void LoadSource(PgConnection& conn, const RegistryRows& rows) {
  std::string sql;
  std::size_t pending = 0;
  auto add = [&](const std::string& statement) {
    sql += statement + ";";
    if (++pending == 2000) {
      REQUIRE_OK(conn.Exec("BEGIN;" + sql + "COMMIT"));
      sql.clear();
      pending = 0;
    }
  };
  for (const App& r : rows.apps) add(InsertSql(r));
  for (const User& r : rows.users) add(InsertSql(r));
  for (const Organization& r : rows.organizations) add(InsertSql(r));
  for (const Client& r : rows.clients) add(InsertSql(r));
  for (const ClientUserLink& r : rows.links) add(InsertSql(r));
  if (!sql.empty()) REQUIRE_OK(conn.Exec("BEGIN;" + sql + "COMMIT"));
}

// A Follower on its own thread, and the events it reported.
class RunningFollower {
 public:
  RunningFollower(Store& store, FollowerOptions options) {
    follower_ =
        std::make_unique<Follower>(store, std::move(options), [this](const FollowerEvent& e) {
          std::lock_guard<std::mutex> lock(mutex_);
          events_.push_back(e);
          changed_.notify_all();
        });
    thread_ = std::jthread([this](std::stop_token stop) {
      Status result = follower_->Run(stop);
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = result;
      done_ = true;
      changed_.notify_all();
    });
  }
  ~RunningFollower() { (void)Stop(); }

  // Waits until `predicate` holds (checked after each event and every
  // 100 ms) or the follower ends; false after `timeout`.
  template <typename Predicate>
  bool WaitFor(Predicate predicate, std::chrono::seconds timeout = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      lock.unlock();
      const bool holds = predicate();
      lock.lock();
      if (holds) return true;
      if (done_ || std::chrono::steady_clock::now() > deadline) return false;
      changed_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
  // The events and the result so far, for a failure message.
  std::string Describe() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string text = done_ ? "ended: " + result_.ToString() : std::string("running");
    for (const FollowerEvent& e : events_) {
      text += "\n  event " + std::to_string(static_cast<int>(e.kind)) + " " + FormatLsn(e.lsn) +
              " " + std::to_string(e.transactions) + " " + e.message;
    }
    return text;
  }
  bool SawEvent(FollowerEvent::Kind kind) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const FollowerEvent& e : events_) {
      if (e.kind == kind) return true;
    }
    return false;
  }
  std::vector<FollowerEvent> Events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {events_.begin(), events_.end()};
  }
  // Waits for the follower to end by itself and returns its result.
  std::optional<Status> WaitForEnd(std::chrono::seconds timeout = std::chrono::seconds(120)) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [this] { return done_; })) return std::nullopt;
    return result_;
  }
  Status Stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return result_;
  }
  const Follower& follower() const { return *follower_; }

 private:
  std::unique_ptr<Follower> follower_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<FollowerEvent> events_;
  Status result_;
  bool done_ = false;
  std::jthread thread_;
};

// A writable store in a temporary data directory, and the follower running
// on it (one at a time).
class FollowedStore {
 public:
  FollowedStore() : store_(OpenStore(FollowerStoreAt(path()))) {}
  Store& store() { return *store_; }
  std::string path() const { return dir_.Path("data"); }

  // Starts a follower with `options` (after stopping the one before, which
  // must have ended OK) and waits until it streams.
  RunningFollower& Follow(FollowerOptions options) {
    if (follower_) Stop();
    follower_ = std::make_unique<RunningFollower>(*store_, std::move(options));
    REQUIRE_MESSAGE(
        follower_->WaitFor([this] { return follower_->SawEvent(FollowerEvent::Kind::kConnected); }),
        follower_->Describe());
    return *follower_;
  }
  RunningFollower& Follow(const SourceDatabase& source) { return Follow(OptionsFor(source)); }

  // Stops the follower, which must end OK.
  void Stop() {
    REQUIRE(follower_ != nullptr);
    CHECK_MESSAGE(follower_->Stop().ok(), follower_->Describe());
    follower_.reset();
  }

  // Stops the follower and closes the store, so that another process may
  // open the data directory for writing.
  void Close() {
    if (follower_) Stop();
    store_.reset();
  }

 private:
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RunningFollower> follower_;
};

}  // namespace hubreg::test
