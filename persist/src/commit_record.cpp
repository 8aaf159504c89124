#include "commit_record.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "checksum.h"

namespace hubreg::persist {
namespace {

constexpr char kMagic[8] = {'H', 'U', 'B', 'R', 'E', 'G', 'C', 'R'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::uint32_t kCrcKnown = 1;

template <typename T>
void PutLittle(char* out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

template <typename T>
T GetLittle(const char* in) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<T>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  return value;
}

std::string RecordPath(const std::string& dir) { return dir + "/" + kCommitRecordFile; }

void Encode(const CommitMark& mark, char* out) {
  std::memcpy(out, kMagic, sizeof kMagic);
  PutLittle<std::uint32_t>(out + 8, kFormatVersion);
  PutLittle<std::uint32_t>(out + 12, mark.batch_crc ? kCrcKnown : 0);
  PutLittle<std::uint64_t>(out + 16, mark.sequence);
  PutLittle<std::uint32_t>(out + 24, mark.batch_crc.value_or(0));
  PutLittle<std::uint32_t>(out + 28, ComputeCrc32c(std::string_view(out, 28)));
}

std::string WhatToDo() {
  return "restore from a snapshot file (hubreg restore --force FILE), or accept the loss with "
         "`hubreg verify --accept-rollback`";
}

}  // namespace

StatusOr<std::optional<CommitMark>> ReadCommitRecord(const std::string& dir) {
  const std::string path = RecordPath(dir);
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<CommitMark>();
    return Status::Io(path + ": open: " + std::strerror(errno));
  }
  char bytes[kCommitRecordBytes + 1];
  struct stat info {};
  ssize_t n = -1;
  int error = 0;
  if (::fstat(fd, &info) != 0) {
    error = errno;
  } else if (S_ISREG(info.st_mode)) {
    n = ::pread(fd, bytes, sizeof bytes, 0);
    if (n < 0) error = errno;
  }
  ::close(fd);
  if (error != 0) return Status::Io(path + ": read: " + std::strerror(error));
  if (!S_ISREG(info.st_mode)) return Status::Corruption(path + ": not a regular file");
  if (n != static_cast<ssize_t>(kCommitRecordBytes) ||
      std::memcmp(bytes, kMagic, sizeof kMagic) != 0 ||
      GetLittle<std::uint32_t>(bytes + 8) != kFormatVersion ||
      GetLittle<std::uint32_t>(bytes + 28) != ComputeCrc32c(std::string_view(bytes, 28))) {
    return Status::Corruption(path +
                              ": the commit record is damaged, so whether LMDB lost acknowledged "
                              "batches cannot be checked; " +
                              WhatToDo());
  }
  CommitMark mark;
  mark.sequence = GetLittle<std::uint64_t>(bytes + 16);
  if (GetLittle<std::uint32_t>(bytes + 12) & kCrcKnown) {
    mark.batch_crc = GetLittle<std::uint32_t>(bytes + 24);
  }
  return std::optional<CommitMark>(mark);
}

StatusOr<CommitMark> StoredMark(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t last_sequence) {
  CommitMark mark;
  mark.sequence = last_sequence;
  if (last_sequence == 0) return mark;
  auto value = txn.Get(dbs.journal, JournalKey(last_sequence));
  if (!value.ok()) return value.status();
  if (value->has_value() && (*value)->size() >= kJournalChecksumBytes) {
    mark.batch_crc = GetLittle<std::uint32_t>((*value)->data());
  }
  return mark;
}

Status CheckCommitRecord(const std::string& dir, const CommitMark& recorded,
                         const CommitMark& stored) {
  if (stored.sequence < recorded.sequence) {
    return Status::Corruption(
        dir + ": rolled back: batch " + std::to_string(recorded.sequence) + " was acknowledged (" +
        kCommitRecordFile + "), but data.mdb holds only up to batch " +
        std::to_string(stored.sequence) +
        " (LMDB fell back to an older commit: a damaged meta page, or writes lost by the "
        "disk); " +
        WhatToDo());
  }
  if (stored.sequence == recorded.sequence && stored.batch_crc && recorded.batch_crc &&
      *stored.batch_crc != *recorded.batch_crc) {
    return Status::Corruption(dir + ": data.mdb holds a different batch " +
                              std::to_string(stored.sequence) + " than the one acknowledged (" +
                              kCommitRecordFile + " has its checksum); " + WhatToDo());
  }
  return Status::Ok();
}

StatusOr<CommitRecordWriter> CommitRecordWriter::Open(const std::string& dir,
                                                      const CommitMark& mark) {
  const std::string path = RecordPath(dir);
  CommitRecordWriter writer;
  writer.fd_ = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (writer.fd_ < 0 && errno != ENOENT) {
    return Status::Io(path + ": open: " + std::strerror(errno));
  }
  if (writer.fd_ >= 0) {
    struct stat info {};
    if (::fstat(writer.fd_, &info) != 0) return Status::Io(path + ": " + std::strerror(errno));
    if (!S_ISREG(info.st_mode)) return Status::Corruption(path + ": not a regular file");
  } else {
    // New: complete under a unique name, then renamed, so that the record
    // is never seen half written and a planted file is never followed.
    const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    writer.fd_ =
        ::open(temporary.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (writer.fd_ < 0) return Status::Io(temporary + ": create: " + std::strerror(errno));
    if (!writer.Write(mark) || ::rename(temporary.c_str(), path.c_str()) != 0) {
      const int error = errno;
      ::unlink(temporary.c_str());
      return Status::Io(path + ": create: " + std::strerror(error));
    }
    return writer;
  }
  if (!writer.Write(mark)) return Status::Io(path + ": write: " + std::strerror(errno));
  return writer;
}

CommitRecordWriter::CommitRecordWriter(CommitRecordWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

CommitRecordWriter& CommitRecordWriter::operator=(CommitRecordWriter&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

CommitRecordWriter::~CommitRecordWriter() {
  if (fd_ >= 0) ::close(fd_);
}

bool CommitRecordWriter::Write(const CommitMark& mark) const {
  if (fd_ < 0) return false;
  char bytes[kCommitRecordBytes];
  Encode(mark, bytes);
  return ::pwrite(fd_, bytes, sizeof bytes, 0) == static_cast<ssize_t>(sizeof bytes);
}

}  // namespace hubreg::persist
