// `hubreg snapshot save|compact`, `restore`, `verify` and `stats`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

#include "command_common.h"
#include "hubreg/follower.h"
#include "hubreg/metrics.h"
#include "process_memory.h"
#include "supervisor.h"
#include "timestamp_text.h"

namespace hubreg::cli {
namespace {

void PrintCounts(const TableCounts& counts) {
  std::printf("  threecolts_app           %zu\n", counts.apps);
  std::printf("  threecolts_organization  %zu\n", counts.organizations);
  std::printf("  client                   %zu\n", counts.clients);
  std::printf("  user                     %zu\n", counts.users);
  std::printf("  client_user              %zu\n", counts.links);
}

int RunSnapshotSave(const Context& context, const std::string& file) {
  StatusOr<std::unique_ptr<Store>> store = OpenForReading(context);
  if (!store.ok()) return Fail(store.status());
  const Status saved = (*store)->SaveSnapshotFile(file);
  if (!saved.ok()) return Fail(saved);
  StatusOr<SnapshotFileInfo> info = VerifySnapshotFile(file);
  if (!info.ok()) return Fail(info.status().WithContext("checking the saved snapshot"));
  if (context.json) {
    nlohmann::ordered_json out{{"file", file},
                               {"sequence", info->sequence},
                               {"bytes", info->file_bytes},
                               {"counts", CountsJson(info->counts)}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("saved snapshot %s: sequence %llu, %s\n", file.c_str(),
                static_cast<unsigned long long>(info->sequence),
                ByteSize(info->file_bytes).c_str());
  }
  return kExitOk;
}

int RunCompact(const Context& context) {
  if (const Status path = CheckDataDirectoryPath(context.data_dir); !path.ok()) return Fail(path);
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(context.data_dir, ec);
  if (ec && status.type() != std::filesystem::file_type::not_found) {
    return Fail(context.data_dir + ": cannot access the data directory: " + ec.message());
  }
  if (!std::filesystem::is_directory(status)) return Fail("no registry in " + context.data_dir);
  StatusOr<std::unique_ptr<Store>> store = OpenForWriting(context);
  if (!store.ok()) return Fail(store.status());
  const Status compacted = (*store)->Compact();
  if (!compacted.ok()) return Fail(compacted);
  const StoreStats stats = (*store)->Stats();
  if (context.json) {
    nlohmann::ordered_json out{{"snapshot_sequence", stats.snapshot_sequence},
                               {"snapshot_bytes", stats.snapshot_bytes},
                               {"journal_batches", stats.journal_batches}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("compacted %s: snapshot at sequence %llu (%s), journal %llu batches\n",
                context.data_dir.c_str(), static_cast<unsigned long long>(stats.snapshot_sequence),
                ByteSize(stats.snapshot_bytes).c_str(),
                static_cast<unsigned long long>(stats.journal_batches));
  }
  return kExitOk;
}

int RunRestore(const Context& context, const std::string& file, bool force) {
  const auto start = std::chrono::steady_clock::now();
  if (!context.quiet && StderrIsTerminal()) {
    std::fprintf(stderr, "restore: loading %s into %s...\n", file.c_str(),
                 context.data_dir.c_str());
  }
  StoreOptions target;
  target.path = context.data_dir;
  std::uint64_t sequence = 0;  // above the replaced registry's (docs/storage.md, "Restoring")
  const Status restored = RestoreSnapshotFile(file, target, force, &sequence);
  if (!restored.ok()) {
    if (restored.message().find("already holds data") != std::string::npos) {
      return Fail(context.data_dir + " already holds a registry; pass --force to replace it");
    }
    return Fail(restored);
  }
  StatusOr<SnapshotFileInfo> info = VerifySnapshotFile(file);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (context.json) {
    nlohmann::ordered_json out{{"file", file}, {"data", context.data_dir}, {"seconds", seconds}};
    if (info.ok()) {
      out["sequence"] = sequence;
      out["counts"] = CountsJson(info->counts);
    }
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("restored %s into %s", file.c_str(), context.data_dir.c_str());
    if (info.ok()) {
      std::printf(" (sequence %llu, %zu users, %zu clients, %zu links)",
                  static_cast<unsigned long long>(sequence), info->counts.users,
                  info->counts.clients, info->counts.links);
    }
    std::printf(" in %.2f s\n", seconds);
  }
  return kExitOk;
}

// Opens the data directory for writing, accepting a rolled-back journal:
// what data.mdb holds becomes the state later opens are checked against.
Status AcceptRollback(const Context& context) {
  NoteDataDirectoryInUse(context.data_dir);
  StoreOptions options;
  options.path = context.data_dir;
  options.create_if_missing = false;
  options.accept_rollback = true;
  StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  return store.ok() ? Status::Ok() : store.status();
}

int RunVerify(const Context& context, const std::string& file, bool accept_rollback) {
  if (accept_rollback && !file.empty()) {
    return Fail("--accept-rollback applies to the data directory, not to a snapshot file");
  }
  if (accept_rollback) {
    const Status accepted = AcceptRollback(context);
    if (!accepted.ok()) return Fail(accepted.WithContext("verifying " + context.data_dir));
  }
  if (!file.empty()) {
    StatusOr<SnapshotFileInfo> info = VerifySnapshotFile(file);
    if (!info.ok()) return Fail(info.status());  // the message names the file
    if (context.json) {
      nlohmann::ordered_json out{{"ok", true},
                                 {"file", file},
                                 {"format_version", info->format_version},
                                 {"schema_version", info->schema_version},
                                 {"sequence", info->sequence},
                                 {"bytes", info->file_bytes},
                                 {"counts", CountsJson(info->counts)}};
      std::printf("%s\n",
                  out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::printf(
          "%s: ok (format %u, schema %u, sequence %llu, %zu users, %zu clients, %zu links)\n",
          file.c_str(), info->format_version, info->schema_version,
          static_cast<unsigned long long>(info->sequence), info->counts.users, info->counts.clients,
          info->counts.links);
    }
    return kExitOk;
  }
  StatusOr<std::unique_ptr<Store>> store = OpenForReading(context);
  if (!store.ok()) return Fail(store.status().WithContext("verifying " + context.data_dir));
  const Status verified = (*store)->Verify();
  if (!verified.ok()) return Fail(verified.WithContext("verifying " + context.data_dir));
  const StoreStats stats = (*store)->Stats();
  if (context.json) {
    nlohmann::ordered_json out{{"ok", true},
                               {"data", context.data_dir},
                               {"sequence", stats.last_sequence},
                               {"counts", CountsJson(stats.counts)}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("%s: ok (sequence %llu, %zu users, %zu clients, %zu links)\n",
                context.data_dir.c_str(), static_cast<unsigned long long>(stats.last_sequence),
                stats.counts.users, stats.counts.clients, stats.counts.links);
  }
  return kExitOk;
}

// The followed source (docs/sync.md), or null when the registry follows none.
nlohmann::ordered_json FollowJson(const std::optional<FollowState>& state) {
  if (!state) return nullptr;
  nlohmann::ordered_json out{{"source", state->source},
                             {"slot", state->slot},
                             {"last_applied_lsn", FormatLsn(state->lsn)}};
  out["source_commit_time"] = state->commit_time == Timestamp{}
                                  ? nlohmann::ordered_json(nullptr)
                                  : nlohmann::ordered_json(FormatTimestampText(state->commit_time));
  out["applied_time"] = FormatTimestampText(state->applied_time);
  out["lag_seconds"] = std::chrono::duration<double>(state->lag()).count();
  return out;
}

// Every StoreStats field (StoreStatsFields), under its own name.
nlohmann::ordered_json StatsJson(const StoreStats& stats) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const StatsField& field : StoreStatsFields()) {
    std::visit(
        [&](const auto& value) {
          if constexpr (std::is_same_v<std::decay_t<decltype(value)>, const TableCounts*>) {
            out[std::string(field.name)] = CountsJson(*value);
          } else {
            out[std::string(field.name)] = value;
          }
        },
        field.get(stats));
  }
  return out;
}

int RunStats(const Context& context, const std::string& format) {
  StatusOr<StoredRegistry> stored = ReadStored(context);
  if (!stored.ok()) return Fail(stored.status());
  const StoreStats stats = std::move(stored->stats);
  if (format == "prometheus") {
    const std::string text = RenderPrometheus(stats, "hubreg", context.data_dir);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  StatusOr<std::optional<FollowState>> follow = DecodeFollowState(stored->source_state);
  if (!follow.ok()) return Fail(follow.status());
  stored = StoredRegistry();
  ProcessMemory memory = ReadProcessMemory();
  // The command's peak, as `time -v` counts it: the supervising parent's too
  // (under AddressSanitizer its start-up alone outweighs a small registry).
  memory.peak_bytes = std::max(memory.peak_bytes, SupervisorPeakBytes());
  if (context.json || format == "json") {
    nlohmann::ordered_json out{{"data", context.data_dir}};
    out.update(StatsJson(stats));
    out["rss_bytes"] = memory.rss_bytes;
    out["peak_rss_bytes"] = memory.peak_bytes;
    out["follow"] = FollowJson(*follow);
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("registry %s at sequence %llu\n", context.data_dir.c_str(),
              static_cast<unsigned long long>(stats.last_sequence));
  std::printf("rows:\n");
  PrintCounts(stats.counts);
  std::printf("snapshot:    sequence %llu, %s\n",
              static_cast<unsigned long long>(stats.snapshot_sequence),
              ByteSize(stats.snapshot_bytes).c_str());
  std::printf("journal:     %llu batches, %s\n",
              static_cast<unsigned long long>(stats.journal_batches),
              ByteSize(stats.journal_bytes).c_str());
  std::printf("LMDB map:    %s used of %s\n", ByteSize(stats.map_used).c_str(),
              ByteSize(stats.map_size).c_str());
  std::printf("open time:   %.3f s\n", stats.open_seconds);
  if (!stats.last_compaction_error.empty()) {
    std::printf("compaction:  the last automatic compaction failed: %s\n",
                stats.last_compaction_error.c_str());
  }
  std::printf("memory:      %s resident (peak %s)\n", ByteSize(memory.rss_bytes).c_str(),
              ByteSize(memory.peak_bytes).c_str());
  if (follow->has_value()) {
    const FollowState& state = **follow;
    std::printf("follows:     %s, slot %s\n", state.source.c_str(), state.slot.c_str());
    std::printf("applied:     up to LSN %s, source commit %s, applied %s, lag %.3f s\n",
                FormatLsn(state.lsn).c_str(),
                state.commit_time == Timestamp{} ? "- (first copy)"
                                                 : FormatTimestampText(state.commit_time).c_str(),
                FormatTimestampText(state.applied_time).c_str(),
                std::chrono::duration<double>(state.lag()).count());
  }
  return kExitOk;
}

}  // namespace

void AddSnapshotCommands(CLI::App& app, Context& context) {
  struct Args {
    std::string file;
    bool force = false;
    bool accept_rollback = false;
    std::string format = "text";
  };
  auto args = std::make_shared<Args>();

  CLI::App* snapshot =
      app.add_subcommand("snapshot", "Save a snapshot file, or compact the journal");
  snapshot->require_subcommand(1);
  CLI::App* save = snapshot->add_subcommand("save", "Write a standalone snapshot file (a backup)");
  save->add_option("FILE", args->file, "Snapshot file to write")->required();
  save->callback([&context, args] { context.exit_code = RunSnapshotSave(context, args->file); });
  snapshot->add_subcommand("compact", "Fold the journal into a new snapshot in the data directory")
      ->callback([&context] { context.exit_code = RunCompact(context); });

  CLI::App* restore = app.add_subcommand(
      "restore", "Load a snapshot file into an empty data directory (--force to replace one)");
  restore->add_option("FILE", args->file, "Snapshot file to load")->required();
  restore->add_flag("--force", args->force, "Replace the registry already in the data directory");
  restore->callback(
      [&context, args] { context.exit_code = RunRestore(context, args->file, args->force); });

  CLI::App* verify = app.add_subcommand(
      "verify", "Check a snapshot FILE, or the data directory: checksums, integrity, indexes");
  verify->add_option("FILE", args->file, "Snapshot file (default: the data directory)");
  verify->add_flag("--accept-rollback", args->accept_rollback,
                   "Accept that the data directory lost acknowledged batches (see docs/cli.md)");
  verify->callback([&context, args] {
    context.exit_code = RunVerify(context, args->file, args->accept_rollback);
  });

  CLI::App* stats =
      app.add_subcommand("stats", "Rows per table, snapshot and journal sizes, memory, open time");
  stats->add_option("--format", args->format, "text, json (as --json) or prometheus")
      ->check(CLI::IsMember({"text", "json", "prometheus"}))
      ->capture_default_str();
  stats->callback([&context, args] { context.exit_code = RunStats(context, args->format); });
}

}  // namespace hubreg::cli
