// One row as a cell per column, walking the column descriptions
// (hubreg/columns.h): MakeCells with the caller's cell type (`hubreg get`
// keeps integers as integers), RowCells as text, which export writes and the
// change feed's JSON shows. NULL is nullopt: an id of 0, and a secret unless
// asked for.
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

inline std::optional<std::string> TextCell(Id id) {
  if (id == kNoId) return std::nullopt;
  return std::to_string(id);
}
inline std::optional<std::string> TextCell(const std::string& text) { return text; }
inline std::optional<std::string> TextCell(std::uint16_t port) { return std::to_string(port); }
inline std::optional<std::string> TextCell(Environment environment) {
  return std::string(ToString(environment));
}
inline std::optional<std::string> TextCell(RecordStatus status) {
  return std::string(ToString(status));
}
inline std::optional<std::string> TextCell(Timestamp t) { return FormatTimestampText(t); }

// The cells of `row` in the order of its columns (kColumnInfos<Row>), each
// made by `make` from the column's value. A Secret is given to `make` as its
// text only when `include_secrets`, else its cell is NULL (`CellT{}`): every
// face that shows a row walks it here, so that this is the one rule that
// hides a password.
template <typename CellT, typename Row, typename Make>
std::vector<CellT> MakeCells(const Row& row, bool include_secrets, Make make) {
  std::vector<CellT> cells;
  cells.reserve(kColumnCount<Row>);
  ForEachColumn<Row>([&](const auto& column) {
    const auto& value = row.*column.member;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, Secret>) {
      cells.push_back(include_secrets ? make(value.Reveal()) : CellT{});
    } else {
      cells.push_back(make(value));
    }
  });
  return cells;
}

// The cells of `row` as text, as export writes them.
template <typename Row>
Cells RowCells(const Row& row, bool include_secrets = false) {
  return MakeCells<std::optional<std::string>>(row, include_secrets,
                                               [](const auto& value) { return TextCell(value); });
}

}  // namespace hubreg::cli
