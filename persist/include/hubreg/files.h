// Files that may hold database passwords, and files read as input.
//
// Writing: a file is created private to its owner (0600, in a directory
// created 0700, whatever the umask) under a fresh temporary name that no
// planted file or symbolic link can hijack, then renamed into place, so that
// its name shows either the old file or the complete new one. Snapshot files
// (Store::SaveSnapshotFile) and `hubreg export` are written this way.
//
// Reading: an input is read only when it is a regular file. A FIFO, a device
// (a link to /dev/zero), a socket or a directory is refused at once with a
// message naming the path and what it is; opening never blocks.
//
// Errors name the path and, for a refused system call, the step and the
// system's reason ("out/client.csv: create: Permission denied"). Safe to call
// from several threads on different paths.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "hubreg/status.h"

namespace hubreg {

// Makes `directory` exist. Each missing component is created with mode 0700
// (set exactly: the umask can neither widen nor narrow it); an existing
// directory, or a link to one, is used as it is, mode included.
// kInvalidArgument when a component exists and is not a directory; kNotFound
// or kIo "<component>: mkdir: <reason>" when one cannot be created.
Status CreatePrivateDirectory(const std::string& directory);

// OK when nothing is at `file` or a regular file is, i.e. when
// WritePrivateFile may put a new file there. A symbolic link (whatever it
// points to: it is never followed), a directory or any other kind of file is
// refused with kInvalidArgument "<file>: is a symbolic link, not a regular
// file; refusing to replace it"; a failed lstat is kIo "<file>: <reason>".
Status CheckReplaceableFile(const std::string& file);

// Writes the concatenation of `parts` to `file`, replacing a regular file
// already there: to "<file>.tmp-<pid>-<random>" in the same directory, opened
// with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 (fchmod, whatever the umask);
// written, fsynced, closed, renamed over `file`; then the directory is
// fsynced. REQUIRES: the directory exists.
// On failure nothing is left behind and `file` is unchanged: the error is
// CheckReplaceableFile's, or kNotFound/kIo "<file>: <step>: <reason>" (step:
// create, write, fsync, close, rename), or, once the new file is in place,
// kIo "<directory>: fsync directory: <reason>". Only a crash can leave the
// temporary behind (private to the owner, and never read by hubreg).
Status WritePrivateFile(const std::string& file, std::span<const std::string_view> parts);

// Whether reading follows a symbolic link at the input's own name. Links in
// the directories leading to it are always followed.
enum class Symlinks {
  kFollow,
  // "<path>: is a symbolic link; ...": for inputs found in a directory the
  // user named, which may hold links planted to make hubreg read (and quote
  // in an error) a file the user cannot read.
  kRefuse,
};

// The whole content of `path`, which must be a regular file. kNotFound or
// kIo "<path>: open: <reason>" when it cannot be opened (e.g. "Permission
// denied"); kInvalidArgument "<path>: is a FIFO (named pipe), not a regular
// file" (or a directory, a character device, ...); kIo when it grows while
// being read or is too large to hold in memory.
StatusOr<std::string> ReadRegularFile(const std::string& path, Symlinks symlinks);

}  // namespace hubreg
