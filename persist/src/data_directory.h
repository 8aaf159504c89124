// Internal: an open data directory, i.e. the LMDB environment with the
// store's databases, and the rules for using it from one process: map growth
// on MDB_MAP_FULL, adoption of a map another process grew, and creating the
// directory with owner-only permissions.
//
// Thread safety: any number of threads may hold read transactions and one
// may write; growing the map waits until none of them is inside LMDB.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "hubreg/status.h"
#include "hubreg/store.h"
#include "lmdb_env.h"
#include "store_layout.h"

namespace hubreg::persist {

class DataDirectory {
 public:
  // Opens the environment at options.path: creates the directory (mode 0700)
  // if missing and allowed, clears stale reader slots, and creates the
  // databases. A writable directory that holds no registry yet gets an empty
  // one (snapshot at sequence 0); a read-only open of a directory without a
  // registry is kNotFound.
  // A writer also holds an exclusive flock(2) on "writer.lock" in the
  // directory until it is closed: a second writer, in this or another
  // process, is refused with kIo.
  // A writer's open also removes what a copying compaction cut short by a
  // crash left beside the directory (copy_compaction.h).
  static StatusOr<std::unique_ptr<DataDirectory>> Open(const StoreOptions& options);

  ~DataDirectory();
  DataDirectory(const DataDirectory&) = delete;
  DataDirectory& operator=(const DataDirectory&) = delete;

  // A read transaction, with the map held in place until it ends.
  class Reader {
   public:
    lmdb::Txn& txn() { return txn_; }

   private:
    friend class DataDirectory;
    Reader(std::shared_lock<std::shared_mutex> lock, lmdb::Txn txn)
        : lock_(std::move(lock)), txn_(std::move(txn)) {}
    std::shared_lock<std::shared_mutex> lock_;  // declared first: released after the txn ends
    lmdb::Txn txn_;
  };
  // kIo once the environment was closed (CloseIfIdle).
  StatusOr<Reader> BeginRead() const;

  // Runs `body` in a write transaction and commits it. If LMDB reports
  // MDB_MAP_FULL (in body or commit), the transaction is aborted, the map
  // doubled and `body` run again; so `body` must only touch LMDB.
  Status Write(const std::function<Status(lmdb::Txn&)>& body);

  // Grows the map (doubling) until at least `bytes` are free beyond what is
  // in use, e.g. before writing a large snapshot.
  Status ReserveRoom(std::size_t bytes);

  // mdb_env_copyfd2 with MDB_CP_COMPACT into `fd`: the pages in use, in
  // order, without the free ones. Holds a read transaction meanwhile.
  Status CopyCompactedTo(int fd) const;

  // mdb_env_sync, forced: everything committed is on disk, whatever the
  // sync mode the directory was opened with.
  Status Sync();

  // A directory replaced by another (a restore, a copying compaction):
  // closes the environment, and a writer's lock on it, unless a transaction
  // of this process still uses it. Returns whether it is closed.
  bool CloseIfIdle();
  bool closed() const;

  // After renaming the directory: the path it now has, for messages and for
  // DataFileReplaced. REQUIRES: no other thread uses this directory yet.
  void Relocate(const std::string& path);

  // The map's size and the bytes of it in use (0 once closed).
  std::size_t MapSize() const;
  std::size_t MapUsed() const;

  // data.mdb as it was when it was opened: device and inode.
  struct FileId {
    dev_t device = 0;
    ino_t inode = 0;
  };
  FileId file_id() const { return file_id_; }

  const StoreDbs& dbs() const { return dbs_; }
  // REQUIRES: not closed.
  const lmdb::Env& env() const { return env_; }
  const std::string& path() const { return path_; }

 private:
  DataDirectory() = default;
  Status GrowMap(std::size_t at_least);
  Status Closed() const;

  int writer_lock_fd_ = -1;  // released last: the environment closes first
  std::string path_;
  FileId file_id_;
  mutable lmdb::Env env_;  // mutable: BeginRead may adopt a grown map
  StoreDbs dbs_;
  // Shared by every transaction, exclusive while the map is resized: LMDB
  // requires that no transaction of this process is active then.
  mutable std::shared_mutex map_mutex_;
  bool closed_ = false;  // guarded by map_mutex_
};

}  // namespace hubreg::persist
