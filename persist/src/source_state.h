// Internal: where a follower keeps its position in the source, in the data
// directory's meta database under the key "source_state". The value is the
// caller's bytes, opaque to persist; it is written in the same LMDB
// transaction as the journal entries it accounts for (Store::ApplyGroup).
#pragma once

#include <string>
#include <string_view>

#include "hubreg/status.h"
#include "lmdb_env.h"
#include "store_layout.h"

namespace hubreg::persist {

inline constexpr std::string_view kSourceStateKey = "source_state";

Status PutSourceState(lmdb::Txn& txn, const StoreDbs& dbs, std::string_view state);

// The stored state; empty when none was ever stored.
StatusOr<std::string> GetSourceState(lmdb::Txn& txn, const StoreDbs& dbs);

}  // namespace hubreg::persist
