// One description per row type: its table name and its columns, in schema
// order (the order of the CSV header, of the record encoding and of export).
// Every face that turns a row into something else (CSV and JSONL import and
// export, the C API, the Python module, messages, a replication decoder)
// walks this list instead of naming the columns again, so adding a column
// means the model struct, its entry here and the record version.
//
//   ForEachColumn<Client>([&](const auto& column) {
//     use(column.name, row.*column.member);   // member type differs per column
//   });
//
// The rule for secrets is kept here: a column with kColumnSecret is never
// shown in a message, log line or repr, and is exported only on request.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "hubreg/model.h"

namespace hubreg {

// What a column holds; it decides the column's text form and checks.
enum class ColumnKind : std::uint8_t {
  kId,           // the row's own id (Id); text: a positive decimal integer
  kForeignId,    // the id of a row of another table (Id)
  kText,         // UTF-8 text (std::string, or Secret for a secret column)
  kEmail,        // text that holds an '@' (std::string)
  kPort,         // a TCP port (std::uint16_t); text: 0 to 65535
  kEnvironment,  // Environment; text: "stage" or "prod"
  kStatus,       // RecordStatus; text: "active" or "disabled"
  kTimestamp,    // Timestamp; text: ISO 8601 in UTC
};

// Flags of a column, or-ed together.
using ColumnFlags = std::uint8_t;
inline constexpr ColumnFlags kColumnKey = 1;     // part of the row's primary key
inline constexpr ColumnFlags kColumnSecret = 2;  // never shown; exported only on request
// NULL is accepted and reads as the zero value (kNoId, "", port 0). Without
// it an id must be positive and text must not be empty.
inline constexpr ColumnFlags kColumnNullable = 4;
// A file may leave the column out (v1.0 exports have no organizations); it
// then reads as NULL.
inline constexpr ColumnFlags kColumnOptional = 8;

// A column without its member, for code that does not know the row type.
struct ColumnInfo {
  std::string_view name;  // as in the schema and the CSV header
  ColumnKind kind;
  ColumnFlags flags = 0;

  constexpr bool key() const { return (flags & kColumnKey) != 0; }
  constexpr bool secret() const { return (flags & kColumnSecret) != 0; }
  constexpr bool nullable() const { return (flags & kColumnNullable) != 0; }
  constexpr bool optional() const { return (flags & kColumnOptional) != 0; }
  constexpr bool integer() const {
    return kind == ColumnKind::kId || kind == ColumnKind::kForeignId || kind == ColumnKind::kPort;
  }
};

// One column of `Row`: `row.*member` is its value.
template <typename Row, typename T>
struct Column {
  std::string_view name;
  T Row::*member;
  ColumnKind kind;
  ColumnFlags flags = 0;

  constexpr ColumnInfo info() const { return {name, kind, flags}; }
};
// Spelled out because clang before 17 does not deduce an aggregate's
// template arguments from its members (P1816), and the fuzz build uses clang 14.
template <typename Row, typename T>
Column(std::string_view, T Row::*, ColumnKind) -> Column<Row, T>;
template <typename Row, typename T>
Column(std::string_view, T Row::*, ColumnKind, ColumnFlags) -> Column<Row, T>;

// A table: its name and its columns, all of one row type.
template <typename Row, typename... T>
struct TableColumns {
  using RowType = Row;
  std::string_view name;
  std::tuple<Column<Row, T>...> columns;
};
template <typename Row, typename... T>
TableColumns(std::string_view, std::tuple<Column<Row, T>...>) -> TableColumns<Row, T...>;

// The columns of each table in schema order.
namespace column_lists {
using enum ColumnKind;
// clang-format off
// (Packed several columns to a line, so that each table reads as one block.)
inline constexpr TableColumns kApp{kAppTable, std::tuple{
    Column{"id", &App::id, kId, kColumnKey}, Column{"name", &App::name, kText, kColumnNullable},
    Column{"app_key", &App::app_key, kText}, Column{"environment", &App::environment, kEnvironment},
    Column{"created_at", &App::created_at, kTimestamp}, Column{"updated_at", &App::updated_at, kTimestamp}}};
inline constexpr TableColumns kOrganization{kOrganizationTable, std::tuple{
    Column{"id", &Organization::id, kId, kColumnKey},
    Column{"threecolts_app_id", &Organization::threecolts_app_id, kForeignId},
    Column{"organization_owner_id", &Organization::organization_owner_id, kForeignId},
    Column{"external_id", &Organization::external_id, kText}, Column{"name", &Organization::name, kText, kColumnNullable},
    Column{"created_at", &Organization::created_at, kTimestamp}, Column{"updated_at", &Organization::updated_at, kTimestamp}}};
inline constexpr TableColumns kClient{kClientTable, std::tuple{
    Column{"id", &Client::id, kId, kColumnKey},
    Column{"threecolts_organization_id", &Client::threecolts_organization_id, kForeignId, kColumnNullable | kColumnOptional},
    Column{"external_id", &Client::external_id, kText}, Column{"name", &Client::name, kText, kColumnNullable},
    Column{"db_host", &Client::db_host, kText, kColumnNullable}, Column{"db_port", &Client::db_port, kPort, kColumnNullable},
    Column{"db_name", &Client::db_name, kText, kColumnNullable}, Column{"db_user", &Client::db_user, kText, kColumnNullable},
    Column{"db_password", &Client::db_password, kText, kColumnNullable | kColumnSecret},
    Column{"status", &Client::status, kStatus},
    Column{"created_at", &Client::created_at, kTimestamp}, Column{"updated_at", &Client::updated_at, kTimestamp}}};
inline constexpr TableColumns kUser{kUserTable, std::tuple{
    Column{"id", &User::id, kId, kColumnKey}, Column{"external_id", &User::external_id, kText},
    Column{"email", &User::email, kEmail}, Column{"name", &User::name, kText, kColumnNullable},
    Column{"status", &User::status, kStatus},
    Column{"created_at", &User::created_at, kTimestamp}, Column{"updated_at", &User::updated_at, kTimestamp}}};
inline constexpr TableColumns kClientUser{kClientUserTable, std::tuple{
    Column{"client_id", &ClientUserLink::client_id, kForeignId, kColumnKey},
    Column{"user_id", &ClientUserLink::user_id, kForeignId, kColumnKey},
    Column{"created_at", &ClientUserLink::created_at, kTimestamp}}};
// clang-format on
}  // namespace column_lists

// The row types in dependency order (a row refers only to rows of types
// before it), the order in which a whole registry is loaded.
using RowTypes = std::tuple<App, User, Organization, Client, ClientUserLink>;

template <typename Row, typename Types>
inline constexpr bool kIsOneOf = false;
template <typename Row, typename... Types>
inline constexpr bool kIsOneOf<Row, std::tuple<Types...>> = (std::is_same_v<Row, Types> || ...);

// One of RowTypes.
template <typename Row>
concept DescribedRow = kIsOneOf<Row, RowTypes>;

// The table of each of RowTypes, in the same order.
inline constexpr auto kTables =
    std::tie(column_lists::kApp, column_lists::kUser, column_lists::kOrganization,
             column_lists::kClient, column_lists::kClientUser);

// Row's table: its name (kTable) and its columns (kColumns, a tuple of
// Column<Row, T> in schema order).
template <DescribedRow Row>
struct RowDescription {
 private:
  static constexpr std::size_t kIndex = [] {
    return []<typename... Types>(std::type_identity<std::tuple<Types...>>) {
      std::size_t index = 0;
      ((!std::is_same_v<Row, Types> && ++index) && ...);
      return index;
    }(std::type_identity<RowTypes>{});
  }();
  static constexpr const auto& kEntry = std::get<kIndex>(kTables);
  static_assert(std::is_same_v<Row, typename std::remove_cvref_t<decltype(kEntry)>::RowType>,
                "kTables lists the tables in the order of RowTypes");

 public:
  static constexpr std::string_view kTable = kEntry.name;
  static constexpr const auto& kColumns = kEntry.columns;
};

// Calls fn(column) for each column of Row in schema order; `column` is a
// Column<Row, T> whose T differs per column.
template <typename Row, typename Fn>
constexpr void ForEachColumn(Fn&& fn) {
  std::apply([&](const auto&... column) { (fn(column), ...); }, RowDescription<Row>::kColumns);
}

// Calls fn(std::type_identity<Row>{}) for each row type in dependency order.
template <typename Fn>
constexpr void ForEachRowType(Fn&& fn) {
  [&]<typename... Row>(std::type_identity<std::tuple<Row...>>) {
    (fn(std::type_identity<Row>{}), ...);
  }(std::type_identity<RowTypes>{});
}

template <typename Row>
inline constexpr std::string_view kTableOf = RowDescription<Row>::kTable;

template <typename Row>
inline constexpr std::size_t kColumnCount =
    std::tuple_size_v<std::remove_cvref_t<decltype(RowDescription<Row>::kColumns)>>;

// The columns of Row without their members, in schema order.
template <typename Row>
inline constexpr std::array<ColumnInfo, kColumnCount<Row>> kColumnInfos = std::apply(
    [](const auto&... column) {
      return std::array<ColumnInfo, sizeof...(column)>{column.info()...};
    },
    RowDescription<Row>::kColumns);

// The columns of the table named `table`; empty for an unknown name.
std::span<const ColumnInfo> ColumnsOfTable(std::string_view table);

// The column named `name` among `columns`, or nullopt.
std::optional<ColumnInfo> FindColumn(std::span<const ColumnInfo> columns, std::string_view name);

}  // namespace hubreg
