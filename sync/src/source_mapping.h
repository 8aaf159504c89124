// Where hubreg's tables live in a PostgreSQL source: their schema and table
// names, the initial copy's COPY statements, and a catalog query that
// describes a source table as pgoutput's Relation message does.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hubreg/status.h"
#include "pgoutput.h"
#include "source_rows.h"

namespace hubreg::sync {

struct SourceTableName {
  std::string schema;
  std::string table;
  bool operator==(const SourceTableName&) const = default;
};

// Where each hubreg table lives in the source. By default `public.<name>`
// ("public.user"); a source that names them otherwise is mapped table by table.
class SourceMapping {
 public:
  SourceMapping();

  // Maps a hubreg table ("user") to a source table. InvalidArgument for a
  // name that is not one of hubreg's tables, or a source table already
  // mapped to another one.
  Status Map(std::string_view registry_table, SourceTableName source);

  const SourceTableName& SourceOf(RegistryTable table) const;
  std::optional<RegistryTable> Find(std::string_view schema, std::string_view table) const;

  // `COPY "schema"."table" ("id", "name", ...) TO STDOUT`: the hubreg columns
  // in ColumnNames order, identifiers quoted, for the initial copy.
  std::string CopyStatement(RegistryTable table) const;

 private:
  std::array<SourceTableName, 5> names_;  // by RegistryTable
};

// Describes a source table as its Relation message would, so that a follower
// can check the source before any change streams (ChangeTranslator::
// CheckRelation). The query returns one row per column in order: relation
// OID, replica identity, column name, type OID, type modifier, and "t" when
// the column is in the replica identity (every column under FULL, as
// pgoutput marks them); no rows when the table does not exist. Generated
// columns, which pgoutput does not send, are left out.
std::string DescribeRelationSql(const SourceTableName& name);
// The relation from that query's rows (text values, none NULL). NotFound
// "source table public.client does not exist" when there are none;
// Corruption for a row of the wrong shape.
StatusOr<PgRelation> RelationFromRows(const SourceTableName& name,
                                      const std::vector<std::vector<std::string>>& rows);

}  // namespace hubreg::sync
