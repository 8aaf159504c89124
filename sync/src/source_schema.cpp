#include "source_schema.h"

#include <map>
#include <utility>

#include "source_columns.h"

namespace hubreg::sync {
namespace {

std::string_view KindName(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kInteger:
      return "an integer (smallint, integer, bigint)";
    case ColumnKind::kText:
      return "text (text, varchar, char)";
    case ColumnKind::kTextOrEnum:
      return "text or an enum";
    case ColumnKind::kTime:
      return "a timestamp (with or without time zone)";
  }
  return "";
}

bool Fits(ColumnKind kind, std::string_view type_name, char type_type) {
  auto one_of = [type_name](std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
      if (type_name == name) return true;
    }
    return false;
  };
  switch (kind) {
    case ColumnKind::kInteger:
      return one_of({"int2", "int4", "int8"});
    case ColumnKind::kText:
      return one_of({"text", "varchar", "bpchar"});
    case ColumnKind::kTextOrEnum:
      return one_of({"text", "varchar", "bpchar"}) || type_type == 'e';
    case ColumnKind::kTime:
      return one_of({"timestamp", "timestamptz"});
  }
  return false;
}

}  // namespace

Status CheckSourceSchema(PgConn& conn, const SourceTables& tables, const std::string& publication) {
  std::string names;
  for (SourceTable table : kCopyOrder) {
    names += (names.empty() ? "" : ", ") + QuoteLiteral(SourceTableName(tables, table));
  }
  StatusOr<PgResult> columns = conn.Exec(
      "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typtype "
      "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
      "WHERE n.nspname = " +
          QuoteLiteral(tables.schema) + " AND c.relname IN (" + names +
          ") AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
      PGRES_TUPLES_OK, "reading the source schema");
  if (!columns.ok()) return columns.status();
  StatusOr<PgResult> published =
      conn.Exec("SELECT tablename FROM pg_catalog.pg_publication_tables WHERE pubname = " +
                    QuoteLiteral(publication) + " AND schemaname = " + QuoteLiteral(tables.schema),
                PGRES_TUPLES_OK, "reading publication " + publication);
  if (!published.ok()) return published.status();

  struct Found {
    std::string type;  // as SQL prints it
    std::string type_name;
    char type_type = 'b';
  };
  std::map<std::pair<std::string, std::string>, Found> found;
  std::map<std::string, bool> table_exists;
  for (int row = 0; row < columns->rows(); ++row) {
    const std::string table(columns->Value(row, 0));
    table_exists[table] = true;
    const std::string_view type_type = columns->Value(row, 4);
    found[{table, std::string(columns->Value(row, 1))}] = {std::string(columns->Value(row, 2)),
                                                           std::string(columns->Value(row, 3)),
                                                           type_type.empty() ? 'b' : type_type[0]};
  }
  std::map<std::string, bool> in_publication;
  for (int row = 0; row < published->rows(); ++row) {
    in_publication[std::string(published->Value(row, 0))] = true;
  }

  std::string differences;
  auto add = [&differences](const std::string& difference) {
    differences += (differences.empty() ? "" : "; ") + difference;
  };
  for (SourceTable source_table : kCopyOrder) {
    const std::string& table = SourceTableName(tables, source_table);
    const std::string qualified = tables.schema + "." + table;
    if (!table_exists.contains(table)) {
      add("table " + qualified + " is missing");
      continue;
    }
    for (const SourceColumn& column : ColumnsOf(source_table)) {
      auto it = found.find({table, std::string(column.name)});
      if (it == found.end()) {
        add(qualified + "." + std::string(column.name) + " is missing");
      } else if (!Fits(column.kind, it->second.type_name, it->second.type_type)) {
        add(qualified + "." + std::string(column.name) + " has type " + it->second.type +
            ", expected " + std::string(KindName(column.kind)));
      }
    }
    if (!in_publication.contains(table)) {
      add("table " + qualified + " is not in publication " + publication);
    }
  }
  if (differences.empty()) return Status::Ok();
  return Status::InvalidArgument("the source schema does not fit: " + differences);
}

}  // namespace hubreg::sync
