#include "directory_state.h"

#include <sys/stat.h>

#include <algorithm>
#include <optional>

#include "commit_record.h"
#include "commit_signal.h"
#include "loading.h"

namespace hubreg::persist {

StatusOr<std::uint64_t> LastStoredSequence(lmdb::Txn& txn, const StoreDbs& dbs) {
  StatusOr<SnapshotHeader> header = ReadSnapshotHeader(txn, dbs);
  if (!header.ok()) return header.status();
  StatusOr<lmdb::Cursor> journal = lmdb::Cursor::Open(txn, dbs.journal);
  if (!journal.ok()) return journal.status();
  auto last = journal->Get(MDB_LAST);
  if (!last.ok()) return last.status();
  std::uint64_t sequence = header->sequence;
  if (last->has_value()) {
    if ((*last)->key.size() != kJournalKeyBytes) {
      return Status::Corruption(txn.path() + ": the last journal key has " +
                                std::to_string((*last)->key.size()) + " bytes, expected " +
                                std::to_string(kJournalKeyBytes));
    }
    std::uint64_t key = 0;
    for (unsigned char byte : (*last)->key) key = (key << 8) | byte;
    sequence = std::max(sequence, key);
  }
  return sequence;
}

bool DataFileReplaced(const DataDirectory& directory) {
  const DataDirectory::FileId open_file = directory.file_id();
  if (open_file.inode == 0) return false;  // cannot tell; LMDB has it open, so it is not gone
  struct stat named_file {};
  const std::string name = directory.path() + "/data.mdb";
  if (::stat(name.c_str(), &named_file) != 0) return true;
  return named_file.st_dev != open_file.device || named_file.st_ino != open_file.inode;
}

std::uint64_t HighestSequenceUsed(const std::string& path) {
  std::uint64_t highest = 0;
  StatusOr<std::optional<CommitMark>> record = ReadCommitRecord(path);
  if (record.ok() && record->has_value()) highest = (*record)->sequence;
  StatusOr<CommitSignal> signal = CommitSignal::OpenForWaiting(path);
  if (signal.ok()) highest = std::max(highest, signal->Sequence());
  StoreOptions options;
  options.path = path;
  options.read_only = true;
  StatusOr<std::unique_ptr<DataDirectory>> directory = DataDirectory::Open(options);
  if (!directory.ok()) return highest;
  StatusOr<DataDirectory::Reader> reader = (*directory)->BeginRead();
  if (!reader.ok()) return highest;
  StatusOr<std::uint64_t> stored = LastStoredSequence(reader->txn(), (*directory)->dbs());
  if (stored.ok()) highest = std::max(highest, *stored);
  return highest;
}

StatusOr<ReopenedDirectory> ReopenReplaced(const StoreOptions& options) {
  StoreOptions read_only = options;
  read_only.read_only = true;
  // Read before LMDB, as Store::Open does.
  StatusOr<std::optional<CommitMark>> recorded = ReadCommitRecord(options.path);
  if (!recorded.ok()) return recorded.status();
  StatusOr<std::unique_ptr<DataDirectory>> directory = DataDirectory::Open(read_only);
  if (!directory.ok()) return directory.status();
  ReopenedDirectory reopened;
  reopened.directory = std::move(*directory);
  StatusOr<std::unique_ptr<Registry>> loaded =
      LoadStored(*reopened.directory, &reopened.header, &reopened.journal);
  if (!loaded.ok()) return loaded.status();
  reopened.registry = std::move(*loaded);
  if (recorded->has_value()) {
    StatusOr<DataDirectory::Reader> reader = reopened.directory->BeginRead();
    if (!reader.ok()) return reader.status();
    StatusOr<CommitMark> stored =
        StoredMark(reader->txn(), reopened.directory->dbs(), reopened.registry->LastSequence());
    if (!stored.ok()) return stored.status();
    HUBREG_RETURN_IF_ERROR(CheckCommitRecord(options.path, **recorded, *stored));
  }
  return reopened;
}

}  // namespace hubreg::persist
