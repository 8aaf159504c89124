// A row's cells (row_cells.h) as members of a JSON object, one per column,
// named as the schema names them: integers as numbers, NULL as null. What
// `export --format jsonl` writes and `watch --json` shows.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "hubreg/columns.h"
#include "row_cells.h"

namespace hubreg::cli {

inline void AddCells(nlohmann::ordered_json& object, std::span<const ColumnInfo> columns,
                     const Cells& cells) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::string key(columns[i].name);
    if (!cells[i]) {
      object[key] = nullptr;
    } else if (columns[i].integer()) {
      object[key] = std::stoull(*cells[i]);
    } else {
      object[key] = *cells[i];
    }
  }
}

}  // namespace hubreg::cli
