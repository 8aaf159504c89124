#include "initial_copy.h"

#include "source_rows.h"

namespace hubreg::sync {
namespace {

constexpr std::uint64_t kProgressEvery = 10'000;

// Splits one line of COPY's text format into its fields, undoing the
// escapes (\b \f \n \r \t \v \\, octal \NNN, hex \xHH); "\N" is NULL.
// `storage` keeps unescaped fields alive. False when the line is malformed.
bool SplitCopyLine(std::string_view line, std::vector<std::string>* storage, SourceValues* values) {
  storage->clear();
  values->clear();
  std::vector<bool> nulls;
  std::string field;
  bool escaped_null = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == '\t') {
      nulls.push_back(escaped_null && field.empty());
      storage->push_back(std::move(field));
      field.clear();
      escaped_null = false;
      continue;
    }
    const char c = line[i];
    if (c != '\\') {
      field += c;
      continue;
    }
    if (++i == line.size()) return false;
    const char e = line[i];
    switch (e) {
      case 'N':
        if (!field.empty()) return false;
        escaped_null = true;
        break;
      case 'b':
        field += '\b';
        break;
      case 'f':
        field += '\f';
        break;
      case 'n':
        field += '\n';
        break;
      case 'r':
        field += '\r';
        break;
      case 't':
        field += '\t';
        break;
      case 'v':
        field += '\v';
        break;
      case 'x': {
        int value = 0, digits = 0;
        while (digits < 2 && i + 1 < line.size() &&
               std::isxdigit(static_cast<unsigned char>(line[i + 1]))) {
          const char h = line[++i];
          value = value * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          ++digits;
        }
        if (digits == 0) return false;
        field += static_cast<char>(value);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int value = e - '0', digits = 1;
          while (digits < 3 && i + 1 < line.size() && line[i + 1] >= '0' && line[i + 1] <= '7') {
            value = value * 8 + (line[++i] - '0');
            ++digits;
          }
          field += static_cast<char>(value);
        } else {
          field += e;  // "\\" and any other escaped character stand for themselves
        }
    }
  }
  for (std::size_t i = 0; i < storage->size(); ++i) {
    values->push_back(nulls[i] ? SourceValue{SourceValue::Kind::kNull, {}}
                               : SourceValue{SourceValue::Kind::kText, (*storage)[i]});
  }
  return true;
}

template <typename Row>
Status AddRow(const SourceValues& values, std::vector<Row>* rows) {
  Row row;
  HUBREG_RETURN_IF_ERROR(ReadRow(values, &row));
  rows->push_back(std::move(row));
  return Status::Ok();
}

Status AddRow(SourceTable table, const SourceValues& values, RegistryRows* rows) {
  switch (table) {
    case SourceTable::kApp:
      return AddRow(values, &rows->apps);
    case SourceTable::kOrganization:
      return AddRow(values, &rows->organizations);
    case SourceTable::kClient:
      return AddRow(values, &rows->clients);
    case SourceTable::kUser:
      return AddRow(values, &rows->users);
    case SourceTable::kClientUser:
      break;
  }
  return AddRow(values, &rows->links);
}

Status CopyTable(PgConn& conn, const SourceTables& tables, SourceTable table,
                 const CopyProgress& progress, RegistryRows* rows) {
  const std::string& name = SourceTableName(tables, table);
  std::string columns;
  for (const SourceColumn& column : ColumnsOf(table)) {
    columns += (columns.empty() ? "" : ", ") + QuoteIdentifier(column.name);
  }
  const std::string what = "copying " + tables.schema + "." + name;
  StatusOr<PgResult> started =
      conn.Exec("COPY (SELECT " + columns + " FROM " + QuoteIdentifier(tables.schema) + "." +
                    QuoteIdentifier(name) + ") TO STDOUT",
                PGRES_COPY_OUT, what);
  if (!started.ok()) return started.status();
  std::vector<std::string> storage;
  SourceValues values;
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
      if (!SplitCopyLine(line, &storage, &values) || values.size() != ColumnsOf(table).size()) {
        failed = Status::Corruption(what + ": malformed COPY line " + std::to_string(copied + 1));
      } else {
        failed = AddRow(table, values, rows).WithContext(what);
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
                                  const SourceTables& tables, const CopyProgress& progress) {
  HUBREG_RETURN_IF_ERROR(conn.Exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'",
                                   PGRES_COMMAND_OK, "preparing the copy")
                             .status());
  HUBREG_RETURN_IF_ERROR(conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                                   PGRES_COMMAND_OK, "beginning the copy")
                             .status());
  HUBREG_RETURN_IF_ERROR(conn.Exec("SET TRANSACTION SNAPSHOT " + QuoteLiteral(snapshot),
                                   PGRES_COMMAND_OK, "importing the slot's snapshot")
                             .status());
  RegistryRows rows;
  for (SourceTable table : kCopyOrder) {
    HUBREG_RETURN_IF_ERROR(CopyTable(conn, tables, table, progress, &rows));
  }
  HUBREG_RETURN_IF_ERROR(conn.Exec("COMMIT", PGRES_COMMAND_OK, "ending the copy").status());
  return rows;
}

}  // namespace hubreg::sync
