// Internal: turns pgoutput's decoded changes into registry mutations.
// Relation messages say which source table an OID is and where each column
// sits (columns are matched by name, not position); inserts, updates,
// deletes and TRUNCATE of the five tables become inserts, updates, erases,
// links and unlinks appended to the transaction's batch. Tables outside the
// five are ignored.
//
// Thread safety: one thread.
#pragma once

#include <optional>
#include <unordered_map>
#include <vector>

#include "hubreg/batch.h"
#include "hubreg/follower.h"
#include "hubreg/view.h"
#include "pgoutput.h"
#include "source_columns.h"
#include "source_rows.h"

namespace hubreg::sync {

class ChangeTranslator {
 public:
  explicit ChangeTranslator(SourceTables tables) : tables_(std::move(tables)) {}

  // Learns (or relearns) a relation. kInvalidArgument when one of the five
  // tables lacks a column the registry needs.
  Status AddRelation(const PgRelation& relation);

  // Appends the mutations for an Insert, Update, Delete or Truncate to
  // *batch. `view` is the registry the batch will apply to: updates take the
  // values PostgreSQL did not resend (unchanged TOAST) from it, and TRUNCATE
  // erases the rows it holds. Other messages are ignored. Errors:
  // kCorruption for a change of an unknown relation; kInvalidArgument for a
  // value the registry cannot hold (naming table, key and column).
  Status Translate(const PgMessage& message, const View& view, Batch* batch);

 private:
  struct Mapping {
    SourceTable table;
    std::vector<int> positions;  // per ColumnsOf(table): the column's index in the tuple
  };
  SourceValues Values(const Mapping& mapping, const PgTuple& tuple) const;
  const Mapping* Find(PgOid oid) const;

  SourceTables tables_;
  std::unordered_map<PgOid, std::optional<Mapping>> relations_;  // nullopt: not one of the five
};

}  // namespace hubreg::sync
