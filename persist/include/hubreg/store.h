// A registry made durable: every acknowledged batch is committed to LMDB
// before Apply returns, and start-up loads a snapshot plus the journal of
// batches written after it. See docs/storage.md for the on-disk layout.
//
// Thread safety: as Registry. Any number of threads may Read(); Apply and
// Refresh serialise among themselves, and Compact holds Apply back only
// while it encodes the snapshot. Readers never wait for disk I/O or for
// compaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hubreg/change.h"
#include "hubreg/feed.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"

namespace hubreg {

// How hard a commit pushes data to the disk. kFull survives power loss;
// kNoMetaSync (MDB_NOMETASYNC) may lose the last batch on power loss but
// never corrupts; kNoSync (MDB_NOSYNC) survives a process crash (kill -9)
// but may lose recent batches on power loss or an OS crash.
enum class SyncMode { kFull, kNoMetaSync, kNoSync };

struct StoreOptions {
  std::string path = "./hubreg-data";  // created with mode 0700 when missing
  bool read_only = false;              // a second process may open read-only
  bool create_if_missing = true;
  SyncMode sync = SyncMode::kFull;
  // Automatic compaction runs after a commit when the journal holds more
  // than this share of the snapshot's bytes (and at least min_journal_bytes).
  double compaction_ratio = 0.5;
  std::uint64_t min_journal_bytes = 4u << 20;
  // Writers: automatic compaction runs on a thread of the store instead of
  // on the thread whose Apply/ApplyGroup found it due. A commit then waits
  // only while the snapshot is encoded in memory (the writer lock) and, at
  // most, for one of the transactions that write it (about 1 MiB each),
  // never for the whole compaction: what a follower, which must stay fresh,
  // wants (`hubreg follow` sets it). Off, the committing thread compacts
  // before its Apply returns (what a short-lived importer wants: nothing is
  // left to do when it closes). Stopped by ~Store; a compaction under way
  // then gives up between two transactions (done again later).
  bool background_compaction = false;
  // Copying compaction (docs/storage.md): LMDB never shrinks data.mdb, and
  // pages freed while any reader holds a read transaction open cannot be
  // reused, so a reader descheduled inside one makes the file grow for good.
  // After a compaction, when data.mdb is more than copy_compaction_ratio
  // times the bytes it uses and at least copy_compaction_min_free_bytes of
  // it are free, the writer copies it compacted into a new data directory,
  // swaps that in and goes on there; read-only stores follow without
  // reloading and feed cursors without a resync. At most once per
  // copy_compaction_interval; a ratio of 0 turns it off.
  double copy_compaction_ratio = 2.5;
  std::uint64_t copy_compaction_min_free_bytes = 8u << 20;
  std::chrono::seconds copy_compaction_interval{60};
  // LMDB map size to start with; it doubles whenever a commit needs more
  // (MDB_MAP_FULL never reaches a caller), and an existing environment keeps
  // its larger size.
  std::uint64_t initial_map_size = 64u << 20;
  // An open that finds data.mdb behind the data directory's commit record
  // (LMDB fell back to an older commit and acknowledged batches are gone;
  // docs/storage.md, "Rollback detection") is refused with kCorruption. A
  // writer with this set opens anyway and records what data.mdb holds as
  // the state to check later opens against. Ignored by read-only stores.
  bool accept_rollback = false;
  // A writer that finds another store holding the data directory for
  // writing (its writer.lock) waits up to this long for it to close, then
  // is refused with kIo; 0 refuses at once. When it starts waiting it calls
  // on_writer_lock_wait, once, with the holder's process id (0: unknown).
  std::chrono::milliseconds writer_lock_wait{0};
  std::function<void(long pid)> on_writer_lock_wait{};
  // Read-only stores: a thread of the store waits for the writer's commits
  // (WaitForCommit) and calls Refresh after each, so the registry follows
  // the writer without the caller refreshing. Stopped and joined by ~Store.
  // Its last error, if any, is in StoreStats::last_refresh_error.
  // Ignored by writable stores (always current).
  bool background_refresh = false;
  // The change feed's window in the journal (docs/feed.md): compaction keeps
  // the newest journal entries its snapshot covers, at most this many
  // batches and at most this many bytes (whichever limit is reached first),
  // so that a cursor within them resumes exactly. 0 keeps none. Start-up
  // never replays them, and compaction decisions count only the entries
  // after the snapshot.
  std::uint64_t feed_retention_batches = 100'000;
  std::uint64_t feed_retention_bytes = 64u << 20;
  // How many recent batches a writable store's registry keeps in memory for
  // the feed (Registry::SetFeedCapacity); older ones are read from the journal.
  std::size_t feed_memory_batches = Registry::kDefaultFeedCapacity;
  // And at most this many bytes of them (estimated from the rows they hold;
  // Registry::SetFeedMemoryBytes): one large import is not kept in memory.
  std::size_t feed_memory_bytes = Registry::kDefaultFeedMemoryBytes;
};

struct StoreStats {
  TableCounts counts;
  std::uint64_t last_sequence = 0;
  std::uint64_t snapshot_sequence = 0;
  std::uint64_t snapshot_bytes = 0;
  std::uint64_t journal_batches = 0;
  std::uint64_t journal_bytes = 0;
  std::uint64_t map_size = 0;     // LMDB map size in bytes
  std::uint64_t map_used = 0;     // bytes of the map in use
  double open_seconds = 0;        // how long Open took (snapshot load + journal replay)
  std::uint64_t compactions = 0;  // since Open, automatic and requested
  // Automatic compaction runs after a batch is already durable, so its
  // failure does not fail that Apply; the last such error is kept here
  // (empty when the last automatic compaction succeeded).
  std::string last_compaction_error;
  // Read-only stores: earlier registries still kept because Views of them
  // were alive when Refresh reloaded (freed by a later Refresh).
  std::uint64_t retired_registries = 0;
  // Whether WaitForCommit sleeps on the data directory's commit signal
  // (woken by the writer's commits). False when the file is missing or
  // damaged: a read-only store's waits then look at LMDB every 50 ms.
  bool commit_signal = false;
  // Read-only stores: how often Refresh found data.mdb replaced (a restore
  // into the directory) and reloaded everything from the new one.
  std::uint64_t replacements = 0;
  // Copying compactions: made (a writer) or followed (a read-only store),
  // since Open. Not counted in replacements.
  std::uint64_t copies = 0;
  // Read-only stores with background_refresh: the last failed background
  // Refresh's error (empty when the last one succeeded).
  std::string last_refresh_error;
};

class Store {
 public:
  // Opens (or creates) the data directory and loads the registry: snapshot,
  // then journal tail. Clears stale LMDB reader slots left by dead processes.
  // One writable store per data directory at a time (in any process; a
  // second is refused with kIo); any number of read-only ones.
  static StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  View Read() const;
  // The registry itself. On a read-only store, a Refresh that has to reload
  // (the writer compacted past it) replaces it: the reference is then valid
  // only until a later Refresh. Views are the safe way to hold on to a state.
  const Registry& registry() const;

  // Applies the batch and commits it to LMDB; returns only once it is
  // durable (per SyncMode). kReadOnly on a read-only store.
  StatusOr<CommitResult> Apply(const Batch& batch);

  // Group commit for a follower of another database: applies `batches` in
  // order, each atomically with its own sequence, and commits them in ONE
  // LMDB transaction together with `source_states[k]`, the caller's position
  // in its source after batch k (the last applied batch's is stored). Readers
  // see none of them before that commit is durable (per SyncMode).
  // If batch k breaks a rule, batches 0..k-1 are committed with
  // source_states[k-1] and status is k's error; if the commit fails, nothing
  // is applied. kReadOnly on a read-only store; kInvalidArgument (nothing
  // applied) when the spans differ in length.
  Registry::GroupResult ApplyGroup(std::span<const Batch> batches,
                                   std::span<const std::string> source_states);

  // The source state stored by the last ApplyGroup (empty when there was
  // none), as on disk now: a read-only store sees the writer's latest, which
  // may be ahead of its registry until Refresh.
  StatusOr<std::string> SourceState() const;

  // Writes a snapshot of the current state and drops the journal it covers
  // (but for the change feed's window). Writers wait only while it is
  // encoded in memory; it is then written beside the stored one in
  // transactions of about 1 MiB, between which batches are committed, and
  // made the stored snapshot in one more. Readers never wait. One compaction
  // runs at a time: this waits for an automatic one under way.
  Status Compact();

  // Read-only stores: applies batches committed by the writing process since
  // the last Open/Refresh, without reloading everything (unless the writer
  // has compacted past them: then the new snapshot is loaded, and the old
  // registry stays valid for Views and references taken before). OK and
  // nothing to do on a writable store.
  // REQUIRES: the calling thread holds no View of this store.
  //
  // A data directory replaced under a read-only store (a restore, e.g.
  // `hubreg restore --force`, swaps in a new data.mdb; the old file stays
  // open and unchanged) is noticed here: the store reopens the directory and
  // loads the new registry, and StoreStats::replacements counts it. Views
  // and references taken before stay valid, as after any reload.
  Status Refresh();

  // Blocks until a batch with a sequence above `after_sequence` is durable,
  // at most `timeout`. Returns true when one is (at once if one already
  // is), false on timeout. A writable store waits on its own commits. A
  // read-only store sleeps on the commit signal the writing process wakes
  // (docs/storage.md, "Waiting for commits"): true means "call Refresh to
  // see it", also when the data directory was replaced. Never spins. Errors
  // (kIo, kCorruption) come from reading LMDB's state.
  // Thread-safe; any number of threads may wait.
  StatusOr<bool> WaitForCommit(std::uint64_t after_sequence,
                               std::chrono::milliseconds timeout) const;

  StoreStats Stats() const;

  // The change feed (hubreg/feed.h, docs/feed.md). The batch with sequence
  // after_sequence + 1: from the registry's in-memory ring when it holds it,
  // else from the journal in LMDB (one short read transaction).
  // kResyncRequired when neither holds it any more (compacted past the
  // feed's window, or written before the change feed): start again from a
  // whole state, e.g. Read() (a View's sequence() is its cursor) or the
  // stored snapshot, whose sequence the message names and
  // Stats().snapshot_sequence gives (on a read-only store, after Refresh). A writable store waits
  // up to `timeout` for the batch to be committed (nullopt if it is not); so does a read-only
  // store, which reads the writer's journal and sleeps until the writer's next commit
  // (WaitForCommit). A read-only store's answer may be ahead of its own registry until Refresh, and
  // a data directory replaced under it (a restore) answers kResyncRequired until Refresh has loaded
  // it. Thread-safe; Apply and readers never wait for it.
  StatusOr<std::optional<ChangeBatch>> Changes(std::uint64_t after_sequence,
                                               std::chrono::milliseconds timeout) const;

  // Runs Changes from `after_sequence` on a thread of its own, handing each
  // batch (and a final kResync event, whose restart_sequence is the stored
  // snapshot's sequence) to `callback`.
  Subscription Subscribe(std::uint64_t after_sequence, Subscription::Callback callback) const;

  // Checks the stored snapshot and journal decode and that the registry they
  // describe satisfies every integrity rule and has the sequence and row
  // counts of the one in memory; names the first problem. Writers wait only
  // while it begins its read transaction; readers never wait.
  Status Verify() const;

  // Saves a standalone snapshot file from a consistent view while writers
  // continue. The file is written to a temporary name and renamed, so a
  // crash never leaves a half-written file under `file`.
  Status SaveSnapshotFile(const std::string& file) const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What a standalone snapshot file holds, from its header.
struct SnapshotFileInfo {
  std::uint32_t format_version = 0;
  std::uint32_t schema_version = 0;  // 100 for v1.0, 102 for v1.2
  std::uint64_t sequence = 0;
  TableCounts counts;
  std::uint64_t file_bytes = 0;
};

// Checks magic, versions, checksum, body length and integrity of a snapshot
// file without touching any data directory.
StatusOr<SnapshotFileInfo> VerifySnapshotFile(const std::string& file);

// Loads a snapshot file into `target.path`, which must not hold a registry
// (unless `overwrite`). On any error the target is left as it was.
// Sequences never go back in a data directory: the restored registry is at
// the file's sequence, or one above the highest the replaced directory had
// used, whichever is higher (docs/storage.md, "Restoring"); it is stored in
// *restored_sequence when given. Read-only stores open on the target see
// the new registry at their next Refresh (StoreStats::replacements).
Status RestoreSnapshotFile(const std::string& file, const StoreOptions& target,
                           bool overwrite = false, std::uint64_t* restored_sequence = nullptr);

// Whether `file` is a regular file that starts with the snapshot file magic
// ("HUBREGSN"; nothing else is checked): to tell a snapshot file given where a
// data directory was expected. False when it cannot be read. Never blocks.
bool IsSnapshotFile(const std::string& file);

}  // namespace hubreg
