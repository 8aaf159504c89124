// Internal: applies mutations to one registry state, checking every
// integrity rule first, and can undo everything it applied.
#pragma once

#include <functional>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/detail/tables.h"
#include "hubreg/integrity.h"
#include "hubreg/status.h"

namespace hubreg::detail {

class BatchApplier {
 public:
  BatchApplier(Tables& tables, Timestamp now) : tables_(tables), now_(now) {}
  BatchApplier(const BatchApplier&) = delete;
  BatchApplier& operator=(const BatchApplier&) = delete;

  // Checks `mutation` against the current state and applies it; on error
  // nothing is changed by this call. On success `*applied` is the mutation
  // with every id and timestamp filled in.
  Status Apply(const Mutation& mutation, Mutation* applied);

  // Reverts every mutation applied through this object, newest first.
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

  Tables& tables_;
  Timestamp now_;
  std::vector<std::function<void()>> undo_;
};

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
