#include "feed_journal.h"

#include <string>

#include "store_layout.h"

namespace hubreg::persist {

StatusOr<std::optional<ChangeBatch>> JournalChanges(const DataDirectory& directory,
                                                    std::uint64_t after_sequence) {
  StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
  if (!reader.ok()) return reader.status();
  lmdb::Txn& txn = reader->txn();
  const StoreDbs& dbs = directory.dbs();
  StatusOr<SnapshotHeader> header = ReadSnapshotHeader(txn, dbs);
  if (!header.ok()) return header.status();
  const std::string restart = "; start again from the snapshot at sequence " +
                              std::to_string(header->sequence) + " (StoreStats::snapshot_sequence)";
  StatusOr<std::optional<ChangeBatch>> stored = ReadJournalChanges(txn, dbs, after_sequence + 1);
  if (!stored.ok()) {
    if (stored.status().code() != ErrorCode::kResyncRequired) return stored.status();
    return Status::ResyncRequired(stored.status().message() + restart);
  }
  if (stored->has_value()) return stored;
  // Nothing under after_sequence + 1: not written yet, or gone.
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(txn, dbs.journal);
  if (!cursor.ok()) return cursor.status();
  auto last = cursor->Get(MDB_LAST);
  if (!last.ok()) return last.status();
  auto first = cursor->Get(MDB_FIRST);
  if (!first.ok()) return first.status();
  std::uint64_t newest = header->sequence;
  std::string kept = "none";
  if (last->has_value() && first->has_value() && (*last)->key.size() == kJournalKeyBytes &&
      (*first)->key.size() == kJournalKeyBytes) {
    const std::uint64_t oldest_entry = SequenceOfJournalKey((*first)->key);
    const std::uint64_t newest_entry = SequenceOfJournalKey((*last)->key);
    newest = std::max(newest, newest_entry);
    kept = std::to_string(oldest_entry) + ".." + std::to_string(newest_entry);
  }
  if (after_sequence >= newest) return std::optional<ChangeBatch>();
  return Status::ResyncRequired("change feed: batch " + std::to_string(after_sequence + 1) +
                                " is no longer stored in " + directory.path() +
                                " (journal entries: " + kept + ")" + restart);
}

StatusOr<std::uint64_t> StoredSnapshotSequence(const DataDirectory& directory) {
  StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
  if (!reader.ok()) return reader.status();
  StatusOr<SnapshotHeader> header = ReadSnapshotHeader(reader->txn(), directory.dbs());
  if (!header.ok()) return header.status();
  return header->sequence;
}

}  // namespace hubreg::persist
