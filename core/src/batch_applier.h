// Internal: applies mutations to one registry state, checking every
// integrity rule first, and can undo everything it applied.
#pragma once

#include <functional>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/change.h"
#include "hubreg/detail/tables.h"
#include "hubreg/status.h"

namespace hubreg::detail {

class BatchApplier {
 public:
  // With `changes`, every row each successful Apply touched is appended to
  // it, before and after, in order (cascaded link erases first); what an
  // undone mutation appended is not removed: the caller drops the batch.
  BatchApplier(Tables& tables, Timestamp now, std::vector<Change>* changes = nullptr)
      : tables_(tables), now_(now), changes_(changes) {}
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

  template <typename Row>
  void Record(std::optional<Row> before, std::optional<Row> after) {
    if (changes_ != nullptr)
      changes_->emplace_back(RowChange<Row>{std::move(before), std::move(after)});
  }

  Tables& tables_;
  Timestamp now_;
  std::vector<Change>* changes_;
  std::vector<std::function<void()>> undo_;
};

// Checks one row on its own and against `tables` as if it were inserted
// (or, with `replacing`, as if it replaced the row with its id). Used by
// BatchApplier and by the bulk loader. Returns the first violation.
Status CheckRow(const Tables& tables, const App& row, bool replacing);
Status CheckRow(const Tables& tables, const Organization& row, bool replacing);
Status CheckRow(const Tables& tables, const Client& row, bool replacing);
Status CheckRow(const Tables& tables, const User& row, bool replacing);
Status CheckRow(const Tables& tables, const ClientUserLink& row, bool replacing);

// The checks of CheckRow that need no other row: required fields and formats.
Status CheckFields(const App& row);
Status CheckFields(const Organization& row);
Status CheckFields(const Client& row);
Status CheckFields(const User& row);

// Whether every foreign key of `row` points at an existing row.
bool ReferencesExist(const Tables& tables, const Organization& row);
bool ReferencesExist(const Tables& tables, const Client& row);
bool ReferencesExist(const Tables& tables, const ClientUserLink& row);

}  // namespace hubreg::detail
