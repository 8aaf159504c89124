// Internal: writing and reading standalone snapshot files (format in
// snapshot_format.h and docs/storage.md). The public faces are
// Store::SaveSnapshotFile, VerifySnapshotFile and RestoreSnapshotFile in
// hubreg/store.h; tools and tests may use these directly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/store.h"
#include "hubreg/view.h"
#include "snapshot_format.h"

namespace hubreg::persist {

// Writes every row of `view` (schema v1.2) to `file` with WritePrivateFile
// (hubreg/files.h): mode 0600, a fresh temporary name, fsync, rename, fsync
// of the directory, so `file` is either the old file or the complete new one;
// a symbolic link or a non-regular file at `file` is refused. Errors name
// `file`, the step and the system's reason (the temporary file is removed).
// The view is released as soon as the payload is encoded, before any disk
// I/O, so writers wait only for the encoding.
Status WriteSnapshotFile(View view, const std::string& file);

// Writes an already encoded payload in the same way. For tests and tools
// that need a file of another schema (e.g. v1.0 fixtures).
Status WriteSnapshotFile(const std::string& file, std::uint32_t schema_version,
                         std::uint64_t sequence, const TableCounts& counts,
                         std::string_view payload);

// Test seam: when set, each step of a save asks the hook first, passing its
// name ("create", "write", "fsync", "close", "rename", "fsync directory"); a
// non-zero errno answer fails the step as if the system call had returned
// it (see FileFaultHook in posix_file.h). Process-wide; set it only from
// tests, with no save running.
using SnapshotFileFaultHook = std::function<int(std::string_view step)>;
void SetSnapshotFileFaultHook(SnapshotFileFaultHook hook);

struct LoadedSnapshot {
  SnapshotFileInfo info;
  std::unique_ptr<Registry> registry;  // at info.sequence, migrated to v1.2
};

// Reads `file`, which must be a regular file or a link to one (a FIFO or a
// device is refused without blocking), and checks everything: magic,
// versions, checksums, length, payload decoding, header counts against the
// rows, and every integrity rule (a violation is kCorruption "<file>:
// integrity violation: ..."). The length the header promises is checked
// against the file's size, and a file with holes is refused, before the
// payload is allocated. Errors name the file and, where it applies, the
// offset and expected vs found.
StatusOr<LoadedSnapshot> ReadSnapshotFile(const std::string& file);

// The file's bytes, once its header has been checked (into *header) and its
// size matches what the header promises: a large file that is no snapshot,
// or a damaged length, is refused without reading (or allocating) the whole
// file. The body's checksum is not checked (CheckSnapshotFileBody does).
StatusOr<std::string> ReadSnapshotFileBytes(const std::string& file, SnapshotFileHeader* header);

// The number of rows in each table.
TableCounts CountsOf(const RegistryRows& rows);

// "header counts 4 client rows, the payload holds 5" for the first table
// that differs.
std::string DescribeCountMismatch(const TableCounts& header, const TableCounts& payload);

// The checks of ReadSnapshotFile on a whole file already in memory. `file`
// only names the file in messages.
StatusOr<LoadedSnapshot> DecodeSnapshotFile(std::string_view bytes, const std::string& file);

}  // namespace hubreg::persist
