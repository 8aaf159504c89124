// Internal, for tests and benchmarks only: batches and journal records
// encoded field by field through cereal's own BinaryOutputArchive, the
// reference for the bytes codec.cpp writes with StringOutputArchive
// (tests/codec_test.cpp compares them; bench/codec_bench.cpp times both).
// The journal record's layout is docs/storage.md's "Journal record, entry
// version 2".
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <type_traits>
#include <variant>

#include "cereal_model.h"
#include "codec.h"
#include "hubreg/change.h"

namespace hubreg::persist::reference {

// What `write` writes to a cereal archive, as a string.
template <typename Write>
std::string CerealBytes(Write&& write) {
  std::string out;
  StringSink sink(&out);
  std::ostream stream(&sink);
  {
    cereal::BinaryOutputArchive ar(stream);
    write(ar);
  }
  return out;
}

inline std::string EncodeBatch(const Batch& batch) {
  return CerealBytes([&](cereal::BinaryOutputArchive& ar) {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(batch.size())));
    for (const Mutation& mutation : batch.mutations()) ar(mutation);
  });
}

template <typename Row>
void SaveChange(cereal::BinaryOutputArchive& ar, const RowChange<Row>& change) {
  std::uint8_t table = 4;  // links
  if constexpr (std::is_same_v<Row, App>) table = 0;
  if constexpr (std::is_same_v<Row, Organization>) table = 1;
  if constexpr (std::is_same_v<Row, Client>) table = 2;
  if constexpr (std::is_same_v<Row, User>) table = 3;
  const auto sides = static_cast<std::uint8_t>((change.before ? 1 : 0) | (change.after ? 2 : 0));
  ar(table, sides);
  if (change.before) ar(*change.before);
  if (change.after) ar(*change.after);
}

inline std::string EncodeJournalRecord(const ChangeBatch& changes) {
  return CerealBytes([&](cereal::BinaryOutputArchive& ar) {
    ar(kJournalEntryV2Tag);
    ar(static_cast<std::int64_t>(changes.committed_at.time_since_epoch().count()));
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(changes.changes.size())));
    for (const Change& change : changes.changes) {
      std::visit([&ar](const auto& c) { SaveChange(ar, c); }, change);
    }
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(changes.access.size())));
    for (const AccessChange& a : changes.access) {
      ar(a.user_id, a.client_id, static_cast<std::uint8_t>(a.before),
         static_cast<std::uint8_t>(a.after), a.organization_before, a.organization_after);
    }
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(changes.connection_changed.size())));
    for (Id id : changes.connection_changed) ar(id);
  });
}

}  // namespace hubreg::persist::reference
