// Internal: what a data directory holds right now, as a waiting or
// refreshing read-only store and a restore need to know it: the last durable
// sequence, whether data.mdb is still the file an environment has open, and
// the highest sequence a directory about to be replaced has used.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "data_directory.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "store_layout.h"

namespace hubreg::persist {

// The last batch `txn` sees as durable: the higher of the stored snapshot's
// sequence and the last journal key.
StatusOr<std::uint64_t> LastStoredSequence(lmdb::Txn& txn, const StoreDbs& dbs);

// Whether <directory>/data.mdb is no longer the file `directory`'s LMDB
// environment has open: a restore swapped in another data directory, or the
// directory was removed (then also true). LMDB would go on serving the old
// file, whose name is gone, for ever.
bool DataFileReplaced(const DataDirectory& directory);

// The highest sequence the data directory at `path` has used: its stored
// snapshot or last journal entry, its commit record and its commit signal,
// whichever is highest. Parts that cannot be read (a damaged directory is a
// reason to restore) count as 0; 0 when there is no registry at all.
std::uint64_t HighestSequenceUsed(const std::string& path);

// A data directory opened again from scratch after DataFileReplaced: the
// environment at options.path (read-only), the registry it holds, and the
// check against its commit record that Store::Open makes.
struct ReopenedDirectory {
  std::unique_ptr<DataDirectory> directory;
  std::unique_ptr<Registry> registry;
  SnapshotHeader header;
  JournalTally journal;
};
StatusOr<ReopenedDirectory> ReopenReplaced(const StoreOptions& options);

}  // namespace hubreg::persist
