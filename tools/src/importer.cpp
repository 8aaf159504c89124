#include "importer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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

void ReadCsvText(Table table, const std::string& name, std::string_view text, ImportedRows* out,
                 std::vector<RowError>* errors) {
  RowSink sink(out, errors);
  const auto index = static_cast<std::uint32_t>(out->files.size());
  out->files.push_back(name);
  ReadCsvFile(table, name, text, index, &sink, errors, {}, 0, text.size());
}

void ReadJsonlText(const std::string& name, std::string_view text, ImportedRows* out,
                   std::vector<RowError>* errors) {
  RowSink sink(out, errors);
  const auto index = static_cast<std::uint32_t>(out->files.size());
  out->files.push_back(name);
  ReadJsonlFile(name, text, index, &sink, errors, {}, 0, text.size());
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
