// Internal: the one thing a restore needs from the store's LMDB layout.
#pragma once

#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/store.h"

namespace hubreg::persist {

// Creates a new data directory at options.path (which must not hold a
// registry) whose stored snapshot is `registry` at registry.LastSequence(),
// with its next ids, and an empty journal. Closes it before returning.
Status CreateStoreWithSnapshot(const StoreOptions& options, const Registry& registry);

}  // namespace hubreg::persist
