// Internal: the data directory's LMDB layout (docs/storage.md, "Data
// directory (LMDB)"). One environment (data.mdb, lock.mdb) with three named
// databases:
//
//   meta      "format_version" -> u32 LE, kStoreFormatVersion (1)
//   snapshot  "header"  -> 24 bytes, SnapshotHeader below
//             "payload" -> the codec's EncodeSnapshot bytes (one value)
//   journal   u64 BE sequence (8 bytes, so keys sort by sequence)
//             -> u32 LE CRC-32C of the batch bytes, then EncodeBatch bytes
//
// Every integer is fixed-width; "LE" little-endian, "BE" big-endian.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/view.h"
#include "lmdb_env.h"

namespace hubreg::persist {

inline constexpr std::uint32_t kStoreFormatVersion = 1;
inline constexpr unsigned kMaxDatabases = 4;
inline constexpr std::size_t kJournalKeyBytes = 8;
inline constexpr std::size_t kJournalChecksumBytes = 4;
inline constexpr std::size_t kSnapshotHeaderBytes = 24;

struct StoreDbs {
  MDB_dbi meta = 0;
  MDB_dbi snapshot = 0;
  MDB_dbi journal = 0;
};

// Opens the three databases; `create` makes missing ones (write
// transactions only). kNotFound when one is missing and not created.
StatusOr<StoreDbs> OpenDbs(lmdb::Txn& txn, bool create);

// The stored snapshot's description. Bytes (LE):
//   0  u32 schema_version (102 = v1.2; 100 = v1.0, migrated on open)
//   4  u32 CRC-32C of the payload
//   8  u64 sequence: the last batch the snapshot includes (0: empty registry)
//  16  u64 payload length in bytes
struct SnapshotHeader {
  std::uint32_t schema_version = 0;
  std::uint32_t payload_crc = 0;
  std::uint64_t sequence = 0;
  std::uint64_t payload_bytes = 0;
};

std::string JournalKey(std::uint64_t sequence);

// Whether the meta database holds a format version (i.e. a registry was
// ever written here). kVersion for a version this build cannot read.
StatusOr<bool> HasRegistry(lmdb::Txn& txn, const StoreDbs& dbs);

// Writes the format version and a snapshot of `view`, and empties the
// journal: the layout of a new data directory (or one being compacted).
// Returns the header written.
StatusOr<SnapshotHeader> WriteSnapshot(lmdb::Txn& txn, const StoreDbs& dbs, const View& view);
// The same for payload bytes already encoded (as schema `schema_version`).
StatusOr<SnapshotHeader> WriteSnapshotPayload(lmdb::Txn& txn, const StoreDbs& dbs,
                                              std::uint32_t schema_version, std::uint64_t sequence,
                                              std::string_view payload);

StatusOr<SnapshotHeader> ReadSnapshotHeader(lmdb::Txn& txn, const StoreDbs& dbs);

// Appends `batch_bytes` (EncodeBatch) under `sequence`. Returns the value's
// size (checksum + batch bytes).
StatusOr<std::size_t> PutJournalEntry(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t sequence,
                                      std::string_view batch_bytes);

// What was read while loading or replaying.
struct JournalTally {
  std::uint64_t batches = 0;
  std::uint64_t bytes = 0;  // journal value bytes
};

// Decodes and checks the stored snapshot (checksum, decoding, integrity) and
// builds a registry at its sequence. The payload is decoded straight from
// the memory map. Errors name the data directory.
StatusOr<std::unique_ptr<Registry>> LoadSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                                 SnapshotHeader* header);

// Applies the journal entries after registry->LastSequence(), in order, up
// to and including `last` (every entry when 0). Each entry's key must be the
// next sequence and its checksum and batch must be sound; otherwise
// kCorruption naming the sequence. Adds what was applied to *tally.
Status ReplayJournal(lmdb::Txn& txn, const StoreDbs& dbs, Registry* registry, JournalTally* tally,
                     std::uint64_t last = 0);

// Checks every journal entry after `after` decodes (without applying it).
Status CheckJournalDecodes(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t after);

}  // namespace hubreg::persist
