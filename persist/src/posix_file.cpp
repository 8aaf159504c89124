// Private files published atomically, and inputs that must be regular files
// (hubreg/files.h). The one place where hubreg decides how a file that may
// hold secrets is created and how an input is opened.
#include "posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <random>
#include <utility>

namespace hubreg::persist {
namespace {

namespace fs = std::filesystem;

// "a FIFO (named pipe)" for a message "<path>: is a FIFO (named pipe), ...".
std::string KindOf(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a file of unknown kind";
}

Status NotRegular(const std::string& path, mode_t mode, std::string_view consequence) {
  std::string message = path + ": is " + KindOf(mode) + ", not a regular file";
  if (!consequence.empty()) message.append("; ").append(consequence);
  return Status::InvalidArgument(std::move(message));
}

int Injected(const FileFaultHook& hook, std::string_view step) { return hook ? hook(step) : 0; }

// A name no earlier run can have taken in this directory, most likely; the
// caller retries on EEXIST anyway.
std::string TemporaryName(const std::string& name) {
  static thread_local std::mt19937 random{std::random_device{}()};
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return name + ".tmp-" + std::to_string(::getpid()) + "-" + suffix;
}

Status WriteAll(int fd, std::string_view bytes, const std::string& file,
                const FileFaultHook& hook) {
  if (int error = Injected(hook, "write")) return PosixError(file + ": write", error);
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return PosixError(file + ": write", errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return Status::Ok();
}

// Fills the new temporary `fd` and closes it; errors name `file`, the file
// the caller asked for (the temporary is an implementation detail).
Status FillTemporary(FileDescriptor fd, std::span<const std::string_view> parts,
                     const std::string& file, const FileFaultHook& hook) {
  // open's mode is filtered by the umask; this one must be exact.
  if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0) return PosixError(file + ": create", errno);
  for (std::string_view part : parts) HUBREG_RETURN_IF_ERROR(WriteAll(fd.get(), part, file, hook));
  if (int error = Injected(hook, "fsync")) return PosixError(file + ": fsync", error);
  if (::fsync(fd.get()) != 0) return PosixError(file + ": fsync", errno);
  if (int error = Injected(hook, "close")) return PosixError(file + ": close", error);
  if (fd.Close() != 0) return PosixError(file + ": close", errno);
  return Status::Ok();
}

}  // namespace

Status PosixError(const std::string& context, int error) {
  std::string message = context + ": " + std::strerror(error);
  if (error == ENOENT) return Status::NotFound(std::move(message));
  return Status::Io(std::move(message));
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

int FileDescriptor::Close() { return ::close(std::exchange(fd_, -1)); }

StatusOr<OpenedFile> OpenRegularFile(const std::string& path, Symlinks symlinks) {
  // Looked at before opening, because opening a device or a FIFO can block or
  // act (a tape rewinds); fstat below closes the race with a swapped name.
  struct stat info;
  const int looked =
      symlinks == Symlinks::kFollow ? ::stat(path.c_str(), &info) : ::lstat(path.c_str(), &info);
  if (looked != 0) return PosixError(path + ": open", errno);
  if (S_ISLNK(info.st_mode)) {
    return NotRegular(path, info.st_mode,
                      "links are not followed here, name the file it points to");
  }
  if (!S_ISREG(info.st_mode)) return NotRegular(path, info.st_mode, "");

  int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  if (symlinks == Symlinks::kRefuse) flags |= O_NOFOLLOW;
  OpenedFile opened;
  opened.fd = FileDescriptor(::open(path.c_str(), flags));
  if (opened.fd.get() < 0) return PosixError(path + ": open", errno);
  if (::fstat(opened.fd.get(), &info) != 0) return PosixError(path + ": stat", errno);
  if (!S_ISREG(info.st_mode)) return NotRegular(path, info.st_mode, "");
  opened.size = static_cast<std::uint64_t>(info.st_size);
  return opened;
}

Status ReadFully(int fd, char* data, std::size_t size, const std::string& path) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t got = ::read(fd, data + done, size - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      return PosixError(path + ": read", errno);
    }
    if (got == 0) {
      return Status::Corruption(path + ": the file shrank while being read, at offset " +
                                std::to_string(done));
    }
    done += static_cast<std::size_t>(got);
  }
  return Status::Ok();
}

Status WritePrivateFile(const std::string& file, std::span<const std::string_view> parts,
                        const FileFaultHook& hook) {
  HUBREG_RETURN_IF_ERROR(CheckReplaceableFile(file));
  const fs::path path(file);
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return Status::InvalidArgument(file + ": names a directory, not a file");
  }
  const std::string directory = path.has_parent_path() ? path.parent_path().string() : ".";

  // Every step below works inside this one directory, whatever happens to
  // the path leading to it meanwhile.
  if (int error = Injected(hook, "create")) return PosixError(file + ": create", error);
  FileDescriptor directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory_fd.get() < 0) return PosixError(file + ": create", errno);
  std::string temporary;
  FileDescriptor fd;
  for (int attempt = 0; attempt < 100 && fd.get() < 0; ++attempt) {
    temporary = TemporaryName(name);
    // O_EXCL fails on anything already at the name, a symbolic link included.
    fd = FileDescriptor(::openat(directory_fd.get(), temporary.c_str(),
                                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                 S_IRUSR | S_IWUSR));
    if (fd.get() < 0 && errno != EEXIST) return PosixError(file + ": create", errno);
  }
  if (fd.get() < 0) return PosixError(file + ": create", EEXIST);

  Status written = FillTemporary(std::move(fd), parts, file, hook);
  if (written.ok()) {
    // rename(2) replaces whatever is at `name` by now without following it.
    int error = Injected(hook, "rename");
    if (error == 0 &&
        ::renameat(directory_fd.get(), temporary.c_str(), directory_fd.get(), name.c_str()) != 0) {
      error = errno;
    }
    if (error != 0) written = PosixError(file + ": rename", error);
  }
  if (!written.ok()) {
    ::unlinkat(directory_fd.get(), temporary.c_str(), 0);
    return written;
  }
  if (int error = Injected(hook, "fsync directory")) {
    return PosixError(directory + ": fsync directory", error);
  }
  if (::fsync(directory_fd.get()) != 0) return PosixError(directory + ": fsync directory", errno);
  return Status::Ok();
}

}  // namespace hubreg::persist

namespace hubreg {

Status CreatePrivateDirectory(const std::string& directory) {
  if (directory.empty()) return Status::InvalidArgument("an empty directory name");
  std::filesystem::path prefix;
  for (const std::filesystem::path& part : std::filesystem::path(directory)) {
    if (part.empty()) continue;  // after a trailing slash
    prefix /= part;
    if (::mkdir(prefix.c_str(), S_IRWXU) == 0) {
      // mkdir's mode is filtered by the umask; this one must be exact.
      persist::FileDescriptor fd(
          ::open(prefix.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (fd.get() < 0 || ::fchmod(fd.get(), S_IRWXU) != 0) {
        return persist::PosixError(prefix.string() + ": chmod 0700", errno);
      }
      continue;
    }
    const int error = errno;
    if (error != EEXIST) return persist::PosixError(prefix.string() + ": mkdir", error);
    struct stat info;
    if (::stat(prefix.c_str(), &info) != 0) {
      return persist::PosixError(prefix.string() + ": stat", errno);
    }
    if (!S_ISDIR(info.st_mode)) {
      return Status::InvalidArgument(prefix.string() + ": is " + persist::KindOf(info.st_mode) +
                                     ", not a directory");
    }
  }
  return Status::Ok();
}

Status CheckReplaceableFile(const std::string& file) {
  struct stat info;
  if (::lstat(file.c_str(), &info) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Io(file + ": " + std::strerror(errno));
  }
  if (S_ISREG(info.st_mode)) return Status::Ok();
  return persist::NotRegular(file, info.st_mode, "refusing to replace it");
}

Status WritePrivateFile(const std::string& file, std::span<const std::string_view> parts) {
  return persist::WritePrivateFile(file, parts, {});
}

StatusOr<std::string> ReadRegularFile(const std::string& path, Symlinks symlinks) {
  StatusOr<persist::OpenedFile> opened = persist::OpenRegularFile(path, symlinks);
  if (!opened.ok()) return opened.status();
  std::string bytes;
  try {
    bytes.resize(static_cast<std::size_t>(opened->size));
  } catch (const std::exception&) {  // bad_alloc, or length_error beyond max_size()
    return Status::Io(path + ": " + std::to_string(opened->size) +
                      " bytes, more than this process can hold in memory");
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t got = ::read(opened->fd.get(), bytes.data() + done, bytes.size() - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      return persist::PosixError(path + ": read", errno);
    }
    if (got == 0) break;  // it shrank: what is there is what there is
    done += static_cast<std::size_t>(got);
  }
  bytes.resize(done);
  char probe;
  ssize_t more;
  do {
    more = ::read(opened->fd.get(), &probe, 1);
  } while (more < 0 && errno == EINTR);
  if (more > 0) {
    return Status::Io(path + ": the file grew while being read (is something still writing it?)");
  }
  return bytes;
}

}  // namespace hubreg
