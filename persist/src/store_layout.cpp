#include "store_layout.h"

#include <boost/endian/conversion.hpp>
#include <cstring>
#include <utility>

#include "checksum.h"
#include "codec.h"

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
  return bytes;
}

Status Corrupt(const lmdb::Txn& txn, const std::string& what) {
  return Status::Corruption(txn.path() + ": " + what);
}

// The batch bytes of one journal value, after checking its checksum.
StatusOr<std::string_view> CheckedBatchBytes(const lmdb::Txn& txn, std::uint64_t sequence,
                                             std::string_view value) {
  const std::string entry = "journal entry " + std::to_string(sequence);
  if (value.size() < kJournalChecksumBytes) {
    return Corrupt(txn, entry + ": " + std::to_string(value.size()) +
                            " bytes, shorter than its 4-byte checksum");
  }
  std::string_view batch = value.substr(kJournalChecksumBytes);
  std::uint32_t stored = LoadLittle<std::uint32_t>(value.data());
  std::uint32_t computed = ComputeCrc32c(batch);
  if (stored != computed) {
    return Corrupt(txn, entry + ": checksum mismatch (stored " + std::to_string(stored) +
                            ", computed " + std::to_string(computed) + ")");
  }
  return batch;
}

StatusOr<Batch> DecodeJournalEntry(const lmdb::Txn& txn, std::uint64_t sequence,
                                   std::string_view value) {
  StatusOr<std::string_view> bytes = CheckedBatchBytes(txn, sequence, value);
  if (!bytes.ok()) return bytes.status();
  Batch batch;
  Status decoded = DecodeBatch(*bytes, &batch);
  if (!decoded.ok()) {
    return Corrupt(txn, "journal entry " + std::to_string(sequence) + ": " + decoded.message());
  }
  return batch;
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

StatusOr<bool> HasRegistry(lmdb::Txn& txn, const StoreDbs& dbs) {
  auto format = txn.Get(dbs.meta, kFormatKey);
  if (!format.ok()) return format.status();
  if (!format->has_value()) return false;
  std::string_view bytes = **format;
  if (bytes.size() != 4) {
    return Corrupt(
        txn, "meta format_version has " + std::to_string(bytes.size()) + " bytes (expected 4)");
  }
  std::uint32_t version = LoadLittle<std::uint32_t>(bytes.data());
  if (version != kStoreFormatVersion) {
    return Status::Version(
        txn.path() + ": data directory format version " + std::to_string(version) +
        " is not supported (supported: " + std::to_string(kStoreFormatVersion) + ")");
  }
  return true;
}

StatusOr<SnapshotHeader> WriteSnapshotPayload(lmdb::Txn& txn, const StoreDbs& dbs,
                                              std::uint32_t schema_version, std::uint64_t sequence,
                                              std::string_view payload) {
  SnapshotHeader header;
  header.schema_version = schema_version;
  header.payload_crc = ComputeCrc32c(payload);
  header.sequence = sequence;
  header.payload_bytes = payload.size();
  char format[4];
  StoreLittle(format, kStoreFormatVersion);
  HUBREG_RETURN_IF_ERROR(txn.Put(dbs.meta, kFormatKey, std::string_view(format, 4)));
  HUBREG_RETURN_IF_ERROR(txn.Put(dbs.snapshot, kHeaderKey, HeaderBytes(header)));
  HUBREG_RETURN_IF_ERROR(txn.PutReserved(dbs.snapshot, kPayloadKey, payload.size(), [&](char* out) {
    std::memcpy(out, payload.data(), payload.size());
  }));
  // Every entry is covered by the new snapshot: the writer is excluded while
  // a snapshot is written, so the journal ends at `sequence`.
  HUBREG_RETURN_IF_ERROR(txn.Clear(dbs.journal));
  return header;
}

StatusOr<SnapshotHeader> WriteSnapshot(lmdb::Txn& txn, const StoreDbs& dbs, const View& view) {
  return WriteSnapshotPayload(txn, dbs, kCurrentSchema, view.sequence(), EncodeSnapshot(view));
}

StatusOr<SnapshotHeader> ReadSnapshotHeader(lmdb::Txn& txn, const StoreDbs& dbs) {
  auto bytes = txn.Get(dbs.snapshot, kHeaderKey);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return Corrupt(txn, "the snapshot header is missing");
  std::string_view b = **bytes;
  if (b.size() != kSnapshotHeaderBytes) {
    return Corrupt(txn, "snapshot header has " + std::to_string(b.size()) + " bytes (expected 24)");
  }
  SnapshotHeader header;
  header.schema_version = LoadLittle<std::uint32_t>(b.data());
  header.payload_crc = LoadLittle<std::uint32_t>(b.data() + 4);
  header.sequence = LoadLittle<std::uint64_t>(b.data() + 8);
  header.payload_bytes = LoadLittle<std::uint64_t>(b.data() + 16);
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

StatusOr<std::unique_ptr<Registry>> LoadSnapshot(lmdb::Txn& txn, const StoreDbs& dbs,
                                                 SnapshotHeader* header) {
  StatusOr<SnapshotHeader> read = ReadSnapshotHeader(txn, dbs);
  if (!read.ok()) return read.status();
  *header = *read;
  auto payload = txn.Get(dbs.snapshot, kPayloadKey);
  if (!payload.ok()) return payload.status();
  if (!payload->has_value()) return Corrupt(txn, "the snapshot payload is missing");
  std::string_view bytes = **payload;
  if (bytes.size() != header->payload_bytes) {
    return Corrupt(txn, "snapshot payload has " + std::to_string(bytes.size()) +
                            " bytes, its header says " + std::to_string(header->payload_bytes));
  }
  std::uint32_t crc = ComputeCrc32c(bytes);
  if (crc != header->payload_crc) {
    return Corrupt(txn, "snapshot payload checksum mismatch (stored " +
                            std::to_string(header->payload_crc) + ", computed " +
                            std::to_string(crc) + ")");
  }
  StatusOr<RegistryRows> rows = DecodeSnapshot(bytes, header->schema_version);
  if (!rows.ok()) {
    return Status(rows.status().code(), txn.path() + ": " + rows.status().message());
  }
  StatusOr<std::unique_ptr<Registry>> registry =
      Registry::FromRows(std::move(*rows), header->sequence);
  if (!registry.ok()) {
    // The checksum matched, so the rows are what was written: a registry
    // that breaks its own rules was stored.
    return Corrupt(txn, "snapshot at sequence " + std::to_string(header->sequence) +
                            ": integrity violation: " + registry.status().message());
  }
  return registry;
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
        StatusOr<Batch> batch = DecodeJournalEntry(txn, sequence, value);
        if (!batch.ok()) return batch.status();
        StatusOr<CommitResult> applied = registry->Apply(*batch);
        if (!applied.ok()) {
          return Corrupt(txn, "journal entry " + std::to_string(sequence) +
                                  " does not apply: " + applied.status().ToString());
        }
        if (applied->sequence != sequence) {
          return Corrupt(txn, "journal entry " + std::to_string(sequence) + " applied as " +
                                  std::to_string(applied->sequence) + " (an empty batch)");
        }
        tally->batches += 1;
        tally->bytes += value.size();
        return Status::Ok();
      });
}

Status CheckJournalDecodes(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t after) {
  return ForEachJournalEntry(txn, dbs, after,
                             [&](std::uint64_t sequence, std::string_view value, bool*) {
                               return DecodeJournalEntry(txn, sequence, value).status();
                             });
}

}  // namespace hubreg::persist
