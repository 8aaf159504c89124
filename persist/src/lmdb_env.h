// Internal: RAII owners of LMDB's C handles (environment, transaction,
// cursor) and the one place where LMDB return codes become hubreg::Status.
//
// Every error names the LMDB call that failed, the data directory and
// mdb_strerror's text, e.g.
//   "/srv/hubreg-data: mdb_txn_commit: MDB_MAP_FULL: Environment mapsize limit reached".
// Codes: MDB_CORRUPTED, MDB_PAGE_NOTFOUND and MDB_INVALID are kCorruption,
// MDB_VERSION_MISMATCH is kVersion, MDB_NOTFOUND is kNotFound, everything
// else (errno values, MDB_MAP_FULL, MDB_READERS_FULL, ...) is kIo.
//
// Handles cannot be copied; they can be moved. A transaction that is neither
// committed nor aborted aborts in its destructor.
//
// Thread safety: an Env may be shared by threads (it is opened with
// MDB_NOTLS); a Txn and its Cursors are used by one thread at a time.
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "hubreg/status.h"

namespace hubreg::persist::lmdb {

// Turns an LMDB (or errno) return code into a Status. REQUIRES: rc != 0.
Status Error(int rc, std::string_view call, std::string_view path);

// Test seam: when set, every fallible wrapped call first asks the hook,
// passing the LMDB function's name ("mdb_put", "mdb_txn_commit", ...). A
// non-zero answer is returned as if LMDB had returned it, without calling
// LMDB (a failed mdb_txn_commit still frees the transaction, as LMDB does).
// Process-wide; set it only from tests, with no transaction running.
using FaultHook = std::function<int(std::string_view call)>;
void SetFaultHook(FaultHook hook);

class Txn;

class Env {
 public:
  struct Options {
    unsigned flags = 0;  // MDB_RDONLY, MDB_NOSYNC, ... (MDB_NOTLS is always added)
    std::size_t map_size = 0;
    unsigned max_dbs = 0;
  };

  // mdb_env_create + set_mapsize/maxdbs + mdb_env_open(path, flags, 0600).
  // `path` must be an existing directory (MDB_NOSUBDIR is not used).
  static StatusOr<Env> Open(const std::string& path, const Options& options);

  Env() = default;
  Env(Env&& other) noexcept;
  Env& operator=(Env&& other) noexcept;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env();

  // mdb_reader_check: frees reader slots of processes that no longer exist.
  // Returns how many were freed.
  StatusOr<int> ClearStaleReaders();
  // mdb_env_set_mapsize. REQUIRES: no transaction of this process is active.
  // 0 adopts the size another process has set.
  Status SetMapSize(std::size_t bytes);
  // Current map size and bytes of the map in use (last page + 1).
  std::size_t MapSize() const;
  std::size_t MapUsed() const;
  // kCorruption when data.mdb is shorter than the pages its meta page says
  // are in use and a missing page is not free (a truncated file: reading
  // that page would fault). Reads the free list with pread, never through
  // the map. REQUIRES: no transaction of this process is active.
  Status CheckFileCoversPages();
  // kCorruption when the two meta pages do not hold consecutive transaction
  // ids. Each commit overwrites the older meta page, so they always differ
  // by at most one; LMDB picks the one with the higher id and has no
  // checksum, so a damaged id could silently roll the data back.
  Status CheckMetaPages() const;
  // Whether a value of `size` bytes at `data` can lie in the used part of
  // the map: damaged node sizes must not send a reader beyond the file.
  bool MapHolds(const void* data, std::size_t size) const;

  const std::string& path() const { return path_; }
  MDB_env* handle() const { return env_; }
  // The directory was renamed to `path` (only messages use it).
  void Relocate(std::string path) { path_ = std::move(path); }

 private:
  MDB_env* env_ = nullptr;
  std::string path_;
};

class Txn {
 public:
  // mdb_txn_begin. `flags` is 0 for a write transaction or MDB_RDONLY.
  // REQUIRES: `env` outlives the transaction and is not moved meanwhile.
  // When another process has grown the map beyond this process's mapping,
  // LMDB refuses with MDB_MAP_RESIZED: then *map_resized (if given) is set,
  // and the caller may adopt the new size (Env::SetMapSize(0)) and retry.
  static StatusOr<Txn> Begin(const Env& env, unsigned flags, bool* map_resized = nullptr);

  Txn() = default;
  Txn(Txn&& other) noexcept;
  Txn& operator=(Txn&& other) noexcept;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn();  // aborts when still active

  // mdb_txn_commit. The handle is forgotten first: LMDB frees the
  // transaction whether or not the commit succeeds.
  Status Commit();
  void Abort();

  // mdb_dbi_open; `create` adds MDB_CREATE (write transactions only).
  StatusOr<MDB_dbi> OpenDb(const char* name, bool create);

  // The value under `key`, pointing into the memory map: valid until this
  // transaction ends (or, in a write transaction, until the next change).
  // nullopt when there is none.
  StatusOr<std::optional<std::string_view>> Get(MDB_dbi dbi, std::string_view key);
  Status Put(MDB_dbi dbi, std::string_view key, std::string_view value);
  // mdb_put with MDB_RESERVE: room for `size` bytes under `key`, to be filled
  // by `fill` before anything else happens in this transaction. `flags` may
  // add MDB_NOOVERWRITE (an existing key is then an MDB_KEYEXIST error).
  Status PutReserved(MDB_dbi dbi, std::string_view key, std::size_t size,
                     const std::function<void(char*)>& fill, unsigned flags = 0);
  // Deletes `key`; OK when there was none.
  Status Delete(MDB_dbi dbi, std::string_view key);
  // mdb_drop(dbi, 0): deletes every entry, freeing whole pages.
  Status Clear(MDB_dbi dbi);

  // Whether an operation of this transaction hit MDB_MAP_FULL: the caller may
  // abort, grow the map and try again.
  bool map_full() const { return map_full_; }
  const std::string& path() const { return env_->path(); }
  MDB_txn* handle() const { return txn_; }

 private:
  friend class Cursor;
  Status Check(int rc, std::string_view call);
  // Read transactions see values in the map; checks they lie inside it.
  Status CheckValue(std::string_view value, std::string_view call);

  MDB_txn* txn_ = nullptr;
  const Env* env_ = nullptr;
  bool read_only_ = false;
  bool map_full_ = false;
};

// REQUIRES: the transaction outlives the cursor and is not moved meanwhile.
class Cursor {
 public:
  static StatusOr<Cursor> Open(Txn& txn, MDB_dbi dbi);

  Cursor(Cursor&& other) noexcept;
  Cursor& operator=(Cursor&& other) noexcept;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  struct Entry {
    std::string_view key;
    std::string_view value;  // into the memory map, valid as for Txn::Get
  };
  // mdb_cursor_get: MDB_FIRST, MDB_NEXT, MDB_SET_RANGE (seeks to the first
  // key >= `key`), ... nullopt at the end.
  StatusOr<std::optional<Entry>> Get(MDB_cursor_op op, std::string_view key = {});
  // Deletes the entry under the cursor.
  Status Delete();

 private:
  Cursor(MDB_cursor* cursor, Txn* txn) : cursor_(cursor), txn_(txn) {}
  MDB_cursor* cursor_ = nullptr;
  Txn* txn_ = nullptr;
};

}  // namespace hubreg::persist::lmdb
