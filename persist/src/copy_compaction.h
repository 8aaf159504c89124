// Internal: copying compaction (docs/storage.md, "Copying compaction").
//
// LMDB never gives pages back to the file system: pages a steady writer
// freed while a reader (of any process) held a read transaction open cannot
// be reused until it ends, so a reader descheduled inside one makes the file
// grow, and data.mdb keeps that high-water mark for ever. When most of the
// file is free pages, the writer copies the environment compacted
// (mdb_env_copyfd2, MDB_CP_COMPACT) into a sibling directory while batches
// are still committed (BeginCopy), brings the copy up to date with them
// (CatchUpCopy), and then, holding writers back only for the last catch-up,
// gives it the other files a data directory needs, swaps the two with
// renameat2(RENAME_EXCHANGE) (FinishCopy) and removes the old one. Both carry the same
// lineage (a random value in the meta database): read-only stores tell the
// copy from a restore by it, and go on from their sequence.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "commit_record.h"
#include "data_directory.h"
#include "hubreg/status.h"
#include "hubreg/store.h"

namespace hubreg::persist {

// Test seam: when set, called as a copying compaction reaches each step:
// "begun" (before anything), "copied" (data.mdb written), "caught-up" (the copy brought up to the
// batches committed meanwhile, writers still going on), "prepared" (the copy complete beside the
// directory), "exchanged" (the copy in place, the old directory beside it).
// Process-wide; tests only.
using CopyStepHook = std::function<void(std::string_view step)>;
void SetCopyStepHook(CopyStepHook hook);

// How much of data.mdb holds data: its pages up to the last one written,
// and of them those not on LMDB's free list.
struct FileUse {
  std::uint64_t file_bytes = 0;
  std::uint64_t used_bytes = 0;
};
StatusOr<FileUse> MeasureFileUse(const DataDirectory& directory);

// Whether `use` calls for a copying compaction under `options`
// (copy_compaction_ratio, copy_compaction_min_free_bytes; the interval is
// the caller's).
bool CopyDue(const StoreOptions& options, const FileUse& use);

// Where a copying compaction of the data directory at `path` builds the
// copy, and leaves the old directory after the swap: ".NAME.compacting"
// beside the directory (symbolic links resolved).
std::string CopySiblingPath(const std::string& path);

// Removes what a copying compaction cut short by a crash left at
// CopySiblingPath(path) (a partial copy, or the old directory after the
// swap). REQUIRES: the caller holds the directory's writer lock.
Status RemoveCopyLeftovers(const std::string& path);

// A copy written beside the directory (CopySiblingPath) and open as a
// writer, not yet swapped in. Destroyed unfinished, it is closed and removed.
struct PendingCopy {
  PendingCopy() = default;
  PendingCopy(const PendingCopy&) = delete;
  PendingCopy& operator=(const PendingCopy&) = delete;
  ~PendingCopy();

  std::unique_ptr<DataDirectory> directory;
  std::string sibling;
};

// The first part of a copying compaction, while writers go on: gives
// `current` (options.path, open for writing) a lineage if it has none,
// copies it compacted (in one LMDB read transaction) into a new sibling
// directory, opens the copy, and brings it up to the batches committed
// meanwhile (CatchUpCopy, in a few passes). On failure the sibling is
// removed.
StatusOr<std::unique_ptr<PendingCopy>> BeginCopy(DataDirectory& current,
                                                 const StoreOptions& options);

struct CopiedDirectory {
  std::unique_ptr<DataDirectory> directory;  // open for writing, at options.path
  CommitRecordWriter commit_record;          // its commit record
  std::uint64_t sequence = 0;                // the last batch it holds
};

// The second part, with writers excluded: brings `copy` up to `current`
// (CatchUpCopy; the caller may have done most of it already, while writers
// went on), syncs it, gives it a commit record and a commit signal, and
// swaps it in. On success `current` is at CopySiblingPath(options.path): the
// caller closes it (CloseIfIdle) and removes it (RemoveCopyLeftovers). On
// failure nothing has changed, and the copy is removed. A crash at any
// moment leaves either directory whole at options.path. REQUIRES: the
// registry's writers are excluded.
StatusOr<CopiedDirectory> FinishCopy(DataDirectory& current, std::unique_ptr<PendingCopy> copy,
                                     const StoreOptions& options);

// Whether `replacement` (the directory now at `current`'s path) is a copying
// compaction's copy of `current`: the same lineage, and every batch
// `current` holds.
StatusOr<bool> IsCompactedCopyOf(const DataDirectory& replacement, const DataDirectory& current);

}  // namespace hubreg::persist
