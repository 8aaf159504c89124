#include "commit_signal.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "posix_file.h"

namespace hubreg::persist {
namespace {

constexpr char kMagic[8] = {'H', 'U', 'B', 'R', 'E', 'G', 'C', 'S'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kWordOffset = 12;
constexpr std::size_t kSequenceOffset = 16;

std::string SignalPath(const std::string& dir) { return dir + "/" + kCommitSignalFile; }

long Futex(std::uint32_t* word, int op, std::uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE_FLAG: the word is shared with other processes.
  return ::syscall(SYS_futex, word, op, value, timeout, nullptr, 0);
}

// Why `fd` (opened at `path`) is not a usable signal, or OK.
Status CheckSignalFile(int fd, const std::string& path, struct stat* info) {
  if (::fstat(fd, info) != 0) return PosixError(path + ": fstat", errno);
  if (!S_ISREG(info->st_mode)) return Status::Corruption(path + ": not a regular file");
  if (info->st_size != static_cast<off_t>(kCommitSignalBytes)) {
    return Status::Corruption(path + ": " + std::to_string(info->st_size) + " bytes, expected " +
                              std::to_string(kCommitSignalBytes));
  }
  char header[12];
  if (::pread(fd, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    return Status::Corruption(path + ": cannot read its header");
  }
  std::uint32_t version = 0;
  std::memcpy(&version, header + 8, sizeof version);
  if (std::memcmp(header, kMagic, sizeof kMagic) != 0 || version != kFormatVersion) {
    return Status::Corruption(path + ": not a commit signal of format version " +
                              std::to_string(kFormatVersion) + " (wrong magic or version)");
  }
  return Status::Ok();
}

// Opens `path` without following a link at its name; ELOOP means it is one.
StatusOr<FileDescriptor> OpenNoFollow(const std::string& path, int flags) {
  FileDescriptor fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ELOOP) return Status::Corruption(path + ": is a symbolic link");
    return PosixError(path + ": open", errno);
  }
  return fd;
}

// A new signal file under a private temporary name, renamed over `path`
// (replacing whatever is there, a link itself rather than its target).
StatusOr<FileDescriptor> CreateSignalFile(const std::string& path) {
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  ::unlink(temporary.c_str());  // a leftover of a crashed writer with this pid
  FileDescriptor fd(
      ::open(temporary.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return PosixError(temporary + ": create", errno);
  char bytes[kCommitSignalBytes] = {};
  std::memcpy(bytes, kMagic, sizeof kMagic);
  std::memcpy(bytes + 8, &kFormatVersion, sizeof kFormatVersion);
  if (::fchmod(fd.get(), 0600) != 0 ||
      ::pwrite(fd.get(), bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes) ||
      ::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return PosixError(path + ": create", error);
  }
  return fd;
}

}  // namespace

StatusOr<CommitSignal> CommitSignal::Map(int fd, int protection, const std::string& path,
                                         const struct stat& info) {
  void* mapping = ::mmap(nullptr, kCommitSignalBytes, protection, MAP_SHARED, fd, 0);
  if (mapping == MAP_FAILED) return PosixError(path + ": mmap", errno);
  CommitSignal signal;
  signal.mapping_ = mapping;
  signal.device_ = info.st_dev;
  signal.inode_ = info.st_ino;
  return signal;
}

StatusOr<CommitSignal> CommitSignal::OpenForWriting(const std::string& dir) {
  const std::string path = SignalPath(dir);
  StatusOr<FileDescriptor> fd = OpenNoFollow(path, O_RDWR);
  struct stat info {};
  // Anything but a sound signal file is replaced: it carries no data.
  if (!fd.ok() || !CheckSignalFile(fd->get(), path, &info).ok()) {
    fd = CreateSignalFile(path);
    if (!fd.ok()) return fd.status();
    HUBREG_RETURN_IF_ERROR(CheckSignalFile(fd->get(), path, &info));
  }
  return Map(fd->get(), PROT_READ | PROT_WRITE, path, info);
}

StatusOr<CommitSignal> CommitSignal::OpenForWaiting(const std::string& dir) {
  const std::string path = SignalPath(dir);
  StatusOr<FileDescriptor> fd = OpenNoFollow(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  struct stat info {};
  HUBREG_RETURN_IF_ERROR(CheckSignalFile(fd->get(), path, &info));
  return Map(fd->get(), PROT_READ, path, info);
}

CommitSignal::CommitSignal(CommitSignal&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      device_(other.device_),
      inode_(other.inode_) {}

CommitSignal& CommitSignal::operator=(CommitSignal&& other) noexcept {
  if (this != &other) {
    if (mapping_ != nullptr) ::munmap(mapping_, kCommitSignalBytes);
    mapping_ = std::exchange(other.mapping_, nullptr);
    device_ = other.device_;
    inode_ = other.inode_;
  }
  return *this;
}

CommitSignal::~CommitSignal() {
  if (mapping_ != nullptr) ::munmap(mapping_, kCommitSignalBytes);
}

std::uint32_t* CommitSignal::word() const {
  return reinterpret_cast<std::uint32_t*>(static_cast<char*>(mapping_) + kWordOffset);
}

std::uint64_t* CommitSignal::sequence() const {
  return reinterpret_cast<std::uint64_t*>(static_cast<char*>(mapping_) + kSequenceOffset);
}

void CommitSignal::Notify(std::uint64_t sequence_number) const {
  std::atomic_ref<std::uint64_t>(*sequence()).store(sequence_number, std::memory_order_seq_cst);
  std::atomic_ref<std::uint32_t>(*word()).fetch_add(1, std::memory_order_seq_cst);
  WakeAll();
}

void CommitSignal::WakeAll() const { Futex(word(), FUTEX_WAKE, INT32_MAX, nullptr); }

std::uint32_t CommitSignal::Word() const {
  return std::atomic_ref<std::uint32_t>(*word()).load(std::memory_order_seq_cst);
}

std::uint64_t CommitSignal::Sequence() const {
  return std::atomic_ref<std::uint64_t>(*sequence()).load(std::memory_order_seq_cst);
}

void CommitSignal::WaitWhile(std::uint32_t seen, std::chrono::nanoseconds timeout) const {
  if (timeout <= std::chrono::nanoseconds::zero()) return;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec relative{};
  relative.tv_sec = static_cast<time_t>(seconds.count());
  relative.tv_nsec = static_cast<long>((timeout - seconds).count());
  // EAGAIN (the word already changed), EINTR and ETIMEDOUT all mean: look again.
  Futex(word(), FUTEX_WAIT, seen, &relative);
}

bool CommitSignal::IsFileAt(const std::string& dir) const {
  struct stat info {};
  if (::lstat(SignalPath(dir).c_str(), &info) != 0) return false;
  return info.st_dev == device_ && info.st_ino == inode_;
}

}  // namespace hubreg::persist
