// Internal to bindings/: one open registry as both bindings see it, either an
// in-memory hubreg::Registry or a hubreg::Store on a data directory. The C
// API and the Python module each wrap this, so the choice between the two,
// the read-only rule and the "no write while this thread holds a view" rule
// live in one place.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "hubreg/batch.h"
#include "hubreg/change.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/store.h"
#include "hubreg/view.h"

namespace hubreg::bindings {

// Mirrors hubreg::SyncMode, so callers need not see persist headers.
enum class Sync { kFull, kNoMetaSync, kNoSync };

struct OpenOptions {
  std::string path;
  bool read_only = false;
  bool create_if_missing = true;
  Sync sync = Sync::kFull;
};

// True when this build links hubreg::persist (data directories, snapshots).
bool HavePersistence();

class Handle {
 public:
  // An empty registry in memory.
  static std::unique_ptr<Handle> InMemory();
  // Opens a data directory through hubreg::Store. InvalidArgument when this
  // build has no persistence.
  static StatusOr<std::unique_ptr<Handle>> Open(const OpenOptions& options);

  ~Handle();
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  // A consistent view of the latest state. Never blocks. Callers that keep
  // the view across calls report it with ViewBegun/ViewEnded.
  View Read() const;

  // Applies `batch`. ReadOnly on a read-only handle; InvalidArgument when
  // the calling thread holds a view of this handle, because the write would
  // wait for that view to end and so wait forever.
  StatusOr<CommitResult> Apply(const Batch& batch);

  // Writes a standalone snapshot file (data directories only).
  Status SaveSnapshot(const std::string& file) const;
  // Read-only data directories: catches up with the writing process.
  Status Refresh();
  // The store's statistics (data directories only).
  StatusOr<StoreStats> Stats() const;
  // Folds the journal into a new snapshot (writable data directories only).
  Status Compact();

  bool read_only() const { return read_only_; }
  bool persistent() const { return persistent_; }
  const std::string& path() const { return path_; }
  std::uint64_t LastSequence() const;

  // The change feed (docs/feed.md): Registry::Changes or Store::Changes.
  // Waits up to `timeout` for the batch (a read-only data directory for the
  // writing process's next commit). Thread-safe.
  StatusOr<std::optional<ChangeBatch>> Changes(std::uint64_t after_sequence,
                                               std::chrono::milliseconds timeout) const;
  // After kResyncRequired from Changes: the sequence of a state to start
  // again from (the registry's latest in memory, the stored snapshot's for a
  // data directory; a read-only one reads it as of its last Refresh).
  std::uint64_t RestartSequence() const;

  // Bookkeeping of views held across calls, per thread. A view must be
  // ended on the thread that began it.
  void ViewBegun() const;
  void ViewEnded() const;
  bool ThisThreadHoldsView() const;

 private:
  struct Backend;
  explicit Handle(std::unique_ptr<Backend> backend, bool read_only, bool persistent,
                  std::string path);

  std::unique_ptr<Backend> backend_;
  bool read_only_ = false;
  bool persistent_ = false;
  std::string path_;
};

// Loads a snapshot file into the data directory `path` (which must hold no
// registry unless `overwrite`). InvalidArgument without persistence.
Status RestoreSnapshot(const std::string& file, const std::string& path, bool overwrite);

}  // namespace hubreg::bindings
