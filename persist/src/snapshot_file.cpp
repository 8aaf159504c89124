// Standalone snapshot files: atomic save, and reading with every check.
#include "snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "checksum.h"
#include "codec.h"
#include "snapshot_format.h"

namespace hubreg::persist {
namespace {

SnapshotFileFaultHook& FaultHook() {
  static SnapshotFileFaultHook hook;
  return hook;
}

// The errno the test seam injects for `step`, or 0.
int InjectedError(std::string_view step) { return FaultHook() ? FaultHook()(step) : 0; }

Status PosixError(const std::string& context, int error) {
  std::string message = context + ": " + std::strerror(error);
  if (error == ENOENT) return Status::NotFound(std::move(message));
  return Status::Io(std::move(message));
}

// Closes the descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error that a deferred write may surface here.
  int Close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  if (int error = InjectedError("write")) return PosixError(path + ": write", error);
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return PosixError(path + ": write", errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return Status::Ok();
}

Status SyncDirectoryOf(const std::string& file) {
  std::filesystem::path parent = std::filesystem::path(file).parent_path();
  const std::string directory = parent.empty() ? std::string(".") : parent.string();
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return PosixError(directory + ": open directory", errno);
  if (int error = InjectedError("fsync directory")) {
    return PosixError(directory + ": fsync directory", error);
  }
  if (::fsync(fd.get()) != 0) return PosixError(directory + ": fsync directory", errno);
  return Status::Ok();
}

Status WriteTemporary(const std::string& temporary, std::string_view header,
                      std::string_view payload, std::string_view trailer) {
  // 0600: the payload holds database passwords.
  if (int error = InjectedError("create")) return PosixError(temporary + ": create", error);
  FileDescriptor fd(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (fd.get() < 0) return PosixError(temporary + ": create", errno);
  HUBREG_RETURN_IF_ERROR(WriteAll(fd.get(), header, temporary));
  HUBREG_RETURN_IF_ERROR(WriteAll(fd.get(), payload, temporary));
  HUBREG_RETURN_IF_ERROR(WriteAll(fd.get(), trailer, temporary));
  if (int error = InjectedError("fsync")) return PosixError(temporary + ": fsync", error);
  if (::fsync(fd.get()) != 0) return PosixError(temporary + ": fsync", errno);
  if (int error = InjectedError("close")) return PosixError(temporary + ": close", error);
  if (fd.Close() != 0) return PosixError(temporary + ": close", errno);
  return Status::Ok();
}

Status ReadFully(int fd, char* data, std::size_t size, const std::string& file) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t got = ::read(fd, data + done, size - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      return PosixError(file + ": read", errno);
    }
    if (got == 0) {
      return Status::Corruption(file + ": the file shrank while being read, at offset " +
                                std::to_string(done));
    }
    done += static_cast<std::size_t>(got);
  }
  return Status::Ok();
}

// The file's bytes, once its header has been checked and its size matches
// what the header promises: a large file that is no snapshot, or a damaged
// length, is refused without reading (or allocating) the whole file.
StatusOr<std::string> ReadCheckedFile(const std::string& file, SnapshotFileHeader* header) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return PosixError(file + ": open", errno);
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) return PosixError(file + ": stat", errno);
  const auto file_bytes = static_cast<std::uint64_t>(info.st_size);

  std::string bytes(std::min<std::uint64_t>(file_bytes, kSnapshotFileHeaderBytes), '\0');
  HUBREG_RETURN_IF_ERROR(ReadFully(fd.get(), bytes.data(), bytes.size(), file));
  StatusOr<SnapshotFileHeader> parsed = ParseSnapshotFileHeader(bytes, file);
  if (!parsed.ok()) return parsed.status();
  *header = *parsed;
  HUBREG_RETURN_IF_ERROR(CheckSnapshotFileLength(file_bytes, *header, file));

  bytes.resize(static_cast<std::size_t>(file_bytes));
  HUBREG_RETURN_IF_ERROR(ReadFully(fd.get(), bytes.data() + kSnapshotFileHeaderBytes,
                                   bytes.size() - kSnapshotFileHeaderBytes, file));
  return bytes;
}

TableCounts CountsOf(const RegistryRows& rows) {
  return {rows.apps.size(), rows.organizations.size(), rows.clients.size(), rows.users.size(),
          rows.links.size()};
}

// "header counts 4 client rows, the payload holds 5" for the first table
// that differs.
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

}  // namespace

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

  std::string temporary = file + ".tmp-" + std::to_string(::getpid());
  Status written = WriteTemporary(temporary, header_bytes, payload, trailer);
  if (written.ok()) {
    int error = InjectedError("rename");
    if (error == 0 && std::rename(temporary.c_str(), file.c_str()) != 0) error = errno;
    if (error != 0) written = PosixError(temporary + ": rename to " + file, error);
  }
  if (!written.ok()) {
    ::unlink(temporary.c_str());
    return written;
  }
  return SyncDirectoryOf(file);
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
  StatusOr<std::string> bytes = ReadCheckedFile(file, &parsed);
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
