// Internal: the one thing a restore needs from the store's LMDB layout.
#pragma once

#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/store.h"

namespace hubreg::persist {

// Creates a new data directory at options.path (which must not hold a
// registry) whose stored snapshot is `registry` at `sequence` (at least
// registry.LastSequence(); a restore continues the numbering of the
// directory it replaces), with its next ids, an empty journal and a commit
// signal. Closes it before returning.
Status CreateStoreWithSnapshot(const StoreOptions& options, const Registry& registry,
                               std::uint64_t sequence);

}  // namespace hubreg::persist
