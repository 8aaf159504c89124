#include "pg_testutil.h"

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <filesystem>

#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

std::unique_ptr<PgServer> StartServer() {
  StatusOr<std::unique_ptr<PgServer>> server = PgServer::Create();
  REQUIRE_OK(server);
  return std::move(server).value();
}

std::optional<std::string> QueryOne(const std::string& conninfo, const std::string& sql) {
  StatusOr<PgConnection> conn = PgConnection::Open(conninfo);
  REQUIRE_OK(conn);
  StatusOr<std::vector<PgRow>> rows = conn->Query(sql);
  REQUIRE_OK(rows);
  REQUIRE(rows->size() == 1);
  REQUIRE(rows->front().size() == 1);
  return rows->front().front();
}

}  // namespace

TEST_CASE("the test server runs the source schema and answers queries") {
  auto server = StartServer();
  StatusOr<PgConnection> conn = PgConnection::Open(server->ConnectionString());
  REQUIRE_OK(conn);
  StatusOr<std::string> schema = SourceSchemaSql();
  REQUIRE_OK(schema);
  REQUIRE_OK(conn->Exec(*schema));
  REQUIRE_OK(conn->Exec(
      "INSERT INTO threecolts_app (id, name, app_key, environment) VALUES (1, 'A', 'k1', 'prod');"
      "INSERT INTO \"user\" (id, external_id, email) VALUES (7, 'U-7', 'a@b.c')"));
  StatusOr<std::vector<PgRow>> rows =
      conn->Query("SELECT id, app_key, environment FROM threecolts_app");
  REQUIRE_OK(rows);
  CHECK(*rows == std::vector<PgRow>{{"1", "k1", "prod"}});
  CHECK(QueryOne(server->ConnectionString(),
                 "SELECT string_agg(tablename::text, ',' ORDER BY tablename) "
                 "FROM pg_publication_tables WHERE pubname = 'hubreg_pub'") ==
        "client,client_user,threecolts_app,threecolts_organization,user");
  // The source's rules hold: a duplicate email (in another case) is refused.
  CHECK_FALSE(
      conn->Exec("INSERT INTO \"user\" (id, external_id, email) VALUES (8, 'U-8', 'A@B.C')").ok());
}

TEST_CASE("the test server is set up for logical replication over its socket") {
  auto server = StartServer();
  CHECK(QueryOne(server->ConnectionString(), "SHOW wal_level") == "logical");
  CHECK(server->ConnectionString().find("host=" + server->socket_dir()) == 0);
  // A replication connection (as a follower opens) through the URI form.
  StatusOr<PgConnection> replication = PgConnection::Open(server->Uri() + "?replication=database");
  REQUIRE_OK(replication);
  StatusOr<std::vector<PgRow>> system = replication->Query("IDENTIFY_SYSTEM");
  REQUIRE_OK(system);
  CHECK(system->size() == 1);
  CHECK(QueryOne(server->ConnectionString(),
                 "SELECT lsn IS NOT NULL FROM pg_create_logical_replication_slot('s', "
                 "'pgoutput')") == "t");
}

TEST_CASE("the test server restarts on the same data, after a fast or an immediate stop") {
  auto server = StartServer();
  const std::string conninfo = server->ConnectionString();
  {
    StatusOr<PgConnection> conn = PgConnection::Open(conninfo);
    REQUIRE_OK(conn);
    REQUIRE_OK(conn->Exec("CREATE TABLE t (v int); INSERT INTO t VALUES (1)"));
    REQUIRE_OK(server->Restart());
    // The old session is gone; a new one sees the data.
    CHECK_FALSE(conn->Exec("SELECT 1").ok());
  }
  CHECK(QueryOne(conninfo, "SELECT sum(v) FROM t") == "1");
  {
    StatusOr<PgConnection> conn = PgConnection::Open(conninfo);
    REQUIRE_OK(conn);
    REQUIRE_OK(conn->Exec("INSERT INTO t VALUES (2)"));
  }
  REQUIRE_OK(server->Stop(PgServer::StopMode::kImmediate));
  CHECK_FALSE(server->running());
  CHECK(PQping(conninfo.c_str()) == PQPING_NO_RESPONSE);
  REQUIRE_OK(server->Start());
  CHECK(QueryOne(conninfo, "SELECT sum(v) FROM t") == "3");
}

TEST_CASE("the test server stops and its directory is removed when it goes out of scope") {
  std::string dir;
  std::string conninfo;
  {
    auto server = StartServer();
    dir = server->socket_dir();
    conninfo = server->ConnectionString();
    CHECK(std::filesystem::exists(dir + "/data/postgresql.conf"));
    CHECK(PQping(conninfo.c_str()) == PQPING_OK);
  }
  CHECK_FALSE(std::filesystem::exists(dir));
  CHECK(PQping(conninfo.c_str()) == PQPING_NO_RESPONSE);
}
