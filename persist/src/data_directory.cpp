#include "data_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>

#include "copy_compaction.h"

namespace hubreg::persist {
namespace {

namespace fs = std::filesystem;

// Beyond this a commit that still does not fit is an error, not a reason to
// grow: 1 TiB is far above any registry hubreg is meant for.
constexpr std::size_t kMaxMapSize = std::size_t{1} << 40;

unsigned SyncFlags(SyncMode mode) {
  switch (mode) {
    case SyncMode::kFull:
      return 0;
    case SyncMode::kNoMetaSync:
      return MDB_NOMETASYNC;
    case SyncMode::kNoSync:
      return MDB_NOSYNC;
  }
  return 0;
}

// Makes sure options.path is a directory LMDB can open. The directory holds
// database passwords, so a new one is readable by its owner only.
Status PrepareDirectory(const StoreOptions& options) {
  const fs::path path(options.path);
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) {
    if (options.read_only) {
      return Status::NotFound(options.path +
                              ": no such data directory (a read-only store cannot create one)");
    }
    if (!options.create_if_missing)
      return Status::NotFound(options.path + ": no such data directory");
    if (path.has_parent_path()) {
      fs::create_directories(path.parent_path(), error);
      if (error) return Status::Io(path.parent_path().string() + ": create: " + error.message());
    }
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::Io(options.path + ": mkdir: " + std::strerror(errno));
    }
    // mkdir's mode is filtered by the umask; this one must be exact.
    if (::chmod(path.c_str(), 0700) != 0) {
      return Status::Io(options.path + ": chmod 0700: " + std::strerror(errno));
    }
    return Status::Ok();
  }
  if (error)
    return Status::Io(options.path + ": cannot access the data directory: " + error.message());
  if (!fs::is_directory(status)) return Status::InvalidArgument(options.path + ": not a directory");
  if (::faccessat(AT_FDCWD, path.c_str(), R_OK | X_OK, AT_EACCESS) != 0) {
    // An unreadable directory must not look empty (which would invite a restore).
    return Status::Io(options.path + ": cannot access the data directory: " + std::strerror(errno));
  }
  if (options.read_only && !fs::exists(path / "data.mdb", error)) {
    if (error) {
      return Status::Io(options.path + "/data.mdb: cannot access it: " + error.message());
    }
    return Status::NotFound(options.path + ": holds no hubreg registry (data.mdb is missing)");
  }
  return Status::Ok();
}

std::string FormatWait(std::chrono::milliseconds wait) {
  if (wait.count() % 1000 == 0) return std::to_string(wait.count() / 1000) + " s";
  return std::to_string(wait.count()) + " ms";
}

// The process id a writer wrote into writer.lock (0 when there is none).
long ReadLockHolder(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  return std::strtol(text, nullptr, 10);
}

// Whether `fd` is still the file at `file`: a copying compaction swaps the
// whole directory, so a lock taken on the old one's file guards nothing.
bool StillNamed(int fd, const std::string& file) {
  struct stat open_file {};
  struct stat named_file {};
  return ::fstat(fd, &open_file) == 0 && ::stat(file.c_str(), &named_file) == 0 &&
         open_file.st_dev == named_file.st_dev && open_file.st_ino == named_file.st_ino;
}

// LMDB serialises write transactions, but two writing registries would each
// number their batches from their own state, so only one may exist. The
// holder writes its process id into the file, for a writer that waits.
StatusOr<int> LockForWriting(const StoreOptions& options) {
  const std::string file = (fs::path(options.path) / "writer.lock").string();
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Io(file + ": open: " + std::strerror(errno));
  const auto deadline = std::chrono::steady_clock::now() + options.writer_lock_wait;
  bool waiting = false;
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      if (StillNamed(fd, file)) break;
      // Locked the file of a directory swapped away meanwhile: lock the new one.
      ::close(fd);
      fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0) return Status::Io(file + ": open: " + std::strerror(errno));
      continue;
    }
    const int error = errno;
    if (error == EINTR) continue;
    if (error != EWOULDBLOCK) {
      ::close(fd);
      return Status::Io(file + ": flock: " + std::strerror(error));
    }
    const long holder = ReadLockHolder(fd);
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      const std::string waited = waiting
                                     ? "; still held by pid " + std::to_string(holder) +
                                           " after waiting " + FormatWait(options.writer_lock_wait)
                                     : "";
      return Status::Io(options.path +
                        ": another store has this data directory open for writing (only one "
                        "writer at a time; open it read-only instead" +
                        waited + ")");
    }
    if (!waiting) {
      waiting = true;
      if (options.on_writer_lock_wait) options.on_writer_lock_wait(holder);
    }
    // The kernel cannot wake a waiter of LOCK_NB, and a blocking flock
    // cannot time out: poll, briefly.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd);
    return Status::Io(file + ": writing the holder's pid: " + std::strerror(error));
  }
  return fd;
}

}  // namespace

DataDirectory::~DataDirectory() {
  env_ = lmdb::Env();  // close the environment before another writer may open it
  if (writer_lock_fd_ >= 0) {
    (void)::ftruncate(writer_lock_fd_, 0);  // no pid is left behind by a writer that closed
    ::close(writer_lock_fd_);
  }
}

StatusOr<std::unique_ptr<DataDirectory>> DataDirectory::Open(const StoreOptions& options) {
  HUBREG_RETURN_IF_ERROR(PrepareDirectory(options));
  std::unique_ptr<DataDirectory> directory(new DataDirectory());
  directory->path_ = options.path;
  if (!options.read_only) {
    StatusOr<int> lock = LockForWriting(options);
    if (!lock.ok()) return lock.status();
    directory->writer_lock_fd_ = *lock;
    // Not fatal: a leftover only takes disk space, and the next open retries.
    static_cast<void>(RemoveCopyLeftovers(options.path));
  }
  lmdb::Env::Options env_options;
  env_options.flags = options.read_only ? MDB_RDONLY : SyncFlags(options.sync);
  env_options.map_size = options.initial_map_size;
  env_options.max_dbs = kMaxDatabases;
  StatusOr<lmdb::Env> env = lmdb::Env::Open(options.path, env_options);
  if (!env.ok()) return env.status();
  directory->env_ = std::move(*env);
  {
    int fd = -1;
    struct stat info {};
    if (mdb_env_get_fd(directory->env_.handle(), &fd) == 0 && ::fstat(fd, &info) == 0) {
      directory->file_id_ = {info.st_dev, info.st_ino};
    }
  }
  HUBREG_RETURN_IF_ERROR(directory->env_.CheckFileCoversPages());
  HUBREG_RETURN_IF_ERROR(directory->env_.CheckMetaPages());
  // Slots of killed readers would otherwise pin old pages forever (the
  // file would only grow) and eventually exhaust the reader table.
  StatusOr<int> cleared = directory->env_.ClearStaleReaders();
  if (!cleared.ok()) return cleared.status();

  if (options.read_only) {
    StatusOr<Reader> reader = directory->BeginRead();
    if (!reader.ok()) return reader.status();
    StatusOr<StoreDbs> dbs = OpenDbs(reader->txn(), /*create=*/false);
    if (!dbs.ok() && dbs.status().code() == ErrorCode::kNotFound) {
      return Status::NotFound(options.path + ": holds no hubreg registry (" +
                              dbs.status().message() + ")");
    }
    if (!dbs.ok()) return dbs.status();
    StatusOr<bool> has_registry = HasRegistry(reader->txn(), *dbs);
    if (!has_registry.ok()) return has_registry.status();
    if (!*has_registry) return Status::NotFound(options.path + ": holds no hubreg registry");
    // Committing (not aborting) keeps the database handles for later
    // transactions.
    HUBREG_RETURN_IF_ERROR(reader->txn().Commit());
    directory->dbs_ = *dbs;
    return directory;
  }

  StoreDbs dbs;
  HUBREG_RETURN_IF_ERROR(directory->Write([&](lmdb::Txn& txn) -> Status {
    StatusOr<StoreDbs> opened = OpenDbs(txn, /*create=*/true);
    if (!opened.ok()) return opened.status();
    dbs = *opened;
    StatusOr<bool> has_registry = HasRegistry(txn, dbs);
    if (!has_registry.ok()) return has_registry.status();
    if (*has_registry) return UpgradeLayout(txn, dbs);
    Registry empty;
    return WriteSnapshot(txn, dbs, empty.Read()).status();
  }));
  directory->dbs_ = dbs;
  return directory;
}

Status DataDirectory::Closed() const {
  return Status::Io(path_ + ": closed: the data directory was replaced");
}

StatusOr<DataDirectory::Reader> DataDirectory::BeginRead() const {
  for (int attempt = 0;; ++attempt) {
    std::shared_lock<std::shared_mutex> lock(map_mutex_);
    if (closed_) return Closed();
    bool map_resized = false;
    StatusOr<lmdb::Txn> txn = lmdb::Txn::Begin(env_, MDB_RDONLY, &map_resized);
    if (txn.ok()) return Reader(std::move(lock), std::move(*txn));
    if (!map_resized || attempt == 3) return txn.status();
    // The writing process grew the map: adopt its size and try again.
    lock.unlock();
    std::unique_lock<std::shared_mutex> resize(map_mutex_);
    HUBREG_RETURN_IF_ERROR(env_.SetMapSize(0));
  }
}

Status DataDirectory::Write(const std::function<Status(lmdb::Txn&)>& body) {
  for (;;) {
    Status status;
    bool map_full = false;
    {
      std::shared_lock<std::shared_mutex> lock(map_mutex_);
      if (closed_) return Closed();
      StatusOr<lmdb::Txn> txn = lmdb::Txn::Begin(env_, 0);
      if (!txn.ok()) return txn.status();
      status = body(*txn);
      if (status.ok()) status = txn->Commit();
      if (status.ok()) return status;
      map_full = txn->map_full();
    }  // the failed transaction is aborted here, before the map may move
    if (!map_full) return status;
    HUBREG_RETURN_IF_ERROR(GrowMap(env_.MapSize() + 1));
  }
}

Status DataDirectory::ReserveRoom(std::size_t bytes) {
  std::size_t needed = env_.MapUsed() + bytes;
  if (needed <= env_.MapSize()) return Status::Ok();
  return GrowMap(needed);
}

Status DataDirectory::GrowMap(std::size_t at_least) {
  std::unique_lock<std::shared_mutex> lock(map_mutex_);
  if (closed_) return Closed();
  std::size_t size = env_.MapSize();
  if (size >= at_least) return Status::Ok();  // another thread grew it meanwhile
  while (size < at_least && size < kMaxMapSize) size *= 2;
  if (size < at_least) {
    return Status::Io(path() + ": the LMDB map would need " + std::to_string(at_least) +
                      " bytes, more than the " + std::to_string(kMaxMapSize) + " allowed");
  }
  return env_.SetMapSize(size);
}

Status DataDirectory::CopyCompactedTo(int fd) const {
  std::shared_lock<std::shared_mutex> lock(map_mutex_);
  if (closed_) return Closed();
  const int rc = mdb_env_copyfd2(env_.handle(), fd, MDB_CP_COMPACT);
  if (rc != 0) return lmdb::Error(rc, "mdb_env_copyfd2", path_);
  return Status::Ok();
}

Status DataDirectory::Sync() {
  std::shared_lock<std::shared_mutex> lock(map_mutex_);
  if (closed_) return Closed();
  const int rc = mdb_env_sync(env_.handle(), 1);
  if (rc != 0) return lmdb::Error(rc, "mdb_env_sync", path_);
  return Status::Ok();
}

bool DataDirectory::CloseIfIdle() {
  std::unique_lock<std::shared_mutex> lock(map_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  if (closed_) return true;
  env_ = lmdb::Env();
  closed_ = true;
  if (writer_lock_fd_ >= 0) {
    ::close(writer_lock_fd_);
    writer_lock_fd_ = -1;
  }
  return true;
}

bool DataDirectory::closed() const {
  std::shared_lock<std::shared_mutex> lock(map_mutex_);
  return closed_;
}

void DataDirectory::Relocate(const std::string& path) {
  path_ = path;
  env_.Relocate(path);
}

std::size_t DataDirectory::MapSize() const {
  std::shared_lock<std::shared_mutex> lock(map_mutex_);
  return closed_ ? 0 : env_.MapSize();
}

std::size_t DataDirectory::MapUsed() const {
  std::shared_lock<std::shared_mutex> lock(map_mutex_);
  return closed_ ? 0 : env_.MapUsed();
}

}  // namespace hubreg::persist
