// Writes a registry state back out as the files import reads: one
// <table>.csv (or <table>.jsonl) per table, rows in id order, timestamps in
// ISO 8601 UTC. Passwords are written only when asked for.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hubreg/status.h"
#include "hubreg/view.h"
#include "importer.h"

namespace hubreg::cli {

struct ExportOptions {
  DataFormat format = DataFormat::kCsv;
  bool include_secrets = false;  // otherwise db_password is NULL
  bool overwrite = false;        // otherwise existing table files are refused
  std::optional<Table> table;    // only this table's file; otherwise every table's
  ProgressFn progress;           // rows written so far, of all rows
};

struct ExportSummary {
  TableCounts counts;              // of the tables written (the others are 0)
  std::vector<std::string> files;  // full paths written
};

// Creates `dir` (mode 0700) when missing. Each file is written with
// WritePrivateFile (hubreg/files.h): mode 0600 whatever the umask, under a
// fresh temporary name, fsynced and renamed, so a failed export leaves no
// half-written table file and no temporary. A symbolic link or a non-regular
// file at a table file's name is refused (never followed) before anything is
// written; so is an existing table file unless `overwrite`.
StatusOr<ExportSummary> Export(const View& view, const std::string& dir,
                               const ExportOptions& options);

}  // namespace hubreg::cli
