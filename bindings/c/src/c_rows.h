// Internal to the C API: each C row struct's members in the column order of
// hubreg/columns.h, so that filling a C row from a hubreg row (lookups) and
// reading one back (inserts and updates) walk one list. The C structs are
// the ABI, so their members are named here; what a column is and how it is
// checked comes from the description.
#pragma once

#include <cstddef>
#include <string>
#include <tuple>
#include <utility>

#include "hubreg/columns.h"
#include "hubreg/hubreg.h"
#include "hubreg/status.h"

namespace hubreg::capi {

// A member of a struct inside the C row: hubreg_client::db.db_host.
template <typename Outer, typename Inner, typename T>
struct Nested {
  Inner Outer::*outer;
  T Inner::*inner;
};

template <typename C, typename T>
constexpr T& Member(C& c, T C::*member) {
  return c.*member;
}
template <typename C, typename T>
constexpr const T& Member(const C& c, T C::*member) {
  return c.*member;
}
template <typename Outer, typename Inner, typename T>
constexpr T& Member(Outer& c, const Nested<Outer, Inner, T>& member) {
  return c.*member.outer.*member.inner;
}
template <typename Outer, typename Inner, typename T>
constexpr const T& Member(const Outer& c, const Nested<Outer, Inner, T>& member) {
  return c.*member.outer.*member.inner;
}

template <typename Row>
struct CRow;

template <>
struct CRow<App> {
  using Type = hubreg_app;
  static constexpr std::tuple kMembers{&hubreg_app::id,         &hubreg_app::name,
                                       &hubreg_app::app_key,    &hubreg_app::environment,
                                       &hubreg_app::created_at, &hubreg_app::updated_at};
};

template <>
struct CRow<Organization> {
  using Type = hubreg_organization;
  static constexpr std::tuple kMembers{&hubreg_organization::id,
                                       &hubreg_organization::threecolts_app_id,
                                       &hubreg_organization::organization_owner_id,
                                       &hubreg_organization::external_id,
                                       &hubreg_organization::name,
                                       &hubreg_organization::created_at,
                                       &hubreg_organization::updated_at};
};

// A member of hubreg_client::db.
template <typename T>
constexpr Nested<hubreg_client, hubreg_connection, T> Db(T hubreg_connection::*member) {
  return {&hubreg_client::db, member};
}

template <>
struct CRow<Client> {
  using Type = hubreg_client;
  static constexpr std::tuple kMembers{&hubreg_client::id,
                                       &hubreg_client::threecolts_organization_id,
                                       &hubreg_client::external_id,
                                       &hubreg_client::name,
                                       Db(&hubreg_connection::db_host),
                                       Db(&hubreg_connection::db_port),
                                       Db(&hubreg_connection::db_name),
                                       Db(&hubreg_connection::db_user),
                                       Db(&hubreg_connection::db_password),
                                       &hubreg_client::status,
                                       &hubreg_client::created_at,
                                       &hubreg_client::updated_at};
};

template <>
struct CRow<User> {
  using Type = hubreg_user;
  static constexpr std::tuple kMembers{
      &hubreg_user::id,     &hubreg_user::external_id, &hubreg_user::email,     &hubreg_user::name,
      &hubreg_user::status, &hubreg_user::created_at,  &hubreg_user::updated_at};
};

template <>
struct CRow<ClientUserLink> {
  using Type = hubreg_link;
  static constexpr std::tuple kMembers{&hubreg_link::client_id, &hubreg_link::user_id,
                                       &hubreg_link::created_at};
};

// Calls fn(column, c_member) for each column of Row with the C member that
// holds it.
template <typename Row, typename Fn>
constexpr void ForEachCColumn(Fn&& fn) {
  constexpr auto& columns = RowDescription<Row>::kColumns;
  constexpr auto& members = CRow<Row>::kMembers;
  static_assert(std::tuple_size_v<std::remove_cvref_t<decltype(members)>> == kColumnCount<Row>,
                "a C row struct must have a member per column");
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (fn(std::get<I>(columns), std::get<I>(members)), ...);
  }
  (std::make_index_sequence<kColumnCount<Row>>());
}

// hubreg value -> C value. Strings are borrowed from the row.
inline void ToC(Id value, std::uint64_t& out) { out = value; }
inline void ToC(std::uint16_t value, std::uint16_t& out) { out = value; }
inline void ToC(const std::string& value, const char*& out) { out = value.c_str(); }
inline void ToC(const Secret& value, const char*& out) { out = value.Reveal().c_str(); }
inline void ToC(Environment value, hubreg_environment& out) {
  out = static_cast<hubreg_environment>(value);
}
inline void ToC(RecordStatus value, hubreg_record_status& out) {
  out = static_cast<hubreg_record_status>(value);
}
inline void ToC(Timestamp value, std::int64_t& out) { out = value.time_since_epoch().count(); }

// Fills `out` from `row`; its strings point into `row`.
template <typename Row>
void Fill(const Row& row, typename CRow<Row>::Type* out) {
  ForEachCColumn<Row>([&](const auto& column, const auto& member) {
    ToC(row.*column.member, Member(*out, member));
  });
}

}  // namespace hubreg::capi
