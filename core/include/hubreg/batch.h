// Mutations and batches. A Batch is applied by Registry::Apply as one atomic
// unit: every mutation in it is checked against the state left by the ones
// before it, and either all become visible together or none does.
#pragma once

#include <variant>
#include <vector>

#include "hubreg/change.h"
#include "hubreg/model.h"

namespace hubreg {

// Adds a row. Row ids of 0 are assigned by the registry.
template <typename Row>
struct InsertRow {
  Row row;
  bool operator==(const InsertRow&) const = default;
};

// Replaces the row with the same id (for links: the same pair).
template <typename Row>
struct UpdateRow {
  Row row;
  bool operator==(const UpdateRow&) const = default;
};

// Deletes the row with this id. Deleting a client or a user also deletes its
// client_user links; deleting anything that is still referred to is refused.
template <typename Row>
struct EraseRow {
  Id id = kNoId;
  bool operator==(const EraseRow&) const = default;
};

// Deletes one client_user link.
struct EraseLink {
  Id client_id = kNoId;
  Id user_id = kNoId;
  bool operator==(const EraseLink&) const = default;
};

using Mutation =
    std::variant<InsertRow<App>, UpdateRow<App>, EraseRow<App>,                             //
                 InsertRow<Organization>, UpdateRow<Organization>, EraseRow<Organization>,  //
                 InsertRow<Client>, UpdateRow<Client>, EraseRow<Client>,                    //
                 InsertRow<User>, UpdateRow<User>, EraseRow<User>,                          //
                 InsertRow<ClientUserLink>, EraseLink>;

class Batch {
 public:
  Batch() = default;
  explicit Batch(std::vector<Mutation> mutations) : mutations_(std::move(mutations)) {}

  template <typename Row>
  Batch& Insert(Row row) {
    mutations_.emplace_back(InsertRow<Row>{std::move(row)});
    return *this;
  }
  template <typename Row>
  Batch& Update(Row row) {
    mutations_.emplace_back(UpdateRow<Row>{std::move(row)});
    return *this;
  }
  template <typename Row>
  Batch& Erase(Id id) {
    mutations_.emplace_back(EraseRow<Row>{id});
    return *this;
  }
  Batch& Link(Id client_id, Id user_id) { return Insert(ClientUserLink{client_id, user_id, {}}); }
  Batch& Unlink(Id client_id, Id user_id) {
    mutations_.emplace_back(EraseLink{client_id, user_id});
    return *this;
  }
  Batch& Add(Mutation mutation) {
    mutations_.push_back(std::move(mutation));
    return *this;
  }

  const std::vector<Mutation>& mutations() const { return mutations_; }
  std::vector<Mutation>& mutations() { return mutations_; }
  bool empty() const { return mutations_.empty(); }
  std::size_t size() const { return mutations_.size(); }

 private:
  std::vector<Mutation> mutations_;
};

// What a successful Apply did: the batch's sequence number and the batch as
// it was applied, with every id and timestamp filled in. Replaying `applied`
// on the state before it yields the same state.
struct CommitResult {
  std::uint64_t sequence = 0;
  Batch applied;
  // What the batch changed, row by row (the journal stores this). Complete
  // for the commit hook and GroupCommit; when the batch is published it is
  // moved into the registry's change feed, so in the CommitResult that Apply
  // and ApplyGroup return only `sequence` and `committed_at` are left: read
  // the rows with Registry::Changes(sequence - 1, ...).
  ChangeBatch changes;
};

}  // namespace hubreg
