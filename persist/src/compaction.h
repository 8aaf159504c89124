// Internal: the two steps of a compaction on an open data directory
// (store_layout.h: the staged snapshot, then DropObsolete), each step in
// LMDB transactions of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "data_directory.h"
#include "hubreg/status.h"
#include "store_layout.h"

namespace hubreg::persist {

// Called before the write transactions of a compaction step that follow its
// first: lets the commits waiting for LMDB's write lock go first (the lock
// is not fair: a thread that ends a write transaction and begins the next at
// once keeps it, and commits would wait for the whole step), and ends the
// step early with its error (a store closing). OK to go on.
using BetweenTransactions = std::function<Status()>;

// Grows the map to hold `payload` beside what is stored, then makes it the
// stored snapshot at `sequence` (schema kCurrentSchema). Needs no exclusion:
// the chunks are written in transactions of kStageChunksPerTransaction
// chunks each (about 1 MiB with 4 KiB pages), between which batches are
// committed (their journal entries, after `sequence`, are the new snapshot's
// journal); a last small one switches to it. So a commit waits at most for
// one of those, not for the whole snapshot. When the stored snapshot is at
// `sequence` already, or in format version 1, it is one transaction. An
// error from `between` ends it, nothing switched (the chunks written are
// dropped by DropAllObsolete). REQUIRES: the journal holds every batch up to
// `sequence`; no other compaction step (this, DropAllObsolete) runs
// meanwhile. Returns the header written.
inline constexpr std::uint32_t kStageChunksPerTransaction = 256;
StatusOr<SnapshotHeader> ReplaceSnapshot(DataDirectory& directory, std::uint64_t sequence,
                                         std::string_view payload,
                                         const BetweenTransactions& between);

// Deletes every obsolete snapshot chunk and the journal entries the
// snapshot covers, but for those in the change feed's `window`, in
// transactions that each free at most kDropPagesPerTransaction pages,
// calling `between` between them. Needs no exclusion: batches may be
// committed in between.
Status DropAllObsolete(DataDirectory& directory, const JournalWindow& window,
                       const BetweenTransactions& between);

}  // namespace hubreg::persist
