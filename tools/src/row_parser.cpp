#include "row_parser.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "timestamp_text.h"

namespace hubreg::cli {
namespace {

// Whether any column of Row is secret. The values of such a row are never
// quoted in a message: when a file's columns are not where its header says
// (a missing or reordered header), any field may hold the password.
template <typename Row>
constexpr bool kHoldsSecret = std::ranges::any_of(kColumnInfos<Row>, &ColumnInfo::secret);

// Reads the columns of one row, remembering every problem.
class Fields {
 public:
  Fields(const RawRow& raw, std::vector<RowError>* errors, bool quote_values)
      : raw_(raw), errors_(errors), quote_values_(quote_values) {}

  bool ok() const { return ok_; }

  template <typename Row, typename T>
  void Read(const Column<Row, T>& column, T& out) {
    const auto* value = Find(column.name);
    if (value == nullptr) {
      if (!column.info().optional()) Error(column.name, "missing");
      return;
    }
    if (!value->has_value()) {  // NULL: the zero value where allowed
      if (!column.info().nullable()) Error(column.name, "must not be empty");
      return;
    }
    const std::string& text = **value;
    const bool is_text = column.kind == ColumnKind::kText || column.kind == ColumnKind::kEmail;
    if (text.empty() && is_text && !column.info().nullable()) {
      Error(column.name, "must not be empty");
      return;
    }
    Convert(column.name, column.kind, text, out);
  }

  void Error(std::string_view column, std::string reason) {
    errors_->push_back(
        RowError{std::string(raw_.file), raw_.line, std::string(column), std::move(reason)});
    ok_ = false;
  }

 private:
  // nullptr when the source has no such column.
  const std::optional<std::string>* Find(std::string_view column) const {
    const auto& columns = *raw_.columns;
    for (std::size_t i = 0; i < columns.size() && i < raw_.values.size(); ++i) {
      if (columns[i] == column) return &raw_.values[i];
    }
    return nullptr;
  }

  // `"value" is not ...`, or `not ...` where values are not shown.
  void Bad(std::string_view column, const std::string& text, std::string_view problem) {
    Error(column,
          quote_values_ ? QuoteValue(text) + " is " + std::string(problem) : std::string(problem));
  }

  void Convert(std::string_view column, ColumnKind, const std::string& text, Id& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size() || out == kNoId) {
      Bad(column, text, "not a positive integer id");
      out = kNoId;
    }
  }

  void Convert(std::string_view column, ColumnKind kind, const std::string& text,
               std::string& out) {
    if (kind == ColumnKind::kEmail && text.find('@') == std::string::npos) {
      Bad(column, text, "not an email address");
    }
    out = text;
  }

  void Convert(std::string_view, ColumnKind, const std::string& text, Secret& out) { out = text; }

  void Convert(std::string_view column, ColumnKind, const std::string& text, std::uint16_t& out) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() ||
        port > std::numeric_limits<std::uint16_t>::max()) {
      Bad(column, text, "not a port number (0 to 65535)");
      return;
    }
    out = static_cast<std::uint16_t>(port);
  }

  void Convert(std::string_view column, ColumnKind, const std::string& text, Timestamp& out) {
    StatusOr<Timestamp> parsed = ParseTimestamp(text);
    if (!parsed.ok()) {
      Error(column, quote_values_ ? QuoteValue(text) + ": " + parsed.status().message()
                                  : parsed.status().message());
      return;
    }
    out = *parsed;
  }

  void Convert(std::string_view column, ColumnKind, const std::string& text, RecordStatus& out) {
    const auto parsed = ParseRecordStatus(text);
    if (!parsed) return Bad(column, text, "not active or disabled");
    out = *parsed;
  }

  void Convert(std::string_view column, ColumnKind, const std::string& text, Environment& out) {
    const auto parsed = ParseEnvironment(text);
    if (!parsed) return Bad(column, text, "not stage or prod");
    out = *parsed;
  }

  const RawRow& raw_;
  std::vector<RowError>* errors_;
  bool quote_values_;
  bool ok_ = true;
};

}  // namespace

std::string_view TableName(Table table) {
  switch (table) {
    case Table::kApp:
      return kAppTable;
    case Table::kOrganization:
      return kOrganizationTable;
    case Table::kClient:
      return kClientTable;
    case Table::kUser:
      return kUserTable;
    case Table::kClientUser:
      return kClientUserTable;
  }
  return {};
}

std::optional<Table> TableByName(std::string_view name) {
  for (Table table : kAllTables) {
    if (TableName(table) == name) return table;
  }
  return std::nullopt;
}

std::span<const ColumnInfo> ColumnsOf(Table table) { return ColumnsOfTable(TableName(table)); }

bool HoldsSecret(Table table) { return std::ranges::any_of(ColumnsOf(table), &ColumnInfo::secret); }

std::string RowError::ToString() const {
  return file + ":" + std::to_string(line) + ": " + column + ": " + reason;
}

std::string QuoteValue(std::string_view value) { return QuoteForMessage(value, 60); }

template <typename Row>
std::optional<Row> ParseRow(const RawRow& raw, std::vector<RowError>* errors) {
  Fields fields(raw, errors, !kHoldsSecret<Row>);
  Row row;
  ForEachColumn<Row>([&](const auto& column) { fields.Read(column, row.*column.member); });
  if (!fields.ok()) return std::nullopt;
  return row;
}

template std::optional<App> ParseRow<App>(const RawRow&, std::vector<RowError>*);
template std::optional<Organization> ParseRow<Organization>(const RawRow&, std::vector<RowError>*);
template std::optional<Client> ParseRow<Client>(const RawRow&, std::vector<RowError>*);
template std::optional<User> ParseRow<User>(const RawRow&, std::vector<RowError>*);
template std::optional<ClientUserLink> ParseRow<ClientUserLink>(const RawRow&,
                                                                std::vector<RowError>*);

}  // namespace hubreg::cli
