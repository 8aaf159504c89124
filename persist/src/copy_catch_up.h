// Internal: bringing a copying compaction's copy up to the directory it was
// copied from (docs/storage.md, "Copying compaction").
//
// mdb_env_copyfd2 copies the environment as one read transaction saw it,
// while the writer goes on committing batches. Those batches only append to
// the journal and rewrite small keys of the meta database, so the copy
// catches up by copying the journal entries after its last one and
// mirroring the meta database, value for value. The snapshot does not change
// meanwhile (the copy runs under the store's compaction lock); if it did, the
// copy is refused rather than patched.
#pragma once

#include <cstdint>

#include "data_directory.h"
#include "hubreg/status.h"

namespace hubreg::persist {

// Copies into `copy` (in one write transaction) what `source` committed
// since `copy` was taken: journal entries after the copy's last, journal
// entries the source dropped since (removed from the copy as well), and
// every meta key whose value differs or is gone. Returns the number of
// journal entries copied. kIo, naming both directories, when the two hold
// different snapshots (the copy is then abandoned and tried again later).
StatusOr<std::uint64_t> CatchUpCopy(const DataDirectory& source, DataDirectory& copy);

}  // namespace hubreg::persist
