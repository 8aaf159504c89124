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
  ProgressFn progress;           // rows written so far, of all rows
};

struct ExportSummary {
  TableCounts counts;
  std::vector<std::string> files;  // full paths written
};

// Creates `dir` when missing. Each file is written under a temporary name
// and renamed, so a failed export leaves no half-written table file.
StatusOr<ExportSummary> Export(const View& view, const std::string& dir,
                               const ExportOptions& options);

}  // namespace hubreg::cli
