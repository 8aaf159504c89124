#include "compaction.h"

#include "codec.h"

namespace hubreg::persist {

namespace {

// The old way, one transaction: for a stored snapshot at the same sequence
// (its chunks are replaced under their keys) or in format version 1.
bool NeedsOneTransaction(DataDirectory& directory, std::uint64_t sequence) {
  StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
  if (!reader.ok()) return true;  // the write transaction will report it
  StatusOr<SnapshotHeader> stored = ReadSnapshotHeader(reader->txn(), directory.dbs());
  return !stored.ok() || stored->format_version != kStoreFormatVersion ||
         stored->sequence >= sequence;
}

// Runs `step` (lmdb::Txn& -> StatusOr<T>) in a write transaction of its own
// and returns what it returned.
template <typename T, typename Step>
StatusOr<T> WriteStep(DataDirectory& directory, Step&& step) {
  T value{};
  HUBREG_RETURN_IF_ERROR(directory.Write([&](lmdb::Txn& txn) -> Status {
    StatusOr<T> result = step(txn);
    if (!result.ok()) return result.status();
    value = *result;
    return Status::Ok();
  }));
  return value;
}

}  // namespace

StatusOr<SnapshotHeader> ReplaceSnapshot(DataDirectory& directory, std::uint64_t sequence,
                                         std::string_view payload,
                                         const BetweenTransactions& between) {
  // Copy-on-write: the old snapshot's pages stay in use until the commit,
  // so the new one needs room of its own. Growing first spares writing a
  // large payload into a map that is then found too small.
  HUBREG_RETURN_IF_ERROR(directory.ReserveRoom(payload.size() + payload.size() / 4));
  if (NeedsOneTransaction(directory, sequence)) {
    return WriteStep<SnapshotHeader>(directory, [&](lmdb::Txn& txn) {
      return SwitchSnapshot(txn, directory.dbs(), kCurrentSchema, sequence, payload);
    });
  }
  StatusOr<SnapshotHeader> planned = WriteStep<SnapshotHeader>(directory, [&](lmdb::Txn& txn) {
    return PlanStagedSnapshot(txn, directory.dbs(), kCurrentSchema, sequence, payload);
  });
  if (!planned.ok()) return planned.status();
  const SnapshotHeader header = *planned;
  for (std::uint32_t next = 0; next < header.chunk_count;) {
    HUBREG_RETURN_IF_ERROR(between());
    StatusOr<std::uint32_t> end = WriteStep<std::uint32_t>(directory, [&](lmdb::Txn& txn) {
      return StageSnapshotChunks(txn, directory.dbs(), header, payload, next,
                                 kStageChunksPerTransaction);
    });
    if (!end.ok()) return end.status();
    next = *end;
  }
  HUBREG_RETURN_IF_ERROR(between());
  HUBREG_RETURN_IF_ERROR(directory.Write(
      [&](lmdb::Txn& txn) { return SwitchToStagedSnapshot(txn, directory.dbs(), header); }));
  return header;
}

Status DropAllObsolete(DataDirectory& directory, const JournalWindow& window,
                       const BetweenTransactions& between) {
  std::uint64_t keep_from = 0;
  {
    StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
    if (!reader.ok()) return reader.status();
    StatusOr<std::uint64_t> start = JournalWindowStart(reader->txn(), directory.dbs(), window);
    if (!start.ok()) return start.status();
    keep_from = *start;
  }
  for (bool done = false; !done;) {
    HUBREG_RETURN_IF_ERROR(between());
    HUBREG_RETURN_IF_ERROR(directory.Write([&](lmdb::Txn& txn) -> Status {
      StatusOr<bool> dropped = DropObsolete(txn, directory.dbs(), keep_from);
      if (!dropped.ok()) return dropped.status();
      done = *dropped;
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

}  // namespace hubreg::persist
