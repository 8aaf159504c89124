#include "query_output.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace hubreg::cli {
namespace {

std::string CellText(const Cell& cell) {
  if (const auto* number = std::get_if<std::uint64_t>(&cell)) return std::to_string(*number);
  if (const auto* text = std::get_if<std::string>(&cell)) return *text;
  return {};
}

// Display width: one per code point, control bytes shown as spaces.
std::size_t Width(std::string_view text) {
  std::size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

// Cells stay on one line in a table.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

void Pad(std::string* out, std::size_t width) { out->append(width, ' '); }

nlohmann::ordered_json CellJson(const Cell& cell) {
  if (const auto* number = std::get_if<std::uint64_t>(&cell)) return *number;
  if (const auto* text = std::get_if<std::string>(&cell)) return *text;
  return nullptr;
}

}  // namespace

std::string RenderTable(const QueryTable& table) {
  std::string out;
  if (table.single) {
    std::size_t label = 0;
    for (const std::string& column : table.columns) label = std::max(label, column.size());
    for (const auto& row : table.rows) {
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        out += table.columns[i] + ":";
        Pad(&out, label - table.columns[i].size() + 1);
        out += OneLine(CellText(row[i]));
        while (!out.empty() && out.back() == ' ') out.pop_back();
        out += '\n';
      }
    }
    return out;
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const std::string& column : table.columns) widths.push_back(Width(column));
  for (const auto& row : table.rows) {
    auto& texts = cells.emplace_back();
    for (std::size_t i = 0; i < row.size(); ++i) {
      texts.push_back(OneLine(CellText(row[i])));
      widths[i] = std::max(widths[i], Width(texts.back()));
    }
  }
  const auto line = [&](const std::vector<std::string>& texts) {
    std::string text;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (i != 0) text += "  ";
      text += texts[i];
      if (i + 1 != texts.size()) Pad(&text, widths[i] - Width(texts[i]));
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + '\n';
  };
  out += line(table.columns);
  std::vector<std::string> rule;
  for (std::size_t width : widths) rule.emplace_back(width, '-');
  out += line(rule);
  for (const auto& texts : cells) out += line(texts);
  out +=
      "(" + std::to_string(table.rows.size()) + (table.rows.size() == 1 ? " row)\n" : " rows)\n");
  return out;
}

std::string RenderJson(const QueryTable& table) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      object[table.columns[i]] = CellJson(row[i]);
    }
    rows.push_back(std::move(object));
  }
  if (table.single && rows.size() == 1)
    return rows[0].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
  return rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
}

}  // namespace hubreg::cli
