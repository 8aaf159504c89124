// Internal: the "access changed" part of a ChangeBatch (hubreg/change.h),
// computed from the batch's row changes and the state after it, without
// scanning the registry. docs/feed.md describes the events for users.
#pragma once

#include "hubreg/change.h"
#include "hubreg/detail/tables.h"

namespace hubreg::detail {

// Fills `batch.access` and `batch.connection_changed` (replacing what they
// held) from `batch.changes`. REQUIRES: `after` is the state right after the
// batch, and `batch.changes` lists every row the batch touched, each change
// with the row's value before and after it, in order. The state before the
// batch is `after` with each touched row put back to its first `before`
// image; rows the batch did not touch are the same at both ends.
//
// A pair's verdict at one end is what View::Resolve answers there with no app
// key and no organization, asked with the user's and the account's external
// ids of that end (kUnknownUser / kUnknownAccount when the row is absent).
// `access` lists each (user, account) pair that is linked before or after
// the batch and for which
//   - its verdict changed (link added or removed; user or account disabled,
//     enabled, deleted or created), or
//   - it is linked at both ends and the account's organization changed
//     (organization-scoped answers changed: the service must re-check them), or
//   - it is linked at both ends and the user's or the account's external_id
//     changed. The verdict by ids is then unchanged, but a request with the
//     old external ids no longer gets it (it gets kUnknownUser or another
//     row's answer), so whatever a service keyed by external ids is stale.
// Pairs linked at neither end are never listed: their answer is a refusal at
// both ends (only its reason may change, e.g. kNoLink to kUserDisabled for
// every account of a disabled user), so listing them would cost O(registry).
// Changes to app or organization rows (an organization renamed or moved to
// another app) are not expanded into pairs: they are in `changes`.
// Sorted by (user_id, client_id), each pair once, with both verdicts and the
// account's organization at both ends (kNoId where the account is absent).
//
// `connection_changed` lists the accounts that exist before the batch and
// after it are deleted or have other connection details (db_host, db_port,
// db_name, db_user or db_password; first `before` against the state after);
// sorted, each once. New accounts are not listed: nobody holds a connection.
//
// Cost: O(changes + links before and after of every user and account whose
// status, external_id, organization or existence changed), hash lookups in
// `after`; never a scan of a table.
void ComputeAccessChanges(const Tables& after, ChangeBatch& batch);

}  // namespace hubreg::detail
