// Internal: libpq handles owned by small RAII classes, and the one place
// where libpq's texts become hubreg errors, with any password removed.
//
// Thread safety: a PgConn is used by one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>

#include "hubreg/status.h"

namespace hubreg::sync {

// A result; PQclear on destruction.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}
  PGresult* get() const { return result_.get(); }
  ExecStatusType status() const { return PQresultStatus(result_.get()); }
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string_view Value(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  // The column's index by name, or -1.
  int Column(const char* name) const { return PQfnumber(result_.get(), name); }

 private:
  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

// A connection; PQfinish on destruction.
class PgConn {
 public:
  // Connects to `conninfo` (a URI or key=value string). With `replication`,
  // opens a logical replication connection (replication=database) that
  // accepts replication commands as well as SQL. Errors are kIo and never
  // contain the password.
  static StatusOr<PgConn> Connect(const std::string& conninfo, bool replication);

  PGconn* get() const { return conn_.get(); }

  // Runs one command (no parameters) and returns its result when its status
  // is `expected`; otherwise kIo "WHAT: the server's message".
  StatusOr<PgResult> Exec(const std::string& sql, ExecStatusType expected, std::string_view what);

  // The SQLSTATE of the last command that failed ("" when none did, or the
  // failure was not the server's), e.g. "55000".
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // Records the SQLSTATE of a failed result.
  void NoteFailure(const PGresult* result);

  // A libpq failure as a kIo error: "WHAT: PQerrorMessage" (password removed).
  Status Error(std::string_view what) const;
  // Removes the connection's password from `text`.
  std::string Redact(std::string text) const;

 private:
  struct Finish {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
  std::string password_;  // only to remove it from libpq's messages
  std::string last_sqlstate_;
};

// The source a connection string names, for messages and stats, without its
// password or any other option: "postgresql://USER@HOST:PORT/DBNAME" with
// what the string gives (libpq's defaults apply to the rest).
// InvalidArgument, never quoting the string, when libpq cannot parse it.
StatusOr<std::string> DescribeSource(const std::string& conninfo);

}  // namespace hubreg::sync
