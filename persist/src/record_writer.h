// Internal: what a batch and a journal record (entry version 2) write, for
// any saving archive (string_archive.h). codec.cpp runs these on
// StringOutputArchive; cereal_reference.h runs the same calls on cereal's
// own BinaryOutputArchive, the reference the tests compare the bytes with.
// The journal record's layout is docs/storage.md's "Journal record, entry
// version 2".
#pragma once

#include <cstdint>
#include <variant>

#include "cereal_model.h"
#include "codec.h"
#include "hubreg/batch.h"
#include "hubreg/change.h"

namespace hubreg::persist::record {

// A change's table and sides in a version 2 journal entry.
enum : std::uint8_t { kAppTable, kOrganizationTable, kClientTable, kUserTable, kLinkTable };
enum : std::uint8_t { kBeforeSide = 1, kAfterSide = 2 };

template <typename Row>
constexpr std::uint8_t kTableCode = kLinkTable;
template <>
constexpr std::uint8_t kTableCode<App> = kAppTable;
template <>
constexpr std::uint8_t kTableCode<Organization> = kOrganizationTable;
template <>
constexpr std::uint8_t kTableCode<Client> = kClientTable;
template <>
constexpr std::uint8_t kTableCode<User> = kUserTable;

template <SavingArchive Archive, typename Row>
void SaveChange(Archive& ar, const RowChange<Row>& change) {
  const std::uint8_t table = kTableCode<Row>;
  const auto sides = static_cast<std::uint8_t>((change.before ? kBeforeSide : 0) |
                                               (change.after ? kAfterSide : 0));
  ar(table, sides);
  if (change.before) ar(const_cast<Row&>(*change.before));
  if (change.after) ar(const_cast<Row&>(*change.after));
}

template <SavingArchive Archive>
void WriteBatch(Archive& ar, const Batch& batch) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(batch.size())));
  for (const Mutation& mutation : batch.mutations()) ar(mutation);
}

template <SavingArchive Archive>
void WriteJournalRecord(Archive& ar, const ChangeBatch& changes) {
  const std::uint64_t tag = kJournalEntryV2Tag;
  ar(tag);
  Timestamp committed_at = changes.committed_at;
  Field(ar, committed_at);
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(changes.changes.size())));
  for (const Change& change : changes.changes) {
    std::visit([&ar](const auto& c) { SaveChange(ar, c); }, change);
  }
  // The access events are stored, not recomputed: they depend on the state
  // right after the batch, which a reader of an old entry no longer has.
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(changes.access.size())));
  for (const AccessChange& a : changes.access) {
    ar(a.user_id, a.client_id, static_cast<std::uint8_t>(a.before),
       static_cast<std::uint8_t>(a.after), a.organization_before, a.organization_after);
  }
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(changes.connection_changed.size())));
  for (Id id : changes.connection_changed) ar(id);
}

}  // namespace hubreg::persist::record
