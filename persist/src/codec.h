// Internal: cereal encodings of batches (journal records) and of whole
// registry states (snapshots). The bytes are described in docs/storage.md,
// "Record encoding (cereal, versions)".
//
// Decoding never reads outside `bytes`, never allocates more than a small
// multiple of `bytes.size()`, and never throws: damaged bytes give
// kCorruption naming what was being decoded and the byte offset.
// Thread safety: all functions may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hubreg/batch.h"
#include "hubreg/change.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/view.h"

namespace hubreg::persist {

// Registry schema versions a snapshot can hold: major * 100 + minor.
inline constexpr std::uint32_t kSchemaV10 = 100, kSchemaV12 = 102;
inline constexpr std::uint32_t kCurrentSchema = kSchemaV12;

// "v1.0" for 100, "v1.2" for 102, otherwise the number.
std::string SchemaName(std::uint32_t schema_version);

std::string EncodeBatch(const Batch& batch);
// Replaces *batch with the decoded mutations. kCorruption on bad bytes,
// including bytes left over after the last mutation.
Status DecodeBatch(std::string_view bytes, Batch* batch);

// A journal entry's body (docs/storage.md, "Journal entries"). Entry
// version 2 holds the ChangeBatch (rows before and after); entry version 1,
// written before the change feed, holds the batch as applied (EncodeBatch)
// and no before-images.
inline constexpr std::uint32_t kJournalEntryV1 = 1, kJournalEntryV2 = 2;
// The first 8 bytes of a version 2 body (u64 LE). A version 1 body starts
// with its mutation count, which can never be this large.
inline constexpr std::uint64_t kJournalEntryV2Tag = 0xFFFF'FFFF'FFFF'FF02;

struct JournalRecord {
  std::uint32_t entry_version = kJournalEntryV2;
  // Version 2: committed_at and changes (sequence, access and
  // connection_changed are not stored: the key holds the sequence, the rest
  // is derived). Version 1: empty.
  ChangeBatch changes;
  // What replaying the entry applies: version 1's stored batch, or
  // ToBatch(changes).
  Batch batch;
};

// Version 2 bytes of `changes` (its committed_at and changes).
std::string EncodeJournalRecord(const ChangeBatch& changes);
// Decodes either version. kCorruption on bad bytes (including a link change
// with both sides, or bytes left over).
Status DecodeJournalRecord(std::string_view bytes, JournalRecord* record);

// Every row of `view` and its next ids, in schema v1.2. With at least
// `parallel_from_users` users (kParallelEncodeUsers by default), the second
// half of the users and their links are encoded on a second thread: the
// same bytes in about half the time where a compaction holds writers back
// while it encodes (docs/storage.md, "Compaction").
inline constexpr std::size_t kParallelEncodeUsers = 50'000;
std::string EncodeSnapshot(const View& view);
std::string EncodeSnapshot(const View& view, std::size_t parallel_from_users);
// Rows of a snapshot payload written in `schema_version` (kSchemaV10 rows are
// migrated to v1.2: clients without an organization, no apps or
// organizations). kVersion for a schema this build does not know.
StatusOr<RegistryRows> DecodeSnapshot(std::string_view bytes, std::uint32_t schema_version);

}  // namespace hubreg::persist
