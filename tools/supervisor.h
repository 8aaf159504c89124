// The `hubreg` command runs its work in a child process and watches it.
//
// LMDB's pages carry no checksums, and some damaged pages make liblmdb read
// or write outside its map (SIGSEGV, SIGBUS) or fail one of its assertions
// (SIGABRT). No check before the fact can rule that out short of
// re-implementing LMDB's page format, and catching the signal inside the
// faulting process would mean going on in an address space that LMDB has
// just proven it cannot trust (with its locks in an unknown state). So the
// command runs in a forked child; the parent only waits. If the child dies
// of such a signal after it began using a data directory, the parent reports
// the data directory as damaged at the storage level, and tells the operator
// to restore it from a snapshot file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace hubreg::cli {

// Runs `command` in a forked child (in the same state as the caller: call
// it before any thread starts) and returns its exit status. The parent
// forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the child; the child is
// killed when the parent dies. A child killed by any other signal than a
// crash (SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE) makes the parent end by
// the same signal. If fork fails, `command` runs in this process.
int RunSupervised(const std::function<int()>& command);

// Called in the child when it starts to use the data directory `path`: a
// crash after this is reported as damage to it. No-op when not supervised.
void NoteDataDirectoryInUse(const std::string& path);

// In the child: the supervising parent's resident high-water mark in bytes
// (VmHWM), so that the command can report the peak of the whole command, as
// `time -v` does. 0 when not supervised or unknown.
std::uint64_t SupervisorPeakBytes();

}  // namespace hubreg::cli
