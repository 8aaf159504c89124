#include "compaction.h"

#include "codec.h"

namespace hubreg::persist {

StatusOr<SnapshotHeader> ReplaceSnapshot(DataDirectory& directory, std::uint64_t sequence,
                                         std::string_view payload) {
  // Copy-on-write: the old snapshot's pages stay in use until the commit,
  // so the new one needs room of its own. Growing first spares writing a
  // large payload into a map that is then found too small.
  HUBREG_RETURN_IF_ERROR(directory.ReserveRoom(payload.size() + payload.size() / 4));
  SnapshotHeader header;
  HUBREG_RETURN_IF_ERROR(directory.Write([&](lmdb::Txn& txn) -> Status {
    StatusOr<SnapshotHeader> written =
        SwitchSnapshot(txn, directory.dbs(), kCurrentSchema, sequence, payload);
    if (!written.ok()) return written.status();
    header = *written;
    return Status::Ok();
  }));
  return header;
}

Status DropAllObsolete(DataDirectory& directory, const JournalWindow& window) {
  std::uint64_t keep_from = 0;
  {
    StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
    if (!reader.ok()) return reader.status();
    StatusOr<std::uint64_t> start = JournalWindowStart(reader->txn(), directory.dbs(), window);
    if (!start.ok()) return start.status();
    keep_from = *start;
  }
  for (bool done = false; !done;) {
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
