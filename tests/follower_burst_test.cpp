// The follower's commit path under a burst: source transactions that each
// write thousands of rows, committed in groups on the follower's commit
// thread (sync/src/group_committer.h), each still one atomic batch.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "group_committer.h"
#include "hubreg/follower.h"
#include "pg_testutil.h"
#include "store_testutil.h"
#include "temp_dir.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

constexpr auto kPatience = std::chrono::minutes(2);

// Whether a live thread of this process is named `name`.
bool HasThreadNamed(std::string_view name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) return true;
  }
  return false;
}

// A Follower on a thread of its own; waits are for its events.
class RunningFollower {
 public:
  RunningFollower(Store& store, const PgServer& server)
      : follower_(store, Options(server), [this](const FollowerEvent&) { Changed(); }),
        thread_([this](std::stop_token stop) {
          Status result = follower_.Run(stop);
          std::lock_guard<std::mutex> lock(mutex_);
          result_ = std::move(result);
          ended_ = true;
          changed_.notify_all();
        }) {}
  ~RunningFollower() { thread_.request_stop(); }
  RunningFollower(const RunningFollower&) = delete;
  RunningFollower& operator=(const RunningFollower&) = delete;

  // Waits until `done(status())` or the follower ended; false after kPatience.
  template <typename Done>
  bool WaitFor(Done done) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return ended_ || done(follower_.status()); });
  }
  // Waits for the follower to end by itself and returns what Run returned.
  Status Ended() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, kPatience, [&] { return ended_; })) {
      return Status::Io("the follower did not stop");
    }
    return result_;
  }

 private:
  static FollowerOptions Options(const PgServer& server) {
    FollowerOptions options;
    options.conninfo = server.ConnectionString();
    options.publication = std::string(kSourcePublication);
    options.slot = "burst";
    return options;
  }
  void Changed() {
    std::lock_guard<std::mutex> lock(mutex_);
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  Status result_;
  bool ended_ = false;
  Follower follower_;
  std::jthread thread_;
};

struct Source {
  std::unique_ptr<PgServer> server;
  PgConnection conn;
};

Source StartSource() {
  StatusOr<std::unique_ptr<PgServer>> server = StartServerWithSchema();
  REQUIRE_OK(server);
  StatusOr<PgConnection> conn = PgConnection::Open((*server)->ConnectionString());
  REQUIRE_OK(conn);
  return {std::move(*server), std::move(*conn)};
}

constexpr int kUsersPerTransaction = 2'500;

// Inserts users first..first+kUsersPerTransaction-1 in one transaction.
std::string InsertUsers(int first) {
  const std::string last = std::to_string(first + kUsersPerTransaction - 1);
  return "INSERT INTO \"user\" (id, external_id, email, name) SELECT g, 'B-' || g, 'b' || g || "
         "'@example.com', 'Burst ' || g FROM generate_series(" +
         std::to_string(first) + ", " + last + ") g";
}

// The source's users as "id external_id email name status" lines, by id.
std::vector<std::string> SourceUsers(PgConnection& conn) {
  StatusOr<std::vector<PgRow>> rows =
      conn.Query("SELECT id, external_id, email, name, status FROM \"user\" ORDER BY id");
  REQUIRE_OK(rows);
  std::vector<std::string> lines;
  for (const PgRow& row : *rows) {
    std::string line;
    for (const std::optional<std::string>& value : row) line += value.value_or("NULL") + " ";
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> RegistryUsers(const View& view) {
  std::vector<User> users(view.Rows<User>().begin(), view.Rows<User>().end());
  std::sort(users.begin(), users.end(), [](const User& a, const User& b) { return a.id < b.id; });
  std::vector<std::string> lines;
  for (const User& user : users) {
    lines.push_back(std::to_string(user.id) + " " + user.external_id + " " + user.email + " " +
                    user.name + " " + std::string(ToString(user.status)) + " ");
  }
  return lines;
}

}  // namespace

TEST_CASE(
    "a burst of transactions writing thousands of rows each is applied one batch per "
    "transaction, on the commit thread, equal to the source") {
  Source source = StartSource();
  TempDir dir;
  auto store = OpenStore(FollowerStoreAt(dir.Path("data")));
  RunningFollower follower(*store, *source.server);
  REQUIRE(follower.WaitFor([](const FollowerStatus& s) { return s.streaming; }));
  const std::uint64_t before = store->Read().sequence();

  for (int k = 0; k < 4; ++k)
    REQUIRE_OK(source.conn.Exec(InsertUsers(1 + k * kUsersPerTransaction)));
  REQUIRE_OK(source.conn.Exec("UPDATE \"user\" SET name = 'Updated ' || id, status = 'disabled'"));
  REQUIRE_OK(source.conn.Exec("DELETE FROM \"user\" WHERE id % 5 = 0"));
  REQUIRE(follower.WaitFor([](const FollowerStatus& s) { return s.transactions >= 6; }));
  // The commits ran on the committer's thread, which named itself first.
  CHECK(HasThreadNamed(sync::kCommitThreadName));

  // Each source transaction is one batch holding exactly its rows.
  CHECK(store->Read().sequence() == before + 6);
  const std::size_t expected[] = {2'500, 2'500, 2'500, 2'500, 10'000, 2'000};
  for (std::uint64_t k = 0; k < 6; ++k) {
    StatusOr<std::optional<ChangeBatch>> batch =
        store->Changes(before + k, std::chrono::milliseconds(0));
    REQUIRE_OK(batch);
    REQUIRE(batch->has_value());
    CHECK((*batch)->sequence == before + k + 1);
    CHECK((*batch)->changes.size() == expected[k]);
  }
  CHECK(RegistryUsers(store->Read()) == SourceUsers(source.conn));
  // The registry's other copy replayed the groups: the next batch lands on it.
  REQUIRE_OK(source.conn.Exec(InsertUsers(20'001)));
  REQUIRE(follower.WaitFor([](const FollowerStatus& s) { return s.transactions >= 7; }));
  CHECK(RegistryUsers(store->Read()) == SourceUsers(source.conn));
}

TEST_CASE(
    "a rule broken inside a burst of large transactions stops the follower with every "
    "transaction before it applied and nothing of it") {
  Source source = StartSource();
  TempDir dir;
  auto store = OpenStore(FollowerStoreAt(dir.Path("data")));
  // A source without the registry's case-insensitive unique email.
  REQUIRE_OK(source.conn.Exec("DROP INDEX user_email_key"));
  {
    RunningFollower follower(*store, *source.server);
    REQUIRE(follower.WaitFor([](const FollowerStatus& s) { return s.streaming; }));
    REQUIRE_OK(source.conn.Exec(InsertUsers(1)));
    REQUIRE_OK(source.conn.Exec(InsertUsers(1 + kUsersPerTransaction)));
    const std::vector<std::string> before_break = SourceUsers(source.conn);
    // The last row of this transaction repeats an email in another case.
    REQUIRE_OK(source.conn.Exec("BEGIN; " + InsertUsers(1 + 2 * kUsersPerTransaction) +
                                "; INSERT INTO \"user\" (id, external_id, email) VALUES "
                                "(90000, 'X-1', 'B1@EXAMPLE.COM'); COMMIT"));
    REQUIRE_OK(source.conn.Exec(InsertUsers(1 + 3 * kUsersPerTransaction)));
    const Status ended = follower.Ended();
    CHECK(ended.code() == ErrorCode::kDuplicate);
    CHECK(ended.message().find("breaks the registry's rules") != std::string::npos);
    CHECK(RegistryUsers(store->Read()) == before_break);
  }
  // What was applied is durable, and nothing of the broken transaction is.
  store.reset();
  auto reopened = OpenStore(StoreAt(dir.Path("data")));
  CHECK(reopened->Read().counts().users == 2 * kUsersPerTransaction);
}
