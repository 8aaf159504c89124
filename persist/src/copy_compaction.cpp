#include "copy_compaction.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <system_error>
#include <utility>

#include "commit_signal.h"
#include "copy_catch_up.h"
#include "directory_state.h"

namespace hubreg::persist {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kLineageKey = "lineage";
constexpr std::size_t kLineageBytes = 16;

// The copy catches up in passes while writers go on, until a pass finds at
// most this many new batches (or after this many passes); the last pass,
// with writers held back, then copies only what came in meanwhile.
constexpr int kCatchUpPasses = 4;
constexpr std::uint64_t kBatchesLeftForFinish = 64;

std::mutex hook_mutex;
CopyStepHook step_hook;

void Step(std::string_view step) {
  CopyStepHook hook;
  {
    std::lock_guard<std::mutex> lock(hook_mutex);
    hook = step_hook;
  }
  if (hook) hook(step);
}

// The data directory itself (a symbolic link resolved: swapping the link
// would leave the directory it leads to behind).
fs::path ResolvedDirectory(const std::string& path) {
  fs::path directory = fs::absolute(fs::path(path)).lexically_normal();
  if (directory.filename().empty()) directory = directory.parent_path();
  std::error_code error;
  fs::path resolved = fs::canonical(directory, error);
  return error ? directory : resolved;
}

fs::path SiblingOf(const fs::path& directory) {
  return directory.parent_path() / ("." + directory.filename().string() + ".compacting");
}

Status SyncPath(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::Io(path.string() + ": open: " + std::strerror(errno));
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) return Status::Io(path.string() + ": fsync: " + std::strerror(error));
  return Status::Ok();
}

// The lineage `txn` holds, nullopt when it has none yet.
StatusOr<std::optional<std::string>> ReadLineage(lmdb::Txn& txn, const StoreDbs& dbs) {
  auto stored = txn.Get(dbs.meta, kLineageKey);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<std::string>();
  if ((*stored)->size() != kLineageBytes) {
    return Status::Corruption(txn.path() + ": meta lineage has " +
                              std::to_string((*stored)->size()) + " bytes (expected " +
                              std::to_string(kLineageBytes) + ")");
  }
  return std::optional<std::string>(std::string(**stored));
}

std::string NewLineage() {
  std::random_device random;
  std::string lineage(kLineageBytes, '\0');
  for (char& byte : lineage) byte = static_cast<char>(random() & 0xff);
  return lineage;
}

// What a directory holds for IsCompactedCopyOf.
struct Identity {
  std::optional<std::string> lineage;
  std::uint64_t last_sequence = 0;
};

StatusOr<Identity> ReadIdentity(const DataDirectory& directory) {
  StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
  if (!reader.ok()) return reader.status();
  Identity identity;
  StatusOr<std::optional<std::string>> lineage = ReadLineage(reader->txn(), directory.dbs());
  if (!lineage.ok()) return lineage.status();
  identity.lineage = std::move(*lineage);
  StatusOr<std::uint64_t> last = LastStoredSequence(reader->txn(), directory.dbs());
  if (!last.ok()) return last.status();
  identity.last_sequence = *last;
  return identity;
}

// data.mdb of the copy: created (0600, O_EXCL|O_NOFOLLOW), written
// compacted, and synced whatever the store's sync mode: the copy replaces
// the directory, so it must be on disk before the swap.
Status WriteCopy(const DataDirectory& current, const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Io(file.string() + ": create: " + std::strerror(errno));
  Status status = current.CopyCompactedTo(fd);
  if (status.ok() && ::fsync(fd) != 0) {
    status = Status::Io(file.string() + ": fsync: " + std::strerror(errno));
  }
  ::close(fd);
  return status;
}

}  // namespace

void SetCopyStepHook(CopyStepHook hook) {
  std::lock_guard<std::mutex> lock(hook_mutex);
  step_hook = std::move(hook);
}

StatusOr<FileUse> MeasureFileUse(const DataDirectory& directory) {
  FileUse use;
  use.file_bytes = directory.MapUsed();
  StatusOr<DataDirectory::Reader> reader = directory.BeginRead();
  if (!reader.ok()) return reader.status();
  // LMDB's free list (database 0): each value is a list of page numbers,
  // the first word (an MDB_ID, a size_t) being their count.
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(reader->txn(), 0);
  if (!cursor.ok()) return cursor.status();
  std::uint64_t free_pages = 0;
  for (auto entry = cursor->Get(MDB_FIRST);; entry = cursor->Get(MDB_NEXT)) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) break;
    const std::size_t words = (*entry)->value.size() / sizeof(std::size_t);
    if (words > 0) free_pages += words - 1;
  }
  MDB_stat stat{};
  mdb_env_stat(directory.env().handle(), &stat);
  const std::uint64_t free_bytes = free_pages * stat.ms_psize;
  use.used_bytes = use.file_bytes > free_bytes ? use.file_bytes - free_bytes : 0;
  return use;
}

bool CopyDue(const StoreOptions& options, const FileUse& use) {
  return options.copy_compaction_ratio > 0 &&
         use.file_bytes - use.used_bytes >= options.copy_compaction_min_free_bytes &&
         static_cast<double>(use.file_bytes) >
             options.copy_compaction_ratio * static_cast<double>(use.used_bytes);
}

std::string CopySiblingPath(const std::string& path) {
  return SiblingOf(ResolvedDirectory(path)).string();
}

Status RemoveCopyLeftovers(const std::string& path) {
  const fs::path sibling = CopySiblingPath(path);
  std::error_code error;
  fs::remove_all(sibling, error);
  if (error) return Status::Io(sibling.string() + ": remove: " + error.message());
  return Status::Ok();
}

PendingCopy::~PendingCopy() {
  if (!directory) return;
  directory.reset();  // closed before it is removed
  std::error_code error;
  fs::remove_all(sibling, error);
}

StatusOr<std::unique_ptr<PendingCopy>> BeginCopy(DataDirectory& current,
                                                 const StoreOptions& options) {
  Step("begun");
  const fs::path sibling = SiblingOf(ResolvedDirectory(options.path));
  // The lineage goes into the copy with everything else; the first copy
  // gives the directory one.
  HUBREG_RETURN_IF_ERROR(current.Write([&](lmdb::Txn& txn) -> Status {
    StatusOr<std::optional<std::string>> lineage = ReadLineage(txn, current.dbs());
    if (!lineage.ok()) return lineage.status();
    if (lineage->has_value()) return Status::Ok();
    return txn.Put(current.dbs().meta, kLineageKey, NewLineage());
  }));

  std::error_code error;
  fs::remove_all(sibling, error);
  if (error) return Status::Io(sibling.string() + ": remove: " + error.message());
  if (::mkdir(sibling.c_str(), 0700) != 0) {
    return Status::Io(sibling.string() + ": mkdir: " + std::strerror(errno));
  }
  Status status = WriteCopy(current, sibling / "data.mdb");
  std::unique_ptr<DataDirectory> copy;
  if (status.ok()) {
    Step("copied");
    // Opened as a writer: it takes the copy's writer lock, which it keeps
    // after the swap, so no other writer can open the copy in between.
    StoreOptions open = options;
    open.path = sibling.string();
    open.create_if_missing = false;
    StatusOr<std::unique_ptr<DataDirectory>> opened = DataDirectory::Open(open);
    if (opened.ok()) {
      copy = std::move(*opened);
    } else {
      status = opened.status();
    }
  }
  auto pending = std::make_unique<PendingCopy>();
  pending->directory = std::move(copy);
  pending->sibling = sibling.string();
  for (int pass = 0; status.ok() && pass < kCatchUpPasses; ++pass) {
    StatusOr<std::uint64_t> copied = CatchUpCopy(current, *pending->directory);
    status = copied.status();
    if (copied.ok() && *copied <= kBatchesLeftForFinish) break;
  }
  if (!status.ok()) {
    pending.reset();  // closes and removes the copy
    fs::remove_all(sibling, error);
    return status.WithContext("copying " + options.path + " compacted");
  }
  Step("caught-up");
  return pending;
}

StatusOr<CopiedDirectory> FinishCopy(DataDirectory& current, std::unique_ptr<PendingCopy> copy,
                                     const StoreOptions& options) {
  const fs::path target = ResolvedDirectory(options.path);
  const fs::path sibling = copy->sibling;
  CopiedDirectory copied;
  Status status = [&]() -> Status {
    StatusOr<std::uint64_t> caught_up = CatchUpCopy(current, *copy->directory);
    if (!caught_up.ok()) return caught_up.status();
    StatusOr<DataDirectory::Reader> reader = copy->directory->BeginRead();
    if (!reader.ok()) return reader.status();
    StatusOr<std::uint64_t> last = LastStoredSequence(reader->txn(), copy->directory->dbs());
    if (!last.ok()) return last.status();
    StatusOr<CommitMark> mark = StoredMark(reader->txn(), copy->directory->dbs(), *last);
    if (!mark.ok()) return mark.status();
    copied.sequence = mark->sequence;
    // The copy replaces the directory, so it is on disk before the swap
    // whatever the store's sync mode.
    HUBREG_RETURN_IF_ERROR(copy->directory->Sync());
    StatusOr<CommitRecordWriter> record = CommitRecordWriter::Open(sibling.string(), *mark);
    if (!record.ok()) return record.status();
    copied.commit_record = std::move(*record);
    // Without a signal readers would poll; the writer makes one again later.
    StatusOr<CommitSignal> signal = CommitSignal::OpenForWriting(sibling.string());
    if (signal.ok()) signal->Notify(mark->sequence);
    HUBREG_RETURN_IF_ERROR(SyncPath(sibling, O_RDONLY | O_DIRECTORY));
    Step("prepared");
    if (::renameat2(AT_FDCWD, sibling.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
      return Status::Io(sibling.string() + ": exchange with " + target.string() + ": " +
                        std::strerror(errno));
    }
    return Status::Ok();
  }();
  if (!status.ok()) {
    copied = CopiedDirectory();  // closes the commit record before the copy is removed
    return status.WithContext("copying " + target.string() + " compacted");
  }
  // The sibling is the old directory now, which the copy must not remove.
  copied.directory = std::move(copy->directory);
  // Both directories are whole, so a lost rename costs only the copy.
  static_cast<void>(SyncPath(target.parent_path(), O_RDONLY | O_DIRECTORY));
  Step("exchanged");
  copied.directory->Relocate(options.path);
  return copied;
}

StatusOr<bool> IsCompactedCopyOf(const DataDirectory& replacement, const DataDirectory& current) {
  StatusOr<Identity> now = ReadIdentity(replacement);
  if (!now.ok()) return now.status();
  StatusOr<Identity> before = ReadIdentity(current);
  if (!before.ok()) return before.status();
  return before->lineage.has_value() && now->lineage == before->lineage &&
         now->last_sequence >= before->last_sequence;
}

}  // namespace hubreg::persist
