// Internal: the merge behind ReadStoredRegistry (hubreg/stored_registry.h).
// A snapshot's decoded rows and the journal entries after it become the rows
// of the state they leave, by key, without building the registry; RowsOf
// gives a registry's rows in the same order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hubreg/model.h"
#include "hubreg/status.h"
#include "hubreg/store.h"
#include "hubreg/view.h"

namespace hubreg::persist {

// Sorts `rows` (a decoded snapshot's, at sequence `after`) as StoredRegistry
// promises, then merges into them the after-images of `values`, the stored
// journal values (checksum first) of entries after + 1, after + 2, ...
// (freed once decoded, before the merge).
// Counts the entries in stats->journal_batches, journal_bytes and
// last_sequence. Returns false, leaving `rows` unspecified, at the first
// entry of version 1 (the batch as submitted: only a full Store::Open can
// replay it); true when every entry was merged. kCorruption naming `path`
// and the entry for a value that fails its checksum or does not decode.
StatusOr<bool> MergeJournal(const std::string& path, std::uint64_t after,
                            std::vector<std::string> values, RegistryRows* rows, StoreStats* stats);

// The rows of every table of `view`, in the order StoredRegistry promises and
// MergeJournal leaves them: tables by id, links by (user_id, client_id); with
// the view's next ids.
RegistryRows RowsOf(const View& view);

}  // namespace hubreg::persist
