#include "handle.h"

#include <algorithm>
#include <utility>

#include "hubreg/store.h"

namespace hubreg::bindings {
namespace {

// The handles on which the calling thread holds views, one entry per view.
// Plain thread-locals (no constructor, no guard) because every view begin
// and end touches them; a thread holding more than kTrackedViews views is
// treated as holding views of every handle, which only refuses writes.
constexpr int kTrackedViews = 16;
thread_local const Handle* held_views[kTrackedViews];
thread_local int held_view_count = 0;

}  // namespace

struct Handle::Backend {
  std::unique_ptr<Registry> memory;
  std::unique_ptr<Store> store;
};

// The persist layer is always part of the build; kept for the C and Python
// APIs, which report it.
bool HavePersistence() { return true; }

Handle::Handle(std::unique_ptr<Backend> backend, bool read_only, bool persistent, std::string path)
    : backend_(std::move(backend)),
      read_only_(read_only),
      persistent_(persistent),
      path_(std::move(path)) {}

Handle::~Handle() = default;

std::unique_ptr<Handle> Handle::InMemory() {
  auto backend = std::make_unique<Backend>();
  backend->memory = std::make_unique<Registry>();
  return std::unique_ptr<Handle>(new Handle(std::move(backend), false, false, ""));
}

StatusOr<std::unique_ptr<Handle>> Handle::Open(const OpenOptions& options) {
  StoreOptions store_options;
  store_options.path = options.path;
  store_options.read_only = options.read_only;
  store_options.create_if_missing = options.create_if_missing;
  switch (options.sync) {
    case Sync::kFull:
      store_options.sync = SyncMode::kFull;
      break;
    case Sync::kNoMetaSync:
      store_options.sync = SyncMode::kNoMetaSync;
      break;
    case Sync::kNoSync:
      store_options.sync = SyncMode::kNoSync;
      break;
  }
  StatusOr<std::unique_ptr<Store>> store = Store::Open(store_options);
  if (!store.ok()) return store.status();
  auto backend = std::make_unique<Backend>();
  backend->store = std::move(store).value();
  return std::unique_ptr<Handle>(
      new Handle(std::move(backend), options.read_only, true, options.path));
}

View Handle::Read() const {
  if (backend_->store) return backend_->store->Read();
  return backend_->memory->Read();
}

StatusOr<CommitResult> Handle::Apply(const Batch& batch) {
  if (read_only_) {
    return Status::ReadOnly("the registry at \"" + path_ + "\" is open read-only");
  }
  if (ThisThreadHoldsView()) {
    return Status::InvalidArgument(
        "this thread holds a view of the registry; end it before writing (a write waits "
        "for the views of the state it replaces)");
  }
  if (backend_->store) return backend_->store->Apply(batch);
  return backend_->memory->Apply(batch);
}

Status Handle::SaveSnapshot(const std::string& file) const {
  if (backend_->store) return backend_->store->SaveSnapshotFile(file);
  return Status::InvalidArgument("saving a snapshot needs a registry opened on a data directory");
}

Status Handle::Refresh() {
  if (backend_->store) return backend_->store->Refresh();
  return Status::InvalidArgument("refresh needs a registry opened read-only on a data directory");
}

StatusOr<StoreStats> Handle::Stats() const {
  if (backend_->store) return backend_->store->Stats();
  return Status::InvalidArgument("statistics need a registry opened on a data directory");
}

Status Handle::Compact() {
  if (read_only_) {
    return Status::ReadOnly("the registry at \"" + path_ + "\" is open read-only");
  }
  if (backend_->store) return backend_->store->Compact();
  return Status::InvalidArgument("compaction needs a registry opened on a data directory");
}

std::uint64_t Handle::LastSequence() const {
  // Through a View: a refresh on another thread may replace the registry.
  if (backend_->store) return backend_->store->Read().sequence();
  return backend_->memory->LastSequence();
}

void Handle::ViewBegun() const {
  if (held_view_count < kTrackedViews) held_views[held_view_count] = this;
  ++held_view_count;
}

void Handle::ViewEnded() const {
  if (held_view_count == 0) return;  // begun on another thread
  const int tracked = std::min(held_view_count, kTrackedViews);
  for (int i = tracked - 1; i >= 0; --i) {
    if (held_views[i] == this) {
      held_views[i] = held_views[tracked - 1];
      break;
    }
  }
  --held_view_count;
}

bool Handle::ThisThreadHoldsView() const {
  if (held_view_count > kTrackedViews) return true;
  for (int i = 0; i < held_view_count; ++i) {
    if (held_views[i] == this) return true;
  }
  return false;
}

Status RestoreSnapshot(const std::string& file, const std::string& path, bool overwrite) {
  StoreOptions target;
  target.path = path;
  return RestoreSnapshotFile(file, target, overwrite);
}

StatusOr<std::optional<ChangeBatch>> Handle::Changes(std::uint64_t after_sequence,
                                                     std::chrono::milliseconds timeout) const {
  if (backend_->store) return backend_->store->Changes(after_sequence, timeout);
  return backend_->memory->Changes(after_sequence, timeout);
}

std::uint64_t Handle::RestartSequence() const {
  if (backend_->store) return backend_->store->Stats().snapshot_sequence;
  return backend_->memory->LastSequence();
}

}  // namespace hubreg::bindings
