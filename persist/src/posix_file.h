// Internal: the system calls behind hubreg/files.h, for persist's own readers
// and writers (snapshot_file.cpp), which need a descriptor, a fault hook for
// tests, or to read a file in parts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "hubreg/files.h"
#include "hubreg/status.h"

namespace hubreg::persist {

// kNotFound for ENOENT, kIo otherwise: "<context>: <strerror(error)>".
Status PosixError(const std::string& context, int error);

// Owns a file descriptor; closes it when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor();
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  // Closes now and returns close's result, reporting an error that a
  // deferred write may surface only here.
  int Close();

 private:
  int fd_;
};

// A regular file opened for reading, and its size when opened.
struct OpenedFile {
  FileDescriptor fd;
  std::uint64_t size = 0;
};

// Opens `path` for reading without blocking (a FIFO is refused, not waited
// on) and checks that it is a regular file; errors as ReadRegularFile's.
StatusOr<OpenedFile> OpenRegularFile(const std::string& path, Symlinks symlinks);

// Reads exactly `size` bytes; "<path>: read: <reason>", or kCorruption
// "<path>: the file shrank while being read, at offset N".
Status ReadFully(int fd, char* data, std::size_t size, const std::string& path);

// Test seam: asked before each step of WritePrivateFile ("create", "write",
// "fsync", "close", "rename", "fsync directory"); a non-zero errno answer
// fails the step as if the system call had returned it.
using FileFaultHook = std::function<int(std::string_view step)>;

// WritePrivateFile (hubreg/files.h) with a fault hook (may be empty).
Status WritePrivateFile(const std::string& file, std::span<const std::string_view> parts,
                        const FileFaultHook& hook);

}  // namespace hubreg::persist
