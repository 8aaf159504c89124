#include "replication_stream.h"

#include <poll.h>

#include <boost/endian/conversion.hpp>
#include <cstring>

#include "sql_quote.h"

namespace hubreg::sync {
namespace {

constexpr std::int64_t kPgEpochUnixMicros = 946'684'800'000'000;

std::uint64_t ReadBig64(const char* bytes) {
  std::uint64_t value;
  std::memcpy(&value, bytes, sizeof value);
  return boost::endian::big_to_native(value);
}

void AppendBig64(std::string& out, std::uint64_t value) {
  value = boost::endian::native_to_big(value);
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

struct CopyBuffer {
  char* data = nullptr;
  ~CopyBuffer() {
    if (data != nullptr) PQfreemem(data);
  }
};

}  // namespace

std::int64_t PgNowMicros() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(now).count() - kPgEpochUnixMicros;
}

StatusOr<ReplicationStream> ReplicationStream::Open(const std::string& conninfo) {
  StatusOr<PgConn> conn = PgConn::Connect(conninfo, /*replication=*/true);
  if (!conn.ok()) return conn.status();
  return ReplicationStream(std::move(*conn));
}

StatusOr<SystemIdentity> ReplicationStream::IdentifySystem() {
  StatusOr<PgResult> result = conn_.Exec("IDENTIFY_SYSTEM", PGRES_TUPLES_OK, "IDENTIFY_SYSTEM");
  if (!result.ok()) return result.status();
  if (result->rows() != 1 || result->columns() < 3) {
    return Status::Io("IDENTIFY_SYSTEM: unexpected answer of " + std::to_string(result->rows()) +
                      " rows and " + std::to_string(result->columns()) + " columns");
  }
  SystemIdentity identity;
  identity.system_id = std::string(result->Value(0, 0));
  identity.timeline = std::atoi(std::string(result->Value(0, 1)).c_str());
  std::optional<Lsn> position = ParseLsn(result->Value(0, 2));
  if (!position) return Status::Io("IDENTIFY_SYSTEM: unreadable WAL position");
  identity.wal_position = *position;
  return identity;
}

StatusOr<CreatedSlot> ReplicationStream::CreateSlot(const std::string& slot) {
  StatusOr<PgResult> result = conn_.Exec(
      "CREATE_REPLICATION_SLOT " + QuoteIdentifier(slot) + " LOGICAL pgoutput EXPORT_SNAPSHOT",
      PGRES_TUPLES_OK, "creating replication slot " + slot);
  if (!result.ok()) return result.status();
  const int point = result->Column("consistent_point");
  const int snapshot = result->Column("snapshot_name");
  if (result->rows() != 1 || point < 0 || snapshot < 0) {
    return Status::Io("creating replication slot " + slot + ": unexpected answer");
  }
  CreatedSlot created;
  std::optional<Lsn> lsn = ParseLsn(result->Value(0, point));
  if (!lsn) return Status::Io("creating replication slot " + slot + ": unreadable position");
  created.consistent_point = *lsn;
  created.snapshot_name = std::string(result->Value(0, snapshot));
  return created;
}

Status ReplicationStream::DropSlot(const std::string& slot, bool wait_while_active) {
  StatusOr<std::optional<Lsn>> exists = SlotPosition(slot);
  if (!exists.ok()) return exists.status();
  if (!exists->has_value()) return Status::NotFound("replication slot " + slot + " does not exist");
  return conn_
      .Exec("DROP_REPLICATION_SLOT " + QuoteIdentifier(slot) + (wait_while_active ? " WAIT" : ""),
            PGRES_COMMAND_OK, "dropping replication slot " + slot)
      .status();
}

StatusOr<std::optional<Lsn>> ReplicationStream::SlotPosition(const std::string& slot) {
  StatusOr<PgResult> result = conn_.Exec(
      "SELECT slot_type, plugin, database = current_database(), confirmed_flush_lsn "
      "FROM pg_catalog.pg_replication_slots WHERE slot_name = " +
          QuoteLiteral(slot),
      PGRES_TUPLES_OK, "looking up replication slot " + slot);
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return std::optional<Lsn>();
  if (result->Value(0, 0) != "logical" || result->Value(0, 1) != "pgoutput" ||
      result->Value(0, 2) != "t") {
    return Status::InvalidArgument("replication slot " + slot +
                                   " exists but is not a logical pgoutput slot of this database");
  }
  std::optional<Lsn> lsn =
      result->IsNull(0, 3) ? std::optional<Lsn>(kInvalidLsn) : ParseLsn(result->Value(0, 3));
  if (!lsn) return Status::Io("replication slot " + slot + ": unreadable position");
  return std::optional<Lsn>(*lsn);
}

Status ReplicationStream::Start(const std::string& slot, Lsn start,
                                const std::string& publication) {
  const std::string command = "START_REPLICATION SLOT " + QuoteIdentifier(slot) + " LOGICAL " +
                              FormatLsn(start) + " (\"proto_version\" '1', \"publication_names\" " +
                              QuoteLiteral(QuoteIdentifier(publication)) + ")";
  StatusOr<PgResult> result =
      conn_.Exec(command, PGRES_COPY_BOTH, "starting replication from slot " + slot);
  if (!result.ok()) return result.status();
  streaming_ = true;
  confirmed_ = start;
  server_wal_end_ = start;
  last_status_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status ReplicationStream::HandleKeepalive(std::string_view message) {
  // 'k', Int64 WAL end, Int64 send time, Byte1 reply requested.
  if (message.size() < 18) return Status::Io("replication stream: short keepalive message");
  server_wal_end_ = std::max(server_wal_end_, ReadBig64(message.data() + 1));
  if (message[17] != 0) return SendStatus(/*reply_requested=*/false);
  return Status::Ok();
}

StatusOr<std::optional<WalData>> ReplicationStream::Receive(std::chrono::milliseconds timeout,
                                                            int wake_fd) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  PGconn* conn = conn_.get();
  bool polled = false;
  for (;;) {
    CopyBuffer buffer;
    const int length = PQgetCopyData(conn, &buffer.data, /*async=*/1);
    if (length > 0) {
      std::string_view message(buffer.data, static_cast<std::size_t>(length));
      if (message[0] == 'k') {
        HUBREG_RETURN_IF_ERROR(HandleKeepalive(message));
        continue;
      }
      if (message[0] != 'w' || message.size() < 25) {
        return Status::Io("replication stream: unexpected message of type " +
                          std::to_string(static_cast<int>(message[0])));
      }
      // 'w', Int64 start, Int64 WAL end, Int64 send time, then the data.
      WalData data;
      data.wal_start = ReadBig64(message.data() + 1);
      data.wal_end = ReadBig64(message.data() + 9);
      data.payload = std::string(message.substr(25));
      server_wal_end_ = std::max(server_wal_end_, data.wal_end);
      received_unconfirmed_ = true;
      return std::optional<WalData>(std::move(data));
    }
    if (length == -1) {
      streaming_ = false;
      PgResult end(PQgetResult(conn));
      conn_.NoteFailure(end.get());
      const char* text = end.get() != nullptr ? PQresultErrorMessage(end.get()) : "";
      return Status::Io("replication stream ended by the server" +
                        (text != nullptr && *text != '\0' ? ": " + conn_.Redact(text) : ""));
    }
    if (length == -2) return conn_.Error("replication stream");
    // Nothing buffered: look at the socket at least once, even with no time
    // left, so that a zero timeout still picks up what has arrived.
    const auto left = deadline - std::chrono::steady_clock::now();
    if (polled && left <= std::chrono::steady_clock::duration::zero()) {
      return std::optional<WalData>();
    }
    polled = true;
    pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int wait_ms = static_cast<int>(
        std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
    const int ready = ::poll(fds, wake_fd >= 0 ? 2 : 1, wait_ms);
    if (ready < 0 && errno != EINTR) return Status::Io("replication stream: poll failed");
    if (ready > 0 && fds[0].revents != 0 && PQconsumeInput(conn) == 0) {
      return conn_.Error("replication stream");
    }
    if (ready > 0 && fds[1].revents != 0) return std::optional<WalData>();
  }
}

Status ReplicationStream::SendStatus(bool reply_requested) {
  const Lsn position = reported();
  std::string message = "r";
  AppendBig64(message, position);  // written
  AppendBig64(message, position);  // flushed
  AppendBig64(message, position);  // applied
  AppendBig64(message, static_cast<std::uint64_t>(PgNowMicros()));
  message += reply_requested ? '\1' : '\0';
  if (PQputCopyData(conn_.get(), message.data(), static_cast<int>(message.size())) != 1 ||
      PQflush(conn_.get()) != 0) {
    return conn_.Error("sending a standby status update");
  }
  last_status_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status ReplicationStream::Confirm(Lsn durable, bool all_durable) {
  const Lsn before = reported();
  confirmed_ = std::max(confirmed_, durable);
  if (all_durable) received_unconfirmed_ = false;
  if (reported() == before) return Status::Ok();
  return SendStatus(/*reply_requested=*/false);
}

Status ReplicationStream::ConfirmIfDue(std::chrono::milliseconds interval) {
  if (std::chrono::steady_clock::now() - last_status_ < interval) return Status::Ok();
  return SendStatus(/*reply_requested=*/false);
}

Status ReplicationStream::Finish() {
  if (!streaming_) return Status::Ok();
  streaming_ = false;
  if (PQputCopyEnd(conn_.get(), nullptr) != 1 || PQflush(conn_.get()) != 0) {
    return conn_.Error("ending the replication stream");
  }
  // Drain what the server still sends until it ends the copy and the command.
  for (;;) {
    CopyBuffer buffer;
    const int length = PQgetCopyData(conn_.get(), &buffer.data, /*async=*/0);
    if (length < 0) break;
  }
  while (PGresult* result = PQgetResult(conn_.get())) PQclear(result);
  return Status::Ok();
}

}  // namespace hubreg::sync
