#include "exporter.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

#include "cells_json.h"
#include "csv_writer.h"
#include "hubreg/files.h"
#include "hubreg/metrics.h"
#include "row_cells.h"

namespace hubreg::cli {
namespace {

namespace fs = std::filesystem;

std::string TableFile(const std::string& dir, Table table, DataFormat format) {
  return (fs::path(dir) / (std::string(TableName(table)) + std::string(FileExtension(format))))
      .string();
}

class TableWriter {
 public:
  TableWriter(Table table, DataFormat format) : table_(table), format_(format) {
    if (format_ == DataFormat::kCsv) {
      Cells header;
      for (const ColumnInfo& column : ColumnsOf(table))
        header.emplace_back(std::string(column.name));
      AppendCsvRecord(&text_, header);
    }
  }

  void Add(const Cells& cells) {
    if (format_ == DataFormat::kCsv) {
      AppendCsvRecord(&text_, cells);
      return;
    }
    nlohmann::ordered_json object;
    object["table"] = TableName(table_);
    AddCells(object, ColumnsOf(table_), cells);
    try {
      text_ += object.dump();
    } catch (const nlohmann::json::exception&) {
      // JSON holds only UTF-8; rows loaded through the API may not be.
      if (error_.ok()) {
        error_ = Status::InvalidArgument(std::string(TableName(table_)) + " row " +
                                         cells[0].value_or("?") +
                                         ": a value is not valid UTF-8, which JSON cannot hold "
                                         "(export it as CSV)");
      }
    }
    text_ += '\n';
  }

  Status Write(const std::string& file) {
    HUBREG_RETURN_IF_ERROR(error_);
    const std::string_view parts[] = {text_};
    return WritePrivateFile(file, parts);
  }

 private:
  Table table_;
  DataFormat format_;
  std::string text_;
  Status error_;
};

}  // namespace

StatusOr<ExportSummary> Export(const View& view, const std::string& dir,
                               const ExportOptions& options) {
  std::vector<Table> tables(std::begin(kAllTables), std::end(kAllTables));
  if (options.table) tables = {*options.table};
  // Every file may hold passwords: a new directory is private, and a link or
  // a special file at a table file's name is refused before anything is written.
  HUBREG_RETURN_IF_ERROR(CreatePrivateDirectory(dir));
  for (Table table : tables) {
    const std::string file = TableFile(dir, table, options.format);
    HUBREG_RETURN_IF_ERROR(CheckReplaceableFile(file));
    if (!options.overwrite && ::access(file.c_str(), F_OK) == 0) {
      return Status::InvalidArgument(file + " already exists (pass --force to overwrite)");
    }
  }

  ExportSummary summary;
  const TableCounts all = view.counts();
  for (const TableCountField& field : TableCountFields()) {
    if (std::any_of(tables.begin(), tables.end(),
                    [&](Table table) { return TableName(table) == field.table; })) {
      summary.counts.*field.count = all.*field.count;
    }
  }
  const std::uint64_t total = summary.counts.apps + summary.counts.organizations +
                              summary.counts.clients + summary.counts.users + summary.counts.links;
  std::uint64_t done = 0;
  const auto tick = [&] {
    if (options.progress && ++done % 16384 == 0) options.progress(done, total);
  };

  for (Table table : tables) {
    TableWriter writer(table, options.format);
    switch (table) {
      case Table::kApp:
        for (const App* row : view.SortedById<App>()) writer.Add(RowCells(*row)), tick();
        break;
      case Table::kOrganization:
        for (const Organization* row : view.SortedById<Organization>()) {
          writer.Add(RowCells(*row));
          tick();
        }
        break;
      case Table::kClient:
        for (const Client* row : view.SortedById<Client>()) {
          writer.Add(RowCells(*row, options.include_secrets));
          tick();
        }
        break;
      case Table::kUser:
        for (const User* row : view.SortedById<User>()) writer.Add(RowCells(*row)), tick();
        break;
      case Table::kClientUser: {
        const auto rows = view.Rows<ClientUserLink>();
        std::vector<ClientUserLink> links(rows.begin(), rows.end());
        std::sort(links.begin(), links.end(), [](const auto& a, const auto& b) {
          return std::tie(a.client_id, a.user_id) < std::tie(b.client_id, b.user_id);
        });
        for (const ClientUserLink& row : links) writer.Add(RowCells(row)), tick();
        break;
      }
    }
    const std::string file = TableFile(dir, table, options.format);
    HUBREG_RETURN_IF_ERROR(writer.Write(file));
    summary.files.push_back(file);
  }
  if (options.progress) options.progress(total, total);
  return summary;
}

}  // namespace hubreg::cli
