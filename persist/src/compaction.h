// Internal: the two steps of a compaction on an open data directory
// (store_layout.h: SwitchSnapshot, then DropObsolete), each step in its own
// LMDB transactions.
#pragma once

#include <cstdint>
#include <string_view>

#include "data_directory.h"
#include "hubreg/status.h"
#include "store_layout.h"

namespace hubreg::persist {

// Grows the map to hold `payload` beside what is stored, then makes it the
// stored snapshot at `sequence` (schema kCurrentSchema) in one transaction.
// Returns the header written. REQUIRES: the registry's writers are excluded,
// so the journal ends at `sequence`.
StatusOr<SnapshotHeader> ReplaceSnapshot(DataDirectory& directory, std::uint64_t sequence,
                                         std::string_view payload);

// Deletes every obsolete snapshot chunk and the journal entries the
// snapshot covers, but for those in the change feed's `window`, in
// transactions that each free at most kDropPagesPerTransaction pages. Needs
// no exclusion: batches may be committed in between.
Status DropAllObsolete(DataDirectory& directory, const JournalWindow& window);

}  // namespace hubreg::persist
