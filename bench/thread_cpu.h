// CPU time of a process, or of one of this program's threads, read from
// /proc (utime + stime of `stat`, proc(5)), so that a benchmark on a loaded
// machine can report what each party spent next to the wall time it took.
// The resolution is one clock tick (10 ms with the usual USER_HZ).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

namespace hubreg::bench {

// The calling thread's id (gettid).
pid_t CurrentThreadId();
// CPU seconds used so far by process `pid` (its main thread and every
// thread it has had), or by thread `tid` of this process. Aborts the program
// when the file cannot be read.
double ProcessCpuSeconds(pid_t pid);
double ThreadCpuSeconds(pid_t tid);
// The id of this process's live thread named `name` (pthread_setname_np), or
// nullopt when none is.
std::optional<pid_t> ThreadNamed(std::string_view name);

}  // namespace hubreg::bench
