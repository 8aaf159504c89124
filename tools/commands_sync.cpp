// `hubreg sync`: makes the registry hold exactly the rows of a full export.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "checked_export.h"
#include "command_common.h"
#include "hubreg/reconcile.h"

namespace hubreg::cli {
namespace {

struct SyncArgs {
  std::string path;
  std::string format = "csv";
  bool dry_run = false;
  double max_delete_ratio = ReconcileOptions{}.max_delete_ratio;
  bool force = false;
};

nlohmann::ordered_json KeyJson(std::string_view table, const RowKey& key) {
  if (table == kClientUserTable) return {{"client_id", key.id}, {"user_id", key.user_id}};
  return {{"id", key.id}, {table == kAppTable ? "app_key" : "external_id", key.external_id}};
}

nlohmann::ordered_json KeysJson(std::string_view table, const std::vector<RowKey>& keys) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const RowKey& key : keys) out.push_back(KeyJson(table, key));
  return out;
}

nlohmann::ordered_json ChangesJson(const Reconciliation& plan) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::object();
  for (const TableChanges& t : plan.tables) {
    tables[std::string(t.table)] = {{"inserted", t.inserted.size()},
                                    {"updated", t.updated.size()},
                                    {"deleted", t.deleted.size()},
                                    {"keys",
                                     {{"inserted", KeysJson(t.table, t.inserted)},
                                      {"updated", KeysJson(t.table, t.updated)},
                                      {"deleted", KeysJson(t.table, t.deleted)}}}};
  }
  return tables;
}

void PrintChangesTable(const Reconciliation& plan) {
  std::printf("%-24s %9s %9s %9s %9s\n", "table", "rows", "insert", "update", "delete");
  for (const TableChanges& t : plan.tables) {
    std::printf("%-24.*s %9zu %9zu %9zu %9zu\n", static_cast<int>(t.table.size()), t.table.data(),
                t.before, t.inserted.size(), t.updated.size(), t.deleted.size());
  }
}

std::size_t ChangedRows(const Reconciliation& plan) {
  std::size_t total = 0;
  for (const TableChanges& t : plan.tables) {
    total += t.inserted.size() + t.updated.size() + t.deleted.size();
  }
  return total;
}

void PrintJson(const nlohmann::ordered_json& out) {
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

int RunSync(const Context& context, const SyncArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const DataFormat format = DataFormatByName(args.format);
  // A directory that does not exist yet is treated as an empty registry and
  // created only when there is something to write.
  std::error_code ec;
  const bool exists = std::filesystem::exists(context.data_dir, ec);
  StatusOr<std::unique_ptr<Store>> store = Status::NotFound("not opened yet");
  if (exists) {
    store = args.dry_run ? OpenForReading(context) : OpenForWriting(context);
    if (!store.ok()) return Fail(store.status());
  }

  // The export is the whole source: its rows are checked among themselves,
  // not against the registry they replace.
  const Registry empty;
  StatusOr<ImportedRows> imported =
      ReadCheckedExport(context, args.path, format, empty.Read(), "sync", "changed");
  if (!imported.ok()) return Fail(imported.status());

  StatusOr<Reconciliation> planned = [&] {
    // The view must be gone before Apply: a writer waits for older views.
    const View current = exists ? (*store)->Read() : empty.Read();
    return Reconcile(current, imported->rows, {.force = true});
  }();
  if (!planned.ok()) return Fail(planned.status());
  Reconciliation& plan = *planned;
  const Status guard = args.force ? Status::Ok() : CheckDeleteRatio(plan, args.max_delete_ratio);
  const std::uint64_t sequence_before = exists ? (*store)->Stats().last_sequence : 0;

  if (args.dry_run) {
    if (context.json) {
      PrintJson({{"dry_run", true},
                 {"changes", ChangesJson(plan)},
                 {"changed_rows", ChangedRows(plan)},
                 {"sequence", sequence_before},
                 {"refused", guard.ok() ? nlohmann::ordered_json()
                                        : nlohmann::ordered_json(guard.message())}});
    } else {
      PrintChangesTable(plan);
      std::printf("dry run: %zu rows would change; nothing was written\n", ChangedRows(plan));
    }
    return guard.ok() ? kExitOk : Fail(guard);
  }
  if (!guard.ok()) return Fail(guard);

  std::uint64_t sequence = sequence_before;
  if (!plan.batch.empty()) {
    if (!exists) {
      store = OpenForWriting(context);
      if (!store.ok()) return Fail(store.status());
    }
    StatusOr<CommitResult> committed = (*store)->Apply(plan.batch);
    if (!committed.ok()) return Fail(committed.status().WithContext("syncing " + args.path));
    sequence = committed->sequence;
    const std::string compaction_error = (*store)->Stats().last_compaction_error;
    if (!compaction_error.empty()) {
      std::fprintf(stderr, "hubreg: warning: automatic compaction after the sync failed: %s\n",
                   compaction_error.c_str());
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (context.json) {
    PrintJson({{"dry_run", false},
               {"changes", ChangesJson(plan)},
               {"changed_rows", ChangedRows(plan)},
               {"written", !plan.batch.empty()},
               {"sequence", sequence},
               {"seconds", seconds}});
  } else if (plan.batch.empty()) {
    std::printf("nothing to change: the registry already holds %s (sequence %llu)\n",
                args.path.c_str(), static_cast<unsigned long long>(sequence));
  } else {
    PrintChangesTable(plan);
    std::printf("synced %zu rows from %s as one batch (sequence %llu) in %.2f s\n",
                ChangedRows(plan), args.path.c_str(), static_cast<unsigned long long>(sequence),
                seconds);
  }
  return kExitOk;
}

}  // namespace

void AddSyncCommand(CLI::App& app, Context& context) {
  auto args = std::make_shared<SyncArgs>();
  CLI::App* sync = app.add_subcommand(
      "sync", "Make the registry hold exactly the rows of a full export, as one atomic batch");
  sync->add_option("PATH", args->path, "Directory of <table>.csv files, one such file, or JSONL")
      ->required();
  sync->add_option("--format", args->format, "Input format")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  sync->add_flag("--dry-run", args->dry_run,
                 "Print what would be inserted, updated and deleted; write nothing");
  sync->add_option("--max-delete-ratio", args->max_delete_ratio,
                   "Refuse to delete more than this share of any table")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sync->add_flag("--force", args->force, "Delete more than --max-delete-ratio allows");
  sync->callback([&context, args] { context.exit_code = RunSync(context, *args); });
}

}  // namespace hubreg::cli
