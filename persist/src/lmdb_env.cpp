#include "lmdb_env.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "lmdb_pages.h"

namespace hubreg::persist::lmdb {
namespace {

std::mutex fault_mutex;
FaultHook fault_hook;
// Read without the mutex on every call, so production code pays one load.
std::atomic<bool> fault_hook_set{false};

StatusOr<std::uint64_t> FileBytes(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return Status::Io(path + ": fstat(data.mdb): " + std::strerror(errno));
  }
  return static_cast<std::uint64_t>(info.st_size);
}

int InjectedFault(std::string_view call) {
  if (!fault_hook_set.load(std::memory_order_acquire)) return 0;
  std::lock_guard<std::mutex> lock(fault_mutex);
  return fault_hook ? fault_hook(call) : 0;
}

// LMDB's names for its own codes, so messages can be searched for; errno
// values are described by mdb_strerror (strerror) alone.
const char* CodeName(int rc) {
  switch (rc) {
    case MDB_KEYEXIST:
      return "MDB_KEYEXIST";
    case MDB_NOTFOUND:
      return "MDB_NOTFOUND";
    case MDB_PAGE_NOTFOUND:
      return "MDB_PAGE_NOTFOUND";
    case MDB_CORRUPTED:
      return "MDB_CORRUPTED";
    case MDB_PANIC:
      return "MDB_PANIC";
    case MDB_VERSION_MISMATCH:
      return "MDB_VERSION_MISMATCH";
    case MDB_INVALID:
      return "MDB_INVALID";
    case MDB_MAP_FULL:
      return "MDB_MAP_FULL";
    case MDB_DBS_FULL:
      return "MDB_DBS_FULL";
    case MDB_READERS_FULL:
      return "MDB_READERS_FULL";
    case MDB_TXN_FULL:
      return "MDB_TXN_FULL";
    case MDB_MAP_RESIZED:
      return "MDB_MAP_RESIZED";
    case MDB_INCOMPATIBLE:
      return "MDB_INCOMPATIBLE";
    case MDB_BAD_TXN:
      return "MDB_BAD_TXN";
    case MDB_BAD_VALSIZE:
      return "MDB_BAD_VALSIZE";
    default:
      return nullptr;
  }
}

// Whether the file system holding `path` has less room than a write of a
// few pages needs (blocks reserved for root count only for root).
bool FileSystemFull(std::string_view path) {
  struct statvfs info {};
  if (::statvfs(std::string(path).c_str(), &info) != 0) return false;
  const std::uint64_t blocks = ::geteuid() == 0 ? info.f_bfree : info.f_bavail;
  return blocks * info.f_frsize < (std::uint64_t{1} << 20);
}

MDB_val ToVal(std::string_view bytes) {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

std::string_view FromVal(const MDB_val& val) {
  return {static_cast<const char*>(val.mv_data), val.mv_size};
}

}  // namespace

Status Error(int rc, std::string_view call, std::string_view path) {
  std::string message(path);
  message += ": ";
  message += call;
  message += ": ";
  if (rc == ENOSPC || rc == EDQUOT || (rc == EIO && FileSystemFull(path))) {
    // LMDB reports a write cut short by a full disk as EIO.
    message += "no space left on device: the file system holding the data directory is full";
    if (rc != ENOSPC) {
      message += " (LMDB said \"";
      message += mdb_strerror(rc);
      message += "\")";
    }
    return Status::Io(std::move(message));
  }
  if (const char* name = CodeName(rc)) {
    message += name;
    message += ": ";
  }
  message += mdb_strerror(rc);
  switch (rc) {
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_INCOMPATIBLE:  // a database opened with flags it was not created with
      return Status::Corruption(std::move(message));
    case MDB_VERSION_MISMATCH:
      return Status::Version(std::move(message));
    case MDB_NOTFOUND:
    case ENOENT:
      return Status::NotFound(std::move(message));
    default:
      return Status::Io(std::move(message));
  }
}

void SetFaultHook(FaultHook hook) {
  std::lock_guard<std::mutex> lock(fault_mutex);
  fault_hook = std::move(hook);
  fault_hook_set.store(static_cast<bool>(fault_hook), std::memory_order_release);
}

StatusOr<Env> Env::Open(const std::string& path, const Options& options) {
  Env env;
  env.path_ = path;
  int rc = mdb_env_create(&env.env_);
  if (rc != 0) return Error(rc, "mdb_env_create", path);
  if (options.map_size != 0 && (rc = mdb_env_set_mapsize(env.env_, options.map_size)) != 0) {
    return Error(rc, "mdb_env_set_mapsize", path);
  }
  if (options.max_dbs != 0 && (rc = mdb_env_set_maxdbs(env.env_, options.max_dbs)) != 0) {
    return Error(rc, "mdb_env_set_maxdbs", path);
  }
  if ((rc = InjectedFault("mdb_env_open")) == 0) {
    rc = mdb_env_open(env.env_, path.c_str(), options.flags | MDB_NOTLS, 0600);
  }
  if (rc != 0) return Error(rc, "mdb_env_open", path);
  return env;
}

Env::Env(Env&& other) noexcept
    : env_(std::exchange(other.env_, nullptr)), path_(std::move(other.path_)) {}

Env& Env::operator=(Env&& other) noexcept {
  if (this != &other) {
    if (env_ != nullptr) mdb_env_close(env_);
    env_ = std::exchange(other.env_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Env::~Env() {
  if (env_ != nullptr) mdb_env_close(env_);
}

StatusOr<int> Env::ClearStaleReaders() {
  int dead = 0;
  int rc = mdb_reader_check(env_, &dead);
  if (rc != 0) return Error(rc, "mdb_reader_check", path_);
  return dead;
}

Status Env::SetMapSize(std::size_t bytes) {
  int rc = mdb_env_set_mapsize(env_, bytes);
  if (rc != 0) return Error(rc, "mdb_env_set_mapsize", path_);
  return Status::Ok();
}

std::size_t Env::MapSize() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

std::size_t Env::MapUsed() const {
  MDB_envinfo info{};
  MDB_stat stat{};
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &stat);
  return (info.me_last_pgno + 1) * stat.ms_psize;
}

Status Env::CheckFileCoversPages() {
  int fd = -1;
  int rc = mdb_env_get_fd(env_, &fd);
  if (rc != 0) return Error(rc, "mdb_env_get_fd", path_);
  MDB_stat stat{};
  mdb_env_stat(env_, &stat);
  const std::size_t page_size = stat.ms_psize;
  // The meta first, the size second: a writer (maybe in another process)
  // writes a commit's pages before its meta, so a size read after a meta
  // covers every page written for it.
  const std::size_t used = MapUsed();
  StatusOr<std::uint64_t> file_bytes = FileBytes(fd, path_);
  if (!file_bytes.ok()) return file_bytes.status();
  if (*file_bytes >= used) return Status::Ok();

  // Shorter than the pages in use is not always damage: LMDB never writes a
  // page it allocated and freed in the same transaction (a "loose" page),
  // so when that was the highest page the file ends before it, with the
  // page in the free list. The file is truncated only when a page beyond
  // its end is not free. A read transaction pins its snapshot, whose free
  // list no writer may then reuse; its meta is the one with its id (unless
  // two commits have overwritten it since: then try again).
  for (int attempt = 0; attempt < 100; ++attempt) {
    bool map_resized = false;
    StatusOr<Txn> txn = Txn::Begin(*this, MDB_RDONLY, &map_resized);
    if (!txn.ok() && map_resized) {
      HUBREG_RETURN_IF_ERROR(SetMapSize(0));
      continue;
    }
    if (!txn.ok()) return txn.status();
    const std::uint64_t txnid = mdb_txn_id(txn->handle());
    std::optional<MetaPage> meta;
    bool torn = false;
    for (int which = 0; which < 2; ++which) {
      // Read twice: a meta page being written may be read half old.
      StatusOr<MetaPage> read = ReadMetaPage(fd, page_size, which, path_);
      StatusOr<MetaPage> again = ReadMetaPage(fd, page_size, which, path_);
      if (!read.ok()) return read.status();
      if (!again.ok()) return again.status();
      torn = torn || *read != *again;
      if (read->txnid == txnid) meta = *read;
    }
    if (!meta || torn) continue;
    file_bytes = FileBytes(fd, path_);
    if (!file_bytes.ok()) return file_bytes.status();
    const std::uint64_t file_pages = *file_bytes / page_size;
    if (file_pages > meta->last_page) return Status::Ok();
    StatusOr<std::vector<std::uint64_t>> free_pages =
        ReadFreePages(fd, page_size, meta->free_list_root, file_pages, path_);
    if (!free_pages.ok()) return free_pages.status();
    std::sort(free_pages->begin(), free_pages->end());
    for (std::uint64_t page = file_pages; page <= meta->last_page; ++page) {
      if (!std::binary_search(free_pages->begin(), free_pages->end(), page)) {
        return Status::Corruption(path_ + ": data.mdb has " + std::to_string(*file_bytes) +
                                  " bytes but its pages in use end at byte " +
                                  std::to_string((meta->last_page + 1) * page_size) +
                                  " (the file was truncated: page " + std::to_string(page) +
                                  ", which is in use, is missing)");
      }
    }
    return Status::Ok();
  }
  return Status::Io(path_ +
                    ": data.mdb: could not read a stable meta page while checking the "
                    "file's length (another process commits without pause)");
}

Status Env::CheckMetaPages() const {
  int fd = -1;
  int rc = mdb_env_get_fd(env_, &fd);
  if (rc != 0) return Error(rc, "mdb_env_get_fd", path_);
  MDB_stat stat{};
  mdb_env_stat(env_, &stat);
  std::uint64_t txnid[2] = {0, 0};
  for (int which = 0; which < 2; ++which) {
    StatusOr<MetaPage> meta = ReadMetaPage(fd, stat.ms_psize, which, path_);
    if (!meta.ok()) return meta.status();
    txnid[which] = meta->txnid;
  }
  const std::uint64_t gap = txnid[0] > txnid[1] ? txnid[0] - txnid[1] : txnid[1] - txnid[0];
  if (gap > 1) {
    return Status::Corruption(path_ + ": data.mdb: the meta pages name transactions " +
                              std::to_string(txnid[0]) + " and " + std::to_string(txnid[1]) +
                              ", which are not consecutive (a damaged meta page)");
  }
  return Status::Ok();
}

bool Env::MapHolds(const void* /*data*/, std::size_t size) const {
  // LMDB does not publish where its map starts (me_mapaddr is only set with
  // MDB_FIXEDMAP), so only the size is bounded: a damaged size larger than
  // every page in use is caught before anything reads that far.
  return size <= MapUsed();
}

StatusOr<Txn> Txn::Begin(const Env& env, unsigned flags, bool* map_resized) {
  Txn txn;
  txn.env_ = &env;
  txn.read_only_ = (flags & MDB_RDONLY) != 0;
  int rc = InjectedFault("mdb_txn_begin");
  if (rc == 0) rc = mdb_txn_begin(env.handle(), nullptr, flags, &txn.txn_);
  if (map_resized != nullptr) *map_resized = rc == MDB_MAP_RESIZED;
  if (rc != 0) {
    txn.txn_ = nullptr;
    return Error(rc, "mdb_txn_begin", env.path());
  }
  return txn;
}

Txn::Txn(Txn&& other) noexcept
    : txn_(std::exchange(other.txn_, nullptr)),
      env_(other.env_),
      read_only_(other.read_only_),
      map_full_(other.map_full_) {}

Txn& Txn::operator=(Txn&& other) noexcept {
  if (this != &other) {
    Abort();
    txn_ = std::exchange(other.txn_, nullptr);
    env_ = other.env_;
    read_only_ = other.read_only_;
    map_full_ = other.map_full_;
  }
  return *this;
}

Txn::~Txn() { Abort(); }

Status Txn::Check(int rc, std::string_view call) {
  if (rc == 0) return Status::Ok();
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return Error(rc, call, env_->path());
}

Status Txn::CheckValue(std::string_view value, std::string_view call) {
  if (!read_only_ || env_->MapHolds(value.data(), value.size())) return Status::Ok();
  return Status::Corruption(env_->path() + ": " + std::string(call) + ": a value of " +
                            std::to_string(value.size()) +
                            " bytes reaches beyond the data file (damaged page)");
}

Status Txn::Commit() {
  MDB_txn* txn = std::exchange(txn_, nullptr);
  int rc = InjectedFault("mdb_txn_commit");
  if (rc != 0) {
    mdb_txn_abort(txn);  // what a failed mdb_txn_commit does
    return Check(rc, "mdb_txn_commit");
  }
  return Check(mdb_txn_commit(txn), "mdb_txn_commit");
}

void Txn::Abort() {
  if (txn_ != nullptr) mdb_txn_abort(std::exchange(txn_, nullptr));
}

StatusOr<MDB_dbi> Txn::OpenDb(const char* name, bool create) {
  MDB_dbi dbi = 0;
  int rc = mdb_dbi_open(txn_, name, create ? MDB_CREATE : 0, &dbi);
  if (rc != 0) return Check(rc, std::string("mdb_dbi_open(\"") + name + "\")");
  return dbi;
}

StatusOr<std::optional<std::string_view>> Txn::Get(MDB_dbi dbi, std::string_view key) {
  MDB_val k = ToVal(key);
  MDB_val v{};
  int rc = InjectedFault("mdb_get");
  if (rc == 0) rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return Check(rc, "mdb_get");
  HUBREG_RETURN_IF_ERROR(CheckValue(FromVal(v), "mdb_get"));
  return std::optional<std::string_view>(FromVal(v));
}

Status Txn::Put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  int rc = InjectedFault("mdb_put");
  if (rc == 0) rc = mdb_put(txn_, dbi, &k, &v, 0);
  return Check(rc, "mdb_put");
}

Status Txn::PutReserved(MDB_dbi dbi, std::string_view key, std::size_t size,
                        const std::function<void(char*)>& fill, unsigned flags) {
  MDB_val k = ToVal(key);
  MDB_val v{size, nullptr};
  int rc = InjectedFault("mdb_put");
  if (rc == 0) rc = mdb_put(txn_, dbi, &k, &v, MDB_RESERVE | flags);
  if (rc != 0) return Check(rc, "mdb_put");
  fill(static_cast<char*>(v.mv_data));
  return Status::Ok();
}

Status Txn::Delete(MDB_dbi dbi, std::string_view key) {
  MDB_val k = ToVal(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return Status::Ok();
  return Check(rc, "mdb_del");
}

Status Txn::Clear(MDB_dbi dbi) { return Check(mdb_drop(txn_, dbi, 0), "mdb_drop"); }

StatusOr<Cursor> Cursor::Open(Txn& txn, MDB_dbi dbi) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn.handle(), dbi, &cursor);
  if (rc != 0) return txn.Check(rc, "mdb_cursor_open");
  return Cursor(cursor, &txn);
}

Cursor::Cursor(Cursor&& other) noexcept
    : cursor_(std::exchange(other.cursor_, nullptr)), txn_(other.txn_) {}

Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
    cursor_ = std::exchange(other.cursor_, nullptr);
    txn_ = other.txn_;
  }
  return *this;
}

Cursor::~Cursor() {
  // A write transaction's cursors are freed by LMDB when it ends; closing
  // one afterwards is undefined. Read cursors must be closed explicitly.
  if (cursor_ != nullptr && txn_->handle() != nullptr) mdb_cursor_close(cursor_);
}

StatusOr<std::optional<Cursor::Entry>> Cursor::Get(MDB_cursor_op op, std::string_view key) {
  MDB_val k = ToVal(key);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor_, &k, &v, op);
  if (rc == MDB_NOTFOUND) return std::optional<Entry>();
  if (rc != 0) return txn_->Check(rc, "mdb_cursor_get");
  HUBREG_RETURN_IF_ERROR(txn_->CheckValue(FromVal(k), "mdb_cursor_get"));
  HUBREG_RETURN_IF_ERROR(txn_->CheckValue(FromVal(v), "mdb_cursor_get"));
  return std::optional<Entry>(Entry{FromVal(k), FromVal(v)});
}

Status Cursor::Delete() { return txn_->Check(mdb_cursor_del(cursor_, 0), "mdb_cursor_del"); }

}  // namespace hubreg::persist::lmdb
