// Waiting for commits across processes (issue 11): how long after the
// writer's Apply returns a read-only process waiting in Store::WaitForCommit
// has the batch (woken, refreshed), and how much CPU such a process uses
// while it waits with nothing to wake it for.
//
// The waiting process is this program again, `hubreg_bench
// --hubreg_wake_child=DIR` (RunWakeChild). Both sides take their times from
// CLOCK_MONOTONIC (steady_clock), which is one clock for every process of a
// machine, so the child's "seen at" minus the writer's "Apply returned at"
// is the latency.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "commit_signal.h"
#include "hubreg/store.h"
#include "suite.h"
#include "temp_directory.h"

namespace hubreg::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t NowNanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double ProcessCpuMilliseconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

Batch NumberedUser(Id k) {
  User user;
  user.external_id = "wake-" + std::to_string(k);
  user.email = "wake-" + std::to_string(k) + "@example.com";
  user.name = "Wake";
  return Batch().Insert(user);
}

// The child process, with its stdin and stdout as pipes.
class WakeChild {
 public:
  WakeChild(const std::string& path, const std::string& mode) {
    const std::string flag = std::string(kWakeChildFlag) + mode + ":" + path;
    int to_child[2];
    int from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) std::abort();
    pid_ = ::fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      ::dup2(to_child[0], STDIN_FILENO);
      ::dup2(from_child[1], STDOUT_FILENO);
      ::close(to_child[1]);
      ::close(from_child[0]);
      ::execl("/proc/self/exe", "hubreg_bench", flag.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = ::fdopen(from_child[0], "r");
    out_ = to_child[1];
  }
  ~WakeChild() {
    ::kill(pid_, SIGKILL);  // a following child would wait for the next batch
    ::close(out_);
    std::fclose(in_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  WakeChild(const WakeChild&) = delete;
  WakeChild& operator=(const WakeChild&) = delete;

  std::string ReadLine() {
    char line[256];
    if (std::fgets(line, sizeof line, in_) == nullptr) {
      std::fprintf(stderr, "hubreg_bench: the wake child ended early\n");
      std::exit(1);
    }
    return line;
  }

 private:
  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  int out_ = -1;
};

// Batch by batch: Apply, then wait for the child to report the batch. The
// writer notifies inside Apply, as soon as the batch is durable and visible,
// so a child can see it before Apply has returned (a negative latency from
// the return); the latency from the call is reported beside it.
void WakeLatency(benchmark::State& state) {
  constexpr int kBatches = 2000;
  auto dir = ScratchDirectory("wake");
  StoreOptions options;
  options.path = dir->Path("data");
  options.sync = SyncMode::kNoSync;  // the latency is measured after Apply returns
  auto writer = Store::Open(options);
  CheckOk(writer.status(), "open writer");
  CheckOk((*writer)->Apply(NumberedUser(0)).status(), "first batch");
  std::vector<double> microseconds;  // from Apply returning
  std::vector<double> from_call;     // from Apply being called
  for (auto _ : state) {
    WakeChild child(options.path, "follow");
    if (child.ReadLine() != "ready 1\n") {
      std::fprintf(stderr, "hubreg_bench: the wake child has no commit signal\n");
      std::exit(1);
    }
    for (int k = 1; k <= kBatches; ++k) {
      const std::int64_t called = NowNanoseconds();
      auto applied = (*writer)->Apply(NumberedUser(k));
      const std::int64_t returned = NowNanoseconds();
      CheckOk(applied.status(), "apply");
      unsigned long long sequence = 0;
      long long seen = 0;
      if (std::sscanf(child.ReadLine().c_str(), "%llu %lld", &sequence, &seen) != 2 ||
          sequence != applied->sequence) {
        std::fprintf(stderr, "hubreg_bench: the wake child saw another batch\n");
        std::exit(1);
      }
      microseconds.push_back(static_cast<double>(seen - returned) / 1e3);
      from_call.push_back(static_cast<double>(seen - called) / 1e3);
    }
  }
  auto at = [](std::vector<double>& values, double share) {
    std::sort(values.begin(), values.end());
    return values[static_cast<std::size_t>(share * static_cast<double>(values.size() - 1))];
  };
  state.counters["batches"] = static_cast<double>(microseconds.size());
  state.counters["p50_us"] = at(microseconds, 0.50);
  state.counters["p99_us"] = at(microseconds, 0.99);
  state.counters["max_us"] = microseconds.back();
  state.counters["call_p50_us"] = at(from_call, 0.50);
  state.counters["call_p99_us"] = at(from_call, 0.99);
}

// A read-only process waiting 5 s for a commit that never comes.
void IdleWaitCpu(benchmark::State& state) {
  auto dir = ScratchDirectory("wake-idle");
  StoreOptions options;
  options.path = dir->Path("data");
  auto writer = Store::Open(options);
  CheckOk(writer.status(), "open writer");
  CheckOk((*writer)->Apply(NumberedUser(0)).status(), "first batch");
  double cpu_ms = 0;
  double waited_ms = 0;
  for (auto _ : state) {
    WakeChild child(options.path, "idle");
    child.ReadLine();  // ready
    if (std::sscanf(child.ReadLine().c_str(), "%lf %lf", &waited_ms, &cpu_ms) != 2) std::exit(1);
  }
  state.counters["waited_ms"] = waited_ms;
  state.counters["cpu_ms"] = cpu_ms;
}

// What the writer adds to every commit: CommitSignal::Notify (an atomic
// store and increment in the shared mapping, and FUTEX_WAKE), with no
// process waiting.
void NotifyCost(benchmark::State& state) {
  auto dir = ScratchDirectory("wake-notify");
  StatusOr<persist::CommitSignal> signal =
      persist::CommitSignal::OpenForWriting(dir->path().string());
  CheckOk(signal.status(), "open the commit signal");
  std::uint64_t sequence = 0;
  for (auto _ : state) signal->Notify(++sequence);
}

}  // namespace

int RunWakeChild(const char* mode_and_path) {
  const std::string argument = mode_and_path;
  const std::size_t colon = argument.find(':');
  const std::string mode = argument.substr(0, colon);
  StoreOptions options;
  options.path = argument.substr(colon + 1);
  options.read_only = true;
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::printf("ready %d\n", (*store)->Stats().commit_signal ? 1 : 0);
  std::fflush(stdout);
  if (mode == "idle") {
    const double cpu_before = ProcessCpuMilliseconds();
    const Clock::time_point start = Clock::now();
    auto committed = (*store)->WaitForCommit((*store)->Read().sequence(), std::chrono::seconds(5));
    const double waited = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!committed.ok() || *committed) return 1;
    std::printf("%.3f %.3f\n", waited, ProcessCpuMilliseconds() - cpu_before);
    std::fflush(stdout);
    return 0;
  }
  // follow: report each batch as soon as it is seen, until the writer goes.
  for (;;) {
    const std::uint64_t held = (*store)->Read().sequence();
    auto committed = (*store)->WaitForCommit(held, std::chrono::seconds(10));
    if (!committed.ok()) return 1;
    if (!*committed) return 0;  // the writer has finished
    if (!(*store)->Refresh().ok()) return 1;
    const std::uint64_t now_held = (*store)->Read().sequence();
    std::printf("%llu %lld\n", static_cast<unsigned long long>(now_held),
                static_cast<long long>(NowNanoseconds()));
    std::fflush(stdout);
  }
}

void RegisterWakeBenchmarks() {
  benchmark::RegisterBenchmark("wake/latency", WakeLatency)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("wake/notify", NotifyCost);
  benchmark::RegisterBenchmark("wake/idle_cpu", IdleWaitCpu)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace hubreg::bench
