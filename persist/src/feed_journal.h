// Internal: the change feed read from the LMDB journal, for cursors the
// registry's in-memory ring no longer (or, in a read-only process, never)
// serves.
#pragma once

#include <cstdint>
#include <optional>

#include "data_directory.h"
#include "hubreg/change.h"
#include "hubreg/status.h"

namespace hubreg::persist {

// The batch after `after_sequence` as the journal stores it, in one short
// read transaction; nullopt when the directory holds nothing after
// `after_sequence` yet. kResyncRequired when that batch is no longer stored
// (compacted past the feed's window) or was stored before the change feed;
// the message names the stored snapshot's sequence to start again from.
StatusOr<std::optional<ChangeBatch>> JournalChanges(const DataDirectory& directory,
                                                    std::uint64_t after_sequence);

// The sequence of the snapshot stored now.
StatusOr<std::uint64_t> StoredSnapshotSequence(const DataDirectory& directory);

}  // namespace hubreg::persist
