#include "source_rows.h"

#include <array>
#include <charconv>
#include <chrono>
#include <type_traits>

namespace hubreg::sync {
namespace {

// Built-in type OIDs (pg_type.dat); OIDs from 16384 up are user-defined.
constexpr PgOid kBool = 16, kName = 19, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
                kFloat8 = 701, kBpchar = 1042, kVarchar = 1043, kDate = 1082, kTimestamp = 1114,
                kTimestampTz = 1184, kNumeric = 1700, kUuid = 2950, kFirstUserOid = 16384;

enum Flags : std::uint8_t {
  kRequired = 1,  // NULL is refused (else: the field's empty value)
  kNotEmpty = 2,  // text must not be empty
  kKey = 4,       // identifies the row
  kEmail = 8,     // must contain '@'
  kSecret = 16,   // never shown in a message
};

template <typename Row>
using Field = std::variant<Id Row::*, std::string Row::*, std::uint16_t Row::*, RecordStatus Row::*,
                           Environment Row::*, Timestamp Row::*>;

// Which alternatives of Field<Row> a column of Row can hold: only these are
// instantiated (GCC 12 warns about member pointers it cannot see are unused).
template <typename Row, typename T>
constexpr bool kHasFieldOf = true;
template <typename T>
constexpr bool kHasFieldOf<ClientUserLink, T> =
    std::is_same_v<T, Id> || std::is_same_v<T, Timestamp>;

template <typename Row>
struct Column {
  using RowType = Row;
  std::string_view name;
  Field<Row> field;
  std::uint8_t flags;
};

constexpr Column<App> kAppColumns[] = {{"id", &App::id, kRequired | kKey},
                                       {"name", &App::name, 0},
                                       {"app_key", &App::app_key, kRequired | kNotEmpty},
                                       {"environment", &App::environment, kRequired},
                                       {"created_at", &App::created_at, kRequired},
                                       {"updated_at", &App::updated_at, kRequired}};
constexpr Column<Organization> kOrganizationColumns[] = {
    {"id", &Organization::id, kRequired | kKey},
    {"threecolts_app_id", &Organization::threecolts_app_id, kRequired},
    {"organization_owner_id", &Organization::organization_owner_id, kRequired},
    {"external_id", &Organization::external_id, kRequired | kNotEmpty},
    {"name", &Organization::name, 0},
    {"created_at", &Organization::created_at, kRequired},
    {"updated_at", &Organization::updated_at, kRequired}};
constexpr Column<Client> kClientColumns[] = {
    {"id", &Client::id, kRequired | kKey},
    {"threecolts_organization_id", &Client::threecolts_organization_id, 0},
    {"external_id", &Client::external_id, kRequired | kNotEmpty},
    {"name", &Client::name, 0},
    {"db_host", &Client::db_host, 0},
    {"db_port", &Client::db_port, 0},
    {"db_name", &Client::db_name, 0},
    {"db_user", &Client::db_user, 0},
    {"db_password", &Client::db_password, kSecret},
    {"status", &Client::status, kRequired},
    {"created_at", &Client::created_at, kRequired},
    {"updated_at", &Client::updated_at, kRequired}};
constexpr Column<User> kUserColumns[] = {{"id", &User::id, kRequired | kKey},
                                         {"external_id", &User::external_id, kRequired | kNotEmpty},
                                         {"email", &User::email, kRequired | kNotEmpty | kEmail},
                                         {"name", &User::name, 0},
                                         {"status", &User::status, kRequired},
                                         {"created_at", &User::created_at, kRequired},
                                         {"updated_at", &User::updated_at, kRequired}};
constexpr Column<ClientUserLink> kLinkColumns[] = {
    {"client_id", &ClientUserLink::client_id, kRequired | kKey},
    {"user_id", &ClientUserLink::user_id, kRequired | kKey},
    {"created_at", &ClientUserLink::created_at, kRequired}};

template <std::size_t N, typename Row>
constexpr std::array<std::string_view, N> Names(const Column<Row> (&columns)[N]) {
  std::array<std::string_view, N> names{};
  for (std::size_t i = 0; i < N; ++i) names[i] = columns[i].name;
  return names;
}
constexpr auto kAppNames = Names(kAppColumns);
constexpr auto kOrganizationNames = Names(kOrganizationColumns);
constexpr auto kClientNames = Names(kClientColumns);
constexpr auto kUserNames = Names(kUserColumns);
constexpr auto kLinkNames = Names(kLinkColumns);

// Calls `f` with the column list of `table`.
template <typename F>
decltype(auto) WithColumns(RegistryTable table, F&& f) {
  switch (table) {
    case RegistryTable::kApp:
      return f(std::span<const Column<App>>(kAppColumns));
    case RegistryTable::kOrganization:
      return f(std::span<const Column<Organization>>(kOrganizationColumns));
    case RegistryTable::kClient:
      return f(std::span<const Column<Client>>(kClientColumns));
    case RegistryTable::kUser:
      return f(std::span<const Column<User>>(kUserColumns));
    case RegistryTable::kClientUser:
      break;
  }
  return f(std::span<const Column<ClientUserLink>>(kLinkColumns));
}

std::string Quote(std::string_view value) { return QuoteForMessage(value, 60); }

// Parses one text value into one field; returns the reason it cannot.
template <typename Row>
std::optional<std::string> ParseField(const Column<Row>& column, std::string_view text, Row& row) {
  return std::visit(
      [&](auto member) -> std::optional<std::string> {
        using T = std::remove_reference_t<decltype(row.*member)>;
        if constexpr (!kHasFieldOf<Row, T>) {
          return "has no field of this type";  // never: no column of Row has this type
        } else {
          auto& field = row.*member;
          if constexpr (std::is_same_v<T, Id>) {
            Id id = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
            if (ec != std::errc() || end != text.data() + text.size() || id == 0) {
              return Quote(text) + " is not a positive integer id";
            }
            field = id;
          } else if constexpr (std::is_same_v<T, std::uint16_t>) {
            unsigned port = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
            if (ec != std::errc() || end != text.data() + text.size() || port > 65535) {
              return Quote(text) + " is not a port number (0 to 65535)";
            }
            field = static_cast<std::uint16_t>(port);
          } else if constexpr (std::is_same_v<T, std::string>) {
            if ((column.flags & kNotEmpty) && text.empty()) return "must not be empty";
            if ((column.flags & kEmail) && text.find('@') == std::string_view::npos) {
              return Quote(text) + " is not an email address";
            }
            field.assign(text);
          } else if constexpr (std::is_same_v<T, RecordStatus>) {
            const auto status = ParseRecordStatus(text);
            if (!status) return Quote(text) + " is not active or disabled";
            field = *status;
          } else if constexpr (std::is_same_v<T, Environment>) {
            const auto environment = ParseEnvironment(text);
            if (!environment) return Quote(text) + " is not stage or prod";
            field = *environment;
          } else {
            StatusOr<Timestamp> time = ParsePgTimestamp(text);
            if (!time.ok()) return Quote(text) + ": " + time.status().message();
            field = *time;
          }
          return std::nullopt;
        }
      },
      column.field);
}

template <typename Row>
StatusOr<SourceRow> ParseRow(std::span<const Column<Row>> columns,
                             std::span<const PgValue* const> values, const SourceRow* current) {
  Row row;
  std::string errors;
  const auto problem = [&](const Column<Row>& column, std::string reason) {
    if (!errors.empty()) errors += "; ";
    errors += std::string(column.name) + ": " + std::move(reason);
  };
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const Column<Row>& column = columns[i];
    const PgValue* value = i < values.size() ? values[i] : nullptr;
    if (value == nullptr) {
      problem(column, "missing");
      continue;
    }
    switch (value->kind) {
      case PgValue::Kind::kNull:
        if (column.flags & kRequired) problem(column, "must not be empty");
        break;
      case PgValue::Kind::kUnchangedToast: {
        const Row* now = current != nullptr ? std::get_if<Row>(current) : nullptr;
        if (now == nullptr) {
          problem(column, "unchanged in the source, but the registry does not hold the row");
          break;
        }
        std::visit(
            [&](auto member) {
              if constexpr (kHasFieldOf<Row, std::remove_reference_t<decltype(row.*member)>>) {
                row.*member = now->*member;
              }
            },
            column.field);
        break;
      }
      case PgValue::Kind::kText:
        if (auto reason = ParseField(column, value->text, row)) {
          // A password is never shown; its only possible problem is none.
          problem(column, (column.flags & kSecret) ? "invalid" : *reason);
        }
        break;
    }
  }
  if (!errors.empty()) return Status::InvalidArgument(std::move(errors));
  return SourceRow(std::move(row));
}

int Digits(std::string_view text, std::size_t at, std::size_t n) {
  if (at + n > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::string_view TableName(RegistryTable table) {
  switch (table) {
    case RegistryTable::kApp:
      return kAppTable;
    case RegistryTable::kOrganization:
      return kOrganizationTable;
    case RegistryTable::kClient:
      return kClientTable;
    case RegistryTable::kUser:
      return kUserTable;
    case RegistryTable::kClientUser:
      break;
  }
  return kClientUserTable;
}

std::span<const std::string_view> ColumnNames(RegistryTable table) {
  switch (table) {
    case RegistryTable::kApp:
      return kAppNames;
    case RegistryTable::kOrganization:
      return kOrganizationNames;
    case RegistryTable::kClient:
      return kClientNames;
    case RegistryTable::kUser:
      return kUserNames;
    case RegistryTable::kClientUser:
      break;
  }
  return kLinkNames;
}

bool IsKeyColumn(RegistryTable table, std::size_t column) {
  return WithColumns(table, [&](auto columns) {
    return column < columns.size() && (columns[column].flags & kKey) != 0;
  });
}

std::string PgTypeName(PgOid type_oid, std::string_view type_name) {
  switch (type_oid) {
    case kBool:
      return "boolean";
    case kName:
      return "name";
    case kInt8:
      return "bigint";
    case kInt2:
      return "smallint";
    case kInt4:
      return "integer";
    case kText:
      return "text";
    case kFloat8:
      return "double precision";
    case kBpchar:
      return "character";
    case kVarchar:
      return "character varying";
    case kDate:
      return "date";
    case kTimestamp:
      return "timestamp without time zone";
    case kTimestampTz:
      return "timestamp with time zone";
    case kNumeric:
      return "numeric";
    case kUuid:
      return "uuid";
    default:
      break;
  }
  if (!type_name.empty()) return std::string(type_name);
  return "type OID " + std::to_string(type_oid);
}

std::optional<std::string> CheckColumnType(RegistryTable table, std::size_t column, PgOid type_oid,
                                           std::string_view type_name) {
  return WithColumns(table, [&](auto columns) -> std::optional<std::string> {
    return std::visit(
        [&](auto member) -> std::optional<std::string> {
          using Row = typename std::remove_cvref_t<decltype(columns[0])>::RowType;
          using T = std::remove_reference_t<decltype(std::declval<Row&>().*member)>;
          const char* expected;
          bool fits;
          if constexpr (std::is_same_v<T, Id> || std::is_same_v<T, std::uint16_t>) {
            expected = "an integer type";
            fits = type_oid == kInt2 || type_oid == kInt4 || type_oid == kInt8;
          } else if constexpr (std::is_same_v<T, Timestamp>) {
            expected = "a timestamp type";
            fits = type_oid == kTimestamp || type_oid == kTimestampTz;
          } else {
            expected = "a text type or an enum";
            fits = type_oid == kText || type_oid == kVarchar || type_oid == kBpchar ||
                   type_oid == kName || type_oid >= kFirstUserOid;
          }
          if (fits) return std::nullopt;
          return "source type " + PgTypeName(type_oid, type_name) + ", expected " + expected;
        },
        columns[column].field);
  });
}

StatusOr<SourceRow> ParseSourceRow(RegistryTable table, std::span<const PgValue* const> values,
                                   const SourceRow* current) {
  return WithColumns(table, [&](auto columns) { return ParseRow(columns, values, current); });
}

std::string DescribeKey(const SourceRow& row) {
  return std::visit(
      [](const auto& r) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(r)>, ClientUserLink>) {
          return "(" + std::to_string(r.client_id) + ", " + std::to_string(r.user_id) + ")";
        } else {
          return std::to_string(r.id);
        }
      },
      row);
}

StatusOr<Timestamp> ParsePgTimestamp(std::string_view text) {
  const Status bad = Status::InvalidArgument(
      "not a timestamp in PostgreSQL's ISO form (e.g. 2026-01-02 03:04:05.123456+00)");
  // YYYY-MM-DD HH:MM:SS
  const int year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  const int hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (year < 1 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || text[4] != '-' ||
      text[7] != '-' || text[10] != ' ' || text[13] != ':' || text[16] != ':' || hour > 23 ||
      minute > 59 || second > 59) {
    return bad;
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return bad;
  std::size_t at = 19;
  std::int64_t micros = 0;
  if (at < text.size() && text[at] == '.') {
    std::size_t digits = 0;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
      if (digits == 6) return bad;
      micros = micros * 10 + (text[at] - '0');
    }
    if (digits == 0) return bad;
    for (; digits < 6; ++digits) micros *= 10;
  }
  std::int64_t offset_seconds = 0;
  if (at < text.size()) {
    // +HH, +HH:MM or +HH:MM:SS (historic zones), or -.
    const int sign = text[at] == '+' ? 1 : text[at] == '-' ? -1 : 0;
    const int oh = Digits(text, at + 1, 2);
    if (sign == 0 || oh < 0) return bad;
    at += 3;
    int om = 0, os = 0;
    if (at < text.size()) {
      om = Digits(text, at + 1, 2);
      if (text[at] != ':' || om < 0 || om > 59) return bad;
      at += 3;
    }
    if (at < text.size()) {
      os = Digits(text, at + 1, 2);
      if (text[at] != ':' || os < 0 || os > 59) return bad;
      at += 3;
    }
    if (at != text.size()) return bad;
    offset_seconds = sign * (oh * 3600 + om * 60 + os);
  }
  const auto seconds = std::chrono::sys_days(date).time_since_epoch() + std::chrono::hours(hour) +
                       std::chrono::minutes(minute) + std::chrono::seconds(second) -
                       std::chrono::seconds(offset_seconds);
  return Timestamp(std::chrono::duration_cast<std::chrono::microseconds>(seconds) +
                   std::chrono::microseconds(micros));
}

}  // namespace hubreg::sync
