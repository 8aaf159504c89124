// `hubreg follow` against a private PostgreSQL 15 (tests/pg_testutil.h; one
// server per benchmark, fsync off on the server side), the follower's store
// durable with default options in a scratch directory. Wall time; one
// iteration each, the figures are counters.
//
//   follow/throughput/<size>: a burst of as many source changes as the size
//     has users (inserts of new users, then updates of the same rows, 100 rows
//     per transaction), written while the follower is stopped, then:
//       server_rows_per_second: pg_logical_slot_peek_binary_changes over the
//         burst (the server decoding its WAL through pgoutput; nothing sent);
//       stream_rows_per_second: a replication connection receiving the burst
//         and decoding every message (DecodePgOutput), applying nothing;
//       follower_rows_per_second: the Follower restarted, until every burst
//         transaction is applied and durable (the iteration's time), in
//         `commits` durable LMDB commits and `compactions` snapshots written
//         (on the commit thread, each encoding the whole registry);
//         follower_to_stream: the ratio of the two rates;
//     and the CPU time per change (microseconds, from /proc: thread_cpu.h)
//     of each party of the last two: stream_reader_cpu_us and
//     stream_walsender_cpu_us (the decode-only reader's thread and the
//     walsender serving it), follower_receive_cpu_us (the follower's thread:
//     receive, decode, translate), follower_commit_cpu_us (its commit
//     thread: apply to both registry copies, journal, fsync) and
//     follower_walsender_cpu_us; load_average: the 1-minute load average
//     when the benchmark started. Each walsender's figure includes its start.
//   follow/throughput_populated/<size>: the same burst into a registry that
//     already holds the size's generated registry (the source held it before
//     the follower's first copy), as a follower's registry does in
//     production: no hashed index grows from nearly empty.
//   follow/split_cores/<size>: throughput_populated with the server's
//     processes on one core and this process's on another (CoreSplit), as
//     when the server runs on a machine of its own: whether the follower
//     keeps pace with the walsender while its two threads share one core.
//     Skipped with one core.
//   follow/lag/<size>: single-row source transactions (200 at S, else 1,000)
//     one after the other; for each, the time from the source's COMMIT
//     returning to a second process (a read-only Store calling Refresh in a
//     loop) seeing the row: p50_ms, p99_ms, max_ms.
//   follow/initial_copy/<size>: the size's generated registry in the source
//     (loaded with COPY, not timed); a first start into an empty data
//     directory until the copy is durable (compare sync/import/<size>).
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "group_committer.h"
#include "hubreg/follower.h"
#include "hubreg/generator.h"
#include "pg_testutil.h"
#include "pgoutput.h"
#include "replication_stream.h"
#include "suite.h"
#include "temp_directory.h"
#include "thread_cpu.h"

namespace hubreg::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRowsPerTransaction = 100;
// How long the reader of follow/lag waits between two Refresh calls.
constexpr auto kReaderPoll = std::chrono::milliseconds(1);

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

std::unique_ptr<test::PgServer> StartSource() {
  StatusOr<std::unique_ptr<test::PgServer>> server = test::StartServerWithSchema();
  CheckOk(server.status(), "start PostgreSQL");
  return std::move(server).value();
}

test::PgConnection Connect(const test::PgServer& server) {
  StatusOr<test::PgConnection> conn = test::PgConnection::Open(server.ConnectionString());
  CheckOk(conn.status(), "connect to PostgreSQL");
  return std::move(conn).value();
}

void Exec(test::PgConnection& conn, const std::string& sql) { CheckOk(conn.Exec(sql), "SQL"); }

std::unique_ptr<Store> OpenStore(const std::string& path) {
  StoreOptions options;
  options.path = path;
  options.background_compaction = true;  // as `hubreg follow` opens it
  StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  CheckOk(store.status(), "open store");
  return std::move(store).value();
}

FollowerOptions FollowOptions(const test::PgServer& server) {
  FollowerOptions options;
  options.conninfo = server.ConnectionString();
  options.publication = std::string(test::kSourcePublication);
  options.slot = "bench";
  return options;
}

// A Follower running on its own thread, and the kinds of event it reported.
class FollowerThread {
 public:
  FollowerThread(Store& store, FollowerOptions options)
      : follower_(store, std::move(options), [this](const FollowerEvent& e) { OnEvent(e); }),
        thread_([this](std::stop_token stop) {
          thread_id_.store(CurrentThreadId());
          OnEnd(follower_.Run(stop));
        }) {}
  ~FollowerThread() { Stop(); }
  FollowerThread(const FollowerThread&) = delete;
  FollowerThread& operator=(const FollowerThread&) = delete;

  // Waits until `predicate()` holds, checked after each event; aborts the
  // program when the follower ends first or after ten minutes.
  template <typename Predicate>
  void WaitFor(Predicate predicate, const char* what) {
    const auto deadline = Clock::now() + std::chrono::minutes(10);
    while (!predicate()) {
      std::unique_lock<std::mutex> lock(mutex_);
      if (done_) CheckOk(result_.ok() ? Status::Io("the follower stopped") : result_, what);
      if (Clock::now() > deadline) CheckOk(Status::Io("no progress for ten minutes"), what);
      changed_.wait_for(lock, std::chrono::milliseconds(5));
    }
  }
  bool Saw(FollowerEvent::Kind kind) {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_.contains(kind);
  }
  // Durable LMDB commits of streamed transactions (kApplied events).
  std::uint64_t commits() {
    std::lock_guard<std::mutex> lock(mutex_);
    return commits_;
  }
  const Follower& follower() const { return follower_; }
  // The id of the thread that runs Follower::Run (0 until it started).
  pid_t thread_id() const { return thread_id_.load(); }
  void Stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
    CheckOk(result_, "follower");
  }

 private:
  void OnEvent(const FollowerEvent& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.insert(event.kind);
    if (event.kind == FollowerEvent::Kind::kApplied) ++commits_;
    changed_.notify_all();
  }
  void OnEnd(Status result) {
    std::lock_guard<std::mutex> lock(mutex_);
    result_ = std::move(result);
    done_ = true;
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<FollowerEvent::Kind> seen_;
  std::uint64_t commits_ = 0;
  Status result_;
  bool done_ = false;
  std::atomic<pid_t> thread_id_{0};
  Follower follower_;
  std::jthread thread_;
};

// Inserts `changes / 2` new users from `first_id` on, then updates each of
// them, in transactions of kRowsPerTransaction rows. Returns the number of
// transactions.
std::uint64_t WriteBurst(test::PgConnection& conn, Id first_id, std::uint64_t changes) {
  const std::uint64_t rows = changes / 2;
  std::uint64_t transactions = 0;
  for (const bool update : {false, true}) {
    for (std::uint64_t done = 0; done < rows; done += kRowsPerTransaction) {
      const std::string from = std::to_string(first_id + done);
      const std::string to =
          std::to_string(first_id + std::min<std::uint64_t>(rows, done + kRowsPerTransaction) - 1);
      Exec(conn, update ? "UPDATE \"user\" SET name = 'Updated ' || id, status = 'disabled' "
                          "WHERE id BETWEEN " +
                              from + " AND " + to
                        : "INSERT INTO \"user\" (id, external_id, email, name) "
                          "SELECT g, 'B-' || g, 'b' || g || '@example.com', 'Burst ' || g "
                          "FROM generate_series(" +
                              from + ", " + to + ") g");
      ++transactions;
    }
  }
  return transactions;
}

// The pid of the walsender serving `slot` (pg_replication_slots.active_pid).
pid_t WalsenderOf(test::PgConnection& conn, const std::string& slot) {
  StatusOr<std::vector<test::PgRow>> rows =
      conn.Query("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
  CheckOk(rows.status(), "pg_replication_slots");
  if (rows->size() != 1 || !(*rows)[0][0]) {
    CheckOk(Status::NotFound("no walsender serves slot " + slot), "pg_replication_slots");
  }
  return static_cast<pid_t>(std::stol(*(*rows)[0][0]));
}

// CPU seconds of a reader of the burst and of the walsender serving it.
struct ReaderCpu {
  double reader = 0;
  double walsender = 0;
};

// Receives the slot's changes over a replication connection and decodes
// them, until `transactions` commits have come.
ReaderCpu ConsumeStream(const test::PgServer& server, test::PgConnection& conn,
                        const std::string& slot, std::uint64_t transactions) {
  const double start_cpu = ThreadCpuSeconds(CurrentThreadId());
  StatusOr<sync::ReplicationStream> stream =
      sync::ReplicationStream::Open(server.ConnectionString());
  CheckOk(stream.status(), "open replication connection");
  CheckOk(stream->Start(slot, kInvalidLsn, std::string(test::kSourcePublication)),
          "start replication");
  const pid_t walsender = WalsenderOf(conn, slot);
  std::uint64_t commits = 0;
  while (commits < transactions) {
    StatusOr<std::optional<sync::WalData>> data = stream->Receive(std::chrono::seconds(1));
    CheckOk(data.status(), "receive");
    if (!data->has_value()) continue;
    StatusOr<sync::PgMessage> message = sync::DecodePgOutput((*data)->payload);
    CheckOk(message.status(), "decode");
    if (std::holds_alternative<sync::PgCommit>(*message)) ++commits;
  }
  return {ThreadCpuSeconds(CurrentThreadId()) - start_cpu, ProcessCpuSeconds(walsender)};
}

// Puts the source server on one core and this process's threads on
// another, as in production, where the server runs on a machine of its
// own: the postmaster and the processes it has started are pinned to the
// first core this process may use (the backends it starts later, such as
// walsenders, inherit that), the calling thread to the second (the threads
// it starts later inherit that). Undone, for the calling thread, when it
// goes; the server's processes end with the server.
class CoreSplit {
 public:
  explicit CoreSplit(pid_t postmaster) {
    if (::sched_getaffinity(0, sizeof before_, &before_) != 0) Fail("sched_getaffinity");
    int cores[2] = {-1, -1};
    for (int cpu = 0, found = 0; cpu < CPU_SETSIZE && found < 2; ++cpu) {
      if (CPU_ISSET(cpu, &before_)) cores[found++] = cpu;
    }
    if (cores[1] < 0) {
      error_ = "needs two cores";
      return;
    }
    std::vector<pid_t> server = ChildProcesses(postmaster);
    server.push_back(postmaster);
    for (pid_t pid : server) {
      if (!Pin(pid, cores[0])) {
        error_ = "not permitted to pin the server's processes to a core";
        return;
      }
    }
    Pin(0, cores[1]);
    pinned_ = true;
  }
  ~CoreSplit() {
    if (pinned_) ::sched_setaffinity(0, sizeof before_, &before_);
  }
  CoreSplit(const CoreSplit&) = delete;
  CoreSplit& operator=(const CoreSplit&) = delete;

  // Why the cores could not be split ("" when they are).
  const std::string& error() const { return error_; }

 private:
  static void Fail(const std::string& what) {
    CheckOk(Status::Io(what + ": " + std::strerror(errno)), "splitting the cores");
  }
  // False when this process may not (the server runs as another user and
  // this one lacks CAP_SYS_NICE).
  static bool Pin(pid_t pid, int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (::sched_setaffinity(pid, sizeof one, &one) == 0) return true;
    if (errno == EPERM) return false;
    // A backend that ended since the listing is no reason to stop.
    if (errno != ESRCH) Fail("sched_setaffinity of " + std::to_string(pid));
    return true;
  }
  cpu_set_t before_{};
  bool pinned_ = false;
  std::string error_;
};

double LoadAverage() {
  std::ifstream file("/proc/loadavg");
  double one_minute = 0;
  file >> one_minute;
  return one_minute;
}

void LoadSource(const test::PgServer& server, const RegistryRows& rows);

// How a follow/throughput benchmark sets up its burst.
struct BurstSetup {
  // The server on one core, the readers on another (CoreSplit), from the
  // burst's first reading on.
  bool split_cores = false;
  // The source, and so the follower's first copy, holds the size's
  // generated registry before the burst, as a follower's registry holds its
  // source in production; otherwise one user, and the burst's inserts grow
  // every hashed index from nearly empty (rehashing each node at every
  // doubling, on both registry copies).
  bool populated = false;
};

void Throughput(benchmark::State& state, Size size, BurstSetup setup) {
  const std::uint64_t changes = OptionsFor(size).users;
  const double load_average = LoadAverage();
  auto server = StartSource();
  test::PgConnection conn = Connect(*server);
  Id first_burst_id = 1000;
  if (setup.populated) {
    const RegistryRows generated = gen::Generate(OptionsFor(size));
    LoadSource(*server, generated);
    for (const User& user : generated.users)
      first_burst_id = std::max(first_burst_id, user.id + 1000);
  } else {
    Exec(conn,
         "INSERT INTO \"user\" (id, external_id, email) VALUES (1, 'U-1', 'owner@example.com')");
  }
  std::unique_ptr<test::TempDir> dir = ScratchDirectory("follow-throughput");
  std::unique_ptr<Store> store = OpenStore(dir->Path("data"));
  {
    FollowerThread follower(*store, FollowOptions(*server));
    follower.WaitFor([&] { return follower.Saw(FollowerEvent::Kind::kConnected); }, "first copy");
  }
  for (const char* slot : {"peek", "raw"}) {
    Exec(conn,
         "SELECT pg_create_logical_replication_slot('" + std::string(slot) + "', 'pgoutput')");
  }
  const std::uint64_t transactions = WriteBurst(conn, first_burst_id, changes);
  double server_seconds = 0, stream_seconds = 0, follower_seconds = 0;
  std::uint64_t commits = 0;
  ReaderCpu stream_cpu;
  double receive_cpu = 0, commit_cpu = 0, follower_walsender_cpu = 0;
  std::optional<CoreSplit> cores;
  if (setup.split_cores) {
    cores.emplace(server->pid());
    if (!cores->error().empty()) {
      state.SkipWithError(cores->error().c_str());
      return;
    }
  }
  const std::uint64_t compactions_before = store->Stats().compactions;
  for (auto _ : state) {
    auto start = Clock::now();
    Exec(conn,
         "SELECT count(*) FROM pg_logical_slot_peek_binary_changes('peek', NULL, NULL, "
         "'proto_version', '1', 'publication_names', '" +
             std::string(test::kSourcePublication) + "')");
    server_seconds = Seconds(Clock::now() - start);
    start = Clock::now();
    stream_cpu = ConsumeStream(*server, conn, "raw", transactions);
    stream_seconds = Seconds(Clock::now() - start);

    start = Clock::now();
    FollowerThread follower(*store, FollowOptions(*server));
    follower.WaitFor([&] { return follower.follower().status().transactions >= transactions; },
                     "catching up");
    follower_seconds = Seconds(Clock::now() - start);
    state.SetIterationTime(follower_seconds);
    commits = follower.commits();
    // Read while the threads and the walsender still run.
    receive_cpu = ThreadCpuSeconds(follower.thread_id());
    const std::optional<pid_t> committer = ThreadNamed(sync::kCommitThreadName);
    if (!committer) CheckOk(Status::NotFound("no commit thread"), "follower's threads");
    commit_cpu = ThreadCpuSeconds(*committer);
    follower_walsender_cpu = ProcessCpuSeconds(WalsenderOf(conn, "bench"));
  }
  const auto rate = [&](double seconds) {
    return benchmark::Counter(static_cast<double>(changes) / seconds);
  };
  state.counters["changes"] = static_cast<double>(changes);
  state.counters["transactions"] = static_cast<double>(transactions);
  state.counters["commits"] = static_cast<double>(commits);
  state.counters["compactions"] =
      static_cast<double>(store->Stats().compactions - compactions_before);
  state.counters["server_rows_per_second"] = rate(server_seconds);
  state.counters["stream_rows_per_second"] = rate(stream_seconds);
  state.counters["follower_rows_per_second"] = benchmark::Counter(
      static_cast<double>(changes), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["follower_to_stream"] = stream_seconds / follower_seconds;
  const auto per_change = [&](double seconds) {
    return benchmark::Counter(seconds * 1e6 / static_cast<double>(changes));
  };
  state.counters["stream_reader_cpu_us"] = per_change(stream_cpu.reader);
  state.counters["stream_walsender_cpu_us"] = per_change(stream_cpu.walsender);
  state.counters["follower_receive_cpu_us"] = per_change(receive_cpu);
  state.counters["follower_commit_cpu_us"] = per_change(commit_cpu);
  state.counters["follower_walsender_cpu_us"] = per_change(follower_walsender_cpu);
  state.counters["load_average"] = load_average;
}

// The second process of follow/lag: opens the store read-only once told to,
// then for each user id it reads, refreshes until the user is visible and
// answers with the steady_clock time it saw it (nanoseconds, 8 bytes).
class LagReader {
 public:
  // Forks before the benchmark starts threads or connections.
  explicit LagReader(std::string path) {
    int to_child[2], from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) {
      CheckOk(Status::Io(std::strerror(errno)), "pipe");
    }
    pid_ = ::fork();
    if (pid_ < 0) CheckOk(Status::Io(std::strerror(errno)), "fork");
    if (pid_ == 0) {
      ::close(to_child[1]);
      ::close(from_child[0]);
      ::_exit(Run(path, to_child[0], from_child[1]));
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    to_child_ = to_child[1];
    from_child_ = from_child[0];
  }
  ~LagReader() {
    ::close(to_child_);
    ::close(from_child_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  LagReader(const LagReader&) = delete;
  LagReader& operator=(const LagReader&) = delete;

  // Sends the id of the next user to wait for (0: just open the store).
  void Expect(Id id) { Write(to_child_, id); }
  // Waits for the reader to see it; returns when it did.
  Clock::time_point Seen() {
    std::int64_t nanos = 0;
    if (::read(from_child_, &nanos, sizeof nanos) != sizeof nanos) {
      CheckOk(Status::Io("the reader process ended"), "lag reader");
    }
    return Clock::time_point(std::chrono::nanoseconds(nanos));
  }

 private:
  static void Write(int fd, Id id) {
    if (::write(fd, &id, sizeof id) != sizeof id) CheckOk(Status::Io("write"), "lag reader");
  }
  // Between two refreshes; Store::WaitForCommit, when there is one, goes here.
  static void WaitForChange(Store&) { std::this_thread::sleep_for(kReaderPoll); }

  static int Run(const std::string& path, int in, int out) {
    std::unique_ptr<Store> store;
    Id id = 0;
    while (::read(in, &id, sizeof id) == sizeof id) {
      if (!store) {
        StoreOptions options;
        options.path = path;
        options.read_only = true;
        StatusOr<std::unique_ptr<Store>> opened = Store::Open(options);
        if (!opened.ok()) return 1;
        store = std::move(opened).value();
      }
      for (;;) {
        if (!store->Refresh().ok()) return 1;
        if (id == 0 || store->Read().FindUser(id) != nullptr) break;
        WaitForChange(*store);
      }
      const std::int64_t nanos = Clock::now().time_since_epoch().count();
      if (::write(out, &nanos, sizeof nanos) != sizeof nanos) return 1;
    }
    return 0;
  }

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

void Lag(benchmark::State& state, Size size) {
  const int transactions = size == Size::kS ? 200 : 1000;
  std::unique_ptr<test::TempDir> dir = ScratchDirectory("follow-lag");
  const std::string path = dir->Path("data");
  LagReader reader(path);
  auto server = StartSource();
  test::PgConnection conn = Connect(*server);
  std::unique_ptr<Store> store = OpenStore(path);
  std::vector<double> lags_ms;
  for (auto _ : state) {
    const auto start = Clock::now();
    FollowerThread follower(*store, FollowOptions(*server));
    follower.WaitFor([&] { return follower.Saw(FollowerEvent::Kind::kConnected); }, "first copy");
    reader.Expect(0);
    reader.Seen();
    for (int i = 1; i <= transactions; ++i) {
      reader.Expect(static_cast<Id>(i));
      Exec(conn, "INSERT INTO \"user\" (id, external_id, email) VALUES (" + std::to_string(i) +
                     ", 'L-" + std::to_string(i) + "', 'l" + std::to_string(i) + "@example.com')");
      const auto committed = Clock::now();
      const auto seen = reader.Seen();
      // The follower may apply a change before COMMIT's answer reaches us.
      lags_ms.push_back(std::max(0.0, Seconds(seen - committed) * 1000));
    }
    state.SetIterationTime(Seconds(Clock::now() - start));
  }
  std::sort(lags_ms.begin(), lags_ms.end());
  const auto at = [&](double quantile) {
    return lags_ms[static_cast<std::size_t>(quantile * static_cast<double>(lags_ms.size() - 1))];
  };
  state.counters["transactions"] = static_cast<double>(lags_ms.size());
  state.counters["p50_ms"] = at(0.50);
  state.counters["p99_ms"] = at(0.99);
  state.counters["max_ms"] = lags_ms.back();
}

// One table's rows in COPY's text format.
class CopyText {
 public:
  CopyText& Text(std::string_view text) {
    Separate();
    for (char c : text) {
      switch (c) {
        case '\\':
          data_ += "\\\\";
          break;
        case '\t':
          data_ += "\\t";
          break;
        case '\n':
          data_ += "\\n";
          break;
        case '\r':
          data_ += "\\r";
          break;
        default:
          data_ += c;
      }
    }
    return *this;
  }
  CopyText& Number(std::uint64_t value) { return Text(std::to_string(value)); }
  CopyText& OptionalId(Id id) {
    if (id != kNoId) return Number(id);
    Separate();
    data_ += "\\N";
    return *this;
  }
  CopyText& Time(Timestamp time) { return Text(FormatTimestamp(time)); }
  void EndRow() {
    data_ += '\n';
    row_open_ = false;
  }
  const std::string& data() const { return data_; }

 private:
  void Separate() {
    if (row_open_) data_ += '\t';
    row_open_ = true;
  }
  std::string data_;
  bool row_open_ = false;
};

void CopyIn(const test::PgServer& server, const std::string& table, const std::string& data) {
  PGconn* conn = PQconnectdb(server.ConnectionString().c_str());
  Status status = Status::Ok();
  PGresult* result = PQexec(conn, ("COPY " + table + " FROM STDIN").c_str());
  if (PQresultStatus(result) != PGRES_COPY_IN) status = Status::Io(PQerrorMessage(conn));
  PQclear(result);
  if (status.ok() && (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1 ||
                      PQputCopyEnd(conn, nullptr) != 1)) {
    status = Status::Io(PQerrorMessage(conn));
  }
  while (status.ok() && (result = PQgetResult(conn)) != nullptr) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) status = Status::Io(PQerrorMessage(conn));
    PQclear(result);
  }
  PQfinish(conn);
  CheckOk(status, ("COPY " + table).c_str());
}

// Fills the source's tables with `rows`, parents first.
void LoadSource(const test::PgServer& server, const RegistryRows& rows) {
  CopyText apps, users, organizations, clients, links;
  for (const App& r : rows.apps) {
    apps.Number(r.id).Text(r.name).Text(r.app_key).Text(ToString(r.environment));
    apps.Time(r.created_at).Time(r.updated_at).EndRow();
  }
  for (const User& r : rows.users) {
    users.Number(r.id).Text(r.external_id).Text(r.email).Text(r.name).Text(ToString(r.status));
    users.Time(r.created_at).Time(r.updated_at).EndRow();
  }
  for (const Organization& r : rows.organizations) {
    organizations.Number(r.id).Number(r.threecolts_app_id).Number(r.organization_owner_id);
    organizations.Text(r.external_id).Text(r.name).Time(r.created_at).Time(r.updated_at).EndRow();
  }
  for (const Client& r : rows.clients) {
    clients.Number(r.id).OptionalId(r.threecolts_organization_id).Text(r.external_id);
    clients.Text(r.name).Text(r.db_host).Number(r.db_port).Text(r.db_name).Text(r.db_user);
    clients.Text(r.db_password.Reveal()).Text(ToString(r.status));
    clients.Time(r.created_at).Time(r.updated_at).EndRow();
  }
  for (const ClientUserLink& r : rows.links) {
    links.Number(r.client_id).Number(r.user_id).Time(r.created_at).EndRow();
  }
  CopyIn(server, "threecolts_app", apps.data());
  CopyIn(server, "\"user\"", users.data());
  CopyIn(server, "threecolts_organization", organizations.data());
  CopyIn(server, "client", clients.data());
  CopyIn(server, "client_user", links.data());
}

void InitialCopy(benchmark::State& state, Size size) {
  auto server = StartSource();
  std::uint64_t rows = 0;
  {
    const RegistryRows generated = gen::Generate(OptionsFor(size));
    rows = generated.apps.size() + generated.organizations.size() + generated.clients.size() +
           generated.users.size() + generated.links.size();
    LoadSource(*server, generated);
  }
  for (auto _ : state) {
    std::unique_ptr<test::TempDir> dir = ScratchDirectory("follow-copy");
    std::unique_ptr<Store> store = OpenStore(dir->Path("data"));
    const auto start = Clock::now();
    FollowerThread follower(*store, FollowOptions(*server));
    follower.WaitFor([&] { return follower.Saw(FollowerEvent::Kind::kCopied); }, "first copy");
    state.SetIterationTime(Seconds(Clock::now() - start));
    follower.Stop();
    if (store->Read().counts().users != OptionsFor(size).users) {
      CheckOk(Status::Corruption("the copy does not hold every user"), "first copy");
    }
  }
  state.counters["rows_per_second"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

void RegisterFollowBenchmarks(const std::vector<Size>& sizes) {
  using Fn = void (*)(benchmark::State&, Size);
  const std::pair<const char*, Fn> kinds[] = {
      {"throughput", [](benchmark::State& s, Size size) { Throughput(s, size, {}); }},
      {"throughput_populated",
       [](benchmark::State& s, Size size) { Throughput(s, size, {.populated = true}); }},
      {"split_cores",
       [](benchmark::State& s, Size size) {
         Throughput(s, size, {.split_cores = true, .populated = true});
       }},
      {"lag", Lag},
      {"initial_copy", InitialCopy}};
  for (Size size : sizes) {
    for (const auto& [kind, fn] : kinds) {
      const std::string name = "follow/" + std::string(kind) + "/" + std::string(SizeName(size));
      benchmark::RegisterBenchmark(name.c_str(),
                                   [fn = fn, size](benchmark::State& s) { fn(s, size); })
          ->Unit(benchmark::kMillisecond)
          ->Iterations(1)
          ->UseManualTime();
    }
  }
}

}  // namespace hubreg::bench
