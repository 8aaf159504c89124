// Shared by the CSV and JSONL harnesses: what must hold for any import text.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "hubreg/registry.h"
#include "importer.h"

namespace hubreg::fuzz {

// Rows that the importer's checks accept must load into a registry: the
// importer and the core's rules must never disagree.
inline void CheckAcceptedRowsLoad(const cli::ImportedRows& imported,
                                  std::vector<cli::RowError>* errors) {
  Registry empty;
  cli::CheckImport(imported, empty.Read(), errors);
  if (!errors->empty()) return;
  Registry registry;
  const StatusOr<CommitResult> applied = registry.Apply(cli::MakeImportBatch(imported.rows));
  if (!applied.ok()) {
    std::fprintf(stderr, "rows the import checks accepted were refused: %s\n",
                 applied.status().ToString().c_str());
    std::abort();
  }
}

}  // namespace hubreg::fuzz
