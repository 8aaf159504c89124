#include "sqlite_baseline.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace hubreg::bench {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE threecolts_app (id INTEGER PRIMARY KEY, name TEXT, app_key TEXT NOT NULL UNIQUE,
  environment INTEGER, created_at INTEGER, updated_at INTEGER);
CREATE TABLE user (id INTEGER PRIMARY KEY, external_id TEXT NOT NULL,
  email TEXT NOT NULL COLLATE NOCASE, name TEXT, status INTEGER, created_at INTEGER,
  updated_at INTEGER);
CREATE TABLE threecolts_organization (id INTEGER PRIMARY KEY,
  threecolts_app_id INTEGER NOT NULL REFERENCES threecolts_app(id),
  organization_owner_id INTEGER NOT NULL REFERENCES user(id), external_id TEXT NOT NULL,
  name TEXT, created_at INTEGER, updated_at INTEGER);
CREATE TABLE client (id INTEGER PRIMARY KEY,
  threecolts_organization_id INTEGER REFERENCES threecolts_organization(id),
  external_id TEXT NOT NULL, name TEXT, db_host TEXT, db_port INTEGER, db_name TEXT,
  db_user TEXT, db_password TEXT, status INTEGER, created_at INTEGER, updated_at INTEGER);
CREATE TABLE client_user (client_id INTEGER NOT NULL REFERENCES client(id),
  user_id INTEGER NOT NULL REFERENCES user(id), created_at INTEGER,
  PRIMARY KEY (client_id, user_id)) WITHOUT ROWID;
)sql";

// The same indexes as hubreg's, created after loading (faster than
// maintaining them row by row).
constexpr const char* kIndexes = R"sql(
CREATE UNIQUE INDEX user_external_id ON user(external_id);
CREATE UNIQUE INDEX user_email ON user(email COLLATE NOCASE);
CREATE UNIQUE INDEX organization_key ON threecolts_organization(threecolts_app_id, external_id);
CREATE INDEX organization_app ON threecolts_organization(threecolts_app_id);
CREATE INDEX organization_owner ON threecolts_organization(organization_owner_id);
CREATE UNIQUE INDEX client_external_id ON client(external_id);
CREATE INDEX client_organization ON client(threecolts_organization_id);
CREATE INDEX client_user_by_user ON client_user(user_id, client_id);
ANALYZE;
)sql";

[[noreturn]] void Fail(sqlite3* db, const std::string& what) {
  std::fprintf(stderr, "hubreg_bench: sqlite: %s: %s\n", what.c_str(), sqlite3_errmsg(db));
  std::abort();
}

void Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) Fail(db, sql);
}

std::int64_t Micros(Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace

struct SqliteRegistry::Statement {
  Statement(sqlite3* db, const char* sql) : db(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      Fail(db, sql);
    }
  }
  ~Statement() { sqlite3_finalize(stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt, index, value);
    return *this;
  }
  Statement& Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    return *this;
  }
  bool Step() {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) Fail(db, sqlite3_sql(stmt));
    return false;
  }
  void Done() { sqlite3_reset(stmt); }
  std::int64_t Int(int column) { return sqlite3_column_int64(stmt, column); }
  // Reads a text column as a caller would (SQLite may convert it lazily).
  std::size_t TextSize(int column) {
    sqlite3_column_text(stmt, column);
    return static_cast<std::size_t>(sqlite3_column_bytes(stmt, column));
  }

  sqlite3* db;
  sqlite3_stmt* stmt = nullptr;
};

SqliteRegistry::SqliteRegistry(const RegistryRows& rows) {
  if (sqlite3_open(":memory:", &db_) != SQLITE_OK) Fail(db_, "open :memory:");
  Exec(db_, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;");
  Exec(db_, kSchema);
  Exec(db_, "BEGIN");
  {
    Statement app(db_, "INSERT INTO threecolts_app VALUES (?1,?2,?3,?4,?5,?6)");
    for (const App& row : rows.apps) {
      app.Bind(1, static_cast<std::int64_t>(row.id)).Bind(2, row.name).Bind(3, row.app_key);
      app.Bind(4, static_cast<std::int64_t>(row.environment)).Bind(5, Micros(row.created_at));
      app.Bind(6, Micros(row.updated_at)).Step();
      app.Done();
    }
    Statement user(db_, "INSERT INTO user VALUES (?1,?2,?3,?4,?5,?6,?7)");
    for (const User& row : rows.users) {
      user.Bind(1, static_cast<std::int64_t>(row.id)).Bind(2, row.external_id).Bind(3, row.email);
      user.Bind(4, row.name).Bind(5, static_cast<std::int64_t>(row.status));
      user.Bind(6, Micros(row.created_at)).Bind(7, Micros(row.updated_at)).Step();
      user.Done();
    }
    Statement organization(db_,
                           "INSERT INTO threecolts_organization VALUES (?1,?2,?3,?4,?5,?6,?7)");
    for (const Organization& row : rows.organizations) {
      organization.Bind(1, static_cast<std::int64_t>(row.id));
      organization.Bind(2, static_cast<std::int64_t>(row.threecolts_app_id));
      organization.Bind(3, static_cast<std::int64_t>(row.organization_owner_id));
      organization.Bind(4, row.external_id).Bind(5, row.name);
      organization.Bind(6, Micros(row.created_at)).Bind(7, Micros(row.updated_at)).Step();
      organization.Done();
    }
    Statement client(db_, "INSERT INTO client VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
    for (const Client& row : rows.clients) {
      client.Bind(1, static_cast<std::int64_t>(row.id));
      client.Bind(2, static_cast<std::int64_t>(row.threecolts_organization_id));
      client.Bind(3, row.external_id).Bind(4, row.name).Bind(5, row.db_host);
      client.Bind(6, static_cast<std::int64_t>(row.db_port)).Bind(7, row.db_name);
      client.Bind(8, row.db_user).Bind(9, row.db_password.Reveal());
      client.Bind(10, static_cast<std::int64_t>(row.status));
      client.Bind(11, Micros(row.created_at)).Bind(12, Micros(row.updated_at)).Step();
      client.Done();
    }
    Statement link(db_, "INSERT INTO client_user VALUES (?1,?2,?3)");
    for (const ClientUserLink& row : rows.links) {
      link.Bind(1, static_cast<std::int64_t>(row.client_id));
      link.Bind(2, static_cast<std::int64_t>(row.user_id)).Bind(3, Micros(row.created_at)).Step();
      link.Done();
    }
  }
  Exec(db_, "COMMIT");
  Exec(db_, kIndexes);

  constexpr const char* kUserColumns = "SELECT id, external_id, email, name, status FROM user ";
  user_by_id_ =
      std::make_unique<Statement>(db_, (std::string(kUserColumns) + "WHERE id = ?1").c_str());
  user_by_external_id_ = std::make_unique<Statement>(
      db_, (std::string(kUserColumns) + "WHERE external_id = ?1").c_str());
  user_by_email_ =
      std::make_unique<Statement>(db_, (std::string(kUserColumns) + "WHERE email = ?1").c_str());
  owner_ = std::make_unique<Statement>(
      db_,
      "SELECT u.id, u.external_id, u.email, u.name, u.status FROM threecolts_organization o "
      "JOIN user u ON u.id = o.organization_owner_id WHERE o.id = ?1");
  clients_of_user_ = std::make_unique<Statement>(
      db_,
      "SELECT c.id, c.external_id, c.db_host, c.db_port, c.status FROM client_user cu "
      "JOIN client c ON c.id = cu.client_id WHERE cu.user_id = ?1");
  users_of_client_ = std::make_unique<Statement>(
      db_,
      "SELECT u.id, u.external_id, u.email, u.status FROM client_user cu "
      "JOIN user u ON u.id = cu.user_id WHERE cu.client_id = ?1");
  resolve_ = std::make_unique<Statement>(
      db_,
      "SELECT c.id, c.status, u.status, cu.client_id IS NOT NULL, c.db_host, c.db_port, "
      "c.db_name, c.db_user, c.db_password FROM client c JOIN user u ON u.external_id = ?2 "
      "LEFT JOIN client_user cu ON cu.client_id = c.id AND cu.user_id = u.id "
      "WHERE c.external_id = ?1");
}

SqliteRegistry::~SqliteRegistry() {
  user_by_id_.reset();
  user_by_external_id_.reset();
  user_by_email_.reset();
  owner_.reset();
  clients_of_user_.reset();
  users_of_client_.reset();
  resolve_.reset();
  sqlite3_close(db_);
}

namespace {

template <typename Statement>
Id FirstUserRow(Statement& statement) {
  Id id = 0;
  if (statement.Step()) {
    id = static_cast<Id>(statement.Int(0));
    statement.TextSize(1);
    statement.TextSize(2);
  }
  statement.Done();
  return id;
}

}  // namespace

Id SqliteRegistry::FindUser(Id id) {
  return FirstUserRow(user_by_id_->Bind(1, static_cast<std::int64_t>(id)));
}

Id SqliteRegistry::FindUserByExternalId(std::string_view external_id) {
  return FirstUserRow(user_by_external_id_->Bind(1, external_id));
}

Id SqliteRegistry::FindUserByEmail(std::string_view email) {
  return FirstUserRow(user_by_email_->Bind(1, email));
}

Id SqliteRegistry::OwnerOfOrganization(Id organization_id) {
  return FirstUserRow(owner_->Bind(1, static_cast<std::int64_t>(organization_id)));
}

std::uint64_t SqliteRegistry::ClientsOfUser(Id user_id) {
  Statement& s = clients_of_user_->Bind(1, static_cast<std::int64_t>(user_id));
  std::uint64_t sum = 0;
  while (s.Step()) {
    sum += static_cast<std::uint64_t>(s.Int(0)) + s.TextSize(2);
  }
  s.Done();
  return sum;
}

std::uint64_t SqliteRegistry::UsersOfClient(Id client_id) {
  Statement& s = users_of_client_->Bind(1, static_cast<std::int64_t>(client_id));
  std::uint64_t sum = 0;
  while (s.Step()) {
    sum += static_cast<std::uint64_t>(s.Int(0)) + s.TextSize(1);
  }
  s.Done();
  return sum;
}

Id SqliteRegistry::Resolve(std::string_view account_external_id,
                           std::string_view user_external_id) {
  Statement& s = resolve_->Bind(1, account_external_id).Bind(2, user_external_id);
  Id allowed = 0;
  if (s.Step()) {
    const bool active = s.Int(1) == 0 && s.Int(2) == 0 && s.Int(3) != 0;
    if (active) {
      s.TextSize(4);
      s.TextSize(6);
      s.TextSize(7);
      s.TextSize(8);
      allowed = static_cast<Id>(s.Int(0));
    }
  }
  s.Done();
  return allowed;
}

}  // namespace hubreg::bench
