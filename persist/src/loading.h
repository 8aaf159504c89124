// Internal: loading the stored registry (snapshot plus journal) without
// holding a read transaction through the slow part.
#pragma once

#include <memory>

#include "data_directory.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "store_layout.h"

namespace hubreg::persist {

// Snapshot plus journal, as Store::Open and a reloading Store::Refresh need
// them. Both are copied in short read transactions and decoded and applied
// outside any: a long one would keep the writer from reusing the pages it
// frees meanwhile, so data.mdb would grow by what it writes in that time.
// The snapshot is copied in one transaction, the journal after it in a
// second, unless a compaction replaced the snapshot in between: then it
// starts again, and after three tries does everything in one transaction.
// Sets *header to the snapshot's and adds the journal applied to *journal.
StatusOr<std::unique_ptr<Registry>> LoadStored(DataDirectory& directory, SnapshotHeader* header,
                                               JournalTally* journal);

}  // namespace hubreg::persist
