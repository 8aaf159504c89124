// Follows hub_alpha's PostgreSQL through logical replication (pgoutput) and
// keeps a Store equal to it: a first copy of the five tables inside the
// replication slot's exported snapshot, then every source transaction as one
// hubreg batch, grouped into durable LMDB commits with the source position
// (Store::ApplyGroup). See docs/sync.md.
//
//   hubreg::FollowerOptions options;
//   options.conninfo = "postgresql://hubreg@db.internal/hub_alpha";
//   hubreg::Follower follower(*store, options);
//   std::jthread thread([&](std::stop_token stop) { status = follower.Run(stop); });
//
// Exactly once: a position is confirmed to the server only after the
// transactions before it are durable in LMDB, and a restarted follower skips
// whatever the server sends again up to the stored position.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "hubreg/lsn.h"
#include "hubreg/model.h"
#include "hubreg/reconcile.h"
#include "hubreg/status.h"
#include "hubreg/store.h"

namespace hubreg {

// Where the source keeps the five tables, for a source that names them
// otherwise. Column names are those of hubreg's export.
struct SourceTables {
  std::string schema = "public";
  std::string app = "threecolts_app";
  std::string organization = "threecolts_organization";
  std::string client = "client";
  std::string user = "user";
  std::string client_user = "client_user";
};

struct FollowerOptions {
  // A libpq URI or key=value string. It may hold a password: no message,
  // status or stored state ever contains it.
  std::string conninfo;
  std::string publication = "hubreg";
  std::string slot = "hubreg";
  SourceTables tables;
  // Applied when a first copy meets a data directory that already holds a
  // registry (see Reconcile): the delete guard.
  ReconcileOptions reconcile;
  // Source transactions grouped into one LMDB commit, at most. A group
  // holds what arrived while the previous one committed; the follower stops
  // receiving while twice this many wait to be committed.
  std::size_t max_group = 4096;
  // The follower also stops receiving while the transactions waiting to be
  // committed weigh this many bytes (of pgoutput messages) or more, so its
  // memory stays bounded when the source sends large transactions. One
  // transaction larger than this is still received and applied (alone).
  std::size_t max_backlog_bytes = std::size_t{64} << 20;
  // Reconnecting after a lost connection waits min_backoff, doubling up to
  // max_backoff while attempts keep failing.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{30'000};
  // A status update goes to the server at least this often.
  std::chrono::milliseconds status_interval{5'000};
};

// What the follower is doing, for a progress display or a log.
struct FollowerEvent {
  enum class Kind {
    kConnected,     // streaming from `lsn`
    kCopyStarted,   // `message` says why a copy is needed
    kCopyProgress,  // `table`, `rows` copied so far in it
    kCopied,        // the copy is in the registry, at `lsn`; `rows` in all
    kApplied,       // a group committed: `transactions`, the last at `lsn`
    kDisconnected,  // `message`: why; reconnecting after a backoff
  };
  Kind kind = Kind::kConnected;
  std::string message;
  std::string table;
  std::uint64_t rows = 0;
  std::uint64_t transactions = 0;
  Lsn lsn = kInvalidLsn;
};

// The follower's position as stored with the registry (any process can read
// it: a read-only Store sees the writer's latest).
struct FollowState {
  std::string source;  // "postgresql://USER@HOST:PORT/DB", no password
  std::string slot;
  std::string system_id;     // the source cluster's identifier
  Lsn lsn = kInvalidLsn;     // the end of the last applied source transaction
  Timestamp commit_time{};   // its commit time at the source (0 for a first copy)
  Timestamp applied_time{};  // when it became durable here
  // How long the last applied transaction took from its source commit to
  // being durable here (0 for a first copy).
  std::chrono::microseconds lag() const;
};

// The stored position, or nullopt when the directory was never followed.
// kCorruption when the stored state cannot be read.
StatusOr<std::optional<FollowState>> ReadFollowState(const Store& store);
// The same from the bytes Store::SourceState returned (or
// StoredRegistry::source_state).
StatusOr<std::optional<FollowState>> DecodeFollowState(std::string_view source_state);

struct FollowerStatus {
  FollowState state;
  bool streaming = false;
  std::uint64_t transactions = 0;  // applied since Run began
  // The durable LMDB commits that applied them (transactions / groups is
  // the mean group size), and the most transactions one of them held.
  std::uint64_t groups = 0;
  std::uint64_t largest_group = 0;
  // The most bytes (of pgoutput messages) the transactions waiting to be
  // committed held at once, at most max_backlog_bytes plus one transaction,
  // and the largest transaction received. Both since Run began.
  std::uint64_t peak_backlog_bytes = 0;
  std::uint64_t largest_transaction_bytes = 0;
};

class Follower {
 public:
  using EventHandler = std::function<void(const FollowerEvent&)>;

  // REQUIRES: `store` is writable and outlives the follower, and nothing
  // else applies batches to it while Run runs.
  Follower(Store& store, FollowerOptions options, EventHandler on_event = {});
  ~Follower();
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Follows until `stop` is requested (then applies what has fully arrived,
  // confirms it, ends the stream and returns OK) or until something it must
  // not retry happens: the source breaks the registry's rules (the error
  // names table, key and LSN; everything before it stays applied and that
  // transaction is not confirmed), the source schema does not fit (the
  // exact difference), a first copy fails the delete guard, or the store
  // fails. Lost connections and server restarts are retried with backoff;
  // a slot that is gone or that can no longer serve the stored position
  // leads to a fresh copy, reconciled with the registry, never to skipping.
  Status Run(std::stop_token stop);

  // The current position and whether a stream is up. Any thread.
  FollowerStatus status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Drops the follower's replication slot on the source, so the server stops
// keeping WAL for it. kNotFound when there is no such slot; kIo while a
// follower is still streaming from it.
Status DropFollowerSlot(const std::string& conninfo, const std::string& slot);

}  // namespace hubreg
