#include "source_mapping.h"

#include <charconv>

#include "sql_quote.h"

namespace hubreg::sync {
namespace {

std::size_t Index(RegistryTable table) { return static_cast<std::size_t>(table); }

std::string QualifiedName(const SourceTableName& name) { return name.schema + "." + name.table; }

}  // namespace

SourceMapping::SourceMapping() {
  for (RegistryTable table : kRegistryTables) {
    names_[Index(table)] = {"public", std::string(TableName(table))};
  }
}

Status SourceMapping::Map(std::string_view registry_table, SourceTableName source) {
  for (RegistryTable table : kRegistryTables) {
    if (TableName(table) != registry_table) continue;
    const std::optional<RegistryTable> taken = Find(source.schema, source.table);
    if (taken && *taken != table) {
      return Status::InvalidArgument("source table " + QualifiedName(source) +
                                     " is already mapped to " + std::string(TableName(*taken)));
    }
    names_[Index(table)] = std::move(source);
    return Status::Ok();
  }
  return Status::InvalidArgument(QuoteForMessage(registry_table) + " is not a hubreg table");
}

const SourceTableName& SourceMapping::SourceOf(RegistryTable table) const {
  return names_[Index(table)];
}

std::optional<RegistryTable> SourceMapping::Find(std::string_view schema,
                                                 std::string_view table) const {
  for (RegistryTable candidate : kRegistryTables) {
    const SourceTableName& name = names_[Index(candidate)];
    if (name.schema == schema && name.table == table) return candidate;
  }
  return std::nullopt;
}

std::string SourceMapping::CopyStatement(RegistryTable table) const {
  const SourceTableName& name = SourceOf(table);
  std::string sql =
      "COPY " + QuoteIdentifier(name.schema) + "." + QuoteIdentifier(name.table) + " (";
  bool first = true;
  for (std::string_view column : ColumnNames(table)) {
    if (!first) sql += ", ";
    sql += QuoteIdentifier(column);
    first = false;
  }
  return sql + ") TO STDOUT";
}

std::string DescribeRelationSql(const SourceTableName& name) {
  return "SELECT c.oid, c.relreplident, a.attname, a.atttypid, a.atttypmod, "
         "CASE c.relreplident WHEN 'f' THEN true WHEN 'n' THEN false ELSE EXISTS ("
         "SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey) AND "
         "CASE c.relreplident WHEN 'd' THEN i.indisprimary ELSE i.indisreplident END) END "
         "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
         "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
         "AND a.attgenerated = '' "
         "WHERE n.nspname = " +
         QuoteLiteral(name.schema) + " AND c.relname = " + QuoteLiteral(name.table) +
         " ORDER BY a.attnum";
}

StatusOr<PgRelation> RelationFromRows(const SourceTableName& name,
                                      const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) {
    return Status::NotFound("source table " + QualifiedName(name) + " does not exist");
  }
  PgRelation relation;
  relation.schema = name.schema;
  relation.table = name.table;
  for (const std::vector<std::string>& row : rows) {
    PgColumn column;
    std::uint32_t oid = 0;
    std::int32_t modifier = 0;
    const auto number = [](const std::string& text, auto& value) {
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, value);
      return ec == std::errc() && ptr == end;
    };
    if (row.size() != 6 || !number(row[0], relation.oid) || row[1].size() != 1 ||
        !number(row[3], oid) || !number(row[4], modifier) || (row[5] != "t" && row[5] != "f")) {
      return Status::Corruption("the description of source table " + QualifiedName(name) +
                                " has a row of the wrong shape");
    }
    relation.replica_identity = row[1][0];
    column.name = row[2];
    column.type_oid = oid;
    column.type_modifier = modifier;
    column.key = row[5] == "t";
    relation.columns.push_back(std::move(column));
  }
  return relation;
}

}  // namespace hubreg::sync
