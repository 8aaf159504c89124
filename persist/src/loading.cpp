#include "loading.h"

#include <optional>
#include <utility>

namespace hubreg::persist {

StatusOr<std::unique_ptr<Registry>> LoadStored(DataDirectory& directory, SnapshotHeader* header,
                                               JournalTally* journal) {
  const StoreDbs& dbs = directory.dbs();
  for (int attempt = 0;; ++attempt) {
    std::optional<SnapshotCopy> copy;
    {
      StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
      if (!reader.ok()) return reader.status();
      StatusOr<SnapshotCopy> copied = CopySnapshot(reader->txn(), dbs);
      if (!copied.ok()) return copied.status();
      copy.emplace(std::move(*copied));
    }
    const SnapshotHeader copied = copy->header;
    StatusOr<std::unique_ptr<Registry>> loaded = BuildSnapshot(std::move(*copy), directory.path());
    if (!loaded.ok()) return loaded.status();
    std::optional<JournalCopy> entries;
    {
      StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
      if (!reader.ok()) return reader.status();
      StatusOr<SnapshotHeader> now = ReadSnapshotHeader(reader->txn(), dbs);
      if (!now.ok()) return now.status();
      if (now->sequence != copied.sequence && attempt < 2) continue;
      if (now->sequence != copied.sequence) {
        // Compactions keep outrunning the build: load in this transaction.
        loaded = LoadSnapshot(reader->txn(), dbs, header);
        if (!loaded.ok()) return loaded.status();
        HUBREG_RETURN_IF_ERROR(ReplayJournal(reader->txn(), dbs, loaded->get(), journal));
        return loaded;
      }
      StatusOr<JournalCopy> journal_copy = CopyJournal(reader->txn(), dbs, copied.sequence);
      if (!journal_copy.ok()) return journal_copy.status();
      entries.emplace(std::move(*journal_copy));
    }
    *header = copied;
    HUBREG_RETURN_IF_ERROR(ApplyJournal(*entries, directory.path(), loaded->get(), journal));
    return loaded;
  }
}

}  // namespace hubreg::persist
