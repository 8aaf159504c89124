// `hubreg import` and `hubreg export`.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checked_export.h"
#include "command_common.h"
#include "exporter.h"
#include "importer.h"
#include "progress.h"

namespace hubreg::cli {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "2 apps, 3 organizations, ..., 8 links", or only `table`'s count.
std::string CountsText(const TableCounts& counts, std::optional<Table> table) {
  const std::pair<Table, std::string> parts[] = {
      {Table::kApp, std::to_string(counts.apps) + " apps"},
      {Table::kOrganization, std::to_string(counts.organizations) + " organizations"},
      {Table::kClient, std::to_string(counts.clients) + " clients"},
      {Table::kUser, std::to_string(counts.users) + " users"},
      {Table::kClientUser, std::to_string(counts.links) + " links"}};
  std::string text;
  for (const auto& [part_table, part] : parts) {
    if (table && part_table != *table) continue;
    text += (text.empty() ? "" : ", ") + part;
  }
  return text;
}

// CountsJson, or only `table`'s key.
nlohmann::ordered_json SelectedCountsJson(const TableCounts& counts, std::optional<Table> table) {
  nlohmann::ordered_json all = CountsJson(counts);
  if (!table) return all;
  const std::string name(TableName(*table));
  return {{name, all[name]}};
}

// The --table option's value: no table for "", else the table (the command
// line allows only table names).
std::optional<Table> SelectedTable(const std::string& name) {
  if (name.empty()) return std::nullopt;
  return TableByName(name);
}

int RunImport(const Context& context, const std::string& path, const std::string& format_name,
              std::optional<Table> table) {
  const auto start = std::chrono::steady_clock::now();
  const DataFormat format = DataFormatByName(format_name);
  // A data directory that does not exist yet is created only for a valid
  // import, so that a refused one leaves nothing behind.
  std::error_code ec;
  const bool exists = std::filesystem::exists(context.data_dir, ec);
  if (ec) return Fail(context.data_dir + ": cannot access the data directory: " + ec.message());
  StatusOr<std::unique_ptr<Store>> store = Status::NotFound("not opened yet");
  if (exists) {
    store = OpenForWriting(context);
    if (!store.ok()) return Fail(store.status());
  }

  StatusOr<ImportedRows> imported = [&] {
    if (exists) {
      // The view must be gone before Apply: a writer waits for older views.
      const View existing = (*store)->Read();
      return ReadCheckedExport(context, path, format, existing, "import", "imported", table);
    }
    const Registry empty;
    return ReadCheckedExport(context, path, format, empty.Read(), "import", "imported", table);
  }();
  if (!imported.ok()) return Fail(imported.status());

  const RegistryRows& rows = imported->rows;
  const TableCounts counts{rows.apps.size(), rows.organizations.size(), rows.clients.size(),
                           rows.users.size(), rows.links.size()};
  Batch batch = MakeImportBatch(std::move(imported->rows));
  if (!exists) {
    store = OpenForWriting(context);
    if (!store.ok()) return Fail(store.status());
  }
  if (!context.quiet && StderrIsTerminal()) {
    std::fprintf(stderr, "import: committing %zu rows as one batch...\n", batch.size());
  }
  StatusOr<CommitResult> committed = (*store)->Apply(batch);
  if (!committed.ok()) return Fail(committed.status().WithContext("importing " + path));
  // The import is durable either way; a failed automatic compaction only
  // means a longer journal until the next one, but an operator should know.
  const std::string compaction_error = (*store)->Stats().last_compaction_error;
  if (!compaction_error.empty()) {
    std::fprintf(stderr, "hubreg: warning: automatic compaction after the import failed: %s\n",
                 compaction_error.c_str());
  }
  const double seconds = SecondsSince(start);
  if (context.json) {
    nlohmann::ordered_json out{{"imported", SelectedCountsJson(counts, table)},
                               {"sequence", committed->sequence},
                               {"seconds", seconds}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("imported %s from %s (sequence %llu) in %.2f s\n",
                CountsText(counts, table).c_str(), path.c_str(),
                static_cast<unsigned long long>(committed->sequence), seconds);
  }
  return kExitOk;
}

int RunExport(const Context& context, const std::string& dir, const std::string& format_name,
              bool include_secrets, bool force, std::optional<Table> table) {
  const auto start = std::chrono::steady_clock::now();
  StatusOr<std::unique_ptr<Store>> store = OpenForReading(context);
  if (!store.ok()) return Fail(store.status());
  ExportOptions options;
  options.format = DataFormatByName(format_name);
  options.include_secrets = include_secrets;
  options.overwrite = force;
  options.table = table;
  StatusOr<ExportSummary> summary = [&] {
    Progress progress(stderr, StderrIsTerminal(), "export", "rows", !context.quiet);
    options.progress = [&](std::uint64_t done, std::uint64_t total) {
      progress.Update(done, total);
    };
    const View view = (*store)->Read();
    return Export(view, dir, options);
  }();
  if (!summary.ok()) return Fail(summary.status());
  const double seconds = SecondsSince(start);
  if (context.json) {
    nlohmann::ordered_json out{{"exported", SelectedCountsJson(summary->counts, table)},
                               {"files", summary->files},
                               {"include_secrets", include_secrets},
                               {"seconds", seconds}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("exported %s to %s (%s%s) in %.2f s\n", CountsText(summary->counts, table).c_str(),
                dir.c_str(), format_name.c_str(),
                include_secrets ? ", with passwords" : ", passwords left empty", seconds);
  }
  return kExitOk;
}

}  // namespace

void AddDataCommands(CLI::App& app, Context& context) {
  struct Args {
    std::string path;
    std::string format = "csv";
    bool include_secrets = false;
    bool force = false;
    std::string table;
  };
  auto args = std::make_shared<Args>();
  std::vector<std::string> table_names;
  for (Table table : kAllTables) table_names.emplace_back(TableName(table));

  CLI::App* import_command = app.add_subcommand(
      "import", "Load an export (CSV files named after the tables, or JSONL) as one atomic batch");
  import_command
      ->add_option("PATH", args->path, "Directory of <table>.csv files, one such file, or JSONL")
      ->required();
  import_command->add_option("--format", args->format, "Input format")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  import_command
      ->add_option("--table", args->table,
                   "Import only this table: its file in PATH, or PATH itself (any file name)")
      ->check(CLI::IsMember(table_names));
  import_command->callback([&context, args] {
    context.exit_code = RunImport(context, args->path, args->format, SelectedTable(args->table));
  });

  CLI::App* export_command = app.add_subcommand(
      "export", "Write every table (or one, --table) to DIR as <table>.csv (or .jsonl)");
  export_command->add_option("DIR", args->path, "Directory to write (created when missing)")
      ->required();
  export_command->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  export_command->add_flag("--include-secrets", args->include_secrets,
                           "Write db_password (otherwise left empty)");
  export_command->add_flag("--force", args->force, "Overwrite table files already in DIR");
  export_command->add_option("--table", args->table, "Write only this table's file")
      ->check(CLI::IsMember(table_names));
  export_command->callback([&context, args] {
    context.exit_code = RunExport(context, args->path, args->format, args->include_secrets,
                                  args->force, SelectedTable(args->table));
  });
}

}  // namespace hubreg::cli
