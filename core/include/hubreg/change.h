// What a batch changed, row by row, for the change feed (docs/feed.md).
//
// A batch as submitted says what to do ("erase client 7"); a ChangeBatch
// says what happened: every row it touched with its value before and after,
// including the client_user links that went with an erased client or user.
// Applying the `after` side of each change in order to the state before the
// batch gives the state after it, so a subscriber can rebuild a registry
// from a snapshot plus the feed.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "hubreg/model.h"
#include "hubreg/view.h"

namespace hubreg {

// One row changed: `before` is empty for an insert, `after` for a delete;
// both are set for an update (links are never updated, only inserted or
// erased).
template <typename Row>
struct RowChange {
  std::optional<Row> before;
  std::optional<Row> after;
  bool operator==(const RowChange&) const = default;
};

using Change = std::variant<RowChange<App>, RowChange<Organization>, RowChange<Client>,
                            RowChange<User>, RowChange<ClientUserLink>>;

// A (user, account) pair whose plain access answer (Resolve with no app key
// and no organization) changed in a batch, or whose account moved to another
// organization while the pair was linked (so organization-scoped answers
// changed). Ids, not external ids: the rows may be gone after the batch.
struct AccessChange {
  Id user_id = kNoId;
  Id client_id = kNoId;
  AccessVerdict before = AccessVerdict::kUnknownAccount;
  AccessVerdict after = AccessVerdict::kUnknownAccount;
  Id organization_before = kNoId;  // the account's organization before the batch
  Id organization_after = kNoId;
  bool operator==(const AccessChange&) const = default;
};

// One committed batch, as the feed delivers it.
struct ChangeBatch {
  std::uint64_t sequence = 0;
  Timestamp committed_at{};
  // In the order they happened; a cascaded link erase comes right before
  // the erase of the client or user that caused it.
  std::vector<Change> changes;
  // Sorted by (user_id, client_id), each pair once.
  std::vector<AccessChange> access;
  // Accounts whose connection details (db_host, db_port, db_name, db_user,
  // db_password) changed or that were deleted; sorted, each once.
  std::vector<Id> connection_changed;
  bool operator==(const ChangeBatch&) const = default;
};

// Fills `batch.access` and `batch.connection_changed` (replacing what they
// held) from `batch.changes`, where `after` is a View of the state right
// after the batch. Apply does this for every batch it records; this is for
// code that builds ChangeBatches itself (tests, benchmarks). Costs
// O(changes + links of the users and accounts whose access fields changed);
// never a scan. The events are defined in docs/feed.md.
void ComputeAccessChanges(const View& after, ChangeBatch& batch);

}  // namespace hubreg
