#include "supervisor.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "command_common.h"

namespace hubreg::cli {
namespace {

// Shared between parent and child (an anonymous shared mapping made before
// the fork): the data directory the child is using, once it says so.
struct SharedNote {
  std::atomic<int> in_use{0};
  char path[4096] = {};
};
static_assert(std::atomic<int>::is_always_lock_free);

SharedNote* note = nullptr;
volatile sig_atomic_t child_pid = 0;

void Forward(int signal) {
  if (child_pid > 0) ::kill(child_pid, signal);
}

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

bool IsCrash(int signal) {
  return signal == SIGSEGV || signal == SIGBUS || signal == SIGABRT || signal == SIGILL ||
         signal == SIGFPE;
}

const char* SignalName(int signal) {
  switch (signal) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGABRT:
      return "SIGABRT";
    case SIGILL:
      return "SIGILL";
    case SIGFPE:
      return "SIGFPE";
    default:
      return "a signal";
  }
}

int WaitFor(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      ReportError("internal", std::string("waitpid: ") + std::strerror(errno));
      return kExitFailure;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  const int signal = WTERMSIG(status);
  if (!IsCrash(signal)) {
    // End as the child did, so that callers see the same status as before.
    ::signal(signal, SIG_DFL);
    ::raise(signal);
    return 128 + signal;
  }
  if (note->in_use.load(std::memory_order_acquire) != 0) {
    ReportError("storage_damaged",
                std::string(note->path) +
                    ": damaged at the storage level: LMDB crashed using it (" + SignalName(signal) +
                    "; LMDB's pages carry no checksums); restore from a snapshot file (hubreg "
                    "restore --force FILE)");
  } else {
    ReportError("internal",
                std::string("internal error: the command crashed (") + SignalName(signal) + ")");
  }
  return kExitFailure;
}

}  // namespace

int RunSupervised(const std::function<int()>& command) {
  void* shared = ::mmap(nullptr, sizeof(SharedNote), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return command();
  note = new (shared) SharedNote();
  const pid_t parent = ::getpid();
  // Held from before the fork until the parent forwards them: the child can
  // start and print before the parent runs again, and a signal sent then
  // would end the parent by its default action instead of reaching the child.
  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  for (int signal : kForwarded) sigaddset(&forwarded, signal);
  ::sigprocmask(SIG_BLOCK, &forwarded, &previous);
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    note = nullptr;
    ::munmap(shared, sizeof(SharedNote));
    return command();
  }
  if (pid == 0) {
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    // Dies with the parent (even by kill -9), so no command outlives it.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(kExitFailure);
    return command();
  }
  child_pid = pid;
  struct sigaction forward {};
  forward.sa_handler = Forward;
  sigemptyset(&forward.sa_mask);
  for (int signal : kForwarded) ::sigaction(signal, &forward, nullptr);
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);  // one held meanwhile is forwarded now
  return WaitFor(pid);
}

std::uint64_t SupervisorPeakBytes() {
  if (note == nullptr) return 0;
  std::ifstream status("/proc/" + std::to_string(::getppid()) + "/status");
  for (std::string line; std::getline(status, line);) {
    // "VmHWM:	   12345 kB"
    if (line.starts_with("VmHWM:")) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

void NoteDataDirectoryInUse(const std::string& path) {
  if (note == nullptr) return;
  const std::size_t length = std::min(path.size(), sizeof note->path - 1);
  std::memcpy(note->path, path.data(), length);
  note->path[length] = '\0';
  note->in_use.store(1, std::memory_order_release);
}

}  // namespace hubreg::cli
