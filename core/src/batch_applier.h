// Internal: applies mutations to one registry state, checking every
// integrity rule first, and can undo everything it applied.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/change.h"
#include "hubreg/detail/tables.h"
#include "hubreg/integrity.h"
#include "hubreg/status.h"

namespace hubreg::detail {

class BatchApplier {
 public:
  // Every row each successful Apply touches is appended to `changes`,
  // before and after, in order (cascaded link erases first). That record is
  // also what UndoAll reverts, so `changes` must outlive this object and
  // nothing else may append to it meanwhile.
  BatchApplier(Tables& tables, Timestamp now, std::vector<Change>& changes)
      : tables_(tables),
        now_(now),
        changes_(changes),
        first_change_(changes.size()),
        next_ids_{tables.next_app_id, tables.next_organization_id, tables.next_client_id,
                  tables.next_user_id} {}
  BatchApplier(const BatchApplier&) = delete;
  BatchApplier& operator=(const BatchApplier&) = delete;

  // Checks `mutation` against the current state and applies it; on error
  // nothing is changed by this call. On success `*applied` is the mutation
  // with every id and timestamp filled in.
  Status Apply(const Mutation& mutation, Mutation* applied);

  // Reverts every mutation applied through this object, newest first, and
  // removes what they appended to `changes`.
  void UndoAll();

 private:
  template <typename Row>
  Status ApplyOne(const InsertRow<Row>& insert, Mutation* applied);
  template <typename Row>
  Status ApplyOne(const UpdateRow<Row>& update, Mutation* applied);
  template <typename Row>
  Status ApplyOne(const EraseRow<Row>& erase, Mutation* applied);
  Status ApplyOne(const InsertRow<ClientUserLink>& insert, Mutation* applied);
  Status ApplyOne(const EraseLink& erase, Mutation* applied);

  template <typename Row>
  void Record(std::optional<Row> before, std::optional<Row> after) {
    changes_.emplace_back(RowChange<Row>{std::move(before), std::move(after)});
  }
  template <typename Row>
  void Revert(const RowChange<Row>& change);
  void Revert(const RowChange<ClientUserLink>& change);

  Tables& tables_;
  Timestamp now_;
  // The change record doubles as the undo log: no closure and no second
  // copy of a row per mutation (an update's row before is kept once).
  std::vector<Change>& changes_;
  const std::size_t first_change_;  // the first of `changes_` this object appended
  // Next ids when this object was made, put back by UndoAll: an undone
  // insert hands its id out again.
  const std::array<Id, 4> next_ids_;
};

// Applies `applied`, a mutation as BatchApplier::Apply returned it (ids and
// timestamps filled in), to `tables`, a copy equal to the one it was applied
// to, in the same order: the registry's second copy catching up. No rule is
// checked again and nothing is kept for undoing. The rows are moved into
// the tables (`applied` is spent). Returns an error only when the mutation
// does not fit (the copies diverged: a bug in hubreg); `tables` is then
// unusable.
Status Replay(Tables& tables, Mutation&& applied);

// Makes room in every hashed index of `tables` for the rows `batches`
// insert, so that a group inserting many rows rehashes each index once
// rather than at every growth step on the way.
void ReserveForInserts(Tables& tables, std::span<const Batch> batches);

// The integrity rules (row_checks.cpp, the one place they are written).
//
// Checks one row on its own and against `tables` as if it were inserted
// (or, with `replacing`, as if it replaced the row with its id). Used by
// BatchApplier. Returns the first violation.
Status CheckRow(const Tables& tables, const App& row, bool replacing);
Status CheckRow(const Tables& tables, const Organization& row, bool replacing);
Status CheckRow(const Tables& tables, const Client& row, bool replacing);
Status CheckRow(const Tables& tables, const User& row, bool replacing);
Status CheckRow(const Tables& tables, const ClientUserLink& row, bool replacing);

// Whether `row` passes every rule but its unique keys (which inserting it
// checks), foreign keys only with `check_references`: the bulk loader's fast
// path. Defined for App, Organization, Client, User and ClientUserLink.
template <typename Row>
bool PassesAllButUniqueKeys(const Tables& tables, const Row& row, bool check_references);

// CheckNewRows (integrity.h) against a state's tables.
std::vector<Violation> CheckNewRows(const Tables& tables, const RegistryRows& rows,
                                    const CheckOptions& options);

}  // namespace hubreg::detail
