#include "importer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "csv_reader.h"

namespace hubreg::cli {
namespace {

namespace fs = std::filesystem;

StatusOr<std::string> ReadWholeFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Io(file.string() + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Io(file.string() + ": read error");
  return std::move(text).str();
}

// Parses a row into the table's vector, remembering where it came from.
class RowSink {
 public:
  RowSink(ImportedRows* out, std::vector<RowError>* errors) : out_(out), errors_(errors) {}

  void Add(Table table, const RawRow& raw, std::uint32_t file) {
    const RowOrigin origin{file, static_cast<std::uint32_t>(raw.line)};
    switch (table) {
      case Table::kApp:
        Keep(ParseApp(raw, errors_), out_->rows.apps, out_->app_origins, origin);
        break;
      case Table::kOrganization:
        Keep(ParseOrganization(raw, errors_), out_->rows.organizations, out_->organization_origins,
             origin);
        break;
      case Table::kClient:
        Keep(ParseClient(raw, errors_), out_->rows.clients, out_->client_origins, origin);
        break;
      case Table::kUser:
        Keep(ParseUser(raw, errors_), out_->rows.users, out_->user_origins, origin);
        break;
      case Table::kClientUser:
        Keep(ParseLink(raw, errors_), out_->rows.links, out_->link_origins, origin);
        break;
    }
  }

 private:
  template <typename Row>
  static void Keep(std::optional<Row> row, std::vector<Row>& rows, std::vector<RowOrigin>& origins,
                   RowOrigin origin) {
    if (!row) return;
    rows.push_back(std::move(*row));
    origins.push_back(origin);
  }

  ImportedRows* out_;
  std::vector<RowError>* errors_;
};

void ReportProgress(const ProgressFn& progress, std::uint64_t done, std::uint64_t total) {
  if (progress) progress(done, total);
}

constexpr std::size_t kProgressEvery = 1 << 14;  // rows between progress reports

// Checks a CSV header; returns false (after reporting) when rows cannot be read.
bool CheckHeader(Table table, const std::string& file, const std::vector<std::string>& header,
                 std::vector<RowError>* errors) {
  bool ok = true;
  const auto columns = ColumnsOf(table);
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (std::find(columns.begin(), columns.end(), name) == columns.end()) {
      errors->push_back({file, 1, name.empty() ? "field " + std::to_string(i + 1) : name,
                         "unknown column for table " + std::string(TableName(table))});
      ok = false;
    } else if (std::find(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(i), name) !=
               header.begin() + static_cast<std::ptrdiff_t>(i)) {
      errors->push_back({file, 1, name, "column appears twice"});
      ok = false;
    }
  }
  for (std::string_view column : columns) {
    if (!IsOptionalColumn(table, column) &&
        std::find(header.begin(), header.end(), column) == header.end()) {
      errors->push_back({file, 1, std::string(column), "missing from the header"});
      ok = false;
    }
  }
  return ok;
}

void ReadCsvFile(Table table, const std::string& name, std::string_view text, std::uint32_t file,
                 RowSink* sink, std::vector<RowError>* errors, const ProgressFn& progress,
                 std::uint64_t base, std::uint64_t total) {
  CsvReader reader(text);
  CsvRecord record;
  CsvError error;
  std::vector<std::string> header;
  bool have_header = false;
  std::size_t rows = 0;
  const auto field_name = [&](std::size_t field) {
    return field < header.size() ? header[field] : "field " + std::to_string(field + 1);
  };
  for (CsvStep step; (step = reader.Next(&record, &error)) != CsvStep::kEnd;) {
    if (step == CsvStep::kError) {
      errors->push_back(
          {name, error.line, have_header ? field_name(error.field) : "header", error.reason});
      if (!have_header) return;
      continue;
    }
    if (!have_header) {
      for (auto& field : record.fields) header.push_back(field.value_or(std::string()));
      have_header = true;
      if (!CheckHeader(table, name, header, errors)) return;
      continue;
    }
    if (record.fields.size() < header.size()) {
      errors->push_back({name, record.line, header[record.fields.size()],
                         "missing (the row has " + std::to_string(record.fields.size()) +
                             " fields, the header " + std::to_string(header.size()) + ")"});
      continue;
    }
    if (record.fields.size() > header.size()) {
      errors->push_back({name, record.line, field_name(header.size()),
                         "unexpected field (the row has " + std::to_string(record.fields.size()) +
                             " fields, the header " + std::to_string(header.size()) + ")"});
      continue;
    }
    RawRow raw{name, record.line, &header, std::move(record.fields)};
    sink->Add(table, raw, file);
    if (++rows % kProgressEvery == 0) ReportProgress(progress, base + reader.offset(), total);
  }
  if (!have_header)
    errors->push_back({name, 1, "header", "the file is empty (expected a header row)"});
}

// The parser's message without its "[json.exception.parse_error.101] " tag
// and its "line 1, " (each line is parsed alone; the file line is ours).
std::string JsonReason(const std::string& what) {
  const std::size_t tag_end = what.find("] ");
  std::string reason = tag_end == std::string::npos ? what : what.substr(tag_end + 2);
  const std::size_t line = reason.find("line 1, ");
  if (line != std::string::npos) reason.erase(line, 8);
  return reason;
}

void ReadJsonlFile(const std::string& name, std::string_view text, std::uint32_t file,
                   RowSink* sink, std::vector<RowError>* errors, const ProgressFn& progress,
                   std::uint64_t base, std::uint64_t total) {
  std::size_t pos = 0;
  std::size_t line = 0;
  std::size_t rows = 0;
  while (pos < text.size()) {
    ++line;
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view content = text.substr(pos, end - pos);
    pos = end + 1;
    if (content.ends_with('\r')) content.remove_suffix(1);
    if (content.find_first_not_of(" \t") == std::string_view::npos) continue;

    nlohmann::json object;
    try {
      object = nlohmann::json::parse(content);
    } catch (const nlohmann::json::exception& e) {
      errors->push_back({name, line, "json", JsonReason(e.what())});
      continue;
    }
    if (!object.is_object()) {
      errors->push_back({name, line, "json", "expected an object"});
      continue;
    }
    const auto table_it = object.find("table");
    if (table_it == object.end() || !table_it->is_string()) {
      errors->push_back({name, line, "table", "missing (a string naming the table)"});
      continue;
    }
    const auto table = TableByName(table_it->get<std::string>());
    if (!table) {
      errors->push_back(
          {name, line, "table", QuoteValue(table_it->get<std::string>()) + " is not a table"});
      continue;
    }
    const auto known = ColumnsOf(*table);
    std::vector<std::string> columns;
    RawRow raw{name, line, &columns, {}};
    bool ok = true;
    for (const auto& [key, value] : object.items()) {
      if (key == "table") continue;
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        errors->push_back(
            {name, line, key, "unknown column for table " + std::string(TableName(*table))});
        ok = false;
        continue;
      }
      columns.push_back(key);
      if (value.is_null()) {
        raw.values.emplace_back(std::nullopt);
      } else if (value.is_string()) {
        raw.values.emplace_back(value.get<std::string>());
      } else if (value.is_number_unsigned() || value.is_number_integer()) {
        raw.values.emplace_back(value.dump());
      } else {
        errors->push_back({name, line, key, "must be a string, an integer or null"});
        ok = false;
      }
    }
    if (!ok) continue;
    for (std::string_view column : known) {
      if (IsOptionalColumn(*table, column) &&
          std::find(columns.begin(), columns.end(), column) == columns.end()) {
        columns.emplace_back(column);
        raw.values.emplace_back(std::nullopt);
      }
    }
    sink->Add(*table, raw, file);
    if (++rows % kProgressEvery == 0) ReportProgress(progress, base + pos, total);
  }
}

struct InputFile {
  fs::path path;
  std::optional<Table> table;  // CSV only
};

StatusOr<std::vector<InputFile>> FindInputFiles(const std::string& path, DataFormat format) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Status::NotFound(path + ": no such file or directory");
  std::vector<InputFile> files;
  if (fs::is_directory(status)) {
    if (format == DataFormat::kCsv) {
      for (Table table : kAllTables) {
        fs::path file = fs::path(path) / (std::string(TableName(table)) + ".csv");
        if (fs::exists(file)) files.push_back({file, table});
      }
      if (files.empty()) {
        return Status::NotFound(path +
                                ": no table files (threecolts_app.csv, "
                                "threecolts_organization.csv, client.csv, user.csv, "
                                "client_user.csv)");
      }
    } else {
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.path().extension() == ".jsonl") files.push_back({entry.path(), std::nullopt});
      }
      if (ec) return Status::Io(path + ": " + ec.message());
      std::sort(files.begin(), files.end(),
                [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
      if (files.empty()) return Status::NotFound(path + ": no .jsonl files");
    }
    return files;
  }
  if (format == DataFormat::kCsv) {
    const auto table = TableByName(fs::path(path).stem().string());
    if (!table || fs::path(path).extension() != ".csv") {
      return Status::InvalidArgument(path +
                                     ": a CSV file must be named after its table (e.g. user.csv)");
    }
    files.push_back({path, table});
  } else {
    files.push_back({path, std::nullopt});
  }
  return files;
}

// Unique keys seen so far, with where each was first seen.
template <typename Key, typename Hash = std::hash<Key>>
using Seen = std::unordered_map<Key, RowOrigin, Hash>;

struct PairHash {
  std::size_t operator()(const std::pair<Id, Id>& p) const noexcept {
    return std::hash<Id>{}(p.first * 0x9E3779B97F4A7C15ull ^ p.second);
  }
};
struct AppKeyHash {
  std::size_t operator()(const std::pair<Id, std::string>& p) const noexcept {
    return std::hash<std::string>{}(p.second) ^ (p.first * 0x9E3779B97F4A7C15ull);
  }
};

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

class Checker {
 public:
  Checker(const ImportedRows& imported, std::vector<RowError>* errors)
      : imported_(imported), errors_(errors) {}

  void Error(RowOrigin origin, std::string column, std::string reason) {
    errors_->push_back(
        {imported_.files[origin.file], origin.line, std::move(column), std::move(reason)});
  }
  std::string Where(RowOrigin origin) const {
    return imported_.files[origin.file] + ":" + std::to_string(origin.line);
  }

  // Records `key`; reports and returns false when it was seen before.
  template <typename Map, typename Key>
  bool Unique(Map& seen, Key key, RowOrigin origin, const std::string& column,
              const std::string& shown) {
    const auto [it, inserted] = seen.emplace(std::move(key), origin);
    if (inserted) return true;
    Error(origin, column, shown + " is already used at " + Where(it->second));
    return false;
  }

 private:
  const ImportedRows& imported_;
  std::vector<RowError>* errors_;
};

}  // namespace

std::string_view FormatName(DataFormat format) {
  return format == DataFormat::kCsv ? "csv" : "jsonl";
}

std::string_view FileExtension(DataFormat format) {
  return format == DataFormat::kCsv ? ".csv" : ".jsonl";
}

Status ReadImport(const std::string& path, DataFormat format, ImportedRows* out,
                  std::vector<RowError>* errors, const ProgressFn& progress) {
  StatusOr<std::vector<InputFile>> files = FindInputFiles(path, format);
  if (!files.ok()) return files.status();
  std::uint64_t total = 0;
  for (const InputFile& file : *files) {
    std::error_code ec;
    total += fs::file_size(file.path, ec);
  }
  RowSink sink(out, errors);
  std::uint64_t done = 0;
  for (const InputFile& file : *files) {
    StatusOr<std::string> text = ReadWholeFile(file.path);
    if (!text.ok()) return text.status();
    const std::string name = file.path.filename().string();
    const auto index = static_cast<std::uint32_t>(out->files.size());
    out->files.push_back(name);
    if (format == DataFormat::kCsv) {
      ReadCsvFile(*file.table, name, *text, index, &sink, errors, progress, done, total);
    } else {
      ReadJsonlFile(name, *text, index, &sink, errors, progress, done, total);
    }
    done += text->size();
    ReportProgress(progress, done, total);
  }
  return Status::Ok();
}

void CheckImport(const ImportedRows& imported, const View& existing,
                 std::vector<RowError>* errors) {
  Checker check(imported, errors);
  const RegistryRows& rows = imported.rows;
  const auto id_text = [](Id id) { return std::to_string(id); };
  const auto in_registry = [](std::string shown) {
    return shown + " already exists in the registry";
  };

  std::unordered_set<Id> app_ids;
  {
    Seen<Id> ids;
    Seen<std::string> keys;
    for (std::size_t i = 0; i < rows.apps.size(); ++i) {
      const App& app = rows.apps[i];
      const RowOrigin at = imported.app_origins[i];
      if (existing.FindApp(app.id)) {
        check.Error(at, "id", in_registry(id_text(app.id)));
      } else {
        check.Unique(ids, app.id, at, "id", id_text(app.id));
      }
      if (existing.FindAppByKey(app.app_key)) {
        check.Error(at, "app_key", in_registry(QuoteValue(app.app_key)));
      } else {
        check.Unique(keys, app.app_key, at, "app_key", QuoteValue(app.app_key));
      }
      app_ids.insert(app.id);
    }
  }
  std::unordered_set<Id> user_ids;
  {
    Seen<Id> ids;
    Seen<std::string> external_ids, emails;
    for (std::size_t i = 0; i < rows.users.size(); ++i) {
      const User& user = rows.users[i];
      const RowOrigin at = imported.user_origins[i];
      if (existing.FindUser(user.id)) {
        check.Error(at, "id", in_registry(id_text(user.id)));
      } else {
        check.Unique(ids, user.id, at, "id", id_text(user.id));
      }
      if (existing.FindUserByExternalId(user.external_id)) {
        check.Error(at, "external_id", in_registry(QuoteValue(user.external_id)));
      } else {
        check.Unique(external_ids, user.external_id, at, "external_id",
                     QuoteValue(user.external_id));
      }
      if (existing.FindUserByEmail(user.email)) {
        check.Error(at, "email", in_registry(QuoteValue(user.email)));
      } else {
        check.Unique(emails, Lower(user.email), at, "email", QuoteValue(user.email));
      }
      user_ids.insert(user.id);
    }
  }
  const auto app_exists = [&](Id id) { return app_ids.count(id) || existing.FindApp(id); };
  const auto user_exists = [&](Id id) { return user_ids.count(id) || existing.FindUser(id); };
  const auto missing = [&](Id id, std::string_view table) {
    return id_text(id) + " does not exist in " + std::string(table);
  };

  std::unordered_set<Id> organization_ids;
  {
    Seen<Id> ids;
    Seen<std::pair<Id, std::string>, AppKeyHash> keys;
    for (std::size_t i = 0; i < rows.organizations.size(); ++i) {
      const Organization& org = rows.organizations[i];
      const RowOrigin at = imported.organization_origins[i];
      if (existing.FindOrganization(org.id)) {
        check.Error(at, "id", in_registry(id_text(org.id)));
      } else {
        check.Unique(ids, org.id, at, "id", id_text(org.id));
      }
      if (!app_exists(org.threecolts_app_id)) {
        check.Error(at, "threecolts_app_id", missing(org.threecolts_app_id, kAppTable));
      }
      if (!user_exists(org.organization_owner_id)) {
        check.Error(at, "organization_owner_id", missing(org.organization_owner_id, kUserTable));
      }
      if (existing.FindOrganizationByExternalId(org.threecolts_app_id, org.external_id)) {
        check.Error(at, "external_id",
                    in_registry(QuoteValue(org.external_id) + " in threecolts_app " +
                                id_text(org.threecolts_app_id)));
      } else {
        check.Unique(
            keys, std::make_pair(org.threecolts_app_id, org.external_id), at, "external_id",
            QuoteValue(org.external_id) + " in threecolts_app " + id_text(org.threecolts_app_id));
      }
      organization_ids.insert(org.id);
    }
  }
  std::unordered_set<Id> client_ids;
  {
    Seen<Id> ids;
    Seen<std::string> external_ids;
    for (std::size_t i = 0; i < rows.clients.size(); ++i) {
      const Client& client = rows.clients[i];
      const RowOrigin at = imported.client_origins[i];
      if (existing.FindClient(client.id)) {
        check.Error(at, "id", in_registry(id_text(client.id)));
      } else {
        check.Unique(ids, client.id, at, "id", id_text(client.id));
      }
      const Id org = client.threecolts_organization_id;
      if (org != kNoId && !organization_ids.count(org) && !existing.FindOrganization(org)) {
        check.Error(at, "threecolts_organization_id", missing(org, kOrganizationTable));
      }
      if (existing.FindClientByExternalId(client.external_id)) {
        check.Error(at, "external_id", in_registry(QuoteValue(client.external_id)));
      } else {
        check.Unique(external_ids, client.external_id, at, "external_id",
                     QuoteValue(client.external_id));
      }
      client_ids.insert(client.id);
    }
  }
  {
    Seen<std::pair<Id, Id>, PairHash> pairs;
    pairs.reserve(rows.links.size());
    for (std::size_t i = 0; i < rows.links.size(); ++i) {
      const ClientUserLink& link = rows.links[i];
      const RowOrigin at = imported.link_origins[i];
      const bool client_known =
          client_ids.count(link.client_id) || existing.FindClient(link.client_id);
      const bool user_known = user_exists(link.user_id);
      if (!client_known) check.Error(at, "client_id", missing(link.client_id, kClientTable));
      if (!user_known) check.Error(at, "user_id", missing(link.user_id, kUserTable));
      const std::string shown =
          "link (" + id_text(link.client_id) + ", " + id_text(link.user_id) + ")";
      if (existing.HasLink(link.client_id, link.user_id)) {
        check.Error(at, "user_id", in_registry(shown));
      } else {
        check.Unique(pairs, std::make_pair(link.client_id, link.user_id), at, "user_id", shown);
      }
    }
  }
}

void SortErrors(std::vector<RowError>* errors) {
  std::stable_sort(errors->begin(), errors->end(), [](const RowError& a, const RowError& b) {
    return std::tie(a.file, a.line) < std::tie(b.file, b.line);
  });
}

Batch MakeImportBatch(RegistryRows rows) {
  Batch batch;
  batch.mutations().reserve(rows.apps.size() + rows.users.size() + rows.organizations.size() +
                            rows.clients.size() + rows.links.size());
  for (App& row : rows.apps) batch.Insert(std::move(row));
  for (User& row : rows.users) batch.Insert(std::move(row));
  for (Organization& row : rows.organizations) batch.Insert(std::move(row));
  for (Client& row : rows.clients) batch.Insert(std::move(row));
  for (ClientUserLink& row : rows.links) batch.Insert(row);
  return batch;
}

}  // namespace hubreg::cli
