// Standalone snapshot files: atomic save, and reading with every check.
#include "snapshot_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>

#include "checksum.h"
#include "codec.h"
#include "posix_file.h"
#include "snapshot_format.h"

namespace hubreg::persist {
namespace {

SnapshotFileFaultHook& FaultHook() {
  static SnapshotFileFaultHook hook;
  return hook;
}

}  // namespace

StatusOr<std::string> ReadSnapshotFileBytes(const std::string& file, SnapshotFileHeader* header) {
  // A FIFO or a device is refused here, before a read could block or never end.
  StatusOr<OpenedFile> opened = OpenRegularFile(file, Symlinks::kFollow);
  if (!opened.ok()) return opened.status();
  const int fd = opened->fd.get();
  const std::uint64_t file_bytes = opened->size;

  std::string bytes(std::min<std::uint64_t>(file_bytes, kSnapshotFileHeaderBytes), '\0');
  HUBREG_RETURN_IF_ERROR(ReadFully(fd, bytes.data(), bytes.size(), file));
  StatusOr<SnapshotFileHeader> parsed = ParseSnapshotFileHeader(bytes, file);
  if (!parsed.ok()) return parsed.status();
  *header = *parsed;
  HUBREG_RETURN_IF_ERROR(CheckSnapshotFileLength(file_bytes, *header, file));
  // A length that matches a sparse file (truncate -s 8G) must not make us
  // allocate it: hubreg writes every byte, so a hole is damage.
  const off_t hole = ::lseek(fd, 0, SEEK_HOLE);
  if (hole >= 0 && static_cast<std::uint64_t>(hole) < file_bytes) {
    return Status::Corruption(file + ": the header promises " + std::to_string(file_bytes) +
                              " bytes, but the file has a hole (bytes never written) at offset " +
                              std::to_string(hole));
  }
  if (::lseek(fd, static_cast<off_t>(bytes.size()), SEEK_SET) < 0) {
    return PosixError(file + ": seek", errno);
  }

  try {
    bytes.resize(static_cast<std::size_t>(file_bytes));
  } catch (const std::exception&) {  // bad_alloc, or length_error beyond max_size()
    return Status::Io(file + ": the header promises " + std::to_string(file_bytes) +
                      " bytes, more than this process can hold in memory");
  }
  HUBREG_RETURN_IF_ERROR(ReadFully(fd, bytes.data() + kSnapshotFileHeaderBytes,
                                   bytes.size() - kSnapshotFileHeaderBytes, file));
  return bytes;
}

TableCounts CountsOf(const RegistryRows& rows) {
  return {rows.apps.size(), rows.organizations.size(), rows.clients.size(), rows.users.size(),
          rows.links.size()};
}

std::string DescribeCountMismatch(const TableCounts& header, const TableCounts& payload) {
  struct Table {
    std::string_view name;
    std::size_t TableCounts::*count;
  };
  for (const Table& table :
       {Table{kAppTable, &TableCounts::apps},
        Table{kOrganizationTable, &TableCounts::organizations},
        Table{kClientTable, &TableCounts::clients}, Table{kUserTable, &TableCounts::users},
        Table{kClientUserTable, &TableCounts::links}}) {
    if (header.*table.count != payload.*table.count) {
      return "header counts " + std::to_string(header.*table.count) + " " +
             std::string(table.name) + " rows, the payload holds " +
             std::to_string(payload.*table.count);
    }
  }
  return "counts differ";
}

void SetSnapshotFileFaultHook(SnapshotFileFaultHook hook) { FaultHook() = std::move(hook); }

Status WriteSnapshotFile(const std::string& file, std::uint32_t schema_version,
                         std::uint64_t sequence, const TableCounts& counts,
                         std::string_view payload) {
  SnapshotFileHeader header;
  header.schema_version = schema_version;
  header.sequence = sequence;
  header.counts = counts;
  header.payload_bytes = payload.size();
  std::string header_bytes = EncodeSnapshotFileHeader(header);
  std::uint32_t checksum = Crc32c().Update(header_bytes).Update(payload).Value();
  std::string trailer(sizeof(checksum), '\0');
  std::memcpy(trailer.data(), &checksum, sizeof(checksum));

  const std::string_view parts[] = {header_bytes, payload, trailer};
  return WritePrivateFile(file, parts, FaultHook());
}

Status WriteSnapshotFile(View view, const std::string& file) {
  std::uint64_t sequence = view.sequence();
  TableCounts counts = view.counts();
  std::string payload = EncodeSnapshot(view);
  {
    View released = std::move(view);  // let writers proceed during the disk I/O
  }
  return WriteSnapshotFile(file, kCurrentSchema, sequence, counts, payload);
}

StatusOr<LoadedSnapshot> ReadSnapshotFile(const std::string& file) {
  SnapshotFileHeader parsed;
  StatusOr<std::string> bytes = ReadSnapshotFileBytes(file, &parsed);
  if (!bytes.ok()) return bytes.status();
  return DecodeSnapshotFile(*bytes, file);
}

StatusOr<LoadedSnapshot> DecodeSnapshotFile(std::string_view bytes, const std::string& file) {
  StatusOr<SnapshotFileHeader> header = ParseSnapshotFileHeader(bytes, file);
  if (!header.ok()) return header.status();
  StatusOr<std::string_view> payload = CheckSnapshotFileBody(bytes, *header, file);
  if (!payload.ok()) return payload.status();

  StatusOr<RegistryRows> rows = DecodeSnapshot(*payload, header->schema_version);
  if (!rows.ok()) {
    return Status(rows.status().code(),
                  file + ": payload at offset 80: " + rows.status().message());
  }
  TableCounts decoded = CountsOf(*rows);
  if (decoded != header->counts) {
    return Status::Corruption(file + ": " + DescribeCountMismatch(header->counts, decoded));
  }
  StatusOr<std::unique_ptr<Registry>> registry =
      Registry::FromRows(std::move(*rows), header->sequence);
  if (!registry.ok()) {
    return Status::Corruption(file + ": integrity violation: " + registry.status().ToString());
  }

  LoadedSnapshot loaded;
  loaded.info.format_version = header->format_version;
  loaded.info.schema_version = header->schema_version;
  loaded.info.sequence = header->sequence;
  loaded.info.counts = header->counts;
  loaded.info.file_bytes = bytes.size();
  loaded.registry = std::move(*registry);
  return loaded;
}

}  // namespace hubreg::persist

namespace hubreg {

StatusOr<SnapshotFileInfo> VerifySnapshotFile(const std::string& file) {
  StatusOr<persist::LoadedSnapshot> loaded = persist::ReadSnapshotFile(file);
  if (!loaded.ok()) return loaded.status();
  return loaded->info;
}

}  // namespace hubreg
