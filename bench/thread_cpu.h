// What benchmarks read of processes and threads from /proc (proc(5)): CPU
// time (utime + stime of `stat`), so that a benchmark on a loaded machine can
// report what each party spent next to the wall time it took (one clock
// tick's resolution, 10 ms with the usual USER_HZ); a process's children;
// a thread by name.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

namespace hubreg::bench {

// The calling thread's id (gettid).
pid_t CurrentThreadId();
// CPU seconds used so far by process `pid` (its main thread and every
// thread it has had), or by thread `tid` of this process. Aborts the program
// when the file cannot be read.
double ProcessCpuSeconds(pid_t pid);
double ThreadCpuSeconds(pid_t tid);
// The live processes whose parent is `parent`.
std::vector<pid_t> ChildProcesses(pid_t parent);
// The id of this process's live thread named `name` (pthread_setname_np), or
// nullopt when none is.
std::optional<pid_t> ThreadNamed(std::string_view name);

}  // namespace hubreg::bench
