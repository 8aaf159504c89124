// The replication client (sync/src/replication_stream.h, pg_conn.h) against
// a private PostgreSQL 15: slots, the stream, keepalives, confirmations, and
// no password in any error.
#include "replication_stream.h"

#include <doctest/doctest.h>

#include <thread>

#include "pg_testutil.h"
#include "testutil.h"

using namespace hubreg;
using namespace hubreg::sync;
using namespace hubreg::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<PgServer> StartWithSchema() {
  StatusOr<std::unique_ptr<PgServer>> server = StartServerWithSchema();
  REQUIRE_OK(server);
  return std::move(server).value();
}

std::string QueryOne(const std::string& conninfo, const std::string& sql) {
  StatusOr<PgConnection> conn = PgConnection::Open(conninfo);
  REQUIRE_OK(conn);
  StatusOr<std::vector<PgRow>> rows = conn->Query(sql);
  REQUIRE_OK(rows);
  REQUIRE(rows->size() == 1);
  return rows->front().front().value_or("NULL");
}

// Receives until a payload whose first byte is `type` arrives.
WalData ReceiveUntil(ReplicationStream& stream, char type) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    StatusOr<std::optional<WalData>> data = stream.Receive(1000ms);
    REQUIRE_OK(data);
    if (data->has_value() && !(*data)->payload.empty() && (*data)->payload[0] == type) {
      return std::move(**data);
    }
  }
  FAIL("no message of type " << type << " within 60 s");
  return {};
}

// A Commit message's end LSN ('C', Int8 flags, Int64 commit LSN, Int64 end LSN, ...).
Lsn CommitEndLsn(std::string_view payload) {
  REQUIRE(payload.size() >= 18);
  Lsn lsn = 0;
  for (std::size_t i = 10; i < 18; ++i) lsn = (lsn << 8) | static_cast<unsigned char>(payload[i]);
  return lsn;
}

}  // namespace

TEST_CASE("a slot streams committed changes and moves only as far as confirmed") {
  auto server = StartWithSchema();
  const std::string conninfo = server->ConnectionString();
  StatusOr<ReplicationStream> stream = ReplicationStream::Open(conninfo);
  REQUIRE_OK(stream);
  StatusOr<SystemIdentity> identity = stream->IdentifySystem();
  REQUIRE_OK(identity);
  CHECK(!identity->system_id.empty());
  CHECK(identity->timeline == 1);
  CHECK(stream->SlotPosition("follower")->has_value() == false);

  StatusOr<CreatedSlot> slot = stream->CreateSlot("follower");
  REQUIRE_OK(slot);
  CHECK(slot->consistent_point != kInvalidLsn);
  CHECK(!slot->snapshot_name.empty());
  CHECK(stream->CreateSlot("follower").status().code() == ErrorCode::kIo);  // exists already
  REQUIRE(stream->SlotPosition("follower")->has_value());

  REQUIRE_OK(stream->Start("follower", slot->consistent_point, std::string(kSourcePublication)));
  StatusOr<PgConnection> writer = PgConnection::Open(conninfo);
  REQUIRE_OK(writer);
  REQUIRE_OK(writer->Exec(
      "INSERT INTO \"user\" (id, external_id, email) VALUES (1, 'U-1', 'ann@example.com')"));
  WalData begin = ReceiveUntil(*stream, 'B');
  CHECK(begin.wal_start > slot->consistent_point);
  WalData commit = ReceiveUntil(*stream, 'C');
  CHECK(stream->server_wal_end() >= commit.wal_end);
  const Lsn end_lsn = CommitEndLsn(commit.payload);
  CHECK(end_lsn > begin.wal_start);

  // Nothing is confirmed until the caller says so ...
  const std::string confirmed_sql =
      "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'follower'";
  CHECK(QueryOne(conninfo, confirmed_sql) == FormatLsn(slot->consistent_point));
  // ... then the server learns exactly the position confirmed.
  REQUIRE_OK(stream->Confirm(end_lsn, /*all_durable=*/false));
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (QueryOne(conninfo, confirmed_sql) != FormatLsn(end_lsn) &&
         std::chrono::steady_clock::now() < deadline) {
    REQUIRE_OK(stream->Receive(50ms).status());
  }
  CHECK(QueryOne(conninfo, confirmed_sql) == FormatLsn(end_lsn));
  REQUIRE_OK(stream->Finish());

  // A new session on the same slot starts after the confirmed transaction.
  StatusOr<ReplicationStream> again = ReplicationStream::Open(conninfo);
  REQUIRE_OK(again);
  REQUIRE_OK(again->Start("follower", kInvalidLsn, std::string(kSourcePublication)));
  REQUIRE_OK(writer->Exec(
      "INSERT INTO \"user\" (id, external_id, email) VALUES (2, 'U-2', 'bob@example.com')"));
  WalData next = ReceiveUntil(*again, 'I');
  CHECK(next.payload.find("bob@example.com") != std::string::npos);
  // With everything received durable, the status reports the server's end.
  ReceiveUntil(*again, 'C');
  REQUIRE_OK(again->Confirm(end_lsn, /*all_durable=*/true));
  CHECK(again->reported() == again->server_wal_end());
  CHECK(again->reported() > end_lsn);
  REQUIRE_OK(again->Finish());

  StatusOr<ReplicationStream> dropper = ReplicationStream::Open(conninfo);
  REQUIRE_OK(dropper);
  REQUIRE_OK(dropper->DropSlot("follower"));
  CHECK(dropper->DropSlot("follower").code() == ErrorCode::kNotFound);
  CHECK(QueryOne(conninfo, "SELECT count(*) FROM pg_replication_slots") == "0");
}

TEST_CASE("a server shutting down is not held up by an idle stream, which reports the end") {
  auto server = StartWithSchema();
  StatusOr<ReplicationStream> stream = ReplicationStream::Open(server->ConnectionString());
  REQUIRE_OK(stream);
  StatusOr<CreatedSlot> slot = stream->CreateSlot("s");
  REQUIRE_OK(slot);
  REQUIRE_OK(stream->Start("s", slot->consistent_point, std::string(kSourcePublication)));
  // The walsender waits at shutdown until the receiver reports the server's
  // end of WAL; an idle follower does, so a fast stop ends well before the
  // test server's 60 s fallback to an immediate stop.
  const auto start = std::chrono::steady_clock::now();
  Status stopped;
  std::thread stopper([&] { stopped = server->Stop(PgServer::StopMode::kFast); });
  Status status;
  while (status.ok() && std::chrono::steady_clock::now() < start + 120s) {
    status = stream->Receive(1000ms).status();
  }
  stopper.join();
  CHECK_OK(stopped);
  CHECK(std::chrono::steady_clock::now() - start < 50s);
  CHECK(status.code() == ErrorCode::kIo);
}

TEST_CASE("no password appears in connection errors or in the described source") {
  auto server = StartWithSchema();
  REQUIRE_OK(PgConnection::Open(server->ConnectionString())
                 ->Exec("CREATE ROLE follower LOGIN REPLICATION PASSWORD 'Right-Pw-1'"));
  const std::string secret = "Wrong-Pw-9";
  // A URI and a key=value string, each naming a role that does not exist
  // and a password.
  for (const std::string& conninfo :
       {server->Uri() + "?user=nobody&password=" + secret,
        server->ConnectionString() + " user=nobody password=" + secret}) {
    CAPTURE(conninfo);
    StatusOr<PgConn> conn = PgConn::Connect(conninfo, /*replication=*/true);
    REQUIRE_FALSE(conn.ok());
    CHECK(conn.status().code() == ErrorCode::kIo);
    CHECK(conn.status().message().find(secret) == std::string::npos);
    CHECK(conn.status().message().find("nobody") != std::string::npos);
    StatusOr<std::string> described = DescribeSource(conninfo);
    REQUIRE_OK(described);
    CHECK(described->find(secret) == std::string::npos);
    CHECK(*described == "postgresql://nobody@" + server->socket_dir() + ":5432/postgres");
  }
  StatusOr<std::string> bad = DescribeSource("host=x password='" + secret);
  CHECK(bad.status().code() == ErrorCode::kInvalidArgument);
  CHECK(bad.status().message().find(secret) == std::string::npos);
}
