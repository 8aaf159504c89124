// The follower's run loop: connect, check the schema, copy when there is no
// usable position, then stream: translate each source transaction and hand
// it to the GroupCommitter, which commits what has arrived in groups on its
// own thread while this one keeps receiving; confirm what is durable.
#include "hubreg/follower.h"

#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "change_translator.h"
#include "follow_state.h"
#include "group_committer.h"
#include "initial_copy.h"
#include "pgoutput.h"
#include "replication_stream.h"
#include "source_schema.h"

namespace hubreg {

using sync::PgConn;
using sync::ReplicationStream;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);

Timestamp Now() {
  return std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// SQLSTATEs with which a server refuses a slot that cannot serve the
// position any more: 55000 object_not_in_prerequisite_state (the slot was
// invalidated), 58P01 undefined_file (the WAL it needs was removed).
bool SlotCannotServe(const std::string& sqlstate) {
  return sqlstate == "55000" || sqlstate == "58P01";
}

// FollowerEvent, built field by field.
struct Event : FollowerEvent {
  explicit Event(FollowerEvent::Kind k) { kind = k; }
  Event& WithMessage(std::string text) {
    message = std::move(text);
    return *this;
  }
  Event& WithTable(std::string name) {
    table = std::move(name);
    return *this;
  }
  Event& WithRows(std::uint64_t n) {
    rows = n;
    return *this;
  }
  Event& WithTransactions(std::uint64_t n) {
    transactions = n;
    return *this;
  }
  Event& WithLsn(Lsn position) {
    lsn = position;
    return *this;
  }
};

// A failure of one attempt, and whether trying again later may help.
struct Attempt {
  Status status;
  bool retry = false;
  static Attempt Fatal(Status status) { return {std::move(status), false}; }
  static Attempt Retry(Status status) { return {std::move(status), true}; }
};

}  // namespace

std::chrono::microseconds FollowState::lag() const {
  if (commit_time == Timestamp{}) return std::chrono::microseconds(0);
  return std::chrono::duration_cast<std::chrono::microseconds>(applied_time - commit_time);
}

StatusOr<std::optional<FollowState>> ReadFollowState(const Store& store) {
  StatusOr<std::string> bytes = store.SourceState();
  if (!bytes.ok()) return bytes.status();
  return DecodeFollowState(*bytes);
}

StatusOr<std::optional<FollowState>> DecodeFollowState(std::string_view source_state) {
  if (source_state.empty()) return std::optional<FollowState>();
  StatusOr<FollowState> state = sync::DecodeFollowState(source_state);
  if (!state.ok()) return state.status();
  return std::optional<FollowState>(std::move(*state));
}

struct Follower::Impl {
  Store& store;
  FollowerOptions options;
  EventHandler on_event;
  std::string source;  // DescribeSource(conninfo)
  sync::SourceMapping mapping;
  // The current stream's; it keeps the rows of translated, unapplied batches.
  std::optional<sync::ChangeTranslator> translator;

  mutable std::mutex status_mutex;
  FollowerStatus status;

  Impl(Store& s, FollowerOptions o, EventHandler e)
      : store(s), options(std::move(o)), on_event(std::move(e)) {}

  void Emit(FollowerEvent event) const {
    if (on_event) on_event(event);
  }

  void SetStreaming(bool streaming) {
    std::lock_guard<std::mutex> lock(status_mutex);
    status.streaming = streaming;
  }

  void SetPosition(const FollowState& state) {
    std::lock_guard<std::mutex> lock(status_mutex);
    status.state = state;
  }

  void AddCommitted(const sync::CommitReport& report) {
    std::lock_guard<std::mutex> lock(status_mutex);
    status.state = report.last;
    status.transactions += report.transactions;
    status.groups += report.groups.size();
    status.largest_group = std::max(status.largest_group, report.largest_group);
  }

  void NoteTransactionBytes(std::uint64_t bytes) {
    std::lock_guard<std::mutex> lock(status_mutex);
    status.largest_transaction_bytes = std::max(status.largest_transaction_bytes, bytes);
  }

  void NotePeakBacklog(std::uint64_t bytes) {
    std::lock_guard<std::mutex> lock(status_mutex);
    status.peak_backlog_bytes = std::max(status.peak_backlog_bytes, bytes);
  }

  FollowState Position(Lsn lsn, Timestamp commit_time, const std::string& system_id) const {
    FollowState state;
    state.source = source;
    state.slot = options.slot;
    state.system_id = system_id;
    state.lsn = lsn;
    state.commit_time = commit_time;
    return state;
  }

  // The first copy: a new slot with an exported snapshot, the five tables
  // copied inside it, reconciled with the registry as one batch stored with
  // the slot's consistent point. Returns that position.
  StatusOr<Lsn> CopyFresh(ReplicationStream& stream, const std::string& system_id,
                          const std::string& why, Attempt* failure) {
    Emit(Event(FollowerEvent::Kind::kCopyStarted).WithMessage(why));
    StatusOr<std::optional<Lsn>> existing = stream.SlotPosition(options.slot);
    if (!existing.ok()) {
      *failure = Attempt::Fatal(existing.status());
      return existing.status();
    }
    if (existing->has_value()) {
      // A slot without a usable stored position (an interrupted first copy,
      // or one the server can no longer serve): its snapshot is gone.
      if (Status dropped = stream.DropSlot(options.slot); !dropped.ok()) {
        *failure = Attempt::Retry(dropped);
        return dropped;
      }
    }
    StatusOr<sync::CreatedSlot> slot = stream.CreateSlot(options.slot);
    if (!slot.ok()) {
      *failure = Attempt::Retry(slot.status());
      return slot.status();
    }
    StatusOr<PgConn> conn = PgConn::Connect(options.conninfo, /*replication=*/false);
    if (!conn.ok()) {
      *failure = Attempt::Retry(conn.status());
      return conn.status();
    }
    std::uint64_t copied = 0;
    StatusOr<RegistryRows> rows = sync::CopyTables(
        *conn, slot->snapshot_name, mapping, [&](std::string_view table, std::uint64_t table_rows) {
          Emit(Event(FollowerEvent::Kind::kCopyProgress)
                   .WithTable(std::string(table))
                   .WithRows(table_rows));
        });
    if (!rows.ok()) {
      // A value the registry cannot read is the source's fault; a lost
      // connection is not.
      *failure = rows.status().code() == ErrorCode::kIo ? Attempt::Retry(rows.status())
                                                        : Attempt::Fatal(rows.status());
      return rows.status();
    }
    copied = rows->apps.size() + rows->organizations.size() + rows->clients.size() +
             rows->users.size() + rows->links.size();
    StatusOr<Reconciliation> plan = [&] {
      View view = store.Read();
      return Reconcile(view, *rows, options.reconcile);
    }();
    if (!plan.ok()) {
      *failure =
          Attempt::Fatal(plan.status().WithContext("reconciling the registry with the copy"));
      return failure->status;
    }
    FollowState position = Position(slot->consistent_point, Timestamp{}, system_id);
    position.applied_time = Now();
    std::vector<Batch> batches = {std::move(plan->batch)};
    std::vector<std::string> states = {sync::EncodeFollowState(position)};
    Registry::GroupResult applied = store.ApplyGroup(batches, states);
    if (!applied.status.ok()) {
      *failure = Attempt::Fatal(applied.status.WithContext(
          "loading the copy of " + source + " taken at " + FormatLsn(slot->consistent_point)));
      return failure->status;
    }
    SetPosition(position);
    Emit(Event(FollowerEvent::Kind::kCopied).WithRows(copied).WithLsn(slot->consistent_point));
    return slot->consistent_point;
  }

  // Takes what the committer did since last asked: the translator forgets
  // the rows now in the registry, the status moves on, and (`confirm`: the
  // stream is still up) the durable position is confirmed. A rule broken by
  // a source transaction is fatal and names its LSN; the ones before it
  // stay applied.
  Attempt TakeCommitted(sync::GroupCommitter& committer, ReplicationStream& stream,
                        bool in_transaction, bool confirm) {
    sync::CommitReport report = committer.Take();
    if (report.transactions > 0) {
      translator->MarkApplied(report.last_number);
      AddCommitted(report);
      for (const sync::CommitReport::Group& group : report.groups) {
        Emit(Event(FollowerEvent::Kind::kApplied)
                 .WithTransactions(group.transactions)
                 .WithLsn(group.last));
      }
      // With nothing outstanding and no transaction open, everything
      // received is durable.
      const bool all = !in_transaction && committer.all_committed();
      if (confirm) {
        if (Status confirmed = stream.Confirm(report.last.lsn, all); !confirmed.ok()) {
          return Attempt::Retry(confirmed);
        }
      }
    }
    if (!report.status.ok()) {
      if (report.broken) {
        return Attempt::Fatal(report.status.WithContext(
            "source transaction committed at " + FormatLsn(report.broken->lsn) + " in " + source +
            " breaks the registry's rules; it is not applied nor confirmed"));
      }
      return Attempt::Fatal(report.status);
    }
    return {};
  }

  Attempt RunOnce(const std::stop_token& stop) {
    StatusOr<std::optional<FollowState>> stored = ReadFollowState(store);
    if (!stored.ok()) return Attempt::Fatal(stored.status());
    StatusOr<ReplicationStream> stream = ReplicationStream::Open(options.conninfo);
    if (!stream.ok()) return Attempt::Retry(stream.status());
    StatusOr<sync::SystemIdentity> identity = stream->IdentifySystem();
    if (!identity.ok()) return Attempt::Retry(identity.status());
    if (Status fits = sync::CheckSourceSchema(stream->conn(), sync::ChangeTranslator(mapping),
                                              options.publication);
        !fits.ok()) {
      return fits.code() == ErrorCode::kIo ? Attempt::Retry(fits) : Attempt::Fatal(fits);
    }

    // Where to stream from, or why a fresh copy is needed.
    std::string copy_reason;
    Lsn start = kInvalidLsn;
    if (!stored->has_value()) {
      copy_reason = "first start: copying the source";
    } else if ((*stored)->system_id != identity->system_id) {
      copy_reason = "the source is another PostgreSQL cluster (system " + identity->system_id +
                    ", the registry followed " + (*stored)->system_id +
                    "): starting again from a fresh copy";
    } else if ((*stored)->slot != options.slot) {
      copy_reason = "following slot " + options.slot + " instead of " + (*stored)->slot +
                    ": starting again from a fresh copy";
    } else {
      StatusOr<std::optional<Lsn>> slot = stream->SlotPosition(options.slot);
      if (!slot.ok()) {
        return slot.status().code() == ErrorCode::kIo ? Attempt::Retry(slot.status())
                                                      : Attempt::Fatal(slot.status());
      }
      if (!slot->has_value()) {
        copy_reason = "replication slot " + options.slot + " is gone from " + source +
                      ": starting again from a fresh copy";
      } else {
        start = (*stored)->lsn;
      }
    }
    Attempt failure;
    if (!copy_reason.empty()) {
      StatusOr<Lsn> copied = CopyFresh(*stream, identity->system_id, copy_reason, &failure);
      if (!copied.ok()) return failure;
      start = *copied;
    }
    Status started = stream->Start(options.slot, start, options.publication);
    if (!started.ok()) {
      if (SlotCannotServe(stream->conn().last_sqlstate())) {
        // Forget the position: the next attempt copies afresh.
        return RestartFromCopy(started);
      }
      return Attempt::Retry(started);
    }
    SetStreaming(true);
    Emit(Event(FollowerEvent::Kind::kConnected).WithLsn(start));
    Attempt outcome = Stream(*stream, start, identity->system_id, stop);
    SetStreaming(false);
    if (outcome.retry && SlotCannotServe(stream->conn().last_sqlstate())) {
      return RestartFromCopy(outcome.status);
    }
    return outcome;
  }

  // The slot cannot serve the stored position: drop it, so the next attempt
  // finds no slot, says so and copies afresh.
  Attempt RestartFromCopy(const Status& why) {
    StatusOr<ReplicationStream> other = ReplicationStream::Open(options.conninfo);
    if (other.ok()) (void)other->DropSlot(options.slot);
    return Attempt::Retry(why.WithContext("replication slot " + options.slot +
                                          " cannot serve the stored position; dropping it to "
                                          "start again from a fresh copy"));
  }

  Attempt Stream(ReplicationStream& stream, Lsn start, const std::string& system_id,
                 const std::stop_token& stop) {
    translator.emplace(mapping);
    sync::GroupCommitter committer(store, options.max_group);
    // Beyond this many transactions waiting to be committed, stop receiving
    // until the committer catches up (the server keeps the rest).
    const std::size_t backlog = 2 * std::max<std::size_t>(options.max_group, 1);
    const std::size_t backlog_bytes = std::max<std::size_t>(options.max_backlog_bytes, 1);
    Batch current;
    std::size_t current_bytes = 0;  // of the transaction being received
    bool in_transaction = false;
    bool skip = false;  // a transaction already applied before a restart
    Attempt outcome;
    while (!stop.stop_requested()) {
      if (Attempt taken = TakeCommitted(committer, stream, in_transaction, true);
          !taken.status.ok()) {
        outcome = std::move(taken);
        break;
      }
      StatusOr<std::optional<sync::WalData>> data = std::optional<sync::WalData>();
      if (committer.Full(backlog, backlog_bytes)) {
        committer.WaitBelow(backlog, backlog_bytes, kPollInterval);
      } else {
        data = stream.Receive(kPollInterval, committer.wake_fd());
      }
      if (!data.ok()) {
        outcome = Attempt::Retry(data.status());
        break;
      }
      if (!data->has_value()) {
        if (!in_transaction && committer.all_committed()) {
          if (Status confirmed = stream.Confirm(kInvalidLsn, /*all_durable=*/true);
              !confirmed.ok()) {
            outcome = Attempt::Retry(confirmed);
            break;
          }
        }
        if (Status due = stream.ConfirmIfDue(options.status_interval); !due.ok()) {
          outcome = Attempt::Retry(due);
          break;
        }
        continue;
      }
      current_bytes += (*data)->payload.size();
      StatusOr<sync::PgMessage> message = sync::DecodePgOutput((*data)->payload);
      if (!message.ok()) {
        outcome =
            Attempt::Fatal(message.status().WithContext("at " + FormatLsn((*data)->wal_start)));
        break;
      }
      if (auto* b = std::get_if<sync::PgBegin>(&*message)) {
        in_transaction = true;
        skip = b->final_lsn < start;
        current = Batch();
        current_bytes = (*data)->payload.size();
      } else if (auto* commit = std::get_if<sync::PgCommit>(&*message)) {
        in_transaction = false;
        if (!skip) {
          // The commit completes the batch: rows whose id changed are erased.
          Status completed = [&] {
            View view = store.Read();
            return translator->Translate(*message, view, &current);
          }();
          if (!completed.ok()) {
            outcome = Attempt::Fatal(completed);
            break;
          }
          NoteTransactionBytes(current_bytes);
          committer.Submit({std::move(current),
                            Position(commit->end_lsn, commit->commit_time, system_id),
                            translator->transactions(), current_bytes});
          NotePeakBacklog(committer.peak_bytes());
        }
        current = Batch();
        continue;
      }
      const bool change = std::holds_alternative<sync::PgInsert>(*message) ||
                          std::holds_alternative<sync::PgUpdate>(*message) ||
                          std::holds_alternative<sync::PgDelete>(*message) ||
                          std::holds_alternative<sync::PgTruncate>(*message);
      if (change && skip) continue;
      // The translator reads the registry plus what it translated and the
      // committer has not yet applied (MarkApplied).
      Status translated = [&] {
        View view = store.Read();
        return translator->Translate(*message, view, &current);
      }();
      if (!translated.ok()) {
        outcome = Attempt::Fatal(translated);
        break;
      }
    }
    // Stopping, failing or disconnected: what fully arrived is committed
    // (up to a transaction that breaks a rule) and, while the stream is up,
    // confirmed.
    committer.Drain();
    const bool connected = outcome.status.ok() || !outcome.retry;
    Attempt drained = TakeCommitted(committer, stream, in_transaction, connected);
    if (!drained.status.ok() && !drained.retry) return drained;
    if (!outcome.status.ok()) return outcome;
    if (!drained.status.ok()) return drained;
    (void)stream.Finish();
    return {};
  }
};

Follower::Follower(Store& store, FollowerOptions options, EventHandler on_event)
    : impl_(std::make_unique<Impl>(store, std::move(options), std::move(on_event))) {}

Follower::~Follower() = default;

Status Follower::Run(std::stop_token stop) {
  Impl& impl = *impl_;
  StatusOr<std::string> source = sync::DescribeSource(impl.options.conninfo);
  if (!source.ok()) return source.status();
  impl.source = *source;
  const SourceTables& tables = impl.options.tables;
  for (auto [table, name] :
       {std::pair{kAppTable, &tables.app}, std::pair{kOrganizationTable, &tables.organization},
        std::pair{kClientTable, &tables.client}, std::pair{kUserTable, &tables.user},
        std::pair{kClientUserTable, &tables.client_user}}) {
    HUBREG_RETURN_IF_ERROR(impl.mapping.Map(table, {tables.schema, *name}));
  }
  {
    StatusOr<std::optional<FollowState>> stored = ReadFollowState(impl.store);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) impl.SetPosition(**stored);
  }
  std::mutex mutex;
  std::condition_variable_any wake;
  auto backoff = impl.options.min_backoff;
  while (!stop.stop_requested()) {
    const std::uint64_t before = status().transactions;
    Attempt attempt = impl.RunOnce(stop);
    if (stop.stop_requested()) return attempt.retry ? Status::Ok() : attempt.status;
    if (attempt.status.ok()) continue;
    if (!attempt.retry) return attempt.status;
    if (status().transactions != before) backoff = impl.options.min_backoff;
    impl.Emit(Event(FollowerEvent::Kind::kDisconnected).WithMessage(attempt.status.ToString()));
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, impl.options.max_backoff);
  }
  return Status::Ok();
}

FollowerStatus Follower::status() const {
  std::lock_guard<std::mutex> lock(impl_->status_mutex);
  return impl_->status;
}

Status DropFollowerSlot(const std::string& conninfo, const std::string& slot) {
  StatusOr<ReplicationStream> stream = ReplicationStream::Open(conninfo);
  if (!stream.ok()) return stream.status();
  // An operator dropping the slot of a follower that still runs is told so
  // at once, rather than kept waiting until that follower stops.
  return stream->DropSlot(slot, /*wait_while_active=*/false);
}

}  // namespace hubreg
