#include "source_rows.h"

#include <array>
#include <charconv>
#include <chrono>
#include <type_traits>

#include "hubreg/columns.h"

namespace hubreg::sync {
namespace {

// Built-in type OIDs (pg_type.dat); OIDs from 16384 up are user-defined.
constexpr PgOid kBool = 16, kName = 19, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
                kFloat8 = 701, kBpchar = 1042, kVarchar = 1043, kDate = 1082, kTimestamp = 1114,
                kTimestampTz = 1184, kNumeric = 1700, kUuid = 2950, kFirstUserOid = 16384;

// Calls fn(std::type_identity<Row>{}) with the row type of `table`.
template <typename Fn>
decltype(auto) WithRowType(RegistryTable table, Fn&& fn) {
  switch (table) {
    case RegistryTable::kApp:
      return fn(std::type_identity<App>{});
    case RegistryTable::kOrganization:
      return fn(std::type_identity<Organization>{});
    case RegistryTable::kClient:
      return fn(std::type_identity<Client>{});
    case RegistryTable::kUser:
      return fn(std::type_identity<User>{});
    case RegistryTable::kClientUser:
      break;
  }
  return fn(std::type_identity<ClientUserLink>{});
}

template <typename Row>
constexpr auto kColumnNames = [] {
  std::array<std::string_view, kColumnCount<Row>> names{};
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = kColumnInfos<Row>[i].name;
  return names;
}();

std::string Quote(std::string_view value) { return QuoteForMessage(value, 60); }

bool ParseNumber(std::string_view text, auto& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

// Parses one text value into `field` as hubreg/columns.h describes the
// column; returns the reason it cannot.
template <typename T>
std::optional<std::string> ParseField(const ColumnInfo& column, std::string_view text, T& field) {
  if constexpr (std::is_same_v<T, Id>) {
    Id id = 0;
    if (!ParseNumber(text, id) || id == 0) return Quote(text) + " is not a positive integer id";
    field = id;
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    unsigned port = 0;
    if (!ParseNumber(text, port) || port > 65535) {
      return Quote(text) + " is not a port number (0 to 65535)";
    }
    field = static_cast<std::uint16_t>(port);
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, Secret>) {
    if (!column.nullable() && text.empty()) return "must not be empty";
    if (column.kind == ColumnKind::kEmail && text.find('@') == std::string_view::npos) {
      return Quote(text) + " is not an email address";
    }
    field = std::string(text);
  } else if constexpr (std::is_same_v<T, RecordStatus>) {
    const auto status = ParseRecordStatus(text);
    if (!status) return Quote(text) + " is not active or disabled";
    field = *status;
  } else if constexpr (std::is_same_v<T, Environment>) {
    const auto environment = ParseEnvironment(text);
    if (!environment) return Quote(text) + " is not stage or prod";
    field = *environment;
  } else {
    static_assert(std::is_same_v<T, Timestamp>);
    StatusOr<Timestamp> time = ParsePgTimestamp(text);
    if (!time.ok()) return Quote(text) + ": " + time.status().message();
    field = *time;
  }
  return std::nullopt;
}

template <typename Row>
StatusOr<SourceRow> ParseRow(std::span<const PgValue* const> values, const SourceRow* current) {
  Row row;
  std::string errors;
  std::size_t i = 0;
  ForEachColumn<Row>([&](const auto& column) {
    const ColumnInfo info = column.info();
    const auto problem = [&](std::string reason) {
      if (!errors.empty()) errors += "; ";
      errors += std::string(info.name) + ": " + std::move(reason);
    };
    const PgValue* value = i < values.size() ? values[i] : nullptr;
    ++i;
    if (value == nullptr) {
      problem("missing");
      return;
    }
    switch (value->kind) {
      case PgValue::Kind::kNull:
        // NULL reads as the zero value the model's default already holds.
        if (!info.nullable()) problem("must not be empty");
        break;
      case PgValue::Kind::kUnchangedToast: {
        const Row* now = current != nullptr ? std::get_if<Row>(current) : nullptr;
        if (now == nullptr) {
          problem("unchanged in the source, but the registry does not hold the row");
        } else {
          row.*column.member = now->*column.member;
        }
        break;
      }
      case PgValue::Kind::kText:
        if (auto reason = ParseField(info, value->text, row.*column.member)) {
          problem(info.secret() ? "invalid" : *reason);  // a secret is never shown
        }
        break;
    }
  });
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
  return WithRowType(table, []<typename Row>(std::type_identity<Row>) { return kTableOf<Row>; });
}

std::span<const std::string_view> ColumnNames(RegistryTable table) {
  return WithRowType(table, []<typename Row>(std::type_identity<Row>) {
    return std::span<const std::string_view>(kColumnNames<Row>);
  });
}

bool IsKeyColumn(RegistryTable table, std::size_t column) {
  return WithRowType(table, [&]<typename Row>(std::type_identity<Row>) {
    return column < kColumnInfos<Row>.size() && kColumnInfos<Row>[column].key();
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
  const ColumnInfo info = WithRowType(
      table, [&]<typename Row>(std::type_identity<Row>) { return kColumnInfos<Row>.at(column); });
  const char* expected;
  bool fits;
  if (info.integer()) {
    expected = "an integer type";
    fits = type_oid == kInt2 || type_oid == kInt4 || type_oid == kInt8;
  } else if (info.kind == ColumnKind::kTimestamp) {
    expected = "a timestamp type";
    fits = type_oid == kTimestamp || type_oid == kTimestampTz;
  } else {
    expected = "a text type or an enum";
    fits = type_oid == kText || type_oid == kVarchar || type_oid == kBpchar || type_oid == kName ||
           type_oid >= kFirstUserOid;
  }
  if (fits) return std::nullopt;
  return "source type " + PgTypeName(type_oid, type_name) + ", expected " + expected;
}

StatusOr<SourceRow> ParseSourceRow(RegistryTable table, std::span<const PgValue* const> values,
                                   const SourceRow* current) {
  return WithRowType(
      table, [&]<typename Row>(std::type_identity<Row>) { return ParseRow<Row>(values, current); });
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
