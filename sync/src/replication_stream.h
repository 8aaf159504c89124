// Internal: a logical replication connection speaking PostgreSQL's streaming
// replication protocol (docs: "Streaming Replication Protocol"):
// IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT ... LOGICAL pgoutput,
// START_REPLICATION ... LOGICAL with pgoutput's options, then the CopyBoth
// loop: XLogData ('w') handed to the caller, keepalives ('k') answered here
// with a standby status update ('r') when the server asks for one.
//
// A status update confirms only Confirm()'s position: the caller confirms
// what is durable, never what has merely arrived.
//
// Thread safety: one thread at a time.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "hubreg/lsn.h"
#include "hubreg/status.h"
#include "pg_conn.h"

namespace hubreg::sync {

struct SystemIdentity {
  std::string system_id;  // the cluster's identifier (it changes when the server is rebuilt)
  int timeline = 0;
  Lsn wal_position = kInvalidLsn;  // the server's current WAL flush position
};

struct CreatedSlot {
  Lsn consistent_point = kInvalidLsn;  // streaming from here follows the snapshot exactly
  std::string snapshot_name;           // for SET TRANSACTION SNAPSHOT, while this connection idles
};

// One XLogData message: a pgoutput message and where it lies in the WAL.
struct WalData {
  Lsn wal_start = kInvalidLsn;
  Lsn wal_end = kInvalidLsn;
  std::string payload;
};

class ReplicationStream {
 public:
  static StatusOr<ReplicationStream> Open(const std::string& conninfo);

  StatusOr<SystemIdentity> IdentifySystem();
  // CREATE_REPLICATION_SLOT name LOGICAL pgoutput EXPORT_SNAPSHOT. The
  // snapshot lives until this connection runs its next command.
  StatusOr<CreatedSlot> CreateSlot(const std::string& slot);
  // DROP_REPLICATION_SLOT name, with WAIT when `wait_while_active`: the
  // server then waits until no walsender uses the slot (one just terminated
  // may hold it a moment longer); without, a slot in use is refused at once
  // (kIo naming the process using it). kNotFound when there is no such slot.
  Status DropSlot(const std::string& slot, bool wait_while_active = true);
  // The slot's confirmed position, or nullopt when the slot does not exist
  // (a query on pg_replication_slots; kInvalidArgument when it exists but is
  // not a logical pgoutput slot of this database).
  StatusOr<std::optional<Lsn>> SlotPosition(const std::string& slot);

  // START_REPLICATION SLOT slot LOGICAL start (proto_version '1',
  // publication_names 'publication'). `start` is also the first confirmed
  // position.
  Status Start(const std::string& slot, Lsn start, const std::string& publication);

  // Waits up to `timeout` for the next XLogData and returns it, or nullopt
  // when none came in time or `wake_fd` (when not -1) polls readable first.
  // Keepalives are handled meanwhile. kIo when the connection is lost or the
  // server ends the stream (the message says which and what the server said).
  StatusOr<std::optional<WalData>> Receive(std::chrono::milliseconds timeout, int wake_fd = -1);

  // Sets the position reported as written, flushed and applied from now on,
  // and sends a status update when it moved on. With `all_durable` the
  // caller also says that everything received so far is durable (nothing
  // pending, no transaction open): until the next XLogData arrives, status
  // updates then report the server's WAL end instead, as PostgreSQL's own
  // subscribers do, so the slot moves past transactions the publication
  // filters out and a server shutting down need not wait for us.
  Status Confirm(Lsn durable, bool all_durable);
  // Sends a status update if none was sent for `interval` (the server times
  // out a receiver that stays silent for wal_sender_timeout).
  Status ConfirmIfDue(std::chrono::milliseconds interval);

  // The end of the WAL the server had sent when it last said so (XLogData or
  // keepalive): every transaction committed before it has been received.
  Lsn server_wal_end() const { return server_wal_end_; }
  // The position status updates report now.
  Lsn reported() const {
    return received_unconfirmed_ ? confirmed_ : std::max(confirmed_, server_wal_end_);
  }

  // Ends the stream cleanly (CopyDone) and waits for the server's end.
  Status Finish();

  PgConn& conn() { return conn_; }

 private:
  explicit ReplicationStream(PgConn conn) : conn_(std::move(conn)) {}
  Status SendStatus(bool reply_requested);
  Status HandleKeepalive(std::string_view message);

  PgConn conn_;
  bool streaming_ = false;
  Lsn confirmed_ = kInvalidLsn;
  bool received_unconfirmed_ = false;  // XLogData arrived since the last Confirm(_, true)
  Lsn server_wal_end_ = kInvalidLsn;
  std::chrono::steady_clock::time_point last_status_{};
};

// PostgreSQL's timestamps on the wire: microseconds since 2000-01-01 UTC.
std::int64_t PgNowMicros();

}  // namespace hubreg::sync
