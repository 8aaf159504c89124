#include "source_state.h"

namespace hubreg::persist {

Status PutSourceState(lmdb::Txn& txn, const StoreDbs& dbs, std::string_view state) {
  return txn.Put(dbs.meta, kSourceStateKey, state);
}

StatusOr<std::string> GetSourceState(lmdb::Txn& txn, const StoreDbs& dbs) {
  auto stored = txn.Get(dbs.meta, kSourceStateKey);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::string();
  return std::string(**stored);
}

}  // namespace hubreg::persist
