#include "initial_copy.h"

#include "copy_text.h"
#include "sql_quote.h"

namespace hubreg::sync {
namespace {

constexpr std::uint64_t kProgressEvery = 10'000;

void AddRow(SourceRow row, RegistryRows* rows) {
  std::visit(
      [rows](auto&& r) {
        using Row = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<Row, App>) {
          rows->apps.push_back(std::move(r));
        } else if constexpr (std::is_same_v<Row, Organization>) {
          rows->organizations.push_back(std::move(r));
        } else if constexpr (std::is_same_v<Row, Client>) {
          rows->clients.push_back(std::move(r));
        } else if constexpr (std::is_same_v<Row, User>) {
          rows->users.push_back(std::move(r));
        } else {
          rows->links.push_back(std::move(r));
        }
      },
      std::move(row));
}

Status CopyTable(PgConn& conn, const SourceMapping& mapping, RegistryTable table,
                 const CopyProgress& progress, RegistryRows* rows) {
  const SourceTableName& source = mapping.SourceOf(table);
  const std::string name = source.schema + "." + source.table;
  const std::string what = "copying " + name;
  StatusOr<PgResult> started = conn.Exec(mapping.CopyStatement(table), PGRES_COPY_OUT, what);
  if (!started.ok()) return started.status();
  std::uint64_t copied = 0;
  Status failed;
  for (;;) {
    char* buffer = nullptr;
    const int length = PQgetCopyData(conn.get(), &buffer, /*async=*/0);
    if (length == -1) break;
    if (length < 0) return conn.Error(what);
    std::string_view line(buffer, static_cast<std::size_t>(length));
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (failed.ok()) {
      StatusOr<SourceRow> row = ParseCopyRow(table, line);
      if (row.ok()) {
        AddRow(std::move(*row), rows);
      } else {
        failed = row.status().WithContext(what + ", row " + std::to_string(copied + 1));
      }
    }
    PQfreemem(buffer);
    if (++copied % kProgressEvery == 0 && progress) progress(name, copied);
  }
  PgResult end(PQgetResult(conn.get()));
  if (end.status() != PGRES_COMMAND_OK) {
    conn.NoteFailure(end.get());
    return Status::Io(what + ": " + conn.Redact(PQresultErrorMessage(end.get())));
  }
  while (PGresult* extra = PQgetResult(conn.get())) PQclear(extra);
  if (progress) progress(name, copied);
  return failed;
}

}  // namespace

StatusOr<RegistryRows> CopyTables(PgConn& conn, const std::string& snapshot,
                                  const SourceMapping& mapping, const CopyProgress& progress) {
  HUBREG_RETURN_IF_ERROR(conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                                   PGRES_COMMAND_OK, "beginning the copy")
                             .status());
  HUBREG_RETURN_IF_ERROR(conn.Exec("SET TRANSACTION SNAPSHOT " + QuoteLiteral(snapshot),
                                   PGRES_COMMAND_OK, "importing the slot's snapshot")
                             .status());
  RegistryRows rows;
  for (RegistryTable table : kRegistryTables) {
    HUBREG_RETURN_IF_ERROR(CopyTable(conn, mapping, table, progress, &rows));
  }
  HUBREG_RETURN_IF_ERROR(conn.Exec("COMMIT", PGRES_COMMAND_OK, "ending the copy").status());
  return rows;
}

}  // namespace hubreg::sync
