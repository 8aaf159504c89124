// Registry::ApplyGroup: several batches, one commit, one publication. The
// batches are applied one after another to the standby copy (each through
// its own applier, so a failing one can be undone alone), then committed
// together and made active with one store, as Apply does for one batch.
#include <memory>

#include "batch_applier.h"
#include "hubreg/registry.h"
#include "registry_feed.h"
#include "registry_instance.h"

namespace hubreg {

Registry::GroupResult Registry::ApplyGroup(std::span<const Batch> batches,
                                           const GroupCommit& commit) {
  std::lock_guard<std::mutex> lock(writer_mutex_);
  GroupResult out;
  CatchUpStandby();
  const int standby_index = 1 - active_.load();
  Instance& standby = *instances_[standby_index];
  const Timestamp now = clock_();
  detail::ReserveForInserts(standby.tables, batches);
  std::vector<std::unique_ptr<detail::BatchApplier>> appliers;
  auto undo_all = [&appliers] {
    for (auto applier = appliers.rbegin(); applier != appliers.rend(); ++applier) {
      (*applier)->UndoAll();
    }
  };
  std::uint64_t sequence = last_sequence_.load();
  // Each applier appends to (and undoes from) its batch's entry here, so the
  // entries must not move: room for all of them first.
  out.committed.reserve(batches.size());
  try {
    for (std::size_t k = 0; k < batches.size() && out.status.ok(); ++k) {
      const Batch& batch = batches[k];
      CommitResult& result = out.committed.emplace_back();
      result.sequence = sequence;
      if (batch.empty()) continue;
      detail::BatchApplier& applier = *appliers.emplace_back(
          std::make_unique<detail::BatchApplier>(standby.tables, now, result.changes.changes));
      result.applied.mutations().reserve(batch.size());
      result.changes.changes.reserve(batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Mutation applied;
        Status status = applier.Apply(batch.mutations()[i], &applied);
        if (!status.ok()) {
          applier.UndoAll();
          appliers.pop_back();
          out.committed.pop_back();
          out.status = status
                           .WithContext("mutation " + std::to_string(i + 1) + " of " +
                                        std::to_string(batch.size()))
                           .WithContext("batch " + std::to_string(k + 1) + " of " +
                                        std::to_string(batches.size()));
          break;
        }
        result.applied.Add(std::move(applied));
      }
      if (!out.status.ok()) break;
      result.sequence = ++sequence;
      detail::FinishChangeBatch(standby.tables, result.sequence, now, result.changes);
    }
    if (out.committed.empty()) return out;
    if (commit) {
      Status committed = commit(out.committed);
      if (!committed.ok()) {
        undo_all();
        out.committed.clear();
        out.status = committed;
        return out;
      }
    }
  } catch (...) {
    undo_all();
    throw;
  }
  if (sequence == last_sequence_.load()) return out;  // only empty batches
  standby.sequence = sequence;
  active_.store(standby_index, std::memory_order_seq_cst);
  last_sequence_.store(sequence);
  for (CommitResult& result : out.committed) {
    if (result.applied.empty()) continue;
    pending_.push_back(result.applied);
    Publish(std::move(result.changes));
    result.changes = ChangeBatch{result.sequence, now, {}, {}, {}};
  }
  return out;
}

}  // namespace hubreg
