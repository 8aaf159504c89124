// Turns decoded pgoutput messages into hubreg mutations, with the conversion
// rules of source_rows.h (which the initial copy uses too, copy_text.h).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/lsn.h"
#include "hubreg/status.h"
#include "hubreg/view.h"
#include "pgoutput.h"
#include "source_mapping.h"
#include "source_rows.h"

namespace hubreg::sync {

// One instance per replication stream; not thread-safe.
class ChangeTranslator {
 public:
  explicit ChangeTranslator(SourceMapping mapping = SourceMapping());

  // Feeds one message, in stream order:
  //  - Begin remembers the transaction's commit LSN for error messages;
  //    Commit erases the rows whose id the transaction changed (below);
  //    Origin does nothing.
  //  - Type remembers the type's name for messages.
  //  - Relation is checked with CheckRelation when it maps to a hubreg table;
  //    a relation of any other table is remembered and its changes ignored.
  //  - Insert, Update, Delete and Truncate append mutations to `*batch`:
  //    InsertRow; UpdateRow. When an update changes a row's id, the source
  //    moves the rows referring to it later in the transaction (ON UPDATE
  //    CASCADE): the old row is parked (UpdateRow freeing its unique keys,
  //    parked_keys.h), the new one inserted, and the old one erased at the
  //    Commit, or before a row reusing its id is inserted. A link whose key
  //    changed is an EraseLink and an InsertRow.
  //    EraseRow or EraseLink; for TRUNCATE, the erasure of every row of the
  //    truncated tables, links first. Unchanged-TOAST values of an update
  //    come from the old row (REPLICA IDENTITY FULL) or the current row.
  //    A link that the erasure of its client or user has already removed
  //    (the source's ON DELETE CASCADE) is not erased again.
  // `state` is the registry without the batches translated since the last
  // MarkApplied(); the translator keeps the rows it produced since then and
  // reads them before `state`. Nothing is appended on error. Errors name
  // the table, the key and the LSN, never a password: `client 5: db_port:
  // "70000" is not a port number (0 to 65535); in the transaction committed
  // at LSN 0/16B3F00` (InvalidArgument), kCorruption for a change of a
  // relation never described, or a tuple of the wrong width.
  Status Translate(const PgMessage& message, const View& state, Batch* batch);

  // Whether a source table can feed the hubreg table it maps to: every
  // hubreg column is present (matched by name; extra source columns are
  // ignored) with a type that fits, and the replica identity includes the
  // key (or is FULL). InvalidArgument listing every difference, e.g.
  // "client.db_port: source type text, expected an integer type; client.name:
  // missing in source table public.client". OK for a table not mapped.
  Status CheckRelation(const PgRelation& relation) const;

  // Call once the batches translated so far are applied (visible in the
  // Views passed from now on), or abandoned.
  void MarkApplied();
  // Call once the batches of the first `through` transactions translated
  // (see transactions()) are applied: forgets the rows that only they
  // changed, keeping those of the later transactions, which the Views
  // passed from now on do not hold yet (a follower translating while an
  // earlier group commits).
  void MarkApplied(std::uint64_t through);
  // How many transactions have been translated up to their Commit.
  std::uint64_t transactions() const { return transactions_; }

  const SourceMapping& mapping() const { return mapping_; }

 private:
  struct Relation {
    PgRelation relation;
    std::optional<RegistryTable> table;
    std::vector<int> source_index;  // per hubreg column: its index in relation.columns
  };
  using LinkKey = std::pair<Id, Id>;  // (client_id, user_id)

  Status OnRelation(const PgRelation& relation);
  StatusOr<const Relation*> RelationOf(PgOid oid, std::string_view what) const;
  // The key columns of a tuple (the others may be null), kNoId for none.
  StatusOr<std::pair<Id, Id>> KeyOfTuple(const Relation& relation, const PgTuple& tuple,
                                         std::string_view what) const;
  StatusOr<SourceRow> RowOf(const Relation& relation, const PgTuple& tuple,
                            const SourceRow* current) const;
  Status Insert(const PgInsert& insert, Batch* batch);
  Status Update(const PgUpdate& update, const View& state, Batch* batch);
  Status Delete(const PgDelete& erase, Batch* batch);
  Status Truncate(const PgTruncate& truncate, const View& state, Batch* batch);

  // The row as the batches so far leave it; nullopt when absent.
  std::optional<SourceRow> Current(RegistryTable table, Id id, const View& state) const;
  // Appends the erasure of row `id` of `table` if the transaction changed
  // its id (it is parked), so that a new row can take that id.
  void EraseIfMoving(RegistryTable table, Id id, Batch* batch);
  // Appends the erasure of every row whose id the transaction changed.
  void EraseMoved(Batch* batch);
  // Records the mutations appended to `batch` from `first` on.
  void Remember(const Batch& batch, std::size_t first, const View& state);
  Status WithContext(Status status, RegistryTable table, std::string_view key) const;

  SourceMapping mapping_;
  std::unordered_map<PgOid, Relation> relations_;
  std::unordered_map<PgOid, std::string> type_names_;
  Lsn transaction_lsn_ = kInvalidLsn;

  // Rows and links changed since MarkApplied, each with the transaction
  // (1 = the first translated) that last changed it: a row, or nullopt once
  // erased; a link present or erased. One map each, so that remembering a
  // row costs one insertion.
  struct PendingRow {
    std::optional<SourceRow> row;
    std::uint64_t writer = 0;
  };
  struct PendingLink {
    bool present = false;
    std::uint64_t writer = 0;
  };
  std::array<std::unordered_map<Id, PendingRow>, 4> pending_rows_;
  std::map<LinkKey, PendingLink> pending_links_;
  std::uint64_t transactions_ = 0;
  bool committing_ = false;  // the message being translated is a Commit
  // Per row table, the rows of this transaction whose id changed: parked,
  // erased at its Commit.
  std::array<std::set<Id>, 4> moving_;
};

}  // namespace hubreg::sync
