#include "row_parser.h"

#include <charconv>
#include <cstdio>
#include <limits>

#include "timestamp_text.h"

namespace hubreg::cli {
namespace {

constexpr std::string_view kAppColumns[] = {"id",          "name",       "app_key",
                                            "environment", "created_at", "updated_at"};
constexpr std::string_view kOrganizationColumns[] = {
    "id",         "threecolts_app_id", "organization_owner_id", "external_id", "name",
    "created_at", "updated_at"};
constexpr std::string_view kClientColumns[] = {"id",          "threecolts_organization_id",
                                               "external_id", "name",
                                               "db_host",     "db_port",
                                               "db_name",     "db_user",
                                               "db_password", "status",
                                               "created_at",  "updated_at"};
constexpr std::string_view kUserColumns[] = {"id",     "external_id", "email",     "name",
                                             "status", "created_at",  "updated_at"};
constexpr std::string_view kLinkColumns[] = {"client_id", "user_id", "created_at"};

// Reads the columns of one row, remembering every problem.
class Fields {
 public:
  Fields(const RawRow& raw, std::vector<RowError>* errors) : raw_(raw), errors_(errors) {}

  bool ok() const { return ok_; }

  // nullptr when the source has no such column.
  const std::optional<std::string>* Find(std::string_view column) const {
    const auto& columns = *raw_.columns;
    for (std::size_t i = 0; i < columns.size() && i < raw_.values.size(); ++i) {
      if (columns[i] == column) return &raw_.values[i];
    }
    return nullptr;
  }

  void Error(std::string_view column, std::string reason) {
    errors_->push_back(
        RowError{std::string(raw_.file), raw_.line, std::string(column), std::move(reason)});
    ok_ = false;
  }

  // The value of a column that must be present and not NULL.
  const std::string* Required(std::string_view column) {
    const auto* value = Find(column);
    if (value == nullptr) {
      Error(column, "missing");
      return nullptr;
    }
    if (!value->has_value()) {
      Error(column, "must not be empty");
      return nullptr;
    }
    return &**value;
  }

  // Text that may be NULL (read as the empty string).
  std::string Text(std::string_view column) {
    const auto* value = Find(column);
    if (value == nullptr) {
      Error(column, "missing");
      return {};
    }
    return value->value_or(std::string());
  }

  std::string RequiredText(std::string_view column) {
    const std::string* value = Required(column);
    if (value == nullptr) return {};
    if (value->empty()) Error(column, "must not be empty");
    return value ? *value : std::string();
  }

  Id PositiveId(std::string_view column) {
    const std::string* value = Required(column);
    return value ? ParseId(column, *value) : kNoId;
  }

  // NULL (or a missing optional column) is kNoId.
  Id OptionalId(std::string_view column) {
    const auto* value = Find(column);
    if (value == nullptr || !value->has_value()) return kNoId;
    return ParseId(column, **value);
  }

  std::uint16_t Port(std::string_view column) {
    const auto* value = Find(column);
    if (value == nullptr) {
      Error(column, "missing");
      return 0;
    }
    if (!value->has_value()) return 0;
    const std::string& text = **value;
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port > 65535) {
      Error(column, QuoteValue(text) + " is not a port number (0 to 65535)");
      return 0;
    }
    return static_cast<std::uint16_t>(port);
  }

  Timestamp Time(std::string_view column) {
    const std::string* value = Required(column);
    if (value == nullptr) return {};
    StatusOr<Timestamp> parsed = ParseTimestamp(*value);
    if (!parsed.ok()) {
      Error(column, QuoteValue(*value) + ": " + parsed.status().message());
      return {};
    }
    return *parsed;
  }

  RecordStatus Status(std::string_view column) {
    const std::string* value = Required(column);
    if (value == nullptr) return RecordStatus::kActive;
    const auto parsed = ParseRecordStatus(*value);
    if (!parsed) {
      Error(column, QuoteValue(*value) + " is not active or disabled");
      return RecordStatus::kActive;
    }
    return *parsed;
  }

  Environment Env(std::string_view column) {
    const std::string* value = Required(column);
    if (value == nullptr) return Environment::kStage;
    const auto parsed = ParseEnvironment(*value);
    if (!parsed) {
      Error(column, QuoteValue(*value) + " is not stage or prod");
      return Environment::kStage;
    }
    return *parsed;
  }

 private:
  Id ParseId(std::string_view column, const std::string& text) {
    Id id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id == 0) {
      Error(column, QuoteValue(text) + " is not a positive integer id");
      return kNoId;
    }
    return id;
  }

  const RawRow& raw_;
  std::vector<RowError>* errors_;
  bool ok_ = true;
};

template <typename Row>
std::optional<Row> Result(const Fields& fields, Row row) {
  if (!fields.ok()) return std::nullopt;
  return row;
}

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

std::span<const std::string_view> ColumnsOf(Table table) {
  switch (table) {
    case Table::kApp:
      return kAppColumns;
    case Table::kOrganization:
      return kOrganizationColumns;
    case Table::kClient:
      return kClientColumns;
    case Table::kUser:
      return kUserColumns;
    case Table::kClientUser:
      return kLinkColumns;
  }
  return {};
}

bool IsOptionalColumn(Table table, std::string_view column) {
  return table == Table::kClient && column == "threecolts_organization_id";
}

std::string RowError::ToString() const {
  return file + ":" + std::to_string(line) + ": " + column + ": " + reason;
}

std::string QuoteValue(std::string_view value) { return QuoteForMessage(value, 60); }

std::optional<App> ParseApp(const RawRow& raw, std::vector<RowError>* errors) {
  Fields f(raw, errors);
  App row;
  row.id = f.PositiveId("id");
  row.name = f.Text("name");
  row.app_key = f.RequiredText("app_key");
  row.environment = f.Env("environment");
  row.created_at = f.Time("created_at");
  row.updated_at = f.Time("updated_at");
  return Result(f, std::move(row));
}

std::optional<Organization> ParseOrganization(const RawRow& raw, std::vector<RowError>* errors) {
  Fields f(raw, errors);
  Organization row;
  row.id = f.PositiveId("id");
  row.threecolts_app_id = f.PositiveId("threecolts_app_id");
  row.organization_owner_id = f.PositiveId("organization_owner_id");
  row.external_id = f.RequiredText("external_id");
  row.name = f.Text("name");
  row.created_at = f.Time("created_at");
  row.updated_at = f.Time("updated_at");
  return Result(f, std::move(row));
}

std::optional<Client> ParseClient(const RawRow& raw, std::vector<RowError>* errors) {
  Fields f(raw, errors);
  Client row;
  row.id = f.PositiveId("id");
  row.threecolts_organization_id = f.OptionalId("threecolts_organization_id");
  row.external_id = f.RequiredText("external_id");
  row.name = f.Text("name");
  row.db_host = f.Text("db_host");
  row.db_port = f.Port("db_port");
  row.db_name = f.Text("db_name");
  row.db_user = f.Text("db_user");
  row.db_password = f.Text("db_password");
  row.status = f.Status("status");
  row.created_at = f.Time("created_at");
  row.updated_at = f.Time("updated_at");
  return Result(f, std::move(row));
}

std::optional<User> ParseUser(const RawRow& raw, std::vector<RowError>* errors) {
  Fields f(raw, errors);
  User row;
  row.id = f.PositiveId("id");
  row.external_id = f.RequiredText("external_id");
  row.email = f.RequiredText("email");
  if (!row.email.empty() && row.email.find('@') == std::string::npos) {
    f.Error("email", QuoteValue(row.email) + " is not an email address");
  }
  row.name = f.Text("name");
  row.status = f.Status("status");
  row.created_at = f.Time("created_at");
  row.updated_at = f.Time("updated_at");
  return Result(f, std::move(row));
}

std::optional<ClientUserLink> ParseLink(const RawRow& raw, std::vector<RowError>* errors) {
  Fields f(raw, errors);
  ClientUserLink row;
  row.client_id = f.PositiveId("client_id");
  row.user_id = f.PositiveId("user_id");
  row.created_at = f.Time("created_at");
  return Result(f, row);
}

}  // namespace hubreg::cli
