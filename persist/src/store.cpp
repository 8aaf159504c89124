// Store: a Registry whose commit hook appends each batch to the LMDB journal,
// with snapshots that bound how much journal start-up must replay.
#include "hubreg/store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "checksum.h"
#include "codec.h"
#include "commit_record.h"
#include "commit_waiter.h"
#include "compaction.h"
#include "compaction_thread.h"
#include "copy_compaction.h"
#include "data_directory.h"
#include "directory_state.h"
#include "feed_journal.h"
#include "loading.h"
#include "piecewise_verify.h"
#include "refresher.h"
#include "snapshot_install.h"
#include "source_state.h"
#include "store_layout.h"

namespace hubreg {

using persist::DataDirectory;
using persist::JournalTally;
using persist::SnapshotHeader;

namespace {

// Store::Read() calls in progress, per thread on separate cache lines (as the
// registry's own reader counters), so concurrent readers do not contend.
struct alignas(64) ReadsEntering {
  std::atomic<std::int64_t> count{0};
};
constexpr std::size_t kEnteringSlots = 16;

std::size_t ThisThreadsEnteringSlot() {
  static std::atomic<std::size_t> next_slot{0};
  thread_local const std::size_t slot = next_slot.fetch_add(1) % kEnteringSlots;
  return slot;
}

// The store's open data directory. A read-only store whose directory was
// replaced (a restore, a copying compaction) opens the new one, and a writer
// goes on in its copy; the old one stays open while another thread may be
// reading through it (CloseRetired), and its object until the store closes.
class OpenDirectory {
 public:
  OpenDirectory& operator=(std::unique_ptr<DataDirectory> opened) {
    opened_.push_back(std::move(opened));
    current_.store(opened_.back().get(), std::memory_order_release);
    return *this;
  }
  DataDirectory* operator->() const { return current_.load(std::memory_order_acquire); }
  DataDirectory& operator*() const { return *operator->(); }
  // Closes the replaced directories no transaction uses any more (their
  // files, gone from the directory, hold disk space while open). Called
  // where operator= is.
  void CloseRetired() {
    for (const std::unique_ptr<DataDirectory>& opened : opened_) {
      if (opened.get() != operator->()) opened->CloseIfIdle();
    }
  }

 private:
  // Changed in Open, or under refresh_mutex (read-only) or copy_mutex (a writer).
  std::vector<std::unique_ptr<DataDirectory>> opened_;
  std::atomic<DataDirectory*> current_{nullptr};
};

}  // namespace

struct Store::Impl {
  StoreOptions options;
  OpenDirectory directory;                    // declared first: outlives the registries
  persist::CommitRecordWriter commit_record;  // writers only

  // The current registry is registries.back(). A read-only store that had to
  // reload (the writer compacted past it) keeps each earlier one, "retired",
  // while Views of it are alive, and frees it at a later Refresh.
  std::vector<std::unique_ptr<Registry>> registries;
  std::atomic<Registry*> registry{nullptr};
  // Between loading `registry` and registering a View on it, a Store::Read
  // is counted here, so that a retired registry is never freed under it.
  mutable std::array<ReadsEntering, kEnteringSlots> entering;
  std::atomic<std::uint64_t> retired{0};  // registries.size() - 1, for Stats
  // Read-only stores: serialises Refresh and Verify.
  mutable std::mutex refresh_mutex;

  // What is on disk, kept in memory. Changed under the registry's writer
  // lock (commit hook, compaction) or refresh_mutex; read by Stats.
  std::atomic<std::uint64_t> snapshot_sequence{0};
  std::atomic<std::uint64_t> snapshot_bytes{0};
  std::atomic<std::uint64_t> journal_batches{0};
  std::atomic<std::uint64_t> journal_bytes{0};
  std::atomic<std::uint64_t> compactions{0};
  // One compaction at a time: the steps of two must not interleave
  // (compaction.h). Commits go on meanwhile.
  std::mutex compaction_mutex;
  // Journal writes (commits) begun and ended: a compaction lets those begun
  // go first between two of its transactions (GiveWayToCommits).
  std::atomic<std::uint64_t> commits_begun{0};
  std::atomic<std::uint64_t> commits_ended{0};
  double open_seconds = 0;
  mutable std::mutex compaction_error_mutex;
  std::string last_compaction_error;
  std::atomic<std::uint64_t> replacements{0};
  std::atomic<std::uint64_t> copies{0};
  std::mutex copy_mutex;  // a writer's copying compactions, one at a time
  std::optional<std::chrono::steady_clock::time_point> last_copy;  // under copy_mutex
  std::unique_ptr<persist::CommitWaiter> waiter;
  mutable detail::FanOutSlot subscriptions;
  std::unique_ptr<persist::BackgroundRefresher> refresher;  // read-only stores
  std::unique_ptr<persist::CompactionThread> compactor;     // background_compaction writers

  // Sequentially consistent, like the entering counters: either a reader's
  // count is seen by ReleaseRetired or the reader sees the new registry.
  Registry& current() const { return *registry.load(std::memory_order_seq_cst); }

  void SetRegistry(std::unique_ptr<Registry> loaded) {
    // Replaying the journal filled the feed's ring with batches recorded
    // anew (their commit times lost); the journal serves them exactly. A
    // read-only store's registry never serves the feed: LMDB is ahead of it.
    loaded->SetFeedCapacity(0);
    if (!options.read_only) {
      loaded->SetFeedCapacity(options.feed_memory_batches);
      loaded->SetFeedMemoryBytes(options.feed_memory_bytes);
    }
    registries.push_back(std::move(loaded));
    registry.store(registries.back().get(), std::memory_order_seq_cst);
    ReleaseRetired();
  }

  // Frees the retired registries nothing can reach any more: no Store::Read
  // is on its way in, and no View of them is alive. What is still in use is
  // tried again at the next Refresh. Runs under refresh_mutex (or in Open).
  void ReleaseRetired() {
    for (const ReadsEntering& slot : entering) {
      if (slot.count.load(std::memory_order_seq_cst) != 0) return;
    }
    const Registry* newest = registries.back().get();
    std::erase_if(registries, [newest](const std::unique_ptr<Registry>& old) {
      return old.get() != newest && !old->HasViews();
    });
    retired.store(registries.size() - 1);
  }

  void SetSnapshotTallies(const SnapshotHeader& header, const JournalTally& journal) {
    snapshot_sequence = header.sequence;
    snapshot_bytes = header.payload_bytes;
    journal_batches = journal.batches;
    journal_bytes = journal.bytes;
  }

  StatusOr<std::unique_ptr<Registry>> Load(SnapshotHeader* header, JournalTally* journal) {
    return persist::LoadStored(*directory, header, journal);
  }

  // Counts a journal write as begun, then as ended when it goes out of scope.
  class CommitTicket {
   public:
    explicit CommitTicket(Impl& impl) : impl_(impl) { impl_.commits_begun.fetch_add(1); }
    ~CommitTicket() {
      impl_.commits_ended.fetch_add(1);
      impl_.commits_ended.notify_all();
    }
    CommitTicket(const CommitTicket&) = delete;
    CommitTicket& operator=(const CommitTicket&) = delete;

   private:
    Impl& impl_;
  };

  // Between two of a compaction's transactions: waits until the commits begun
  // by now have ended (not for later ones, so a steady stream of commits
  // cannot hold a compaction back for ever). LMDB's write lock is not fair:
  // without this the compaction, beginning its next transaction at once,
  // would keep the lock and every commit would wait for the whole step.
  Status GiveWayToCommits(std::stop_token stop) {
    const std::uint64_t begun = commits_begun.load();
    for (std::uint64_t ended = commits_ended.load(); ended < begun; ended = commits_ended.load()) {
      commits_ended.wait(ended);
    }
    if (stop.stop_requested()) {
      return Status::Io(directory->path() + ": compaction stopped: the store is closing");
    }
    return Status::Ok();
  }

  // The commit hook: runs inside Registry::Apply, holding its writer lock.
  Status AppendToJournal(const CommitResult& result) {
    const std::string bytes = persist::EncodeJournalRecord(result.changes);
    std::size_t stored = 0;
    CommitTicket ticket(*this);
    Status written = directory->Write([&](persist::lmdb::Txn& txn) -> Status {
      StatusOr<std::size_t> size =
          persist::PutJournalEntry(txn, directory->dbs(), result.sequence, bytes);
      if (!size.ok()) return size.status();
      stored = *size;
      return Status::Ok();
    });
    if (!written.ok()) {
      return written.WithContext("committing batch " + std::to_string(result.sequence) +
                                 " to the journal");
    }
    journal_batches += 1;
    journal_bytes += stored;
    commit_record.Write({result.sequence, persist::ComputeCrc32c(bytes)});
    return Status::Ok();
  }

  // Refuses a data.mdb behind `recorded` (read before the registry was
  // loaded); a writer then records what it loaded.
  Status CheckRollback(const std::optional<persist::CommitMark>& recorded) {
    StatusOr<DataDirectory::Reader> reader = directory->BeginRead();
    if (!reader.ok()) return reader.status();
    StatusOr<persist::CommitMark> stored =
        persist::StoredMark(reader->txn(), directory->dbs(), current().LastSequence());
    if (!stored.ok()) return stored.status();
    const bool accept = options.accept_rollback && !options.read_only;
    if (recorded && !accept) {
      HUBREG_RETURN_IF_ERROR(persist::CheckCommitRecord(options.path, *recorded, *stored));
    }
    if (options.read_only) return Status::Ok();
    StatusOr<persist::CommitRecordWriter> writer =
        persist::CommitRecordWriter::Open(options.path, *stored);
    if (!writer.ok()) return writer.status();
    commit_record = std::move(*writer);
    return Status::Ok();
  }

  // ApplyGroup's commit: the group's journal entries and the source state,
  // in one LMDB transaction. Runs holding the registry's writer lock.
  Status AppendGroupToJournal(std::span<const CommitResult> group, std::string_view state) {
    std::vector<std::pair<std::uint64_t, std::string>> entries;
    for (const CommitResult& result : group) {
      if (!result.applied.empty()) {
        entries.emplace_back(result.sequence, persist::EncodeJournalRecord(result.changes));
      }
    }
    std::size_t stored = 0;
    CommitTicket ticket(*this);
    Status written = directory->Write([&](persist::lmdb::Txn& txn) -> Status {
      stored = 0;
      for (const auto& [sequence, bytes] : entries) {
        StatusOr<std::size_t> size =
            persist::PutJournalEntry(txn, directory->dbs(), sequence, bytes);
        if (!size.ok()) return size.status();
        stored += *size;
      }
      return persist::PutSourceState(txn, directory->dbs(), state);
    });
    if (!written.ok()) {
      return written.WithContext("committing a group of " + std::to_string(entries.size()) +
                                 " batches to the journal");
    }
    journal_batches += entries.size();
    journal_bytes += stored;
    // One durable commit, one commit record: the group's last batch.
    if (!entries.empty()) {
      commit_record.Write({entries.back().first, persist::ComputeCrc32c(entries.back().second)});
    }
    return Status::Ok();
  }

  // After a commit, outside the registry's writer lock (compaction takes it).
  void CompactIfDue() {
    if (!CompactionDue()) return;
    if (compactor) {
      compactor->Wake();
    } else {
      CompactAutomatically({});
    }
  }

  void CompactAutomatically(std::stop_token stop) {
    Status compacted = Compact(/*only_if_due=*/true, stop);
    if (!compacted.ok() && stop.stop_requested()) return;  // the store is closing
    std::lock_guard<std::mutex> lock(compaction_error_mutex);
    last_compaction_error = compacted.ok() ? std::string() : compacted.ToString();
  }

  bool CompactionDue() const {
    const std::uint64_t journal = journal_bytes.load();
    return journal >= options.min_journal_bytes &&
           static_cast<double>(journal) >
               options.compaction_ratio * static_cast<double>(snapshot_bytes.load());
  }

  // Only the encoding excludes the registry's writers: the journal then holds
  // exactly the batches up to the view's sequence. The snapshot is written
  // while batches are committed after it (compaction.h, ReplaceSnapshot).
  // REQUIRES: compaction_mutex is held.
  Status WriteSnapshot(std::stop_token stop) {
    std::string payload;
    std::uint64_t sequence = 0;
    JournalTally covered;
    HUBREG_RETURN_IF_ERROR(current().RunExclusive([&](const View& view) -> Status {
      payload = persist::EncodeSnapshot(view);
      sequence = view.sequence();
      covered = {journal_batches.load(), journal_bytes.load()};
      return Status::Ok();
    }));
    StatusOr<SnapshotHeader> header = persist::ReplaceSnapshot(
        *directory, sequence, payload, [&] { return GiveWayToCommits(stop); });
    if (!header.ok()) return header.status();
    // The batches committed since the encoding stay the journal.
    snapshot_sequence = header->sequence;
    snapshot_bytes = header->payload_bytes;
    journal_batches -= covered.batches;
    journal_bytes -= covered.bytes;
    compactions += 1;
    return Status::Ok();
  }

  // An automatic compaction (only_if_due) is skipped while another runs: the
  // thread that found it due does not wait for it.
  Status Compact(bool only_if_due, std::stop_token stop = {}) {
    std::unique_lock<std::mutex> lock(compaction_mutex, std::defer_lock);
    if (only_if_due) {
      if (!lock.try_lock()) return Status::Ok();
      if (!CompactionDue()) return Status::Ok();  // another thread did it
    } else {
      lock.lock();
    }
    Status status = WriteSnapshot(stop);
    // What the new snapshot made obsolete goes in small transactions, while
    // batches are committed again (docs/storage.md, "Compaction").
    if (status.ok()) {
      status = persist::DropAllObsolete(*directory, FeedWindow(),
                                        [&] { return GiveWayToCommits(stop); });
    }
    if (status.ok()) status = CopyIfDue();
    return status.WithContext("compacting " + directory->path());
  }

  // A copying compaction when data.mdb is mostly free pages (copy_compaction.h).
  Status CopyIfDue() {
    if (options.copy_compaction_ratio <= 0) return Status::Ok();
    std::lock_guard<std::mutex> lock(copy_mutex);
    directory.CloseRetired();  // one a transaction still used at the last copy
    const auto now = std::chrono::steady_clock::now();
    if (last_copy && now - *last_copy < options.copy_compaction_interval) return Status::Ok();
    StatusOr<persist::FileUse> use = persist::MeasureFileUse(*directory);
    if (!use.ok()) return use.status();
    if (!persist::CopyDue(options, *use)) return Status::Ok();
    last_copy = now;  // a failed copy, too, is tried again only after the interval
    // Writers go on while data.mdb is copied and while the copy catches up
    // with what they committed meanwhile; they wait only for the last,
    // short catch-up and the swap.
    StatusOr<std::unique_ptr<persist::PendingCopy>> pending =
        persist::BeginCopy(*directory, options);
    if (!pending.ok()) return pending.status();
    Status status = current().RunExclusive([&](const View&) -> Status {
      StatusOr<persist::CopiedDirectory> copied =
          persist::FinishCopy(*directory, std::move(*pending), options);
      if (!copied.ok()) return copied.status();
      directory = std::move(copied->directory);
      commit_record = std::move(copied->commit_record);
      waiter->Reattach(copied->sequence);  // wakes the old directory's waiters, too
      copies += 1;
      return Status::Ok();
    });
    directory.CloseRetired();
    if (status.ok()) status = persist::RemoveCopyLeftovers(options.path);
    return status;
  }

  // Whether a batch after `after` is durable (or, read-only, whether the
  // directory was replaced, which Refresh must see as well).
  StatusOr<bool> CommittedAfter(std::uint64_t after) const {
    if (!options.read_only) return current().LastSequence() > after;
    if (persist::DataFileReplaced(*directory)) return true;
    StatusOr<DataDirectory::Reader> reader = directory->BeginRead();
    if (!reader.ok()) return reader.status();
    StatusOr<std::uint64_t> durable = persist::LastStoredSequence(reader->txn(), directory->dbs());
    if (!durable.ok()) return durable.status();
    return *durable > after;
  }

  // The newest durable batch: where a read-only store's fan-out of
  // subscriptions starts.
  std::uint64_t HeadSequence() const {
    StatusOr<DataDirectory::Reader> reader = directory->BeginRead();
    if (!reader.ok()) return current().LastSequence();
    StatusOr<std::uint64_t> durable = persist::LastStoredSequence(reader->txn(), directory->dbs());
    return durable.ok() ? *durable : current().LastSequence();
  }

  // Refresh's answer to a replaced data directory: everything from the new one.
  Status ReloadReplaced() {
    StatusOr<persist::ReopenedDirectory> reopened = persist::ReopenReplaced(options);
    if (!reopened.ok()) return reopened.status();
    directory = std::move(reopened->directory);
    directory.CloseRetired();
    SetRegistry(std::move(reopened->registry));
    SetSnapshotTallies(reopened->header, reopened->journal);
    replacements += 1;
    return Status::Ok();
  }

  persist::JournalWindow FeedWindow() const {
    return {options.feed_retention_batches, options.feed_retention_bytes};
  }

  // Read-only, after DataFileReplaced: opens the new data directory and, if
  // it is a copying compaction's copy of the open one, goes on with it
  // (nothing to reload: the same batches under the same sequences). False
  // when it is another history (a restore). Under refresh_mutex.
  StatusOr<bool> AdoptCopy() {
    StoreOptions read_only = options;
    read_only.read_only = true;
    StatusOr<std::unique_ptr<DataDirectory>> opened = DataDirectory::Open(read_only);
    if (!opened.ok()) return opened.status();
    StatusOr<bool> copy = persist::IsCompactedCopyOf(**opened, *directory);
    if (!copy.ok() || !*copy) return copy;
    directory = std::move(*opened);
    directory.CloseRetired();
    copies += 1;
    return true;
  }

  // The journal's answer to a feed cursor (a writer's past its ring). A
  // data directory replaced under a read-only store by a copying compaction
  // is followed at once. One replaced by a restore holds another history:
  // its batches are not the ones after the cursor, so the answer is a
  // resync, never a batch, until Refresh has loaded the new one (whose
  // snapshot is above every sequence the old one used).
  StatusOr<std::optional<ChangeBatch>> ReadOnlyChanges(std::uint64_t after_sequence) {
    for (int attempt = 0;; ++attempt) {
      DataDirectory* seen = &*directory;
      if (options.read_only && persist::DataFileReplaced(*seen)) {
        std::lock_guard<std::mutex> lock(refresh_mutex);
        if (&*directory == seen) {  // not followed by another thread meanwhile
          StatusOr<bool> adopted = AdoptCopy();
          if (!adopted.ok()) return adopted.status();
          if (!*adopted) {
            return Status::ResyncRequired(options.path +
                                          ": the data directory was replaced (a restore); refresh "
                                          "and start again from its snapshot");
          }
        }
        continue;
      }
      StatusOr<std::optional<ChangeBatch>> found = persist::JournalChanges(*seen, after_sequence);
      // A copying compaction closed the directory read: read the new one.
      if (!found.ok() && &*directory != seen && attempt < 3) continue;
      return found;
    }
  }

  Status ReadOnlyError(std::string_view what) const {
    return Status::ReadOnly(options.path + ": opened read-only; " + std::string(what) +
                            " needs the writing process");
  }
};

StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  // Read before LMDB: a writer committing meanwhile can only put LMDB ahead.
  StatusOr<std::optional<persist::CommitMark>> recorded = persist::ReadCommitRecord(options.path);
  StatusOr<std::unique_ptr<DataDirectory>> directory = DataDirectory::Open(options);
  if (!directory.ok()) return directory.status().WithContext("opening the store");
  if (!recorded.ok() && !(options.accept_rollback && !options.read_only)) {
    return recorded.status().WithContext("opening the store");
  }
  impl->directory = std::move(*directory);

  SnapshotHeader header;
  JournalTally journal;
  StatusOr<std::unique_ptr<Registry>> loaded = impl->Load(&header, &journal);
  if (!loaded.ok()) return loaded.status().WithContext("opening the store");
  impl->SetRegistry(std::move(*loaded));
  impl->SetSnapshotTallies(header, journal);
  HUBREG_RETURN_IF_ERROR(impl->CheckRollback(recorded.ok() ? *recorded : std::nullopt)
                             .WithContext("opening the store"));

  if (!options.read_only) {
    // Older snapshots were migrated in memory; write them back in the
    // current schema so the migration happens once.
    if (header.schema_version != persist::kCurrentSchema) {
      HUBREG_RETURN_IF_ERROR(impl->Compact(/*only_if_due=*/false));
    }
    // A compaction cut short by a crash leaves obsolete entries behind.
    HUBREG_RETURN_IF_ERROR(persist::DropAllObsolete(*impl->directory, impl->FeedWindow(), [] {
                             return Status::Ok();
                           }).WithContext("opening the store"));
    Impl* raw = impl.get();
    impl->current().SetCommitHook(
        [raw](const CommitResult& result) { return raw->AppendToJournal(result); });
  }
  impl->waiter = std::make_unique<persist::CommitWaiter>(options.path, !options.read_only);
  // Waiters that looked before this writer opened look again.
  if (!options.read_only) impl->waiter->Notify(impl->current().LastSequence());
  impl->open_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  Impl* impl_raw = impl_.get();
  if (!impl_->options.read_only && impl_->options.background_compaction) {
    impl_->compactor = std::make_unique<persist::CompactionThread>(
        [impl_raw](std::stop_token stop) { impl_raw->CompactAutomatically(stop); });
  }
  if (!impl_->options.read_only || !impl_->options.background_refresh) return;
  persist::BackgroundRefresher::Hooks hooks;
  hooks.last_sequence = [impl_raw] { return impl_raw->current().LastSequence(); };
  hooks.committed_after = [impl_raw](std::uint64_t after) {
    return impl_raw->CommittedAfter(after);
  };
  hooks.refresh = [this] { return Refresh(); };
  impl_->refresher =
      std::make_unique<persist::BackgroundRefresher>(impl_->waiter.get(), std::move(hooks));
}

Store::~Store() {
  // Stopped before anything they use goes.
  impl_->compactor.reset();
  impl_->refresher.reset();
}

View Store::Read() const {
  // A writable store never replaces its registry: nothing to count.
  if (!impl_->options.read_only) return impl_->current().Read();
  ReadsEntering& entering = impl_->entering[ThisThreadsEnteringSlot()];
  entering.count.fetch_add(1, std::memory_order_seq_cst);
  View view = impl_->current().Read();
  entering.count.fetch_sub(1, std::memory_order_release);
  return view;
}

const Registry& Store::registry() const { return impl_->current(); }

StatusOr<CommitResult> Store::Apply(const Batch& batch) {
  if (impl_->options.read_only) return impl_->ReadOnlyError("applying a batch");
  StatusOr<CommitResult> result = impl_->current().Apply(batch);
  if (result.ok()) impl_->waiter->Notify(result->sequence);
  // Compaction runs here, not in the commit hook: the hook holds the
  // registry's writer lock, which compaction takes too.
  if (result.ok()) impl_->CompactIfDue();
  return result;
}

Registry::GroupResult Store::ApplyGroup(std::span<const Batch> batches,
                                        std::span<const std::string> source_states) {
  Registry::GroupResult result;
  if (impl_->options.read_only) {
    result.status = impl_->ReadOnlyError("applying a group of batches");
  } else if (batches.size() != source_states.size()) {
    result.status =
        Status::InvalidArgument("ApplyGroup: " + std::to_string(batches.size()) + " batches but " +
                                std::to_string(source_states.size()) + " source states");
  } else {
    result = impl_->current().ApplyGroup(batches, [&](std::span<const CommitResult> group) {
      return impl_->AppendGroupToJournal(group, source_states[group.size() - 1]);
    });
    if (!result.committed.empty()) {
      impl_->waiter->Notify(impl_->current().LastSequence());
      impl_->CompactIfDue();
    }
  }
  return result;
}

StatusOr<std::string> Store::SourceState() const {
  for (int attempt = 0;; ++attempt) {
    DataDirectory* seen = &*impl_->directory;
    StatusOr<DataDirectory::Reader> reader = seen->BeginRead();
    if (reader.ok()) return persist::GetSourceState(reader->txn(), seen->dbs());
    // A copying compaction closed the directory before this read began
    // (a follower reads its position on one thread while another commits):
    // read the copy, which holds the same state.
    if (&*impl_->directory != seen && attempt < 3) continue;
    return reader.status().WithContext("reading the source state");
  }
}

Status Store::Compact() {
  if (impl_->options.read_only) return impl_->ReadOnlyError("compaction");
  return impl_->Compact(/*only_if_due=*/false);
}

Status Store::Refresh() {
  if (!impl_->options.read_only) return Status::Ok();  // the writer is always current
  std::lock_guard<std::mutex> lock(impl_->refresh_mutex);
  Impl& impl = *impl_;
  impl.ReleaseRetired();  // Views of an earlier reload may have ended since
  impl.directory.CloseRetired();
  if (persist::DataFileReplaced(*impl.directory)) {
    // A copying compaction's copy holds what the old directory held, and
    // more: refresh from it. Anything else is reloaded from scratch.
    StatusOr<bool> adopted = impl.AdoptCopy();
    if (!adopted.ok()) {
      return adopted.status().WithContext("refreshing after the data directory was replaced");
    }
    if (!*adopted) {
      return impl.ReloadReplaced().WithContext("refreshing after the data directory was replaced");
    }
  }
  std::optional<DataDirectory::Reader> reader;
  {
    StatusOr<DataDirectory::Reader> begun = impl.directory->BeginRead();
    if (!begun.ok()) return begun.status().WithContext("refreshing");
    reader.emplace(std::move(*begun));
  }
  StatusOr<SnapshotHeader> header =
      persist::ReadSnapshotHeader(reader->txn(), impl.directory->dbs());
  if (!header.ok()) return header.status().WithContext("refreshing");
  Registry& registry = impl.current();

  if (header->sequence > registry.LastSequence()) {
    // The writer compacted past us: the batches we lack are gone from the
    // journal, so start again from its snapshot (outside this transaction).
    reader.reset();
    SnapshotHeader loaded_header;
    JournalTally journal;
    StatusOr<std::unique_ptr<Registry>> loaded = impl.Load(&loaded_header, &journal);
    if (!loaded.ok()) return loaded.status().WithContext("refreshing");
    impl.SetRegistry(std::move(*loaded));
    impl.SetSnapshotTallies(loaded_header, journal);
    return Status::Ok();
  }

  JournalTally journal;
  if (header->sequence != impl.snapshot_sequence.load()) {
    // Compacted up to where we are or to before it (batches are committed
    // while a compaction writes its snapshot): the journal now starts after
    // the new snapshot, and what we hold of it is counted again.
    StatusOr<JournalTally> held = persist::TallyJournal(reader->txn(), impl.directory->dbs(),
                                                        header->sequence, registry.LastSequence());
    if (!held.ok()) return held.status().WithContext("refreshing");
    impl.SetSnapshotTallies(*header, *held);
  }
  // Copied, then applied once the read transaction has ended (see Load).
  StatusOr<persist::JournalCopy> entries =
      persist::CopyJournal(reader->txn(), impl.directory->dbs(), registry.LastSequence());
  reader.reset();
  if (!entries.ok()) return entries.status().WithContext("refreshing");
  Status replayed = persist::ApplyJournal(*entries, impl.directory->path(), &registry, &journal);
  impl.journal_batches += journal.batches;
  impl.journal_bytes += journal.bytes;
  return replayed.WithContext("refreshing");
}

StatusOr<bool> Store::WaitForCommit(std::uint64_t after_sequence,
                                    std::chrono::milliseconds timeout) const {
  return impl_->waiter->WaitUntil([&] { return impl_->CommittedAfter(after_sequence); },
                                  std::chrono::steady_clock::now() + timeout);
}

StoreStats Store::Stats() const {
  StoreStats stats;
  {
    View view = impl_->current().Read();
    stats.counts = view.counts();
    stats.last_sequence = view.sequence();
  }
  stats.snapshot_sequence = impl_->snapshot_sequence.load();
  stats.snapshot_bytes = impl_->snapshot_bytes.load();
  stats.journal_batches = impl_->journal_batches.load();
  stats.journal_bytes = impl_->journal_bytes.load();
  stats.map_size = impl_->directory->MapSize();
  stats.map_used = impl_->directory->MapUsed();
  stats.open_seconds = impl_->open_seconds;
  stats.compactions = impl_->compactions.load();
  stats.retired_registries = impl_->retired.load();
  stats.commit_signal = impl_->waiter->signal_attached();
  stats.replacements = impl_->replacements.load();
  stats.copies = impl_->copies.load();
  if (impl_->refresher) stats.last_refresh_error = impl_->refresher->last_error();
  std::lock_guard<std::mutex> lock(impl_->compaction_error_mutex);
  stats.last_compaction_error = impl_->last_compaction_error;
  return stats;
}

StatusOr<std::optional<ChangeBatch>> Store::Changes(std::uint64_t after_sequence,
                                                    std::chrono::milliseconds timeout) const {
  if (!impl_->options.read_only) {
    // The writer's registry is never replaced, and publishes each batch
    // only after it is durable: its ring is as good as the journal.
    StatusOr<std::optional<ChangeBatch>> in_memory =
        impl_->current().Changes(after_sequence, timeout);
    if (in_memory.ok() || in_memory.status().code() != ErrorCode::kResyncRequired) {
      return in_memory;
    }
  }
  // A read-only store reads the writer's journal, and waits for the writer's
  // next commit (WaitForCommit: a futex, no polling) when it holds nothing new.
  StatusOr<std::optional<ChangeBatch>> found = impl_->ReadOnlyChanges(after_sequence);
  if (!found.ok() || found->has_value() || timeout.count() <= 0) return found;
  StatusOr<bool> committed = WaitForCommit(after_sequence, timeout);
  if (!committed.ok()) return committed.status();
  if (!*committed) return std::optional<ChangeBatch>();
  return impl_->ReadOnlyChanges(after_sequence);
}

Subscription Store::Subscribe(std::uint64_t after_sequence, Subscription::Callback callback) const {
  const Impl* impl = impl_.get();
  return impl->subscriptions.Subscribe(after_sequence, std::move(callback), [this, impl] {
    // Read from the journal and sleep on the commit waiter; a writer's
    // registry is never replaced, and its ring (as its waits) is cheaper.
    auto from_journal =
        [this](std::uint64_t after) -> StatusOr<std::shared_ptr<const ChangeBatch>> {
      StatusOr<std::optional<ChangeBatch>> found = Changes(after, std::chrono::milliseconds(0));
      if (!found.ok()) return found.status();
      if (!found->has_value()) return std::shared_ptr<const ChangeBatch>();
      return std::make_shared<const ChangeBatch>(std::move(**found));
    };
    detail::FeedSource source;
    if (!impl->options.read_only) {
      source = impl->current().FeedSource();
      source.next = [ring = std::move(source.next), from_journal](std::uint64_t after) {
        StatusOr<std::shared_ptr<const ChangeBatch>> found = ring(after);
        if (found.ok() || found.status().code() != ErrorCode::kResyncRequired) return found;
        return from_journal(after);
      };
    } else {
      source.next = from_journal;
      source.wait = [impl](std::uint64_t after, std::chrono::milliseconds timeout,
                           const std::atomic<bool>& stop) {
        StatusOr<bool> ignored = impl->waiter->WaitUntil(
            [&]() -> StatusOr<bool> {
              if (stop.load()) return true;
              return impl->CommittedAfter(after);
            },
            std::chrono::steady_clock::now() + timeout);
        static_cast<void>(ignored);
      };
      source.wake = [impl] { impl->waiter->Wake(); };
      source.head = [impl] { return impl->HeadSequence(); };
    }
    source.restart_sequence = [impl] {
      StatusOr<std::uint64_t> sequence = persist::StoredSnapshotSequence(*impl->directory);
      return sequence.ok() ? *sequence : impl->snapshot_sequence.load();
    };
    return source;
  });
}

Status Store::Verify() const {
  // Only the start of each attempt is exclusive: a read transaction begun
  // while no batch can be applied sees exactly the registry's state. The rest
  // is read in short transactions beside the writers (piecewise_verify.h).
  auto begin = [this]() -> StatusOr<persist::VerifyStart> {
    persist::VerifyStart start;
    auto capture = [&](const View& view) -> Status {
      start.directory = &*impl_->directory;
      StatusOr<DataDirectory::Reader> begun = start.directory->BeginRead();
      if (!begun.ok()) return begun.status();
      start.reader.emplace(std::move(*begun));
      start.sequence = view.sequence();
      start.counts = view.counts();
      return Status::Ok();
    };
    Status status;
    if (impl_->options.read_only) {
      std::lock_guard<std::mutex> lock(impl_->refresh_mutex);
      status = capture(impl_->current().Read());
    } else {
      status = impl_->current().RunExclusive(capture);
    }
    if (!status.ok()) return status;
    return start;
  };
  return persist::VerifyInPieces(begin).WithContext("verifying " + impl_->options.path);
}

namespace persist {

Status CreateStoreWithSnapshot(const StoreOptions& options, const Registry& registry,
                               std::uint64_t sequence) {
  StoreOptions create = options;
  create.read_only = false;
  create.create_if_missing = true;
  StatusOr<std::unique_ptr<DataDirectory>> opened = DataDirectory::Open(create);
  if (!opened.ok()) return opened.status();
  DataDirectory& directory = **opened;
  View view = registry.Read();
  const std::string payload = EncodeSnapshot(view);
  HUBREG_RETURN_IF_ERROR(directory.ReserveRoom(payload.size() + payload.size() / 4));
  return directory.Write([&](lmdb::Txn& txn) -> Status {
    // DataDirectory::Open wrote an empty registry at sequence 0; anything
    // else means the directory was in use.
    StatusOr<SnapshotHeader> existing = ReadSnapshotHeader(txn, directory.dbs());
    if (!existing.ok()) return existing.status();
    auto journal = lmdb::Cursor::Open(txn, directory.dbs().journal);
    if (!journal.ok()) return journal.status();
    auto first = journal->Get(MDB_FIRST);
    if (!first.ok()) return first.status();
    if (existing->sequence != 0 || first->has_value()) {
      return Status::InvalidArgument(directory.path() + ": already holds a registry");
    }
    return WriteSnapshotPayload(txn, directory.dbs(), kCurrentSchema,
                                std::max(sequence, view.sequence()), payload)
        .status();
  });
}

}  // namespace persist
}  // namespace hubreg
