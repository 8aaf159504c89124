// One row as the text of each of its columns, walking the column
// descriptions (hubreg/columns.h): what export writes and the change feed's
// JSON shows. NULL is nullopt: an id of 0, and a secret unless asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "hubreg/columns.h"
#include "hubreg/model.h"
#include "hubreg/secret.h"
#include "timestamp_text.h"

namespace hubreg::cli {

using Cells = std::vector<std::optional<std::string>>;

inline std::optional<std::string> Cell(Id id) {
  if (id == kNoId) return std::nullopt;
  return std::to_string(id);
}
inline std::optional<std::string> Cell(const std::string& text) { return text; }
inline std::optional<std::string> Cell(std::uint16_t port) { return std::to_string(port); }
inline std::optional<std::string> Cell(Environment environment) {
  return std::string(ToString(environment));
}
inline std::optional<std::string> Cell(RecordStatus status) {
  return std::string(ToString(status));
}
inline std::optional<std::string> Cell(Timestamp t) { return FormatTimestampText(t); }

// The cells of `row` in the order of its columns (kColumnInfos<Row>).
template <typename Row>
Cells RowCells(const Row& row, bool include_secrets = false) {
  Cells cells;
  cells.reserve(kColumnCount<Row>);
  ForEachColumn<Row>([&](const auto& column) {
    const auto& value = row.*column.member;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, Secret>) {
      cells.push_back(include_secrets ? std::optional<std::string>(value.Reveal()) : std::nullopt);
    } else {
      cells.push_back(Cell(value));
    }
  });
  return cells;
}

}  // namespace hubreg::cli
