// Reading an export for a command that loads it (`import`, `sync`): the
// rows, checked, with every bad row listed on stderr as
// `file:line: column: reason`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "command_common.h"
#include "hubreg/view.h"
#include "importer.h"

namespace hubreg::cli {

// "jsonl" or "csv" (the command line allows nothing else).
DataFormat DataFormatByName(const std::string& name);

// Reads the export at `path` (with a progress bar labelled `command`, unless
// quiet) and checks its rows and the rules between them against `existing`
// (the rows they will join: the registry for `import`, nothing for `sync`,
// whose export replaces it). When any row is bad, reports the first 200 bad
// rows sorted by file and line (NoteErrorDetails) and returns the error
// "<path>: N bad rows, nothing was <verb>"; an unreadable path is returned
// as it is. With `table`, only that table is read (ReadImport).
StatusOr<ImportedRows> ReadCheckedExport(const Context& context, const std::string& path,
                                         DataFormat format, const View& existing,
                                         std::string_view command, std::string_view verb,
                                         std::optional<Table> table = std::nullopt);

}  // namespace hubreg::cli
