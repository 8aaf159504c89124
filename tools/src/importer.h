// Reads an export (CSV files named after the tables, or JSONL) into rows,
// checks every row and every rule between rows, and builds the one batch that
// imports them. Nothing here touches a data directory: the caller applies the
// batch (Store::Apply commits it in one LMDB transaction, so an import is
// all or nothing even when the process is killed).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/view.h"
#include "row_parser.h"

namespace hubreg::cli {

enum class DataFormat { kCsv, kJsonl };
std::string_view FormatName(DataFormat format);     // "csv" / "jsonl"
std::string_view FileExtension(DataFormat format);  // ".csv" / ".jsonl"

// Called now and then with the bytes read so far and the total.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Where a row came from: files[file], line.
struct RowOrigin {
  std::uint32_t file = 0;
  std::uint32_t line = 0;
};

struct ImportedRows {
  RegistryRows rows;
  std::vector<std::string> files;  // as named in messages (the file name alone)
  std::vector<RowOrigin> app_origins, organization_origins, client_origins, user_origins,
      link_origins;  // parallel to the row vectors
};

// Reads `path`: a directory holding <table>.csv files (any subset; a v1.0
// export has no threecolts_app.csv and threecolts_organization.csv, and its
// client.csv has no threecolts_organization_id column), or one such file; for
// JSONL a file of {"table": ..., columns...} objects or a directory of
// *.jsonl files. Every malformed row is appended to `errors` (reading goes
// on); the returned Status is an error only when the input cannot be read at
// all (no such path, no table files, I/O error). With `table`, only that
// table is read (FindInputFiles), and a JSONL row of another table is an
// error at its line.
Status ReadImport(const std::string& path, DataFormat format, ImportedRows* out,
                  std::vector<RowError>* errors, const ProgressFn& progress = {},
                  std::optional<Table> table = std::nullopt);

// What ReadImport does with the text of one file, already in memory: a CSV
// file of `table`, or a JSONL file. `name` names the file in messages and is
// appended to out->files.
void ReadCsvText(Table table, const std::string& name, std::string_view text, ImportedRows* out,
                 std::vector<RowError>* errors);
void ReadJsonlText(const std::string& name, std::string_view text, ImportedRows* out,
                   std::vector<RowError>* errors);

// Checks the rows against the registry's integrity rules (CheckNewRows,
// hubreg/integrity.h): unique ids and keys within the import and against
// `existing`, and that every reference points at a row of the import or of
// `existing`. Appends one error per broken rule, at the row's file and line.
void CheckImport(const ImportedRows& imported, const View& existing, std::vector<RowError>* errors);

// Orders errors by file name, then line (stable), as a person reads them.
void SortErrors(std::vector<RowError>* errors);

// The batch inserting every row, parents before children.
Batch MakeImportBatch(RegistryRows rows);

}  // namespace hubreg::cli
