#include "source_schema.h"

#include "sql_quote.h"

namespace hubreg::sync {

Status CheckSourceSchema(PgConn& conn, const ChangeTranslator& translator,
                         const std::string& publication) {
  std::string differences;
  auto add = [&differences](const std::string& difference) {
    differences += (differences.empty() ? "" : "; ") + difference;
  };
  for (RegistryTable table : kRegistryTables) {
    const SourceTableName& name = translator.mapping().SourceOf(table);
    const std::string qualified = name.schema + "." + name.table;
    StatusOr<PgResult> described =
        conn.Exec(DescribeRelationSql(name), PGRES_TUPLES_OK, "describing " + qualified);
    if (!described.ok()) return described.status();
    std::vector<std::vector<std::string>> rows;
    for (int row = 0; row < described->rows(); ++row) {
      std::vector<std::string>& values = rows.emplace_back();
      for (int column = 0; column < described->columns(); ++column) {
        values.emplace_back(described->Value(row, column));
      }
    }
    StatusOr<PgRelation> relation = RelationFromRows(name, rows);
    if (!relation.ok()) {
      if (relation.status().code() != ErrorCode::kNotFound) return relation.status();
      add(relation.status().message());
      continue;
    }
    if (Status fits = translator.CheckRelation(*relation); !fits.ok()) add(fits.message());
    StatusOr<PgResult> published =
        conn.Exec("SELECT 1 FROM pg_catalog.pg_publication_tables WHERE pubname = " +
                      QuoteLiteral(publication) + " AND schemaname = " + QuoteLiteral(name.schema) +
                      " AND tablename = " + QuoteLiteral(name.table),
                  PGRES_TUPLES_OK, "reading publication " + publication);
    if (!published.ok()) return published.status();
    if (published->rows() == 0) add("table " + qualified + " is not in publication " + publication);
  }
  if (differences.empty()) return Status::Ok();
  return Status::InvalidArgument("the source schema does not fit: " + differences);
}

}  // namespace hubreg::sync
