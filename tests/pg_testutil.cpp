#include "pg_testutil.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace hubreg::test {
namespace {

namespace fs = std::filesystem;

constexpr auto kStartTimeout = std::chrono::seconds(120);
constexpr auto kFastStopTimeout = std::chrono::seconds(60);
constexpr auto kImmediateStopTimeout = std::chrono::seconds(60);

Status ErrnoError(const std::string& what) {
  return Status::Io(what + ": " + std::strerror(errno));
}

std::string ReadTail(const fs::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  if (all.size() > max_bytes) all.erase(0, all.size() - max_bytes);
  return all;
}

// Forks and executes argv[0] with stdout and stderr appended to `log`, as the
// given user when `switch_user`. The child dies with the calling thread.
StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const fs::path& log, bool switch_user,
                      uid_t uid, gid_t gid) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return ErrnoError("open " + log.string());
  if (switch_user && ::fchown(log_fd, uid, gid) != 0) {
    ::close(log_fd);
    return ErrnoError("chown " + log.string());
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return ErrnoError("fork");
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    if (::dup2(log_fd, STDOUT_FILENO) < 0 || ::dup2(log_fd, STDERR_FILENO) < 0) ::_exit(126);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0) ::_exit(126);
    if (switch_user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
    }
    // Set after setuid, which clears it. SIGQUIT is the postmaster's
    // immediate shutdown: it takes its backends down with it.
    if (::prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || ::getppid() != parent) ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log_fd);
  return pid;
}

// Waits for a child to exit within `timeout`; returns its wait status, or
// nullopt on timeout.
std::optional<int> WaitForExit(pid_t pid, int pidfd, std::chrono::milliseconds timeout) {
  pollfd fd{pidfd, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) return std::nullopt;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// Runs a program to its end.
Status Run(const std::vector<std::string>& argv, const fs::path& log, bool switch_user, uid_t uid,
           gid_t gid) {
  StatusOr<pid_t> pid = Spawn(argv, log, switch_user, uid, gid);
  if (!pid.ok()) return pid.status();
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  return Status::Io(argv[0] + " failed (" + DescribeExit(status) + "):\n" + ReadTail(log, 4000));
}

std::string UriEscape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// Where clusters go: /dev/shm when it has room (a cluster is tens of MB, and
// on a busy disk writing them costs seconds), else /tmp; HUBREG_PG_TMPDIR
// overrides. Not TMPDIR or the build tree: the server's user must reach the
// directory, and a Unix socket path is limited to 107 bytes.
std::string TempRoot() {
  if (const char* root = std::getenv("HUBREG_PG_TMPDIR")) return root;
  struct statvfs shm {};
  if (::statvfs("/dev/shm", &shm) == 0 &&
      static_cast<unsigned long long>(shm.f_bavail) * shm.f_frsize >= (2ull << 30) &&
      ::access("/dev/shm", W_OK | X_OK) == 0) {
    return "/dev/shm";
  }
  return "/tmp";
}

// A new directory the server's user owns.
StatusOr<std::string> MakeTempDir(bool switch_user, uid_t uid, gid_t gid) {
  std::string path = TempRoot() + "/hubreg-pg-XXXXXX";
  if (::mkdtemp(path.data()) == nullptr) return ErrnoError("mkdtemp " + path);
  if (switch_user && ::chown(path.c_str(), uid, gid) != 0) {
    Status error = ErrnoError("chown " + path);
    ::rmdir(path.c_str());
    return error;
  }
  return path;
}

// initdb is most of a server's start-up time (seconds on a busy machine), so
// a process runs it once and each server starts on a copy of that cluster.
Status InitCluster(const std::string& bindir, const fs::path& data, const fs::path& log,
                   bool switch_user, uid_t uid, gid_t gid) {
  return Run({bindir + "/initdb", "--pgdata=" + data.string(), "--username=postgres",
              "--auth=trust", "--encoding=UTF8", "--locale=C", "--wal-segsize=1", "--no-sync"},
             log, switch_user, uid, gid);
}

class ClusterTemplate {
 public:
  static ClusterTemplate& Instance() {
    static ClusterTemplate instance;
    return instance;
  }
  ~ClusterTemplate() {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  // The data directory of the cluster, created on the first call.
  StatusOr<fs::path> Get(const std::string& bindir, bool switch_user, uid_t uid, gid_t gid) {
    std::lock_guard lock(mutex_);
    if (dir_.empty()) {
      StatusOr<std::string> dir = MakeTempDir(switch_user, uid, gid);
      if (!dir.ok()) return dir.status();
      const fs::path path(*dir);
      Status status =
          InitCluster(bindir, path / "data", path / "initdb.log", switch_user, uid, gid);
      if (!status.ok()) {
        std::error_code ignored;
        fs::remove_all(path, ignored);
        return status;
      }
      dir_ = *dir;
    }
    return fs::path(dir_) / "data";
  }

 private:
  std::mutex mutex_;
  std::string dir_;
};

}  // namespace

StatusOr<std::unique_ptr<PgServer>> PgServer::Create(PgServerOptions options) {
  std::unique_ptr<PgServer> server(new PgServer());
  HUBREG_RETURN_IF_ERROR(server->Init(std::move(options)));
  HUBREG_RETURN_IF_ERROR(server->Start());
  return server;
}

Status PgServer::Init(PgServerOptions options) {
  const char* bindir = std::getenv("HUBREG_PG_BINDIR");
  bindir_ = bindir != nullptr ? bindir : "/usr/lib/postgresql/15/bin";
  if (::access((bindir_ + "/postgres").c_str(), X_OK) != 0) {
    return Status::NotFound("no PostgreSQL server in " + bindir_ +
                            " (install postgresql-15, or set HUBREG_PG_BINDIR)");
  }
  if (::geteuid() == 0) {
    const char* name = std::getenv("HUBREG_PG_USER");
    if (name == nullptr) name = "postgres";
    const passwd* user = ::getpwnam(name);
    if (user == nullptr) {
      return Status::NotFound(
          std::string("PostgreSQL refuses to run as root and there is no user ") + name +
          " to run it as (set HUBREG_PG_USER)");
    }
    switch_user_ = true;
    uid_ = user->pw_uid;
    gid_ = user->pw_gid;
  }

  StatusOr<std::string> dir = MakeTempDir(switch_user_, uid_, gid_);
  if (!dir.ok()) return dir.status();
  dir_ = *dir;
  const fs::path dir_path(dir_);
  if (options.own_cluster) {
    HUBREG_RETURN_IF_ERROR(
        InitCluster(bindir_, dir_path / "data", dir_path / "initdb.log", switch_user_, uid_, gid_));
  } else {
    StatusOr<fs::path> cluster = ClusterTemplate::Instance().Get(bindir_, switch_user_, uid_, gid_);
    if (!cluster.ok()) return cluster.status();
    HUBREG_RETURN_IF_ERROR(Run({"/bin/cp", "-a", cluster->string(), (dir_path / "data").string()},
                               dir_path / "copy.log", switch_user_, uid_, gid_));
  }

  std::ofstream conf(dir_path / "data" / "postgresql.conf", std::ios::app);
  conf << "\n# hubreg test server\n"
       << "listen_addresses = ''\n"
       << "unix_socket_directories = '" << dir_ << "'\n"
       << "port = " << kPort << "\n"
       << "wal_level = logical\n"
       << "max_replication_slots = 10\n"
       << "max_wal_senders = 10\n"
       << "max_connections = 30\n"
       << "shared_buffers = 16MB\n"
       << "fsync = off\n"
       << "full_page_writes = off\n"
       << "timezone = 'UTC'\n";
  for (const std::string& line : options.settings) conf << line << "\n";
  conf.close();
  if (!conf) return Status::Io("cannot write " + (dir_path / "data" / "postgresql.conf").string());
  return Status::Ok();
}

PgServer::~PgServer() {
  if (running()) (void)Stop(StopMode::kImmediate);
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

Status PgServer::Start() {
  if (running()) return Status::Ok();
  const fs::path dir(dir_);
  StatusOr<pid_t> pid = Spawn({bindir_ + "/postgres", "-D", (dir / "data").string()},
                              dir / "server.log", switch_user_, uid_, gid_);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    Status error = ErrnoError("pidfd_open");
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return error;
  }
  return WaitUntilReady();
}

Status PgServer::WaitUntilReady() {
  const std::string conninfo = ConnectionString();
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    // Waiting on the postmaster's pidfd both paces the pings and notices at
    // once when the server exits instead of becoming ready.
    if (std::optional<int> status = WaitForExit(pid_, pidfd_, std::chrono::milliseconds(20))) {
      ::close(pidfd_);
      pid_ = -1;
      pidfd_ = -1;
      return Status::Io("PostgreSQL exited while starting (" + DescribeExit(*status) + "):\n" +
                        LogTail());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      (void)Stop(StopMode::kImmediate);
      return Status::Io("PostgreSQL did not accept connections within 120 s:\n" + LogTail());
    }
  }
  return Status::Ok();
}

Status PgServer::Stop(StopMode mode) {
  if (!running()) return Status::Ok();
  ::kill(pid_, mode == StopMode::kFast ? SIGINT : SIGQUIT);
  std::optional<int> status =
      WaitForExit(pid_, pidfd_, mode == StopMode::kFast ? kFastStopTimeout : kImmediateStopTimeout);
  if (!status && mode == StopMode::kFast) {
    ::kill(pid_, SIGQUIT);
    status = WaitForExit(pid_, pidfd_, kImmediateStopTimeout);
  }
  if (!status) {
    ::kill(pid_, SIGKILL);
    status = WaitForExit(pid_, pidfd_, kImmediateStopTimeout);
  }
  ::close(pidfd_);
  pid_ = -1;
  pidfd_ = -1;
  if (!status) return Status::Io("PostgreSQL did not stop, even after SIGKILL");
  return Status::Ok();
}

Status PgServer::Restart(StopMode mode) {
  HUBREG_RETURN_IF_ERROR(Stop(mode));
  return Start();
}

std::string PgServer::ConnectionString(std::string_view dbname) const {
  return "host=" + dir_ + " port=" + std::to_string(kPort) +
         " user=postgres dbname=" + std::string(dbname);
}

std::string PgServer::Uri(std::string_view dbname) const {
  return "postgresql://postgres@" + UriEscape(dir_) + ":" + std::to_string(kPort) + "/" +
         UriEscape(dbname);
}

std::string PgServer::LogTail(std::size_t max_bytes) const {
  return ReadTail(fs::path(dir_) / "server.log", max_bytes);
}

StatusOr<PgConnection> PgConnection::Open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return Status::Io("PQconnectdb: out of memory");
  PgConnection connection(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    return Status::Io("cannot connect to " + conninfo + ": " + PQerrorMessage(conn));
  }
  // Notices ("truncate cascades to table ...") would go to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return connection;
}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = other.conn_;
    other.conn_ = nullptr;
  }
  return *this;
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConnection::Exec(const std::string& sql) {
  PGresult* result = PQexec(conn_, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  Status outcome = Status::Ok();
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    outcome = Status::Io(std::string(PQresultErrorMessage(result)) + "in: " + sql);
  }
  PQclear(result);
  return outcome;
}

StatusOr<std::vector<PgRow>> PgConnection::Query(const std::string& sql, bool binary) {
  // The simple protocol for text, so replication commands work too.
  PGresult* result =
      binary ? PQexecParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1)
             : PQexec(conn_, sql.c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    Status error = Status::Io(std::string(PQresultErrorMessage(result)) + "in: " + sql);
    PQclear(result);
    return error;
  }
  std::vector<PgRow> rows(static_cast<std::size_t>(PQntuples(result)));
  const int columns = PQnfields(result);
  for (int r = 0; r < PQntuples(result); ++r) {
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c)) {
        rows[r].emplace_back(std::nullopt);
      } else {
        rows[r].emplace_back(std::string(PQgetvalue(result, r, c),
                                         static_cast<std::size_t>(PQgetlength(result, r, c))));
      }
    }
  }
  PQclear(result);
  return rows;
}

StatusOr<std::vector<std::string>> PgConnection::CopyOut(const std::string& sql) {
  PGresult* result = PQexec(conn_, sql.c_str());
  const bool started = PQresultStatus(result) == PGRES_COPY_OUT;
  Status error =
      started ? Status::Ok() : Status::Io(std::string(PQresultErrorMessage(result)) + "in: " + sql);
  PQclear(result);
  HUBREG_RETURN_IF_ERROR(error);
  std::vector<std::string> lines;
  char* buffer = nullptr;
  int size;
  while ((size = PQgetCopyData(conn_, &buffer, 0)) > 0) {
    std::string line(buffer, static_cast<std::size_t>(size));
    PQfreemem(buffer);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    lines.push_back(std::move(line));
  }
  if (size == -2) return Status::Io(std::string(PQerrorMessage(conn_)) + "in: " + sql);
  while ((result = PQgetResult(conn_)) != nullptr) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      error = Status::Io(std::string(PQresultErrorMessage(result)) + "in: " + sql);
    }
    PQclear(result);
  }
  HUBREG_RETURN_IF_ERROR(error);
  return lines;
}

StatusOr<std::unique_ptr<PgServer>> StartServerWithSchema(PgServerOptions options) {
  StatusOr<std::unique_ptr<PgServer>> server = PgServer::Create(std::move(options));
  if (!server.ok()) return server.status();
  StatusOr<PgConnection> conn = PgConnection::Open((*server)->ConnectionString());
  if (!conn.ok()) return conn.status();
  StatusOr<std::string> schema = SourceSchemaSql();
  if (!schema.ok()) return schema.status();
  HUBREG_RETURN_IF_ERROR(conn->Exec(*schema));
  return server;
}

StatusOr<std::unique_ptr<PgSource>> PgSource::Create() {
  StatusOr<std::unique_ptr<PgServer>> server = StartServerWithSchema();
  if (!server.ok()) return server.status();
  StatusOr<PgConnection> conn = PgConnection::Open((*server)->ConnectionString());
  if (!conn.ok()) return conn.status();
  HUBREG_RETURN_IF_ERROR(
      conn->Exec("SELECT pg_create_logical_replication_slot('hubreg_test', 'pgoutput')"));
  return std::unique_ptr<PgSource>(
      new PgSource(std::move(server).value(), std::move(conn).value()));
}

StatusOr<std::uint32_t> PgSource::Oid(const std::string& name, const std::string& kind) {
  StatusOr<std::vector<PgRow>> rows = conn_.Query("SELECT '" + name + "'::" + kind + "::oid");
  if (!rows.ok()) return rows.status();
  return static_cast<std::uint32_t>(std::stoul(*rows->at(0).at(0)));
}

StatusOr<std::vector<std::string>> PgSource::TakeChanges() {
  StatusOr<std::vector<PgRow>> rows = conn_.Query(
      "SELECT data FROM pg_logical_slot_get_binary_changes('hubreg_test', NULL, NULL, "
      "'proto_version', '1', 'publication_names', 'hubreg_pub')",
      /*binary=*/true);
  if (!rows.ok()) return rows.status();
  std::vector<std::string> messages;
  for (PgRow& row : *rows) messages.push_back(std::move(*row.at(0)));
  return messages;
}

StatusOr<std::string> SourceSchemaSql() {
  std::ifstream in(HUBREG_PG_SCHEMA, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) return Status::Io(std::string("cannot read ") + HUBREG_PG_SCHEMA);
  return text.str();
}

}  // namespace hubreg::test
