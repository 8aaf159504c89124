// The rules between rows of an import are the registry's own (CheckNewRows,
// hubreg/integrity.h); here each violation gets the file and line of its row,
// and a clash names where the key was first seen.
#include <string>

#include "hubreg/integrity.h"
#include "importer.h"

namespace hubreg::cli {

void CheckImport(const ImportedRows& imported, const View& existing,
                 std::vector<RowError>* errors) {
  const auto origin = [&](std::string_view table, std::size_t row) -> const RowOrigin& {
    if (table == kAppTable) return imported.app_origins[row];
    if (table == kOrganizationTable) return imported.organization_origins[row];
    if (table == kClientTable) return imported.client_origins[row];
    if (table == kUserTable) return imported.user_origins[row];
    return imported.link_origins[row];
  };
  CheckOptions options;
  options.name_row = [&](std::string_view table, std::size_t row) {
    const RowOrigin& at = origin(table, row);
    return imported.files[at.file] + ":" + std::to_string(at.line);
  };
  options.show_client_values = false;
  for (Violation& violation : CheckNewRows(existing, imported.rows, options)) {
    const RowOrigin& at = origin(violation.table, violation.row);
    errors->push_back({imported.files[at.file], at.line, std::move(violation.column),
                       std::move(violation.reason)});
  }
}

}  // namespace hubreg::cli
