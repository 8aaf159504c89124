#include "copy_catch_up.h"

#include <string>
#include <string_view>

#include "store_layout.h"

namespace hubreg::persist {
namespace {

bool SameSnapshot(const SnapshotHeader& a, const SnapshotHeader& b) {
  return a.sequence == b.sequence && a.payload_crc == b.payload_crc &&
         a.payload_bytes == b.payload_bytes && a.schema_version == b.schema_version;
}

// The first or last key of `dbi`, empty when it has none.
StatusOr<std::string> EdgeKey(lmdb::Txn& txn, MDB_dbi dbi, MDB_cursor_op op) {
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(txn, dbi);
  if (!cursor.ok()) return cursor.status();
  auto entry = cursor->Get(op);
  if (!entry.ok()) return entry.status();
  return entry->has_value() ? std::string((*entry)->key) : std::string();
}

// Journal keys are big-endian sequences of one width, so byte order is
// sequence order. An empty `first_kept` drops every entry.
Status DropJournalBefore(lmdb::Txn& copy, const StoreDbs& dbs, std::string_view first_kept) {
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(copy, dbs.journal);
  if (!cursor.ok()) return cursor.status();
  for (auto entry = cursor->Get(MDB_FIRST);; entry = cursor->Get(MDB_NEXT)) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) return Status::Ok();
    if (!first_kept.empty() && (*entry)->key >= first_kept) return Status::Ok();
    HUBREG_RETURN_IF_ERROR(cursor->Delete());
  }
}

StatusOr<std::uint64_t> AppendJournalAfter(lmdb::Txn& source, lmdb::Txn& copy,
                                           const StoreDbs& source_dbs, const StoreDbs& copy_dbs,
                                           std::string_view last_copied) {
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(source, source_dbs.journal);
  if (!cursor.ok()) return cursor.status();
  std::uint64_t appended = 0;
  auto entry =
      last_copied.empty() ? cursor->Get(MDB_FIRST) : cursor->Get(MDB_SET_RANGE, last_copied);
  for (;; entry = cursor->Get(MDB_NEXT)) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) return appended;
    if ((*entry)->key == last_copied) continue;
    HUBREG_RETURN_IF_ERROR(copy.Put(copy_dbs.journal, (*entry)->key, (*entry)->value));
    ++appended;
  }
}

// The meta database holds a handful of small keys (format, lineage, the
// followed source's position): compared whole, every time.
Status MirrorMeta(lmdb::Txn& source, lmdb::Txn& copy, const StoreDbs& source_dbs,
                  const StoreDbs& copy_dbs) {
  StatusOr<lmdb::Cursor> theirs = lmdb::Cursor::Open(source, source_dbs.meta);
  if (!theirs.ok()) return theirs.status();
  for (auto entry = theirs->Get(MDB_FIRST);; entry = theirs->Get(MDB_NEXT)) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) break;
    auto mine = copy.Get(copy_dbs.meta, (*entry)->key);
    if (!mine.ok()) return mine.status();
    if (mine->has_value() && **mine == (*entry)->value) continue;
    HUBREG_RETURN_IF_ERROR(copy.Put(copy_dbs.meta, (*entry)->key, (*entry)->value));
  }
  StatusOr<lmdb::Cursor> ours = lmdb::Cursor::Open(copy, copy_dbs.meta);
  if (!ours.ok()) return ours.status();
  for (auto entry = ours->Get(MDB_FIRST);; entry = ours->Get(MDB_NEXT)) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) return Status::Ok();
    auto kept = source.Get(source_dbs.meta, (*entry)->key);
    if (!kept.ok()) return kept.status();
    if (!kept->has_value()) HUBREG_RETURN_IF_ERROR(ours->Delete());
  }
}

}  // namespace

StatusOr<std::uint64_t> CatchUpCopy(const DataDirectory& source, DataDirectory& copy) {
  StatusOr<DataDirectory::Reader> reader = source.BeginRead();
  if (!reader.ok()) return reader.status();
  lmdb::Txn& from = reader->txn();
  StatusOr<SnapshotHeader> source_header = ReadSnapshotHeader(from, source.dbs());
  if (!source_header.ok()) return source_header.status();
  StatusOr<std::string> source_first = EdgeKey(from, source.dbs().journal, MDB_FIRST);
  if (!source_first.ok()) return source_first.status();

  std::uint64_t appended = 0;
  Status written = copy.Write([&](lmdb::Txn& to) -> Status {
    StatusOr<SnapshotHeader> copy_header = ReadSnapshotHeader(to, copy.dbs());
    if (!copy_header.ok()) return copy_header.status();
    if (!SameSnapshot(*copy_header, *source_header)) {
      return Status::Io(copy.path() + ": the snapshot of " + source.path() +
                        " changed while it was copied; the copy is abandoned");
    }
    HUBREG_RETURN_IF_ERROR(DropJournalBefore(to, copy.dbs(), *source_first));
    StatusOr<std::string> copy_last = EdgeKey(to, copy.dbs().journal, MDB_LAST);
    if (!copy_last.ok()) return copy_last.status();
    StatusOr<std::uint64_t> added =
        AppendJournalAfter(from, to, source.dbs(), copy.dbs(), *copy_last);
    if (!added.ok()) return added.status();
    appended = *added;
    return MirrorMeta(from, to, source.dbs(), copy.dbs());
  });
  if (!written.ok()) return written.WithContext("bringing the copy up to " + source.path());
  return appended;
}

}  // namespace hubreg::persist
