// Internal: the data directory's LMDB layout (docs/storage.md, "Data
// directory (LMDB)"). One environment (data.mdb, lock.mdb) with three named
// databases, in format version 3:
//
//   meta      "format_version" -> u32 LE, kStoreFormatVersion (3)
//   snapshot  "header" -> 32 bytes, SnapshotHeader below
//             u64 BE sequence + u32 BE chunk index (12 bytes)
//                      -> one chunk of the codec's EncodeSnapshot bytes
//   journal   u64 BE sequence (8 bytes, so keys sort by sequence)
//             -> u32 LE CRC-32C of the record bytes, then the record
//                (EncodeJournalRecord; entries written before the change
//                feed hold EncodeBatch bytes instead, codec.h)
//
// The snapshot is split into chunks of one LMDB page each (the page size
// less LMDB's 16-byte page header), so every chunk fits the single free
// pages that commits leave behind: a snapshot stored as one value needs a
// contiguous run of free pages, which the journal's pages fragment, so every
// compaction extended the file (issue 16).
//
// Format version 2 is the same layout, but its journal holds entries of
// version 1 only (EncodeBatch): a build that reads up to format 2 takes an
// entry of version 2 (a change-feed record) for corruption, so a directory
// that may hold one says format 3. Format version 1 stored the snapshot as
// one value, "payload", under a 24-byte header (no chunk fields). Both are
// still read as they are (a read-only process may watch a directory an older
// writer still writes, and never writes itself); a writer converts them to
// format 3 when it opens the directory (UpgradeLayout), before its first
// entry. A format newer than kStoreFormatVersion is refused (kVersion).
//
// Every integer is fixed-width; "LE" little-endian, "BE" big-endian.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hubreg/change.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/view.h"
#include "lmdb_env.h"

namespace hubreg::persist {

inline constexpr std::uint32_t kStoreFormatVersion = 3;
// Read, and upgraded when a writer opens the directory:
inline constexpr std::uint32_t kStoreFormatVersionChunked = 2;      // journal entries v1 only
inline constexpr std::uint32_t kStoreFormatVersionSingleValue = 1;  // snapshot as one value
inline constexpr unsigned kMaxDatabases = 4;
inline constexpr std::size_t kJournalKeyBytes = 8;
inline constexpr std::size_t kJournalChecksumBytes = 4;
inline constexpr std::size_t kSnapshotHeaderBytes = 32;
inline constexpr std::size_t kSingleValueSnapshotHeaderBytes = 24;  // format version 1
inline constexpr std::size_t kSnapshotChunkKeyBytes = 12;

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
//   4  u32 CRC-32C of the payload (all chunks in order)
//   8  u64 sequence: the last batch the snapshot includes (0: empty registry)
//  16  u64 payload length in bytes
//  24  u32 chunk count: ceil(payload length / chunk bytes); 0 for no payload
//  28  u32 chunk bytes: the length of every chunk but the last (1..this)
// Format version 1 had only the first 24 bytes; read from such a directory,
// chunk_count and chunk_bytes are 0.
struct SnapshotHeader {
  // Not stored in the header: the format version of the directory it was
  // read from (the current one for a header being written).
  std::uint32_t format_version = kStoreFormatVersion;
  std::uint32_t schema_version = 0;
  std::uint32_t payload_crc = 0;
  std::uint64_t sequence = 0;
  std::uint64_t payload_bytes = 0;
  std::uint32_t chunk_count = 0;
  std::uint32_t chunk_bytes = 0;
};

std::string JournalKey(std::uint64_t sequence);
// REQUIRES: key.size() == kJournalKeyBytes.
std::uint64_t SequenceOfJournalKey(std::string_view key);
// The key of chunk `index` of the snapshot at `sequence`.
std::string SnapshotChunkKey(std::uint64_t sequence, std::uint32_t index);

// Whether the meta database holds a format version (i.e. a registry was
// ever written here). kVersion for a version this build cannot read;
// kCorruption when it holds none but the snapshot or journal database is
// not empty (a damaged key must not make a writer start an empty registry).
StatusOr<bool> HasRegistry(lmdb::Txn& txn, const StoreDbs& dbs);

// Writers, on open: converts a directory of format version 1 to the current
// one in `txn` (the snapshot rewritten in chunks, its bytes, checksum and
// sequence unchanged; the journal untouched). Nothing to do (OK) when it is
// current. kCorruption, and nothing changed, when the old snapshot's length
// or checksum is wrong. REQUIRES: HasRegistry() is true.
Status UpgradeLayout(lmdb::Txn& txn, const StoreDbs& dbs);

// Writes the format version and a snapshot of `view` (replacing the stored
// one), and empties the journal: the layout of a new data directory (or one
// being compacted). Returns the header written.
StatusOr<SnapshotHeader> WriteSnapshot(lmdb::Txn& txn, const StoreDbs& dbs, const View& view);
// The same for payload bytes already encoded (as schema `schema_version`).
StatusOr<SnapshotHeader> WriteSnapshotPayload(lmdb::Txn& txn, const StoreDbs& dbs,
                                              std::uint32_t schema_version, std::uint64_t sequence,
                                              std::string_view payload);

// The header of the stored snapshot, in the layout of the directory's
// format version (one extra read: the version is looked up each time, since
// another process may upgrade the layout between two transactions).
StatusOr<SnapshotHeader> ReadSnapshotHeader(lmdb::Txn& txn, const StoreDbs& dbs);

// Compaction, in two steps: a new snapshot is written beside the stored one
// and made the stored one; then what it made obsolete is dropped.
//
// SwitchSnapshot writes the snapshot `payload` at `sequence` beside the
// stored one and makes it the stored one (header, format version), in `txn`.
// The journal entries up to `sequence` and the old snapshot's chunks stay
// where they are, obsolete: nothing reads journal entries up to the
// snapshot's sequence or chunks of another sequence; entries after
// `sequence` are the new snapshot's journal. So the transaction frees almost
// no pages (only when `sequence` is the stored one are the old chunks, under
// the same keys, deleted in it). kInvalidArgument, nothing written, when the
// stored snapshot is newer than `sequence`.
StatusOr<SnapshotHeader> SwitchSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                        std::uint32_t schema_version, std::uint64_t sequence,
                                        std::string_view payload);

// The same in several transactions, so that batches can be committed between
// them while a large snapshot is written (compaction.h, ReplaceSnapshot):
// PlanStagedSnapshot returns the header of `payload` at `sequence`, which
// must be newer than the stored snapshot (kInvalidArgument otherwise);
// StageSnapshotChunks writes chunks `first` .. `first + count - 1` of it (as
// many as there are) and returns the index after the last one written;
// SwitchToStagedSnapshot, once every chunk is written, makes it the stored
// snapshot (kInvalidArgument, nothing written, if a snapshot at its sequence
// or newer is stored by then). Until the switch, the staged chunks are
// obsolete chunks like any other: a crash leaves them to DropObsolete, and a
// DropObsolete between two steps would delete them, so the steps and
// DropObsolete must not interleave (the store runs one compaction at a time).
StatusOr<SnapshotHeader> PlanStagedSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                            std::uint32_t schema_version, std::uint64_t sequence,
                                            std::string_view payload);
StatusOr<std::uint32_t> StageSnapshotChunks(lmdb::Txn& txn, const StoreDbs& dbs,
                                            const SnapshotHeader& header, std::string_view payload,
                                            std::uint32_t first, std::uint32_t count);
Status SwitchToStagedSnapshot(lmdb::Txn& txn, const StoreDbs& dbs, const SnapshotHeader& header);

// DropObsolete then deletes obsolete chunks and journal entries, at most
// kDropPagesPerTransaction pages' worth in `txn`; true when none is left.
// Why in steps: LMDB records the pages a transaction frees as one value of
// its free-list database, and a value longer than a page needs a run of
// contiguous free pages, which LMDB does not look for in the whole free
// list: it extends the file instead. Dropping a 4 MiB journal at once cost
// about 0.5 byte of data.mdb per batch, forever (docs/operations.md).
// Journal entries from `keep_from` on are kept even where the snapshot
// covers them (the change feed's window, JournalWindowStart).
inline constexpr std::size_t kDropPagesPerTransaction = 256;
StatusOr<bool> DropObsolete(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t keep_from);

// The change feed's journal window: of the entries the stored snapshot
// covers, compaction keeps the newest, at most `batches` of them and at most
// `bytes` of journal values. Returns the first sequence to keep (the
// snapshot's sequence + 1 when none is kept).
struct JournalWindow {
  std::uint64_t batches = 0;
  std::uint64_t bytes = 0;
};
StatusOr<std::uint64_t> JournalWindowStart(lmdb::Txn& txn, const StoreDbs& dbs,
                                           const JournalWindow& window);

// Appends `batch_bytes` (EncodeJournalRecord) under `sequence`. Returns the value's
// size (checksum + batch bytes).
StatusOr<std::size_t> PutJournalEntry(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t sequence,
                                      std::string_view batch_bytes);

// What was read while loading or replaying.
struct JournalTally {
  std::uint64_t batches = 0;
  std::uint64_t bytes = 0;  // journal value bytes
};

// The stored snapshot copied out of the map: its header and payload bytes,
// the chunks' keys and lengths and the payload's checksum checked. Copying
// lets the read transaction end before the slow part (decoding, building
// the indexes): a long read transaction keeps the writer from reusing the
// pages it frees meanwhile, so data.mdb grows by what it writes in that time.
struct SnapshotCopy {
  SnapshotHeader header;
  std::string payload;
};
StatusOr<SnapshotCopy> CopySnapshot(lmdb::Txn& txn, const StoreDbs& dbs);

// Decodes a copied snapshot and builds the registry at its sequence (every
// integrity rule checked). The bytes are freed before the registry is
// built. Errors name the data directory `path`.
StatusOr<std::unique_ptr<Registry>> BuildSnapshot(SnapshotCopy copy, const std::string& path);

// CopySnapshot and BuildSnapshot in one: the transaction stays open
// throughout. Errors name the data directory.
StatusOr<std::unique_ptr<Registry>> LoadSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                                 SnapshotHeader* header);

// Applies the journal entries after registry->LastSequence(), in order, up
// to and including `last` (every entry when 0). Each entry's key must be the
// next sequence and its checksum and batch must be sound; otherwise
// kCorruption naming the sequence. Adds what was applied to *tally.
Status ReplayJournal(lmdb::Txn& txn, const StoreDbs& dbs, Registry* registry, JournalTally* tally,
                     std::uint64_t last = 0);

// The journal entries after `after`, copied out of the map (keys checked
// as by ReplayJournal), so that they can be applied after the read
// transaction ended; ApplyJournal then applies them to a registry at
// `after`, with ReplayJournal's checks and errors (naming `path`).
struct JournalCopy {
  std::uint64_t after = 0;
  std::vector<std::string> values;  // of entries after + 1, after + 2, ...
};
StatusOr<JournalCopy> CopyJournal(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t after);
// The entries after `after` up to and including `last`, counted (keys checked
// as by ReplayJournal; values not decoded).
StatusOr<JournalTally> TallyJournal(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t after,
                                    std::uint64_t last);
Status ApplyJournal(const JournalCopy& copy, const std::string& path, Registry* registry,
                    JournalTally* tally);

// The ChangeBatch stored under `sequence` (checksum and bytes checked, as by
// ReplayJournal); nullopt when the journal holds no such entry;
// kResyncRequired when the entry was written before the change feed (entry
// version 1: no before-images).
StatusOr<std::optional<ChangeBatch>> ReadJournalChanges(lmdb::Txn& txn, const StoreDbs& dbs,
                                                        std::uint64_t sequence);

// Copying in pieces, each in a read transaction of its own (Store::Verify,
// piecewise_verify.h). The caller must check that every piece's transaction
// sees the same snapshot header: chunks and journal entries after it never
// change while it is the stored one.
//
// CopySnapshotChunks appends chunks `first` .. `first + count - 1` (as many
// as there are) of the snapshot `header` describes to *buffer, with
// CopySnapshot's checks: the chunk fields with chunk 0, each chunk's key and
// length, the payload's length and checksum with the last chunk. Returns the
// index after the last chunk copied (header.chunk_count when done). A
// format version 1 payload is one value: it is copied whole.
StatusOr<std::uint32_t> CopySnapshotChunks(lmdb::Txn& txn, const StoreDbs& dbs,
                                           const SnapshotHeader& header, std::uint32_t first,
                                           std::uint32_t count, std::string* buffer);
// CopyJournalRange appends to *copy the entries after the last one it holds
// (copy->after + copy->values.size()), up to and including `last`, stopping
// once `max_bytes` of values are copied (at least one entry is). Keys are
// checked as by ReplayJournal. Returns the sequence of the last entry
// *copy now holds (the one before if there was none to copy).
StatusOr<std::uint64_t> CopyJournalRange(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t last,
                                         std::size_t max_bytes, JournalCopy* copy);

}  // namespace hubreg::persist
