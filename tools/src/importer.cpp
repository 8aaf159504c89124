#include "importer.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "csv_reader.h"
#include "input_files.h"

namespace hubreg::cli {
namespace {

namespace fs = std::filesystem;

// Parses a row into the table's vector, remembering where it came from.
class RowSink {
 public:
  RowSink(ImportedRows* out, std::vector<RowError>* errors) : out_(out), errors_(errors) {}

  void Add(Table table, const RawRow& raw, std::uint32_t file) {
    const RowOrigin origin{file, static_cast<std::uint32_t>(raw.line)};
    switch (table) {
      case Table::kApp:
        Keep(ParseRow<App>(raw, errors_), out_->rows.apps, out_->app_origins, origin);
        break;
      case Table::kOrganization:
        Keep(ParseRow<Organization>(raw, errors_), out_->rows.organizations,
             out_->organization_origins, origin);
        break;
      case Table::kClient:
        Keep(ParseRow<Client>(raw, errors_), out_->rows.clients, out_->client_origins, origin);
        break;
      case Table::kUser:
        Keep(ParseRow<User>(raw, errors_), out_->rows.users, out_->user_origins, origin);
        break;
      case Table::kClientUser:
        Keep(ParseRow<ClientUserLink>(raw, errors_), out_->rows.links, out_->link_origins, origin);
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

// A header field for a message: quoted and cut short, or by position where
// the table holds a secret (a file without a header has data there).
std::string HeaderFieldName(Table table, const std::string& name, std::size_t index) {
  if (name.empty() || HoldsSecret(table)) return "field " + std::to_string(index + 1);
  return QuoteForMessage(name, 40);
}

// Checks a CSV header; returns false (after reporting) when rows cannot be read.
bool CheckHeader(Table table, const std::string& file, const std::vector<std::string>& header,
                 std::vector<RowError>* errors) {
  const auto columns = ColumnsOf(table);
  const auto known = [&](const std::string& name) { return FindColumn(columns, name).has_value(); };
  if (std::none_of(header.begin(), header.end(), known)) {
    std::string expected;
    for (const ColumnInfo& column : columns) {
      expected += (expected.empty() ? "" : ",") + std::string(column.name);
    }
    errors->push_back({file, 1, "header",
                       "the first line names no column of table " + std::string(TableName(table)) +
                           " (expected a header such as " + expected +
                           "; COPY ... CSV HEADER writes one)"});
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (!known(name)) {
      errors->push_back({file, 1, HeaderFieldName(table, name, i),
                         "unknown column for table " + std::string(TableName(table))});
      ok = false;
    } else if (std::find(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(i), name) !=
               header.begin() + static_cast<std::ptrdiff_t>(i)) {
      errors->push_back({file, 1, name, "column appears twice"});
      ok = false;
    }
  }
  for (const ColumnInfo& column : columns) {
    if (!column.optional() &&
        std::find(header.begin(), header.end(), column.name) == header.end()) {
      errors->push_back({file, 1, std::string(column.name), "missing from the header"});
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

// What nlohmann's parser says it expected: one of its token names.
bool IsTokenName(std::string_view text) {
  static constexpr std::string_view kNames[] = {"true literal",
                                                "false literal",
                                                "null literal",
                                                "string literal",
                                                "number literal",
                                                "'['",
                                                "'{'",
                                                "']'",
                                                "'}'",
                                                "':'",
                                                "','",
                                                "end of input",
                                                "'[', '{', or a literal"};
  return std::find(std::begin(kNames), std::end(kNames), text) != std::end(kNames);
}

// Why a line is not JSON: the byte where the parser stopped and its reason,
// never what it read. nlohmann's messages quote the input ("; last read:
// '<input>'"), and a string with a control byte names that byte, so a
// password with a tab in it would be shown; only fixed words are kept.
std::string JsonReason(const nlohmann::json::exception& e) {
  std::string what = e.what();
  if (const std::size_t tag_end = what.find("] "); tag_end != std::string::npos) {
    what.erase(0, tag_end + 2);
  }
  const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e);
  if (parse == nullptr) return "not valid JSON";
  // "parse error at line 1, column 3: syntax error while parsing ... - <why>"
  std::string rest = what.substr(std::min(what.size(), what.find(": ") + 2));
  std::string reason = rest.substr(0, rest.find("; last read: "));
  if (reason.size() < rest.size()) {
    const std::size_t expected = rest.rfind("; expected ");
    if (expected != std::string::npos &&
        IsTokenName(std::string_view(rest).substr(expected + 11))) {
      reason += rest.substr(expected);
    }
  }
  if (const std::size_t control = reason.find("control character"); control != std::string::npos) {
    reason = reason.substr(0, control) + "a control character must be escaped";
  }
  return "at byte " + std::to_string(parse->byte) + ": " + reason;
}

void ReadJsonlFile(const std::string& name, std::string_view text, std::uint32_t file,
                   RowSink* sink, std::vector<RowError>* errors, const ProgressFn& progress,
                   std::uint64_t base, std::uint64_t total, std::optional<Table> only) {
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
    if (content.size() > kMaxRowBytes) {
      errors->push_back({name, line, "json", TooLong("line", kMaxRowBytes)});
      continue;
    }

    nlohmann::json object;
    try {
      object = nlohmann::json::parse(content);
    } catch (const nlohmann::json::exception& e) {
      errors->push_back({name, line, "json", JsonReason(e)});
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
    if (only && *table != *only) {
      errors->push_back({name, line, "table",
                         QuoteValue(table_it->get<std::string>()) +
                             " is not the table imported (--table " +
                             std::string(TableName(*only)) + ")"});
      continue;
    }
    const auto known = ColumnsOf(*table);
    std::vector<std::string> columns;
    RawRow raw{name, line, &columns, {}};
    bool ok = true;
    for (const auto& [key, value] : object.items()) {
      if (key == "table") continue;
      if (!FindColumn(known, key)) {
        errors->push_back({name, line, QuoteForMessage(key, 40),
                           "unknown column for table " + std::string(TableName(*table))});
        ok = false;
        continue;
      }
      columns.push_back(key);
      if (value.is_null()) {
        raw.values.emplace_back(std::nullopt);
      } else if (value.is_string() && value.get_ref<const std::string&>().size() > kMaxFieldBytes) {
        errors->push_back({name, line, key, TooLong("value", kMaxFieldBytes)});
        ok = false;
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
    for (const ColumnInfo& column : known) {
      if (column.optional() &&
          std::find(columns.begin(), columns.end(), column.name) == columns.end()) {
        columns.emplace_back(column.name);
        raw.values.emplace_back(std::nullopt);
      }
    }
    sink->Add(*table, raw, file);
    if (++rows % kProgressEvery == 0) ReportProgress(progress, base + pos, total);
  }
}

}  // namespace

std::string_view FormatName(DataFormat format) {
  return format == DataFormat::kCsv ? "csv" : "jsonl";
}

std::string_view FileExtension(DataFormat format) {
  return format == DataFormat::kCsv ? ".csv" : ".jsonl";
}

Status ReadImport(const std::string& path, DataFormat format, ImportedRows* out,
                  std::vector<RowError>* errors, const ProgressFn& progress,
                  std::optional<Table> table) {
  StatusOr<std::vector<InputFile>> files = FindInputFiles(path, format, table);
  if (!files.ok()) return files.status();
  std::uint64_t total = 0;
  for (const InputFile& file : *files) {
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(file.path, ec);
    if (!ec) total += size;
  }
  RowSink sink(out, errors);
  std::uint64_t done = 0;
  for (const InputFile& file : *files) {
    StatusOr<std::string> text = ReadInputFile(file);
    if (!text.ok()) return text.status();
    const std::string name = fs::path(file.path).filename().string();
    const auto index = static_cast<std::uint32_t>(out->files.size());
    out->files.push_back(name);
    if (format == DataFormat::kCsv) {
      ReadCsvFile(*file.table, name, *text, index, &sink, errors, progress, done, total);
    } else {
      ReadJsonlFile(name, *text, index, &sink, errors, progress, done, total, table);
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
  ReadJsonlFile(name, text, index, &sink, errors, {}, 0, text.size(), std::nullopt);
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
