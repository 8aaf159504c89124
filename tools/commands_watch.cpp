// `hubreg watch`: prints the change feed (docs/feed.md) of a data directory,
// one line per batch, until SIGINT or SIGTERM. It opens the directory
// read-only, so it runs beside the process that writes it.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "change_json.h"
#include "command_common.h"

namespace hubreg::cli {
namespace {

// The feed no longer holds the batch after the cursor (docs/cli.md, "watch").
constexpr int kExitResync = 3;

// How long one wait for the writer's next commit lasts before signals are
// checked again; bounds how long SIGINT or SIGTERM takes to end the command.
constexpr std::chrono::milliseconds kWaitSlice{50};

struct WatchArgs {
  std::optional<std::uint64_t> since;
  ChangeOutputOptions output;
};

bool SignalPending(const sigset_t& signals) {
  const timespec now{0, 0};
  return sigtimedwait(&signals, nullptr, &now) > 0;
}

// The batch after `after`, waiting for it (in slices of kWaitSlice) until it
// is committed or one of `signals` arrives (then nullopt).
StatusOr<std::optional<ChangeBatch>> NextBatch(const Store& store, std::uint64_t after,
                                               const sigset_t& signals) {
  for (;;) {
    StatusOr<std::optional<ChangeBatch>> next = store.Changes(after, kWaitSlice);
    if (!next.ok() || next->has_value()) return next;
    if (SignalPending(signals)) return std::optional<ChangeBatch>();
  }
}

void PrintLine(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
}

int RunWatch(const Context& context, const WatchArgs& args) {
  // SIGINT and SIGTERM are taken by sigtimedwait between batches, so a
  // signal ends the command after a whole line, never in the middle of one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  StatusOr<std::unique_ptr<Store>> store = OpenForReading(context);
  if (!store.ok()) return Fail(store.status());
  std::uint64_t after = args.since ? *args.since : (*store)->Read().sequence();
  for (;;) {
    StatusOr<std::optional<ChangeBatch>> next = NextBatch(**store, after, signals);
    if (!next.ok()) {
      if (next.status().code() != ErrorCode::kResyncRequired) {
        return Fail(next.status().WithContext("watching " + context.data_dir));
      }
      // A replaced data directory is read as of the last Refresh.
      const Status refreshed = (*store)->Refresh();
      if (!refreshed.ok()) return Fail(refreshed.WithContext("watching " + context.data_dir));
      const std::uint64_t restart = (*store)->Stats().snapshot_sequence;
      if (context.json) {
        PrintLine(RenderResyncJson(restart, next.status().message()));
      } else {
        PrintLine("resync required: " + next.status().message() + "\n");
      }
      return kExitResync;
    }
    if (!next->has_value()) break;  // a signal
    const ChangeBatch& batch = **next;
    PrintLine(context.json ? RenderBatchJson(batch, args.output)
                           : RenderBatchText(batch, args.output));
    after = batch.sequence;
    if (SignalPending(signals)) break;
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

void AddWatchCommand(CLI::App& app, Context& context) {
  auto args = std::make_shared<WatchArgs>();
  CLI::App* watch = app.add_subcommand(
      "watch", "Print each committed batch's changes until SIGINT/SIGTERM (docs/cli.md)");
  watch->add_option("--since", args->since,
                    "Start after this batch sequence (default: the latest, only new batches)");
  watch->add_flag("--access", args->output.include_access,
                  "Add the (user, account) pairs whose access changed and the accounts whose "
                  "connection details changed");
  watch->add_flag("--include-secrets", args->output.include_secrets,
                  "Show db_password (with --json; otherwise null)");
  watch->callback([&context, args] { context.exit_code = RunWatch(context, *args); });
}

}  // namespace hubreg::cli
