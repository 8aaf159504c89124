#include "checked_export.h"

#include <cstdio>

#include "progress.h"

namespace hubreg::cli {
namespace {

constexpr std::size_t kMaxErrorsShown = 200;

}  // namespace

DataFormat DataFormatByName(const std::string& name) {
  return name == "jsonl" ? DataFormat::kJsonl : DataFormat::kCsv;
}

StatusOr<ImportedRows> ReadCheckedExport(const Context& context, const std::string& path,
                                         DataFormat format, const View& existing,
                                         std::string_view command, std::string_view verb,
                                         std::optional<Table> table) {
  ImportedRows imported;
  std::vector<RowError> errors;
  {
    Progress progress(stderr, StderrIsTerminal(), std::string(command), "bytes", !context.quiet);
    const Status read = ReadImport(
        path, format, &imported, &errors,
        [&](std::uint64_t done, std::uint64_t total) { progress.Update(done, total); }, table);
    if (!read.ok()) return read;
  }
  CheckImport(imported, existing, &errors);
  if (errors.empty()) return imported;

  SortErrors(&errors);
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < errors.size() && i < kMaxErrorsShown; ++i) {
    lines.push_back(errors[i].ToString());
  }
  if (errors.size() > kMaxErrorsShown) {
    lines.push_back("... and " + std::to_string(errors.size() - kMaxErrorsShown) + " more");
  }
  NoteErrorDetails(std::move(lines));
  std::size_t bad_rows = 0;  // a row may have several bad columns
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i == 0 || errors[i].file != errors[i - 1].file || errors[i].line != errors[i - 1].line) {
      ++bad_rows;
    }
  }
  return Status::InvalidArgument(path + ": " + std::to_string(bad_rows) +
                                 (bad_rows == 1 ? " bad row" : " bad rows") + ", nothing was " +
                                 std::string(verb));
}

}  // namespace hubreg::cli
