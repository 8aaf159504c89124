// Internal: how each model row and mutation is written with cereal.
//
// Every serialised type has a class version (CEREAL_CLASS_VERSION below),
// written once per archive before the type's first record. A load function
// accepts every version up to the current one, so a later build can add a
// field under a new version and still read old records; a version newer than
// this build knows is refused as corruption naming the type and version.
//
// Field encodings (cereal binary archive, little-endian):
//   Id, u16, i64    fixed width as in the struct
//   std::string     u64 length, then the bytes (no terminator); also Secret
//   enum            u8 (Environment: 0 stage, 1 prod; RecordStatus: 0 active,
//                   1 disabled); any other value is refused
//   Timestamp       i64 microseconds since 1970-01-01T00:00:00Z
//   std::variant    i32 alternative index, then the alternative
// See docs/storage.md, "Record encoding".
#pragma once

#include <cstdint>
#include <string>

#include "hubreg/batch.h"
#include "hubreg/columns.h"
#include "hubreg/model.h"
#include "span_archive.h"
#include "string_archive.h"

namespace hubreg::persist::record {

template <SavingArchive Archive>
void Field(Archive& ar, std::string& text) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(text.size())));
  ar.saveBinary(text.data(), static_cast<std::streamsize>(text.size()));
}
inline void Field(SpanInputArchive& ar, std::string& text) {
  std::size_t offset = ar.Offset();
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  // Checked before anything is allocated, so a garbage length cannot ask for
  // gigabytes.
  if (size > ar.Remaining()) {
    throw DecodeError("a string length of " + std::to_string(size) + " exceeds the " +
                          std::to_string(ar.Remaining()) + " bytes left",
                      offset);
  }
  text.assign(ar.Take(static_cast<std::size_t>(size)));
}

// A secret is encoded as a std::string.
template <SavingArchive Archive>
void Field(Archive& ar, Secret& secret) {
  const std::string& text = secret.Reveal();
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(text.size())));
  ar.saveBinary(text.data(), static_cast<std::streamsize>(text.size()));
}
inline void Field(SpanInputArchive& ar, Secret& secret) {
  std::string text;
  Field(ar, text);
  secret = Secret(std::move(text));
}

template <SavingArchive Archive>
void Field(Archive& ar, Timestamp& t) {
  std::int64_t micros = t.time_since_epoch().count();
  ar(micros);
}
inline void Field(SpanInputArchive& ar, Timestamp& t) {
  std::int64_t micros = 0;
  ar(micros);
  t = Timestamp(std::chrono::microseconds(micros));
}

template <SavingArchive Archive, typename Enum>
void EnumField(Archive& ar, Enum& value, const char*) {
  auto raw = static_cast<std::uint8_t>(value);
  ar(raw);
}
template <typename Enum>
void EnumField(SpanInputArchive& ar, Enum& value, const char* name) {
  std::size_t offset = ar.Offset();
  std::uint8_t raw = 0;
  ar(raw);
  if (raw > 1)
    throw DecodeError(std::string("invalid ") + name + " " + std::to_string(raw), offset);
  value = static_cast<Enum>(raw);
}
template <typename Archive>
void Field(Archive& ar, Environment& value) {
  EnumField(ar, value, "environment");
}
template <typename Archive>
void Field(Archive& ar, RecordStatus& value) {
  EnumField(ar, value, "status");
}

template <typename Archive, typename T>
requires std::is_arithmetic_v<T>
void Field(Archive& ar, T& value) { ar(value); }

template <typename Archive, typename... T>
void Fields(Archive& ar, T&... fields) {
  (Field(ar, fields), ...);
}

template <SavingArchive Archive>
void CheckVersion(Archive&, std::uint32_t, std::uint32_t, const char*) {}
inline void CheckVersion(SpanInputArchive& ar, std::uint32_t version, std::uint32_t newest,
                         const char* type) {
  if (version == 0) {
    throw DecodeError(std::string(type) + " record version 0 does not exist (versions start at 1)",
                      ar.Offset());
  }
  if (version > newest) {
    throw DecodeError(std::string(type) + " record version " + std::to_string(version) +
                          " is newer than this build reads (" + std::to_string(newest) + ")",
                      ar.Offset());
  }
}

}  // namespace hubreg::persist::record

namespace hubreg {

// Version 1 of every record is its schema v1.2 shape: the columns of
// hubreg/columns.h in their order.
template <typename Archive, DescribedRow Row>
void serialize(Archive& ar, Row& row, std::uint32_t version) {
  persist::record::CheckVersion(ar, version, 1, kTableOf<Row>.data());
  ForEachColumn<Row>([&](const auto& column) { persist::record::Field(ar, row.*column.member); });
}

template <typename Archive, typename Row>
void serialize(Archive& ar, InsertRow<Row>& mutation, std::uint32_t version) {
  persist::record::CheckVersion(ar, version, 1, "insert");
  ar(mutation.row);
}

template <typename Archive, typename Row>
void serialize(Archive& ar, UpdateRow<Row>& mutation, std::uint32_t version) {
  persist::record::CheckVersion(ar, version, 1, "update");
  ar(mutation.row);
}

template <typename Archive, typename Row>
void serialize(Archive& ar, EraseRow<Row>& mutation, std::uint32_t version) {
  persist::record::CheckVersion(ar, version, 1, "erase");
  ar(mutation.id);
}

template <typename Archive>
void serialize(Archive& ar, EraseLink& mutation, std::uint32_t version) {
  persist::record::CheckVersion(ar, version, 1, "erase link");
  ar(mutation.client_id, mutation.user_id);
}

}  // namespace hubreg

CEREAL_CLASS_VERSION(hubreg::App, 1)
CEREAL_CLASS_VERSION(hubreg::Organization, 1)
CEREAL_CLASS_VERSION(hubreg::Client, 1)
CEREAL_CLASS_VERSION(hubreg::User, 1)
CEREAL_CLASS_VERSION(hubreg::ClientUserLink, 1)
CEREAL_CLASS_VERSION(hubreg::InsertRow<hubreg::App>, 1)
CEREAL_CLASS_VERSION(hubreg::UpdateRow<hubreg::App>, 1)
CEREAL_CLASS_VERSION(hubreg::EraseRow<hubreg::App>, 1)
CEREAL_CLASS_VERSION(hubreg::InsertRow<hubreg::Organization>, 1)
CEREAL_CLASS_VERSION(hubreg::UpdateRow<hubreg::Organization>, 1)
CEREAL_CLASS_VERSION(hubreg::EraseRow<hubreg::Organization>, 1)
CEREAL_CLASS_VERSION(hubreg::InsertRow<hubreg::Client>, 1)
CEREAL_CLASS_VERSION(hubreg::UpdateRow<hubreg::Client>, 1)
CEREAL_CLASS_VERSION(hubreg::EraseRow<hubreg::Client>, 1)
CEREAL_CLASS_VERSION(hubreg::InsertRow<hubreg::User>, 1)
CEREAL_CLASS_VERSION(hubreg::UpdateRow<hubreg::User>, 1)
CEREAL_CLASS_VERSION(hubreg::EraseRow<hubreg::User>, 1)
CEREAL_CLASS_VERSION(hubreg::InsertRow<hubreg::ClientUserLink>, 1)
CEREAL_CLASS_VERSION(hubreg::EraseLink, 1)
