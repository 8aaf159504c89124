#include "hubreg/columns.h"

#include <algorithm>

namespace hubreg {
namespace {

// Converts to anything: T{AnyValue{}...} compiles for as many values as T
// has members, which counts the members of an aggregate.
struct AnyValue {
  template <typename T>
  operator T() const;  // NOLINT: implicit by design; declared only
};

template <typename Row, typename... Values>
constexpr std::size_t MemberCount() {
  if constexpr (requires { Row{Values{}..., AnyValue{}}; }) {
    return MemberCount<Row, Values..., AnyValue>();
  } else {
    return sizeof...(Values);
  }
}

// A member added to a model struct must be described too.
template <typename... Row>
constexpr bool EveryMemberDescribed(std::type_identity<std::tuple<Row...>>) {
  return ((MemberCount<Row>() == kColumnCount<Row>)&&...);
}
static_assert(EveryMemberDescribed(std::type_identity<RowTypes>{}),
              "a model struct has a member that hubreg/columns.h does not describe");

}  // namespace

std::span<const ColumnInfo> ColumnsOfTable(std::string_view table) {
  std::span<const ColumnInfo> found;
  ForEachRowType([&]<typename Row>(std::type_identity<Row>) {
    if (kTableOf<Row> == table) found = kColumnInfos<Row>;
  });
  return found;
}

std::optional<ColumnInfo> FindColumn(std::span<const ColumnInfo> columns, std::string_view name) {
  const auto it = std::find_if(columns.begin(), columns.end(),
                               [&](const ColumnInfo& column) { return column.name == name; });
  if (it == columns.end()) return std::nullopt;
  return *it;
}

}  // namespace hubreg
