// Left-right concurrency: the registry keeps two copies of its state. Readers
// register on the active copy and read it without locks. The single writer
// applies a batch to the standby copy (where no reader is), runs the commit
// hook (disk I/O happens here, while readers carry on with the active copy),
// then makes the standby active with one atomic store. Before the next batch
// it waits for the readers still on the old copy to leave and replays the
// batch there, so both copies are equal again.
#include "hubreg/registry.h"

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "batch_applier.h"
#include "registry_feed.h"
#include "registry_instance.h"

namespace hubreg {
namespace {

std::size_t ThisThreadsSlot() {
  static std::atomic<std::size_t> next_slot{0};
  thread_local const std::size_t slot = next_slot.fetch_add(1) % kReaderSlots;
  return slot;
}

Timestamp SystemNow() {
  return std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
}

}  // namespace

View::View(View&& other) noexcept
    : tables_(other.tables_), sequence_(other.sequence_), reader_slot_(other.reader_slot_) {
  other.tables_ = nullptr;
  other.reader_slot_ = nullptr;
}

View& View::operator=(View&& other) noexcept {
  if (this != &other) {
    Release();
    tables_ = other.tables_;
    sequence_ = other.sequence_;
    reader_slot_ = other.reader_slot_;
    other.tables_ = nullptr;
    other.reader_slot_ = nullptr;
  }
  return *this;
}

View::~View() { Release(); }

void View::Release() {
  if (reader_slot_ != nullptr) {
    static_cast<ReaderSlot*>(reader_slot_)->count.fetch_sub(1, std::memory_order_release);
    reader_slot_ = nullptr;
  }
}

Registry::Registry() : Registry(std::make_unique<Instance>(), std::make_unique<Instance>()) {}

Registry::Registry(std::unique_ptr<Instance> first, std::unique_ptr<Instance> second)
    : instances_{std::move(first), std::move(second)},
      clock_(SystemNow),
      feed_(std::make_unique<Feed>()) {
  last_sequence_.store(instances_[0]->sequence);
  feed_->published = instances_[0]->sequence;
}

Registry::~Registry() {
  if (standby_builder_.joinable()) standby_builder_.join();
}

View Registry::Read() const {
  ReaderSlot* slot = nullptr;
  for (;;) {
    const int index = active_.load(std::memory_order_seq_cst);
    Instance& instance = *instances_[index];
    slot = &instance.readers[ThisThreadsSlot()];
    slot->count.fetch_add(1, std::memory_order_seq_cst);
    // If the writer swapped copies between our two loads, it may already be
    // changing the copy we registered on: step back and try the new one.
    if (active_.load(std::memory_order_seq_cst) == index) {
      return View(&instance.tables, instance.sequence, slot);
    }
    slot->count.fetch_sub(1, std::memory_order_release);
  }
}

Registry::Instance& Registry::Standby() { return *instances_[1 - active_.load()]; }

void Registry::CatchUpStandby() {
  if (standby_builder_.joinable()) standby_builder_.join();
  Instance& standby = Standby();
  standby.WaitForReaders();
  if (pending_.empty()) return;
  // The batches passed every check on the other, equal copy: replayed
  // without checking again.
  detail::ReserveForInserts(standby.tables, pending_);
  for (Batch& batch : pending_) {
    for (Mutation& mutation : batch.mutations()) {
      Status replayed = detail::Replay(standby.tables, std::move(mutation));
      if (!replayed.ok()) {
        // The same batch succeeded on an equal copy: this is a bug in hubreg.
        std::fprintf(stderr, "hubreg: registry copies diverged: %s\n", replayed.ToString().c_str());
        std::abort();
      }
    }
  }
  standby.sequence = instances_[active_.load()]->sequence;
  pending_.clear();
}

StatusOr<CommitResult> Registry::Apply(const Batch& batch) {
  std::lock_guard<std::mutex> lock(writer_mutex_);
  CommitResult result;
  result.sequence = last_sequence_.load();
  if (batch.empty()) return result;

  CatchUpStandby();
  const int standby_index = 1 - active_.load();
  Instance& standby = *instances_[standby_index];
  const Timestamp now = clock_();
  detail::ReserveForInserts(standby.tables, std::span(&batch, 1));
  detail::BatchApplier applier(standby.tables, now, result.changes.changes);
  result.sequence += 1;
  result.applied.mutations().reserve(batch.size());
  try {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Mutation applied;
      Status status = applier.Apply(batch.mutations()[i], &applied);
      if (!status.ok()) {
        applier.UndoAll();
        return status.WithContext("mutation " + std::to_string(i + 1) + " of " +
                                  std::to_string(batch.size()));
      }
      result.applied.Add(std::move(applied));
    }
    detail::FinishChangeBatch(standby.tables, result.sequence, now, result.changes);
    if (commit_hook_) {
      Status committed = commit_hook_(result);
      if (!committed.ok()) {
        applier.UndoAll();
        return committed;
      }
    }
  } catch (...) {
    applier.UndoAll();
    throw;
  }
  standby.sequence = result.sequence;
  active_.store(standby_index, std::memory_order_seq_cst);
  last_sequence_.store(result.sequence);
  pending_.push_back(result.applied);
  Publish(std::move(result.changes));
  result.changes = ChangeBatch{result.sequence, now, {}, {}, {}};
  return result;
}

void Registry::SetCommitHook(CommitHook hook) {
  std::lock_guard<std::mutex> lock(writer_mutex_);
  commit_hook_ = std::move(hook);
}

void Registry::SetClock(Clock clock) {
  std::lock_guard<std::mutex> lock(writer_mutex_);
  clock_ = clock ? std::move(clock) : Clock(SystemNow);
}

Status Registry::RunExclusive(const std::function<Status(const View&)>& fn) {
  std::lock_guard<std::mutex> lock(writer_mutex_);
  return fn(Read());
}

std::uint64_t Registry::LastSequence() const { return last_sequence_.load(); }

bool Registry::HasViews() const {
  for (const auto& instance : instances_) {
    for (const ReaderSlot& slot : instance->readers) {
      if (slot.count.load(std::memory_order_seq_cst) != 0) return true;
    }
  }
  return false;
}

}  // namespace hubreg
