// Which files an import reads, and reading them: the table files of a
// directory or the one file named, each of which must be a regular file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hubreg/status.h"
#include "importer.h"
#include "row_parser.h"

namespace hubreg::cli {

struct InputFile {
  std::string path;
  std::optional<Table> table;  // CSV only
};

// For a directory: its <table>.csv files (CSV) or its *.jsonl entries in name
// order (JSONL), whatever kind of file each is (ReadInputFile refuses what is
// not a regular file); for a file: that file (a CSV file must be named after
// its table). A link at `path` is followed to a directory (a file reached
// through a link is refused by ReadInputFile). Errors name the path and
// the system's reason: kNotFound "<path>: no such file or directory", kIo
// "<path>: Permission denied", "<path>: Too many levels of symbolic links".
// With `table`, only that table is read: of a directory, its <table>.csv or
// <table>.jsonl (kNotFound "<dir>: no <table>.csv" when missing); a CSV file
// of any name is read as that table.
StatusOr<std::vector<InputFile>> FindInputFiles(const std::string& path, DataFormat format,
                                                std::optional<Table> table = std::nullopt);

// The whole file. It must be a regular file, not a symbolic link (a link
// planted in an export directory must not make hubreg read, and quote in an
// error, a file the user cannot read), a directory, a FIFO or a device;
// errors as hubreg::ReadRegularFile's.
StatusOr<std::string> ReadInputFile(const InputFile& file);

}  // namespace hubreg::cli
