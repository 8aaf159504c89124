// A private PostgreSQL 15 server for tests, and a small libpq client.
//
// PgServer puts a cluster in a new temporary directory (initdb runs once per
// process; each server starts on a copy of that cluster), configures it for
// logical replication (wal_level=logical, replication slots and WAL senders),
// and starts `postgres` listening only on a Unix socket in that directory, so
// tests never meet a server of the machine or of each other.
// PostgreSQL refuses to run as root: when the test runs as root, the server
// runs as the `postgres` system user (the Debian package creates it; the
// HUBREG_PG_USER environment variable names another), and the directory is
// handed to that user. Binaries come from /usr/lib/postgresql/15/bin, or from
// HUBREG_PG_BINDIR.
//
// The postmaster is a child of the thread that started it and dies with it
// (PR_SET_PDEATHSIG), so a test that crashes leaves no server behind: create
// a PgServer on a thread that outlives it (normally the test's main thread).
#pragma once

#include <libpq-fe.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hubreg/status.h"

namespace hubreg::test {

struct PgServerOptions {
  // Extra postgresql.conf lines ("name = value"), after the defaults. The
  // defaults favour speed (fsync = off): data survives a server restart or
  // kill, not a machine crash.
  std::vector<std::string> settings;
  // Run initdb for this server alone, so that it is another cluster (its own
  // system identifier), instead of copying the process's first cluster.
  bool own_cluster = false;
};

class PgServer {
 public:
  enum class StopMode {
    kFast,       // SIGINT: clients are disconnected, a shutdown checkpoint is written
    kImmediate,  // SIGQUIT: like a crash; the next start runs recovery
  };

  // Creates the cluster and starts the server; returns once it accepts
  // connections. On failure the message includes the end of the server's log.
  static StatusOr<std::unique_ptr<PgServer>> Create(PgServerOptions options = {});

  // Stops the server (immediately) if it runs and removes the directory.
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Stops the server and waits until it has exited (fast shutdown falls back
  // to immediate after 60 s). OK when it is not running.
  Status Stop(StopMode mode = StopMode::kFast);
  // Starts the stopped server on the same data and socket; returns once it
  // accepts connections.
  Status Start();
  Status Restart(StopMode mode = StopMode::kFast);
  bool running() const { return pid_ > 0; }
  // The postmaster's pid (-1 when stopped).
  pid_t pid() const { return pid_; }

  // The directory holding the socket and the cluster, e.g.
  // "/dev/shm/hubreg-pg-Ab12Cd" (in /tmp when /dev/shm is small).
  const std::string& socket_dir() const { return dir_; }
  int port() const { return kPort; }
  // Superuser (with REPLICATION) connection in key=value form:
  // "host=/dev/shm/hubreg-pg-Ab12Cd port=5432 user=postgres dbname=DB".
  std::string ConnectionString(std::string_view dbname = "postgres") const;
  // The same as a URI: "postgresql://postgres@%2Fdev%2Fshm%2Fhubreg-pg-Ab12Cd:5432/DB".
  std::string Uri(std::string_view dbname = "postgres") const;
  // The last `max_bytes` of the server's log, for failure messages.
  std::string LogTail(std::size_t max_bytes = 4000) const;

 private:
  static constexpr int kPort = 5432;
  PgServer() = default;
  Status Init(PgServerOptions options);
  Status WaitUntilReady();

  std::string dir_;     // owned by the server's user; removed by the destructor
  std::string bindir_;  // initdb, postgres
  uid_t uid_ = 0;       // the user the server runs as (set only when we are root)
  gid_t gid_ = 0;
  bool switch_user_ = false;
  pid_t pid_ = -1;  // the postmaster, a child of this process
  int pidfd_ = -1;  // pidfd of pid_, readable once it exits
};

// One row of a result; a NULL is nullopt.
using PgRow = std::vector<std::optional<std::string>>;

// A libpq connection that closes itself; not copyable.
class PgConnection {
 public:
  static StatusOr<PgConnection> Open(const std::string& conninfo);
  PgConnection(PgConnection&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  PgConnection& operator=(PgConnection&& other) noexcept;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs one or more statements (separated by ';'); the error names the SQL.
  Status Exec(const std::string& sql);
  // Runs one statement and returns its rows. With `binary`, values are the
  // server's binary form (a bytea is its raw bytes).
  StatusOr<std::vector<PgRow>> Query(const std::string& sql, bool binary = false);
  // Runs `COPY ... TO STDOUT` and returns its lines without their newlines.
  StatusOr<std::vector<std::string>> CopyOut(const std::string& sql);

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_ = nullptr;
};

// A new test server holding the source schema (SourceSchemaSql).
StatusOr<std::unique_ptr<PgServer>> StartServerWithSchema(PgServerOptions options = {});

// A test server holding the source schema, with a logical replication slot
// `hubreg_test` (pgoutput) created after the schema.
class PgSource {
 public:
  static StatusOr<std::unique_ptr<PgSource>> Create();
  PgServer& server() { return *server_; }
  PgConnection& conn() { return conn_; }
  // The OID of a table ("client", "\"user\"") or, with `kind` "regtype", of a type.
  StatusOr<std::uint32_t> Oid(const std::string& name, const std::string& kind = "regclass");
  // The pgoutput messages (protocol version 1, publication hubreg_pub) the
  // slot holds, consumed: each call returns what came after the last.
  StatusOr<std::vector<std::string>> TakeChanges();

 private:
  PgSource(std::unique_ptr<PgServer> server, PgConnection conn)
      : server_(std::move(server)), conn_(std::move(conn)) {}
  std::unique_ptr<PgServer> server_;
  PgConnection conn_;
};

// The source schema of the tests (tests/data/pg/schema.sql): hub_alpha's five
// tables, with the publication `hubreg_pub` on them.
StatusOr<std::string> SourceSchemaSql();
inline constexpr std::string_view kSourcePublication = "hubreg_pub";

}  // namespace hubreg::test
