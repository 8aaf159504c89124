// `hubreg get TABLE KEY` (one record) and `hubreg inspect FILE | --data DIR`
// (what a snapshot file or data directory holds, as `pg_restore -l` and
// `mdb_stat` show theirs). Both read the stored rows without building the
// registry (hubreg/stored_registry.h).
#include <cstdio>
#include <optional>
#include <string>

#include "command_common.h"
#include "query_output.h"
#include "stored_queries.h"
#include "timestamp_text.h"

namespace hubreg::cli {
namespace {

using Json = nlohmann::ordered_json;

struct InspectArgs {
  std::string table;
  std::string key;
  std::string by;
  std::string app;
  bool include_secrets = false;
  std::string file;
  std::size_t limit = 20;
};

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "v1.0" for 100, "v1.2" for 102 (docs/storage.md).
std::string SchemaName(std::uint32_t schema_version) {
  return "v" + std::to_string(schema_version / 100) + "." + std::to_string(schema_version % 100);
}

unsigned long long Ull(std::uint64_t value) { return static_cast<unsigned long long>(value); }

void PrintRowCounts(const TableCounts& counts) {
  std::printf("rows:\n");
  std::printf("  threecolts_app           %zu\n", counts.apps);
  std::printf("  threecolts_organization  %zu\n", counts.organizations);
  std::printf("  client                   %zu\n", counts.clients);
  std::printf("  user                     %zu\n", counts.users);
  std::printf("  client_user              %zu\n", counts.links);
}

int RunGet(const Context& context, const InspectArgs& args) {
  StatusOr<StoredRegistry> stored = ReadStored(context);
  if (!stored.ok()) return Fail(stored.status());
  RecordKey key{args.table, args.key, args.by, std::nullopt};
  if (!args.app.empty()) key.app_key = args.app;
  StatusOr<QueryTable> record = GetRecord(*stored, key, args.include_secrets);
  if (!record.ok()) return Fail(record.status());
  const std::string text = context.json ? RenderJson(*record) : RenderTable(*record);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

int InspectFile(const Context& context, const std::string& file) {
  StatusOr<StoredRegistry> stored = ReadStoredSnapshotFile(file);
  if (!stored.ok()) return Fail(stored.status());
  const TableCounts& counts = stored->stats.counts;
  if (context.json) {
    Json out{{"file", file},
             {"format_version", stored->format_version},
             {"schema_version", stored->schema_version},
             {"sequence", stored->stats.last_sequence},
             {"bytes", stored->stats.snapshot_bytes},
             {"counts", CountsJson(counts)}};
    std::printf("%s\n", Dump(out).c_str());
    return kExitOk;
  }
  std::printf("snapshot file %s\n", file.c_str());
  std::printf("format:      version %u, schema %s (%u)\n", stored->format_version,
              SchemaName(stored->schema_version).c_str(), stored->schema_version);
  std::printf("sequence:    %llu\n", Ull(stored->stats.last_sequence));
  std::printf("size:        %s\n", ByteSize(stored->stats.snapshot_bytes).c_str());
  PrintRowCounts(counts);
  return kExitOk;
}

Json EntryJson(const JournalEntryInfo& entry) {
  Json out{{"sequence", entry.sequence}, {"entry_version", entry.entry_version}};
  out["committed_at"] =
      entry.entry_version == 1 ? Json(nullptr) : Json(FormatTimestampText(entry.committed_at));
  out["bytes"] = entry.bytes;
  out["mutations"] = entry.mutations;
  out["changes"] = entry.entry_version == 1 ? Json(nullptr) : Json(entry.changes);
  out["covered"] = entry.covered;
  return out;
}

int InspectDirectory(const Context& context, std::size_t limit) {
  // The rows first: the same checks and errors as every other reader.
  StatusOr<StoredRegistry> stored = ReadStored(context);
  if (!stored.ok()) return Fail(stored.status());
  StatusOr<DirectoryLayout> layout = InspectDataDirectory(context.data_dir, limit);
  if (!layout.ok()) return Fail(layout.status());
  const TableCounts& counts = stored->stats.counts;
  const std::uint64_t covered = layout->journal_entries - stored->stats.journal_batches;
  if (context.json) {
    Json entries = Json::array();
    for (const JournalEntryInfo& entry : layout->entries) entries.push_back(EntryJson(entry));
    Json out{{"data", context.data_dir},
             {"format_version", layout->format_version},
             {"schema_version", layout->schema_version},
             {"sequence", stored->stats.last_sequence},
             {"counts", CountsJson(counts)},
             {"snapshot",
              {{"sequence", layout->snapshot_sequence},
               {"bytes", layout->snapshot_bytes},
               {"chunks", layout->snapshot_chunks}}},
             {"journal",
              {{"entries", layout->journal_entries},
               {"covered", covered},
               {"bytes", layout->journal_bytes},
               {"listed", std::move(entries)}}},
             {"map",
              {{"size", layout->map_size},
               {"used", layout->map_used},
               {"page_size", layout->page_size},
               {"free_pages", layout->free_pages}}}};
    std::printf("%s\n", Dump(out).c_str());
    return kExitOk;
  }
  std::printf("data directory %s at sequence %llu\n", context.data_dir.c_str(),
              Ull(stored->stats.last_sequence));
  std::printf("format:      layout version %u, schema %s (%u)\n", layout->format_version,
              SchemaName(layout->schema_version).c_str(), layout->schema_version);
  PrintRowCounts(counts);
  std::printf("snapshot:    sequence %llu, %s in %u chunks\n", Ull(layout->snapshot_sequence),
              ByteSize(layout->snapshot_bytes).c_str(), layout->snapshot_chunks);
  std::printf("journal:     %llu entries (%llu covered by the snapshot), %s\n",
              Ull(layout->journal_entries), Ull(covered), ByteSize(layout->journal_bytes).c_str());
  std::printf("LMDB map:    %s used of %s, page size %llu, %llu free pages\n",
              ByteSize(layout->map_used).c_str(), ByteSize(layout->map_size).c_str(),
              Ull(layout->page_size), Ull(layout->free_pages));
  if (layout->entries.empty()) return kExitOk;
  if (layout->entries.size() < layout->journal_entries) {
    std::printf("newest %zu journal entries (--limit 0 lists all):\n", layout->entries.size());
  } else {
    std::printf("journal entries:\n");
  }
  QueryTable table{
      {"sequence", "committed_at", "bytes", "mutations", "changes", "covered"}, {}, false};
  for (const JournalEntryInfo& entry : layout->entries) {
    std::vector<Cell> row{entry.sequence};
    row.push_back(entry.entry_version == 1 ? Cell()
                                           : Cell(FormatTimestampText(entry.committed_at)));
    row.push_back(entry.bytes);
    row.push_back(entry.mutations);
    row.push_back(entry.entry_version == 1 ? Cell() : Cell(entry.changes));
    row.push_back(std::string(entry.covered ? "yes" : "no"));
    table.rows.push_back(std::move(row));
  }
  const std::string text = RenderTable(table);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace

void AddInspectCommands(CLI::App& app, Context& context) {
  auto args = std::make_shared<InspectArgs>();

  std::vector<std::string> tables;
  for (std::string_view table : RecordTables()) tables.emplace_back(table);
  CLI::App* get = app.add_subcommand("get", "Show one record by id, external id, email or app key");
  get->add_option("TABLE", args->table, "threecolts_app, threecolts_organization, client or user")
      ->required()
      ->check(CLI::IsMember(tables));
  get->add_option("KEY", args->key, "Id, external id, email (user) or app key (threecolts_app)")
      ->required();
  get->add_option("--by", args->by, "Only this kind of key")
      ->check(CLI::IsMember({"id", "external_id", "email", "app_key"}));
  get->add_option("--app", args->app, "App key, when an organization id is used in several apps");
  get->add_flag("--include-secrets", args->include_secrets, "Show db_password (hidden otherwise)");
  get->callback([&context, args] { context.exit_code = RunGet(context, *args); });

  CLI::App* inspect = app.add_subcommand(
      "inspect", "Show what a snapshot FILE or the data directory holds: versions, rows, journal");
  inspect->add_option("FILE", args->file, "Snapshot file (default: the data directory)");
  inspect->add_option("--limit", args->limit, "Journal entries to list, newest (0: all)")
      ->capture_default_str();
  inspect->callback([&context, args] {
    context.exit_code = args->file.empty() ? InspectDirectory(context, args->limit)
                                           : InspectFile(context, args->file);
  });
}

}  // namespace hubreg::cli
