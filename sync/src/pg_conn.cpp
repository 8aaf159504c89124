#include "pg_conn.h"

#include <array>
#include <vector>

namespace hubreg::sync {
namespace {

struct ParsedOptions {
  struct Free {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
  };
  std::unique_ptr<PQconninfoOption, Free> options;
};

// Parses `conninfo`. libpq's parse error may quote the string (and so a
// password): it is dropped, and the message says only what kind of problem.
StatusOr<ParsedOptions> Parse(const std::string& conninfo) {
  char* error = nullptr;
  ParsedOptions parsed;
  parsed.options.reset(PQconninfoParse(conninfo.c_str(), &error));
  if (error != nullptr) PQfreemem(error);
  if (parsed.options == nullptr) {
    return Status::InvalidArgument(
        "the connection string is not a valid PostgreSQL URI or key=value string (not quoted "
        "here: it may hold a password)");
  }
  return parsed;
}

std::string OptionValue(const ParsedOptions& parsed, std::string_view keyword) {
  for (const PQconninfoOption* option = parsed.options.get(); option->keyword != nullptr;
       ++option) {
    if (keyword == option->keyword && option->val != nullptr) return option->val;
  }
  return {};
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

StatusOr<PgConn> PgConn::Connect(const std::string& conninfo, bool replication) {
  StatusOr<ParsedOptions> parsed = Parse(conninfo);
  if (!parsed.ok()) return parsed.status();
  PgConn conn;
  conn.password_ = OptionValue(*parsed, "password");
  // expand_dbname: the first "dbname" is the whole connection string; the
  // keywords after it override what it says.
  // Values in the forms the row readers expect: timestamps in UTC, ISO.
  const std::string user_options = OptionValue(*parsed, "options");
  const std::string options =
      (user_options.empty() ? "" : user_options + " ") + "-c TimeZone=UTC -c DateStyle=ISO,YMD";
  std::vector<const char*> keywords = {"dbname", "fallback_application_name", "options"};
  std::vector<const char*> values = {conninfo.c_str(), "hubreg", options.c_str()};
  if (replication) {
    keywords.push_back("replication");
    values.push_back("database");
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn.conn_.reset(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (conn.conn_ == nullptr) return Status::Io("connecting: out of memory in libpq");
  if (PQstatus(conn.conn_.get()) != CONNECTION_OK) {
    StatusOr<std::string> source = DescribeSource(conninfo);
    return conn.Error("connecting to " + (source.ok() ? *source : std::string("the source")));
  }
  return conn;
}

StatusOr<PgResult> PgConn::Exec(const std::string& sql, ExecStatusType expected,
                                std::string_view what) {
  PgResult result(PQexec(conn_.get(), sql.c_str()));
  if (result.get() == nullptr) return Error(what);
  if (result.status() != expected) {
    NoteFailure(result.get());
    const char* message = PQresultErrorMessage(result.get());
    return Status::Io(
        std::string(what) + ": " +
        Redact(Trimmed(message != nullptr && *message != '\0' ? message
                                                              : PQresStatus(result.status()))));
  }
  return result;
}

void PgConn::NoteFailure(const PGresult* result) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state != nullptr ? state : "";
}

Status PgConn::Error(std::string_view what) const {
  const char* message = conn_ != nullptr ? PQerrorMessage(conn_.get()) : "no connection";
  return Status::Io(std::string(what) + ": " + Redact(Trimmed(message)));
}

std::string PgConn::Redact(std::string text) const {
  if (password_.empty()) return text;
  for (std::size_t at; (at = text.find(password_)) != std::string::npos;) {
    text.replace(at, password_.size(), "********");
  }
  return text;
}

StatusOr<std::string> DescribeSource(const std::string& conninfo) {
  StatusOr<ParsedOptions> parsed = Parse(conninfo);
  if (!parsed.ok()) return parsed.status();
  const std::string user = OptionValue(*parsed, "user");
  const std::string host = OptionValue(*parsed, "host");
  const std::string port = OptionValue(*parsed, "port");
  const std::string dbname = OptionValue(*parsed, "dbname");
  std::string text = "postgresql://";
  if (!user.empty()) text += user + "@";
  text += host.empty() ? "localhost" : host;
  if (!port.empty()) text += ":" + port;
  text += "/" + dbname;
  return text;
}

}  // namespace hubreg::sync
