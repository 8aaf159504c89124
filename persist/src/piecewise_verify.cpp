#include "piecewise_verify.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "directory_state.h"
#include "store_layout.h"

namespace hubreg::persist {
namespace {

VerifyPieceHook& PieceHook() {
  static VerifyPieceHook hook;
  return hook;
}

bool SameSnapshot(const SnapshotHeader& a, const SnapshotHeader& b) {
  return a.format_version == b.format_version && a.schema_version == b.schema_version &&
         a.payload_crc == b.payload_crc && a.sequence == b.sequence &&
         a.payload_bytes == b.payload_bytes && a.chunk_count == b.chunk_count &&
         a.chunk_bytes == b.chunk_bytes;
}

// The stored snapshot and the journal entries after it, up to the last one
// stored when the verify began, copied out of the map.
struct StoredCopy {
  SnapshotCopy snapshot;
  JournalCopy journal;
};

// Runs `read` in one piece's transaction: `reader` when given (the start's),
// else a new one, in which the snapshot header must still be `header`.
// Returns false, without calling `read`, when it is not (a compaction ran)
// or the directory was closed (a copying compaction replaced it).
template <typename Read>
StatusOr<bool> Piece(const DataDirectory& directory, std::optional<DataDirectory::Reader> reader,
                     const SnapshotHeader* header, std::string_view part, Read&& read) {
  if (!reader) {
    StatusOr<DataDirectory::Reader> begun = directory.BeginRead();
    // Closed: a copying compaction replaced the directory, as good as a new
    // snapshot for this verify.
    if (!begun.ok()) return directory.closed() ? StatusOr<bool>(false) : begun.status();
    reader.emplace(std::move(*begun));
  }
  lmdb::Txn& txn = reader->txn();
  if (header != nullptr) {
    StatusOr<SnapshotHeader> now = ReadSnapshotHeader(txn, directory.dbs());
    if (!now.ok()) return now.status();
    if (!SameSnapshot(*now, *header)) return false;
  }
  HUBREG_RETURN_IF_ERROR(read(txn));
  const std::uint64_t txn_id = mdb_txn_id(txn.handle());
  reader.reset();
  if (PieceHook()) PieceHook()({&directory, part, txn_id});
  return true;
}

// Copies the snapshot and the journal in pieces. nullopt when a compaction
// replaced the snapshot meanwhile.
StatusOr<std::optional<StoredCopy>> CopyStored(VerifyStart& start) {
  const DataDirectory& directory = *start.directory;
  const StoreDbs& dbs = directory.dbs();
  StoredCopy copy;
  SnapshotHeader& header = copy.snapshot.header;
  std::uint64_t last = 0;  // the last batch stored when the verify began
  std::uint32_t next_chunk = 0;
  // The first piece, in the start's transaction, reads the header as well.
  StatusOr<bool> same =
      Piece(directory, std::move(start.reader), nullptr, "snapshot", [&](lmdb::Txn& txn) -> Status {
        StatusOr<bool> has_registry = HasRegistry(txn, dbs);
        if (!has_registry.ok()) return has_registry.status();
        if (!*has_registry) {
          return Status::Corruption(directory.path() + ": the format version is missing");
        }
        StatusOr<SnapshotHeader> stored = ReadSnapshotHeader(txn, dbs);
        if (!stored.ok()) return stored.status();
        header = *stored;
        StatusOr<std::uint64_t> stored_last = LastStoredSequence(txn, dbs);
        if (!stored_last.ok()) return stored_last.status();
        last = *stored_last;
        return Status::Ok();
      });
  if (!same.ok()) return same.status();
  const std::uint32_t chunks_per_piece = static_cast<std::uint32_t>(
      std::max<std::size_t>(1, kVerifyPieceBytes / std::max<std::uint32_t>(1, header.chunk_bytes)));
  // Chunks: at least one piece, which also checks an empty payload.
  do {
    same = Piece(directory, std::nullopt, &header, "snapshot", [&](lmdb::Txn& txn) -> Status {
      StatusOr<std::uint32_t> copied = CopySnapshotChunks(txn, dbs, header, next_chunk,
                                                          chunks_per_piece, &copy.snapshot.payload);
      if (!copied.ok()) return copied.status();
      next_chunk = *copied;
      return Status::Ok();
    });
    if (!same.ok()) return same.status();
    if (!*same) return std::optional<StoredCopy>();
  } while (next_chunk < header.chunk_count);
  // Journal entries after the snapshot, up to `last`. One that is missing
  // ends the copy early; the check then names the gap.
  copy.journal.after = header.sequence;
  for (std::uint64_t reached = header.sequence; reached < last;) {
    const std::uint64_t before = reached;
    same = Piece(directory, std::nullopt, &header, "journal", [&](lmdb::Txn& txn) -> Status {
      StatusOr<std::uint64_t> copied =
          CopyJournalRange(txn, dbs, last, kVerifyPieceBytes, &copy.journal);
      if (!copied.ok()) return copied.status();
      reached = *copied;
      return Status::Ok();
    });
    if (!same.ok()) return same.status();
    if (!*same) return std::optional<StoredCopy>();
    if (reached == before) break;
  }
  return std::optional<StoredCopy>(std::move(copy));
}

std::string CountsText(const TableCounts& counts) {
  return std::to_string(counts.apps) + " apps, " + std::to_string(counts.organizations) +
         " organizations, " + std::to_string(counts.clients) + " clients, " +
         std::to_string(counts.users) + " users, " + std::to_string(counts.links) + " links";
}

// Builds the registry the copy describes and compares it with the start's.
Status CheckCopy(StoredCopy copy, const VerifyStart& start) {
  const std::string& path = start.directory->path();
  const std::uint64_t snapshot_sequence = copy.snapshot.header.sequence;
  StatusOr<std::unique_ptr<Registry>> scratch = BuildSnapshot(std::move(copy.snapshot), path);
  if (!scratch.ok()) return scratch.status();
  Registry& registry = **scratch;
  JournalTally tally;
  // A read-only store may lag behind the writer: compare at its sequence,
  // unless the writer has compacted past it (then only the disk is checked).
  if (snapshot_sequence > start.sequence)
    return ApplyJournal(copy.journal, path, &registry, &tally);
  JournalCopy later;
  later.after = start.sequence;
  const std::size_t up_to_start = start.sequence - snapshot_sequence;
  if (copy.journal.values.size() > up_to_start) {
    auto first_later = copy.journal.values.begin() + static_cast<std::ptrdiff_t>(up_to_start);
    later.values.assign(std::make_move_iterator(first_later),
                        std::make_move_iterator(copy.journal.values.end()));
    copy.journal.values.erase(first_later, copy.journal.values.end());
  }
  HUBREG_RETURN_IF_ERROR(ApplyJournal(copy.journal, path, &registry, &tally));
  if (registry.LastSequence() != start.sequence) {
    return Status::Corruption(
        path + ": the journal ends at sequence " + std::to_string(registry.LastSequence()) +
        " but the registry in memory is at " + std::to_string(start.sequence));
  }
  const TableCounts stored = registry.Read().counts();
  if (!(stored == start.counts)) {
    return Status::Corruption(path + ": the stored registry has " + CountsText(stored) +
                              "; the one in memory has " + CountsText(start.counts));
  }
  return ApplyJournal(later, path, &registry, &tally);
}

}  // namespace

Status VerifyInPieces(const std::function<StatusOr<VerifyStart>()>& begin) {
  std::string path;
  for (int attempt = 0; attempt < kVerifyAttempts; ++attempt) {
    StatusOr<VerifyStart> start = begin();
    if (!start.ok()) return start.status();
    path = start->directory->path();
    StatusOr<std::optional<StoredCopy>> copy = CopyStored(*start);
    if (!copy.ok()) return copy.status();
    if (!copy->has_value()) continue;  // a compaction replaced the snapshot: start again
    return CheckCopy(std::move(**copy), *start);
  }
  return Status::Io(path + ": a compaction replaced the snapshot while it was being read, " +
                    std::to_string(kVerifyAttempts) +
                    " times in a row (nothing wrong found so far); retry the verify");
}

void SetVerifyPieceHook(VerifyPieceHook hook) { PieceHook() = std::move(hook); }

}  // namespace hubreg::persist
