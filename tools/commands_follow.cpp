// `hubreg follow`: keeps the registry equal to hub_alpha's PostgreSQL through
// logical replication until SIGINT or SIGTERM; `--drop-slot` removes the
// follower's replication slot from the source. The work is the Follower's.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <thread>

#include "command_common.h"
#include "hubreg/follower.h"
#include "progress.h"

namespace hubreg::cli {
namespace {

struct FollowArgs {
  std::string source;
  std::string publication = FollowerOptions{}.publication;
  std::string slot = FollowerOptions{}.slot;
  SourceTables tables;
  double max_delete_ratio = ReconcileOptions{}.max_delete_ratio;
  bool force = false;
  bool drop_slot = false;
  double lock_wait_seconds = 10;
};

// One line per event on stdout, flushed at once: what the follower did, for
// a log or a supervising process. The copy's progress bar goes to stderr.
class EventPrinter {
 public:
  explicit EventPrinter(const Context& context) : context_(context) {}

  void operator()(const FollowerEvent& event) {
    using Kind = FollowerEvent::Kind;
    switch (event.kind) {
      case Kind::kConnected:
        Line("streaming from " + FormatLsn(event.lsn));
        break;
      case Kind::kCopyStarted:
        Line("copy: " + event.message);
        break;
      case Kind::kCopyProgress:
        if (!context_.quiet) {
          if (!progress_ || table_ != event.table) {
            progress_.reset();
            table_ = event.table;
            progress_.emplace(stderr, StderrIsTerminal(), "copy " + table_, "rows");
          }
          progress_->Update(event.rows, 0);
        }
        break;
      case Kind::kCopied:
        progress_.reset();
        Line("copied " + std::to_string(event.rows) + " rows at " + FormatLsn(event.lsn));
        break;
      case Kind::kApplied:
        Line("applied " + std::to_string(event.transactions) + " transactions up to " +
             FormatLsn(event.lsn));
        break;
      case Kind::kDisconnected:
        Line("disconnected: " + event.message + "; reconnecting");
        break;
    }
  }

 private:
  void Line(const std::string& text) {
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  }
  const Context& context_;
  std::optional<Progress> progress_;
  std::string table_;
};

int RunFollow(const Context& context, const FollowArgs& args) {
  if (args.drop_slot) {
    const Status dropped = DropFollowerSlot(args.source, args.slot);
    if (!dropped.ok()) return Fail(dropped.WithContext("dropping replication slot " + args.slot));
    std::printf("dropped replication slot %s\n", args.slot.c_str());
    return kExitOk;
  }
  // SIGINT and SIGTERM are taken by this thread (sigtimedwait), never by
  // the follower's: a signal asks the follower to stop cleanly. Blocked
  // before the store opens, so that one sent while it waits for the writer
  // lock is taken afterwards, and the threads the store starts inherit the
  // mask (one handed to a thread that did not block it would end the process).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A follower restarted at once after being killed may find the killed
  // one's process still holding the data directory for a moment.
  StatusOr<std::unique_ptr<Store>> store = OpenForWriting(
      context, std::chrono::milliseconds(std::llround(args.lock_wait_seconds * 1000)),
      Compaction::kInBackground);
  if (!store.ok()) return Fail(store.status());
  FollowerOptions options;
  options.conninfo = args.source;
  options.publication = args.publication;
  options.slot = args.slot;
  options.tables = args.tables;
  options.reconcile.max_delete_ratio = args.max_delete_ratio;
  options.reconcile.force = args.force;
  EventPrinter printer(context);
  Follower follower(**store, options, std::ref(printer));

  Status result;
  std::atomic<bool> finished{false};
  std::jthread thread([&](std::stop_token stop) {
    result = follower.Run(stop);
    finished = true;
  });
  const timespec tick{0, 100'000'000};
  while (!finished) {
    if (sigtimedwait(&signals, nullptr, &tick) > 0) {
      thread.request_stop();
      break;
    }
  }
  thread.join();
  if (!result.ok()) return Fail(result);
  std::printf("stopped at %s\n", FormatLsn(follower.status().state.lsn).c_str());
  return kExitOk;
}

}  // namespace

void AddFollowCommand(CLI::App& app, Context& context) {
  auto args = std::make_shared<FollowArgs>();
  CLI::App* follow = app.add_subcommand(
      "follow",
      "Follow hub_alpha's PostgreSQL by logical replication until SIGINT/SIGTERM (docs/sync.md)");
  follow
      ->add_option("SOURCE", args->source,
                   "libpq connection URI or key=value string, e.g. postgresql://USER@HOST/DB")
      ->required();
  follow->add_option("--publication", args->publication, "Publication on the five tables")
      ->capture_default_str();
  follow->add_option("--slot", args->slot, "This follower's replication slot")
      ->capture_default_str();
  follow->add_option("--schema", args->tables.schema, "Source schema of the tables")
      ->capture_default_str();
  follow->add_option("--app-table", args->tables.app)->capture_default_str();
  follow->add_option("--organization-table", args->tables.organization)->capture_default_str();
  follow->add_option("--client-table", args->tables.client)->capture_default_str();
  follow->add_option("--user-table", args->tables.user)->capture_default_str();
  follow->add_option("--client-user-table", args->tables.client_user)->capture_default_str();
  follow
      ->add_option("--max-delete-ratio", args->max_delete_ratio,
                   "First copy into a non-empty registry: refuse to delete more than this share "
                   "of a table")
      ->capture_default_str();
  follow->add_flag("--force", args->force, "First copy: delete beyond --max-delete-ratio");
  follow
      ->add_option("--lock-wait", args->lock_wait_seconds,
                   "Seconds to wait for another process holding the data directory for writing")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  follow->add_flag("--drop-slot", args->drop_slot,
                   "Drop the replication slot from the source instead of following");
  follow->callback([&context, args] { context.exit_code = RunFollow(context, *args); });
}

}  // namespace hubreg::cli
