#include "copy_text.h"

#include <array>

namespace hubreg::sync {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

StatusOr<std::vector<PgValue>> ParseCopyLine(std::string_view line) {
  std::vector<PgValue> fields;
  std::size_t start = 0;
  while (true) {
    std::size_t end = line.find('\t', start);
    if (end == std::string_view::npos) end = line.size();
    const std::string_view raw = line.substr(start, end - start);
    PgValue value;
    if (raw == "\\N") {
      value.kind = PgValue::Kind::kNull;
    } else {
      value.kind = PgValue::Kind::kText;
      value.text.reserve(raw.size());
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\') {
          value.text += raw[i];
          continue;
        }
        if (++i == raw.size()) {
          return Status::Corruption("COPY line, offset " + std::to_string(start + i - 1) +
                                    ": a backslash ends the field");
        }
        switch (const char c = raw[i]) {
          case 'b':
            value.text += '\b';
            break;
          case 'f':
            value.text += '\f';
            break;
          case 'n':
            value.text += '\n';
            break;
          case 'r':
            value.text += '\r';
            break;
          case 't':
            value.text += '\t';
            break;
          case 'v':
            value.text += '\v';
            break;
          case 'x':
            if (i + 1 < raw.size() && HexValue(raw[i + 1]) >= 0) {
              int byte = HexValue(raw[++i]);
              if (i + 1 < raw.size() && HexValue(raw[i + 1]) >= 0)
                byte = byte * 16 + HexValue(raw[++i]);
              value.text += static_cast<char>(byte);
            } else {
              value.text += 'x';
            }
            break;
          default:
            if (c >= '0' && c <= '7') {
              int byte = c - '0';
              for (int digits = 1;
                   digits < 3 && i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '7';
                   ++digits) {
                byte = byte * 8 + (raw[++i] - '0');
              }
              value.text += static_cast<char>(byte & 0xFF);
            } else {
              value.text += c;  // "\\" and any other escaped byte stand for themselves
            }
            break;
        }
      }
    }
    fields.push_back(std::move(value));
    if (end == line.size()) break;
    start = end + 1;
  }
  return fields;
}

StatusOr<SourceRow> ParseCopyRow(RegistryTable table, std::string_view line) {
  const std::string_view name = TableName(table);
  StatusOr<std::vector<PgValue>> fields = ParseCopyLine(line);
  if (!fields.ok()) return fields.status().WithContext("copy of " + std::string(name));
  const std::size_t expected = ColumnNames(table).size();
  if (fields->size() != expected) {
    return Status::Corruption("copy of " + std::string(name) + ": a row has " +
                              std::to_string(fields->size()) + " fields, expected " +
                              std::to_string(expected));
  }
  std::array<const PgValue*, 16> values{};
  for (std::size_t i = 0; i < expected; ++i) values[i] = &(*fields)[i];
  StatusOr<SourceRow> row =
      ParseSourceRow(table, std::span<const PgValue* const>(values.data(), expected), nullptr);
  if (!row.ok()) {
    const PgValue& key = fields->front();
    std::string where(name);
    if (key.kind == PgValue::Kind::kText && key.text.size() < 24) where += " " + key.text;
    if (table == RegistryTable::kClientUser && (*fields)[1].kind == PgValue::Kind::kText &&
        key.kind == PgValue::Kind::kText && (*fields)[1].text.size() < 24) {
      where = std::string(name) + " (" + key.text + ", " + (*fields)[1].text + ")";
    }
    return Status(row.status().code(),
                  where + ": " + row.status().message() + "; in the initial copy");
  }
  return row;
}

}  // namespace hubreg::sync
