#include "store_layout.h"

#include <algorithm>
#include <boost/endian/conversion.hpp>
#include <cstring>
#include <utility>
#include <vector>

#include "checksum.h"
#include "codec.h"
#include "populate.h"

namespace hubreg::persist {
namespace {

namespace endian = boost::endian;

constexpr std::string_view kFormatKey = "format_version";
constexpr std::string_view kHeaderKey = "header";
constexpr std::string_view kPayloadKey = "payload";

template <typename T>
void StoreLittle(char* out, T value) {
  value = endian::native_to_little(value);
  std::memcpy(out, &value, sizeof value);
}

template <typename T>
T LoadLittle(const char* in) {
  T value;
  std::memcpy(&value, in, sizeof value);
  return endian::little_to_native(value);
}

std::uint64_t SequenceOfKey(std::string_view key) {
  std::uint64_t value;
  std::memcpy(&value, key.data(), sizeof value);
  return endian::big_to_native(value);
}

std::string HeaderBytes(const SnapshotHeader& header) {
  std::string bytes(kSnapshotHeaderBytes, '\0');
  StoreLittle(bytes.data(), header.schema_version);
  StoreLittle(bytes.data() + 4, header.payload_crc);
  StoreLittle(bytes.data() + 8, header.sequence);
  StoreLittle(bytes.data() + 16, header.payload_bytes);
  StoreLittle(bytes.data() + 24, header.chunk_count);
  StoreLittle(bytes.data() + 28, header.chunk_bytes);
  return bytes;
}

Status Corrupt(const std::string& path, const std::string& what) {
  return Status::Corruption(path + ": " + what);
}

Status Corrupt(const lmdb::Txn& txn, const std::string& what) { return Corrupt(txn.path(), what); }

// A snapshot at `sequence` may only replace an older one: the stored one
// being newer means something else switched snapshots meanwhile (compactions
// run one at a time, in the one writing process).
Status OlderThanStored(const lmdb::Txn& txn, const SnapshotHeader& stored, std::uint64_t sequence) {
  return Status::InvalidArgument(txn.path() + ": a snapshot at batch " + std::to_string(sequence) +
                                 " cannot replace the stored one at batch " +
                                 std::to_string(stored.sequence));
}

MDB_env* EnvOf(const lmdb::Txn& txn) { return mdb_txn_env(txn.handle()); }

// The bytes of one chunk: a value that fills exactly one overflow page, i.e.
// the page size less LMDB's page header (16 bytes in LMDB 0.9). Were the
// header larger, a chunk would take two pages: still correct, only less
// dense.
std::uint32_t ChunkBytesFor(const lmdb::Txn& txn) {
  constexpr std::uint32_t kLmdbPageHeaderBytes = 16;
  MDB_stat stat{};
  mdb_env_stat(EnvOf(txn), &stat);
  return stat.ms_psize - kLmdbPageHeaderBytes;
}

// The bytes of the map in use: no stored length may ask for more.
std::uint64_t MapUsedBytes(const lmdb::Txn& txn) {
  MDB_envinfo info{};
  MDB_stat stat{};
  mdb_env_info(EnvOf(txn), &info);
  mdb_env_stat(EnvOf(txn), &stat);
  return static_cast<std::uint64_t>(info.me_last_pgno + 1) * stat.ms_psize;
}

StatusOr<std::uint32_t> FormatVersion(lmdb::Txn& txn, const StoreDbs& dbs) {
  auto format = txn.Get(dbs.meta, kFormatKey);
  if (!format.ok()) return format.status();
  if (!format->has_value()) return std::uint32_t{0};
  std::string_view bytes = **format;
  if (bytes.size() != 4) {
    return Corrupt(
        txn, "meta format_version has " + std::to_string(bytes.size()) + " bytes (expected 4)");
  }
  std::uint32_t version = LoadLittle<std::uint32_t>(bytes.data());
  if (version > kStoreFormatVersion) {
    return Status::Version(txn.path() + ": written by a newer hubreg (format " +
                           std::to_string(version) + ", this build reads up to " +
                           std::to_string(kStoreFormatVersion) + ")");
  }
  if (version < kStoreFormatVersionSingleValue) {
    return Status::Version(
        txn.path() + ": data directory format version " + std::to_string(version) +
        " is not supported (supported: " + std::to_string(kStoreFormatVersionSingleValue) + " to " +
        std::to_string(kStoreFormatVersion) + ")");
  }
  return version;
}

Status CheckPayload(const lmdb::Txn& txn, const SnapshotHeader& header, std::string_view bytes) {
  if (bytes.size() != header.payload_bytes) {
    return Corrupt(txn, "snapshot payload has " + std::to_string(bytes.size()) +
                            " bytes, its header says " + std::to_string(header.payload_bytes));
  }
  std::uint32_t crc = ComputeCrc32c(bytes);
  if (crc != header.payload_crc) {
    return Corrupt(txn, "snapshot payload checksum mismatch (stored " +
                            std::to_string(header.payload_crc) + ", computed " +
                            std::to_string(crc) + ")");
  }
  return Status::Ok();
}

// Format version 1: the payload is one value, read in place from the map.
StatusOr<std::string_view> SingleValuePayload(lmdb::Txn& txn, const StoreDbs& dbs,
                                              const SnapshotHeader& header) {
  auto payload = txn.Get(dbs.snapshot, kPayloadKey);
  if (!payload.ok()) return payload.status();
  if (!payload->has_value()) return Corrupt(txn, "the snapshot payload is missing");
  HUBREG_RETURN_IF_ERROR(CheckPayload(txn, header, **payload));
  return **payload;
}

// Appends chunks `first`, `first + 1`, ... (at most `count`) of the snapshot
// `header` describes to *buffer, checking each key and length; the header's
// chunk fields first (with chunk 0), the whole payload's length and
// checksum last (with the last chunk). Returns the index after the last
// chunk copied.
StatusOr<std::uint32_t> AppendChunks(lmdb::Txn& txn, const StoreDbs& dbs,
                                     const SnapshotHeader& header, std::uint32_t first,
                                     std::uint32_t count, std::string* buffer) {
  const std::uint64_t capacity =
      static_cast<std::uint64_t>(header.chunk_count) * header.chunk_bytes;
  if (first == 0 &&
      (capacity < header.payload_bytes ||
       (header.chunk_count > 0 && capacity - header.chunk_bytes >= header.payload_bytes))) {
    return Corrupt(txn, "snapshot header: " + std::to_string(header.chunk_count) + " chunks of " +
                            std::to_string(header.chunk_bytes) + " bytes cannot hold " +
                            std::to_string(header.payload_bytes) + " payload bytes");
  }
  // A damaged length must not make us allocate more than the file holds.
  if (first == 0 && header.payload_bytes <= MapUsedBytes(txn)) {
    buffer->reserve(header.payload_bytes);
    PopulateForWriting(buffer->data(), header.payload_bytes);
  }
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(txn, dbs.snapshot);
  if (!cursor.ok()) return cursor.status();
  const std::uint32_t end = first + std::min(count, header.chunk_count - first);
  for (std::uint32_t index = first; index < end; ++index) {
    const std::string key = SnapshotChunkKey(header.sequence, index);
    auto entry = index == first ? cursor->Get(MDB_SET_RANGE, key) : cursor->Get(MDB_NEXT);
    if (!entry.ok()) return entry.status();
    const std::string chunk = "snapshot chunk " + std::to_string(index) + " of " +
                              std::to_string(header.chunk_count) + " (sequence " +
                              std::to_string(header.sequence) + ")";
    if (!entry->has_value() || (*entry)->key != key) return Corrupt(txn, chunk + " is missing");
    const std::uint64_t expected = std::min<std::uint64_t>(
        header.chunk_bytes, header.payload_bytes - std::uint64_t{index} * header.chunk_bytes);
    if ((*entry)->value.size() != expected) {
      return Corrupt(txn, chunk + " has " + std::to_string((*entry)->value.size()) +
                              " bytes (expected " + std::to_string(expected) + ")");
    }
    buffer->append((*entry)->value);
  }
  if (end == header.chunk_count) HUBREG_RETURN_IF_ERROR(CheckPayload(txn, header, *buffer));
  return end;
}

// Copies the chunks of the snapshot `header` describes into *buffer, checking
// each key and length, then the whole payload's checksum.
Status GatherChunks(lmdb::Txn& txn, const StoreDbs& dbs, const SnapshotHeader& header,
                    std::string* buffer) {
  return AppendChunks(txn, dbs, header, 0, header.chunk_count, buffer).status();
}

// `header` with its length and chunk fields filled in for `payload` (its
// checksum must already be the payload's), chunks of one page of `txn`'s
// environment.
SnapshotHeader ChunkedHeader(const lmdb::Txn& txn, SnapshotHeader header,
                             std::string_view payload) {
  header.format_version = kStoreFormatVersion;
  header.payload_bytes = payload.size();
  header.chunk_bytes = ChunkBytesFor(txn);
  header.chunk_count =
      static_cast<std::uint32_t>((payload.size() + header.chunk_bytes - 1) / header.chunk_bytes);
  return header;
}

// Writes chunks `first` .. `end - 1` of `payload` under `header.sequence`.
Status PutChunks(lmdb::Txn& txn, const StoreDbs& dbs, const SnapshotHeader& header,
                 std::string_view payload, std::uint32_t first, std::uint32_t end) {
  for (std::uint32_t index = first; index < end; ++index) {
    const std::string_view chunk =
        payload.substr(std::size_t{index} * header.chunk_bytes, header.chunk_bytes);
    HUBREG_RETURN_IF_ERROR(
        txn.PutReserved(dbs.snapshot, SnapshotChunkKey(header.sequence, index), chunk.size(),
                        [&](char* out) { std::memcpy(out, chunk.data(), chunk.size()); }));
  }
  return Status::Ok();
}

// Makes `header` the stored snapshot's, in the current format version.
Status PutHeader(lmdb::Txn& txn, const StoreDbs& dbs, const SnapshotHeader& header) {
  HUBREG_RETURN_IF_ERROR(txn.Put(dbs.snapshot, kHeaderKey, HeaderBytes(header)));
  char format[4];
  StoreLittle(format, kStoreFormatVersion);
  return txn.Put(dbs.meta, kFormatKey, std::string_view(format, 4));
}

// Writes `payload` in chunks under `header.sequence`, then `header` with its
// length and chunk fields filled in (its checksum must already be the
// payload's), and the current format version. REQUIRES: no chunk of
// `header.sequence` is stored.
StatusOr<SnapshotHeader> PutChunkedSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                            SnapshotHeader header, std::string_view payload) {
  header = ChunkedHeader(txn, header, payload);
  HUBREG_RETURN_IF_ERROR(PutChunks(txn, dbs, header, payload, 0, header.chunk_count));
  HUBREG_RETURN_IF_ERROR(PutHeader(txn, dbs, header));
  return header;
}

// The batch bytes of one journal value, after checking its checksum.
StatusOr<std::string_view> CheckedBatchBytes(const std::string& path, std::uint64_t sequence,
                                             std::string_view value) {
  const std::string entry = "journal entry " + std::to_string(sequence);
  if (value.size() < kJournalChecksumBytes) {
    return Corrupt(path, entry + ": " + std::to_string(value.size()) +
                             " bytes, shorter than its 4-byte checksum");
  }
  std::string_view batch = value.substr(kJournalChecksumBytes);
  std::uint32_t stored = LoadLittle<std::uint32_t>(value.data());
  std::uint32_t computed = ComputeCrc32c(batch);
  if (stored != computed) {
    return Corrupt(path, entry + ": checksum mismatch (stored " + std::to_string(stored) +
                             ", computed " + std::to_string(computed) + ")");
  }
  return batch;
}

StatusOr<JournalRecord> DecodeJournalEntry(const std::string& path, std::uint64_t sequence,
                                           std::string_view value) {
  StatusOr<std::string_view> bytes = CheckedBatchBytes(path, sequence, value);
  if (!bytes.ok()) return bytes.status();
  JournalRecord record;
  Status decoded = DecodeJournalRecord(*bytes, &record);
  if (!decoded.ok()) {
    return Corrupt(path, "journal entry " + std::to_string(sequence) + ": " + decoded.message());
  }
  record.changes.sequence = sequence;
  return record;
}

// Applies the journal value of `sequence` to `registry`, which must be at
// sequence - 1.
Status ApplyJournalEntry(const std::string& path, std::uint64_t sequence, std::string_view value,
                         Registry* registry, JournalTally* tally) {
  StatusOr<JournalRecord> record = DecodeJournalEntry(path, sequence, value);
  if (!record.ok()) return record.status();
  StatusOr<CommitResult> applied = registry->Apply(record->batch);
  if (!applied.ok()) {
    return Corrupt(path, "journal entry " + std::to_string(sequence) +
                             " does not apply: " + applied.status().ToString());
  }
  if (applied->sequence != sequence) {
    return Corrupt(path, "journal entry " + std::to_string(sequence) + " applied as " +
                             std::to_string(applied->sequence) + " (an empty batch)");
  }
  tally->batches += 1;
  tally->bytes += value.size();
  return Status::Ok();
}

// Visits the journal entries with a key above `after` in order, checking
// that their keys are well formed and consecutive.
template <typename Visit>
Status ForEachJournalEntry(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t after,
                           Visit&& visit) {
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(txn, dbs.journal);
  if (!cursor.ok()) return cursor.status();
  std::uint64_t expected = after + 1;
  auto entry = cursor->Get(MDB_SET_RANGE, JournalKey(expected));
  for (;;) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) return Status::Ok();
    const lmdb::Cursor::Entry& found = **entry;
    if (found.key.size() != kJournalKeyBytes) {
      return Corrupt(txn, "journal key of " + std::to_string(found.key.size()) +
                              " bytes after entry " + std::to_string(expected - 1) +
                              " (expected 8)");
    }
    std::uint64_t sequence = SequenceOfKey(found.key);
    if (sequence != expected) {
      return Corrupt(txn, "journal entry " + std::to_string(expected) + " is missing (next is " +
                              std::to_string(sequence) + ")");
    }
    bool more = true;
    HUBREG_RETURN_IF_ERROR(visit(sequence, found.value, &more));
    if (!more) return Status::Ok();
    ++expected;
    entry = cursor->Get(MDB_NEXT);
  }
}

}  // namespace

std::uint64_t SequenceOfJournalKey(std::string_view key) { return SequenceOfKey(key); }

std::string JournalKey(std::uint64_t sequence) {
  std::string key(kJournalKeyBytes, '\0');
  sequence = endian::native_to_big(sequence);
  std::memcpy(key.data(), &sequence, sizeof sequence);
  return key;
}

StatusOr<StoreDbs> OpenDbs(lmdb::Txn& txn, bool create) {
  StoreDbs dbs;
  for (auto [name, dbi] : {std::pair{"meta", &dbs.meta}, std::pair{"snapshot", &dbs.snapshot},
                           std::pair{"journal", &dbs.journal}}) {
    StatusOr<MDB_dbi> opened = txn.OpenDb(name, create);
    if (!opened.ok()) return opened.status();
    *dbi = *opened;
  }
  return dbs;
}

std::string SnapshotChunkKey(std::uint64_t sequence, std::uint32_t index) {
  std::string key(kSnapshotChunkKeyBytes, '\0');
  sequence = endian::native_to_big(sequence);
  index = endian::native_to_big(index);
  std::memcpy(key.data(), &sequence, sizeof sequence);
  std::memcpy(key.data() + sizeof sequence, &index, sizeof index);
  return key;
}

StatusOr<bool> HasRegistry(lmdb::Txn& txn, const StoreDbs& dbs) {
  StatusOr<std::uint32_t> version = FormatVersion(txn, dbs);
  if (!version.ok()) return version.status();
  if (*version != 0) return true;
  // A writer would put an empty registry here: make sure there is nothing a
  // damaged meta database merely fails to name.
  for (auto [name, dbi] :
       {std::pair{"snapshot", dbs.snapshot}, std::pair{"journal", dbs.journal}}) {
    MDB_stat stat{};
    int rc = mdb_stat(txn.handle(), dbi, &stat);
    if (rc != 0) return lmdb::Error(rc, "mdb_stat", txn.path());
    if (stat.ms_entries != 0) {
      return Corrupt(txn, "the format version is missing, but the " + std::string(name) +
                              " database holds " + std::to_string(stat.ms_entries) +
                              " entries (a damaged meta database)");
    }
  }
  return false;
}

Status UpgradeLayout(lmdb::Txn& txn, const StoreDbs& dbs) {
  StatusOr<std::uint32_t> version = FormatVersion(txn, dbs);
  if (!version.ok()) return version.status();
  if (*version == kStoreFormatVersion) return Status::Ok();
  if (*version == kStoreFormatVersionChunked) {
    // The same layout; from now on the journal may hold entries of version
    // 2, which a build reading format 2 at most would take for corruption.
    char format[4];
    StoreLittle(format, kStoreFormatVersion);
    return txn.Put(dbs.meta, kFormatKey, std::string_view(format, 4));
  }
  StatusOr<SnapshotHeader> header = ReadSnapshotHeader(txn, dbs);
  if (!header.ok()) return header.status();
  StatusOr<std::string_view> payload = SingleValuePayload(txn, dbs, *header);
  if (!payload.ok()) return payload.status();
  // The payload points into the map, and the snapshot database is about to
  // be emptied: copy it first.
  const std::string bytes(*payload);
  HUBREG_RETURN_IF_ERROR(txn.Clear(dbs.snapshot));
  return PutChunkedSnapshot(txn, dbs, *header, bytes).status();
}

StatusOr<SnapshotHeader> WriteSnapshotPayload(lmdb::Txn& txn, const StoreDbs& dbs,
                                              std::uint32_t schema_version, std::uint64_t sequence,
                                              std::string_view payload) {
  SnapshotHeader header;
  header.schema_version = schema_version;
  header.payload_crc = ComputeCrc32c(payload);
  header.sequence = sequence;
  // The old snapshot's chunks (or a format version 1 payload) go; its pages
  // are free for the next snapshot once no reader needs them.
  HUBREG_RETURN_IF_ERROR(txn.Clear(dbs.snapshot));
  StatusOr<SnapshotHeader> written = PutChunkedSnapshot(txn, dbs, header, payload);
  if (!written.ok()) return written.status();
  // Every entry is covered by the new snapshot: the writer is excluded while
  // a snapshot is written, so the journal ends at `sequence`.
  HUBREG_RETURN_IF_ERROR(txn.Clear(dbs.journal));
  return written;
}

StatusOr<SnapshotHeader> SwitchSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                        std::uint32_t schema_version, std::uint64_t sequence,
                                        std::string_view payload) {
  StatusOr<SnapshotHeader> stored = ReadSnapshotHeader(txn, dbs);
  if (!stored.ok()) return stored.status();
  if (stored->format_version == kStoreFormatVersionSingleValue) {
    HUBREG_RETURN_IF_ERROR(txn.Clear(dbs.snapshot));
  } else if (stored->sequence == sequence) {
    // The same state again (a requested compaction with no batch since, or a
    // schema migration): the new chunks take the old ones' keys.
    for (std::uint32_t index = 0; index < stored->chunk_count; ++index) {
      HUBREG_RETURN_IF_ERROR(txn.Delete(dbs.snapshot, SnapshotChunkKey(sequence, index)));
    }
  } else if (stored->sequence > sequence) {
    return OlderThanStored(txn, *stored, sequence);
  }
  SnapshotHeader header;
  header.schema_version = schema_version;
  header.payload_crc = ComputeCrc32c(payload);
  header.sequence = sequence;
  return PutChunkedSnapshot(txn, dbs, header, payload);
}

StatusOr<SnapshotHeader> PlanStagedSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                            std::uint32_t schema_version, std::uint64_t sequence,
                                            std::string_view payload) {
  StatusOr<SnapshotHeader> stored = ReadSnapshotHeader(txn, dbs);
  if (!stored.ok()) return stored.status();
  if (stored->sequence >= sequence) return OlderThanStored(txn, *stored, sequence);
  SnapshotHeader header;
  header.schema_version = schema_version;
  header.payload_crc = ComputeCrc32c(payload);
  header.sequence = sequence;
  return ChunkedHeader(txn, header, payload);
}

StatusOr<std::uint32_t> StageSnapshotChunks(lmdb::Txn& txn, const StoreDbs& dbs,
                                            const SnapshotHeader& header, std::string_view payload,
                                            std::uint32_t first, std::uint32_t count) {
  const std::uint32_t end =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(header.chunk_count, first + count));
  HUBREG_RETURN_IF_ERROR(PutChunks(txn, dbs, header, payload, first, end));
  return end;
}

Status SwitchToStagedSnapshot(lmdb::Txn& txn, const StoreDbs& dbs, const SnapshotHeader& header) {
  StatusOr<SnapshotHeader> stored = ReadSnapshotHeader(txn, dbs);
  if (!stored.ok()) return stored.status();
  if (stored->sequence >= header.sequence) {
    return OlderThanStored(txn, *stored, header.sequence);
  }
  return PutHeader(txn, dbs, header);
}

StatusOr<std::uint64_t> JournalWindowStart(lmdb::Txn& txn, const StoreDbs& dbs,
                                           const JournalWindow& window) {
  StatusOr<SnapshotHeader> header = ReadSnapshotHeader(txn, dbs);
  if (!header.ok()) return header.status();
  std::uint64_t start = header->sequence + 1;
  if (window.batches == 0 || window.bytes == 0 || header->sequence == 0) return start;
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(txn, dbs.journal);
  if (!cursor.ok()) return cursor.status();
  // Newest covered entry first: the one before the first entry after the
  // snapshot, or the last one when there is none.
  auto entry = cursor->Get(MDB_SET_RANGE, JournalKey(header->sequence + 1));
  if (!entry.ok()) return entry.status();
  entry = cursor->Get(entry->has_value() ? MDB_PREV : MDB_LAST);
  std::uint64_t kept = 0, bytes = 0;
  for (; kept < window.batches; entry = cursor->Get(MDB_PREV)) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) break;
    const std::string_view key = (*entry)->key;
    if (key.size() != kJournalKeyBytes) break;
    const std::uint64_t sequence = SequenceOfKey(key);
    // Only an unbroken run ending at the snapshot can serve a cursor.
    if (sequence != start - 1) break;
    bytes += (*entry)->value.size();
    if (bytes > window.bytes) break;
    start = sequence;
    ++kept;
  }
  return start;
}

StatusOr<bool> DropObsolete(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t keep_from) {
  StatusOr<SnapshotHeader> header = ReadSnapshotHeader(txn, dbs);
  if (!header.ok()) return header.status();
  if (header->format_version == kStoreFormatVersionSingleValue) return true;
  // Pages this transaction may free: an overflow chunk is one page, journal
  // entries about one leaf page per 2 KiB (half-full leaves, the worst case).
  constexpr std::size_t kJournalBytesPerPage = 2048;
  std::size_t pages = 0;
  std::vector<std::string> chunks, entries;

  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(txn, dbs.snapshot);
  if (!cursor.ok()) return cursor.status();
  // Chunks of earlier snapshots sort before the current ones; "header" and,
  // should a sequence ever reach 0x68 << 56, later chunks come after them.
  auto collect_chunks = [&](auto entry, bool below) -> Status {
    for (; pages < kDropPagesPerTransaction; entry = cursor->Get(MDB_NEXT)) {
      if (!entry.ok()) return entry.status();
      if (!entry->has_value()) break;
      const std::string_view key = (*entry)->key;
      if (key.size() == kSnapshotChunkKeyBytes) {
        const std::uint64_t sequence = SequenceOfKey(key);
        if (below && sequence >= header->sequence) break;
        if (sequence == header->sequence) continue;
        chunks.emplace_back(key);
        ++pages;
      }
    }
    return Status::Ok();
  };
  HUBREG_RETURN_IF_ERROR(collect_chunks(cursor->Get(MDB_FIRST), /*below=*/true));
  if (header->sequence != UINT64_MAX) {
    HUBREG_RETURN_IF_ERROR(collect_chunks(
        cursor->Get(MDB_SET_RANGE, SnapshotChunkKey(header->sequence + 1, 0)), /*below=*/false));
  }

  StatusOr<lmdb::Cursor> journal = lmdb::Cursor::Open(txn, dbs.journal);
  if (!journal.ok()) return journal.status();
  std::size_t journal_bytes = 0;
  for (auto entry = journal->Get(MDB_FIRST);
       pages + journal_bytes / kJournalBytesPerPage < kDropPagesPerTransaction;
       entry = journal->Get(MDB_NEXT)) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) break;
    const std::string_view key = (*entry)->key;
    // A malformed key is left for the journal's reader to report.
    if (key.size() != kJournalKeyBytes || SequenceOfKey(key) > header->sequence ||
        SequenceOfKey(key) >= keep_from) {
      break;
    }
    entries.emplace_back(key);
    journal_bytes += key.size() + (*entry)->value.size();
  }
  pages += journal_bytes / kJournalBytesPerPage;

  for (const std::string& key : chunks) HUBREG_RETURN_IF_ERROR(txn.Delete(dbs.snapshot, key));
  for (const std::string& key : entries) HUBREG_RETURN_IF_ERROR(txn.Delete(dbs.journal, key));
  return pages < kDropPagesPerTransaction;
}

StatusOr<SnapshotHeader> WriteSnapshot(lmdb::Txn& txn, const StoreDbs& dbs, const View& view) {
  return WriteSnapshotPayload(txn, dbs, kCurrentSchema, view.sequence(), EncodeSnapshot(view));
}

StatusOr<SnapshotHeader> ReadSnapshotHeader(lmdb::Txn& txn, const StoreDbs& dbs) {
  StatusOr<std::uint32_t> version = FormatVersion(txn, dbs);
  if (!version.ok()) return version.status();
  if (*version == 0) return Corrupt(txn, "the format version is missing");
  const std::size_t size = *version == kStoreFormatVersionSingleValue
                               ? kSingleValueSnapshotHeaderBytes
                               : kSnapshotHeaderBytes;
  auto bytes = txn.Get(dbs.snapshot, kHeaderKey);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return Corrupt(txn, "the snapshot header is missing");
  std::string_view b = **bytes;
  if (b.size() != size) {
    return Corrupt(txn, "snapshot header has " + std::to_string(b.size()) + " bytes (expected " +
                            std::to_string(size) + ")");
  }
  SnapshotHeader header;
  header.format_version = *version;
  header.schema_version = LoadLittle<std::uint32_t>(b.data());
  header.payload_crc = LoadLittle<std::uint32_t>(b.data() + 4);
  header.sequence = LoadLittle<std::uint64_t>(b.data() + 8);
  header.payload_bytes = LoadLittle<std::uint64_t>(b.data() + 16);
  if (size == kSnapshotHeaderBytes) {
    header.chunk_count = LoadLittle<std::uint32_t>(b.data() + 24);
    header.chunk_bytes = LoadLittle<std::uint32_t>(b.data() + 28);
  }
  return header;
}

StatusOr<std::size_t> PutJournalEntry(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t sequence,
                                      std::string_view batch_bytes) {
  const std::size_t size = kJournalChecksumBytes + batch_bytes.size();
  // Never replace an entry: a second writer would otherwise overwrite the
  // first one's batch under the same sequence.
  HUBREG_RETURN_IF_ERROR(txn.PutReserved(
      dbs.journal, JournalKey(sequence), size,
      [&](char* out) {
        StoreLittle(out, ComputeCrc32c(batch_bytes));
        std::memcpy(out + kJournalChecksumBytes, batch_bytes.data(), batch_bytes.size());
      },
      MDB_NOOVERWRITE));
  return size;
}

StatusOr<SnapshotCopy> CopySnapshot(lmdb::Txn& txn, const StoreDbs& dbs) {
  SnapshotCopy copy;
  StatusOr<SnapshotHeader> header = ReadSnapshotHeader(txn, dbs);
  if (!header.ok()) return header.status();
  copy.header = *header;
  if (copy.header.format_version == kStoreFormatVersionSingleValue) {
    StatusOr<std::string_view> payload = SingleValuePayload(txn, dbs, copy.header);
    if (!payload.ok()) return payload.status();
    copy.payload.assign(*payload);
  } else {
    HUBREG_RETURN_IF_ERROR(GatherChunks(txn, dbs, copy.header, &copy.payload));
  }
  return copy;
}

StatusOr<std::unique_ptr<Registry>> BuildSnapshot(SnapshotCopy copy, const std::string& path) {
  StatusOr<RegistryRows> rows = DecodeSnapshot(copy.payload, copy.header.schema_version);
  if (!rows.ok()) return Status(rows.status().code(), path + ": " + rows.status().message());
  std::string().swap(copy.payload);  // the rows are decoded: free the bytes before building
  StatusOr<std::unique_ptr<Registry>> registry =
      Registry::FromRows(std::move(*rows), copy.header.sequence);
  if (!registry.ok()) {
    // The checksum matched, so the rows are what was written: a registry
    // that breaks its own rules was stored.
    return Status::Corruption(path + ": snapshot at sequence " +
                              std::to_string(copy.header.sequence) +
                              ": integrity violation: " + registry.status().message());
  }
  return registry;
}

StatusOr<std::unique_ptr<Registry>> LoadSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                                 SnapshotHeader* header) {
  StatusOr<SnapshotCopy> copy = CopySnapshot(txn, dbs);
  if (!copy.ok()) return copy.status();
  *header = copy->header;
  return BuildSnapshot(std::move(*copy), txn.path());
}

Status ReplayJournal(lmdb::Txn& txn, const StoreDbs& dbs, Registry* registry, JournalTally* tally,
                     std::uint64_t last) {
  return ForEachJournalEntry(
      txn, dbs, registry->LastSequence(),
      [&](std::uint64_t sequence, std::string_view value, bool* more) -> Status {
        if (last != 0 && sequence > last) {
          *more = false;
          return Status::Ok();
        }
        return ApplyJournalEntry(txn.path(), sequence, value, registry, tally);
      });
}

StatusOr<JournalCopy> CopyJournal(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t after) {
  JournalCopy copy;
  copy.after = after;
  HUBREG_RETURN_IF_ERROR(ForEachJournalEntry(
      txn, dbs, after, [&](std::uint64_t, std::string_view value, bool*) -> Status {
        copy.values.emplace_back(value);
        return Status::Ok();
      }));
  return copy;
}

StatusOr<JournalTally> TallyJournal(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t after,
                                    std::uint64_t last) {
  JournalTally tally;
  if (last <= after) return tally;
  HUBREG_RETURN_IF_ERROR(ForEachJournalEntry(
      txn, dbs, after, [&](std::uint64_t sequence, std::string_view value, bool* more) -> Status {
        tally.batches += 1;
        tally.bytes += value.size();
        *more = sequence < last;
        return Status::Ok();
      }));
  return tally;
}

Status ApplyJournal(const JournalCopy& copy, const std::string& path, Registry* registry,
                    JournalTally* tally) {
  for (std::size_t i = 0; i < copy.values.size(); ++i) {
    HUBREG_RETURN_IF_ERROR(
        ApplyJournalEntry(path, copy.after + 1 + i, copy.values[i], registry, tally));
  }
  return Status::Ok();
}

StatusOr<std::optional<ChangeBatch>> ReadJournalChanges(lmdb::Txn& txn, const StoreDbs& dbs,
                                                        std::uint64_t sequence) {
  auto value = txn.Get(dbs.journal, JournalKey(sequence));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<ChangeBatch>();
  StatusOr<JournalRecord> record = DecodeJournalEntry(txn.path(), sequence, **value);
  if (!record.ok()) return record.status();
  if (record->entry_version == kJournalEntryV1) {
    return Status::ResyncRequired(
        "change feed: batch " + std::to_string(sequence) + " is stored in " + txn.path() +
        " by a build without the change feed, without the rows it changed");
  }
  return std::optional<ChangeBatch>(std::move(record->changes));
}

StatusOr<std::uint32_t> CopySnapshotChunks(lmdb::Txn& txn, const StoreDbs& dbs,
                                           const SnapshotHeader& header, std::uint32_t first,
                                           std::uint32_t count, std::string* buffer) {
  if (header.format_version == kStoreFormatVersionSingleValue) {
    StatusOr<std::string_view> payload = SingleValuePayload(txn, dbs, header);
    if (!payload.ok()) return payload.status();
    buffer->assign(*payload);
    return header.chunk_count;
  }
  return AppendChunks(txn, dbs, header, first, count, buffer);
}

StatusOr<std::uint64_t> CopyJournalRange(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t last,
                                         std::size_t max_bytes, JournalCopy* copy) {
  const std::uint64_t after = copy->after + copy->values.size();
  if (after >= last) return after;
  std::size_t copied = 0;
  std::uint64_t reached = after;
  HUBREG_RETURN_IF_ERROR(ForEachJournalEntry(
      txn, dbs, after, [&](std::uint64_t sequence, std::string_view value, bool* more) -> Status {
        copy->values.emplace_back(value);
        copied += value.size();
        reached = sequence;
        *more = sequence < last && copied < max_bytes;
        return Status::Ok();
      }));
  return reached;
}

}  // namespace hubreg::persist
