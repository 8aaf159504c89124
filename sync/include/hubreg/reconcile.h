// Reconciling the registry with a complete copy of its source: the one batch
// that turns the registry's rows into the target's, and what it changes.
//
//   hubreg::View view = store->Read();
//   auto plan = hubreg::Reconcile(view, target_rows);   // StatusOr<Reconciliation>
//   view = {};                                          // no View may live during Apply
//   if (plan.ok() && !plan->batch.empty()) store->Apply(plan->batch);
//
// Used by `hubreg sync` (a full export) and by the follower's first start
// (a data directory that already holds a registry meets a fresh copy).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/view.h"

namespace hubreg {

// Identifies one changed row, never with a password: the id and the external
// id (the app_key for apps). For links, `id` is the client_id, `user_id` the
// user_id and `external_id` is empty.
struct RowKey {
  Id id = kNoId;
  Id user_id = kNoId;
  std::string external_id;
  bool operator==(const RowKey&) const = default;
};

// What a reconciliation does to one table. A link whose created_at changed
// is "updated" (the batch deletes and re-inserts it: links have no update).
struct TableChanges {
  std::string_view table;  // kAppTable, ...
  std::size_t before = 0;  // rows the registry holds now
  std::vector<RowKey> inserted, updated, deleted;
};

struct Reconciliation {
  // Turns the registry into the target; empty when they already hold the
  // same rows. Ordered so that every mutation is valid when it runs.
  Batch batch;
  // threecolts_app, threecolts_organization, client, user, client_user.
  std::array<TableChanges, 5> tables;
};

struct ReconcileOptions {
  // Refuse a target that would delete more than this share of any table's
  // rows (a truncated or empty export must not wipe the registry) ...
  double max_delete_ratio = 0.5;
  // ... unless forced.
  bool force = false;
};

// Computes the difference between `current` and `target`. `target` is the
// complete new content of every table (its next ids are ignored); rows are
// matched by id (links by pair) and compared column by column. A timestamp
// left at the epoch in `target` matches any stored value (the model's "now"
// on insert, "keep" on update). Unchanged rows produce nothing.
//
// The batch erases links and deleted clients first, then inserts and updates
// apps, users, organizations and clients (parents before children), then
// erases organizations, users and apps, and inserts links last. A row whose
// unique key (external id, email, app key) the target gives to another row
// is first moved out of the way by an update to a placeholder key, so swaps
// and reuse of a deleted row's key apply cleanly; these extra updates are
// not counted in `tables`.
//
// Errors: InvalidArgument when `target` holds an id (or link) twice, or when
// a table would lose more than `max_delete_ratio` of its rows and not
// `force` (the message names the table and the counts). The target is not
// otherwise validated here: applying the batch checks every rule, and fails
// without changing anything when the target breaks one.
//
// Cost: one hashed lookup per target row and one pass over the registry's
// rows; nothing is rebuilt. REQUIRES: `current` stays alive for the call only.
StatusOr<Reconciliation> Reconcile(const View& current, const RegistryRows& target,
                                   const ReconcileOptions& options = {});

// The delete guard alone, for a plan computed with `force` (e.g. a dry run
// that reports what it would refuse): OK, or the InvalidArgument error
// Reconcile would have returned.
Status CheckDeleteRatio(const Reconciliation& plan, double max_delete_ratio);

}  // namespace hubreg
