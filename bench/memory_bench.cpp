// Memory: resident bytes per user, per account and per link, next to the raw
// size of the data. Each registry is built in a child process, so that the
// measurement starts from a small, clean heap and nothing else the benchmark
// program holds (other sizes, baselines) is counted.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "dataset.h"
#include "hubreg/generator.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

std::uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

struct Footprint {
  std::uint64_t resident = 0;  // RSS growth while the registry was built
  std::uint64_t heap = 0;      // malloc'd bytes still in use by the registry
  std::uint64_t raw = 0;       // RawBytes of the rows
};

// In a child: generates `options`, measures, builds the registry from the
// rows (which it consumes), releases what malloc can and measures again.
Footprint MeasureInChild(const gen::GeneratorOptions& options) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    Footprint footprint;
    // Measured before the rows exist: FromRows consumes them (the standby
    // copy frees them once built) and malloc_trim hands their pages back, so
    // what remains above this line is the registry (both of its copies).
    // Measuring after generating would subtract the freed rows from it.
    const std::uint64_t resident_before = ResidentBytes();
    const std::size_t heap_before = mallinfo2().uordblks;
    RegistryRows rows = gen::Generate(options);
    footprint.raw = RawBytes(rows);
    auto registry = Registry::FromRows(std::move(rows), 1);
    if (registry.ok()) WaitForStandbyCopy(**registry);
    malloc_trim(0);
    const std::size_t heap_after = mallinfo2().uordblks;
    const std::uint64_t resident_after = ResidentBytes();
    footprint.heap = heap_after > heap_before ? heap_after - heap_before : 0;
    footprint.resident = resident_after > resident_before ? resident_after - resident_before : 0;
    if (!registry.ok()) footprint = {};
    const ssize_t written = write(fds[1], &footprint, sizeof footprint);
    _exit(written == sizeof footprint ? 0 : 1);
  }
  close(fds[1]);
  Footprint footprint;
  if (read(fds[0], &footprint, sizeof footprint) != sizeof footprint) footprint = {};
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  return footprint;
}

void MemoryBenchmark(benchmark::State& state, Size size) {
  const gen::GeneratorOptions full = OptionsFor(size);
  gen::GeneratorOptions users_only = full;
  users_only.organizations = users_only.clients = users_only.links = 0;
  gen::GeneratorOptions clients_only = full;
  clients_only.users = clients_only.organizations = clients_only.links = 0;
  Footprint all, users, clients;
  for (auto _ : state) {
    all = MeasureInChild(full);
    users = MeasureInChild(users_only);
    clients = MeasureInChild(clients_only);
  }
  auto per = [](std::uint64_t bytes, std::size_t rows) {
    return rows == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(rows);
  };
  // Can come out below zero at size S, where page granularity and malloc's
  // own slack are of the order of the links' share: reported as measured.
  const double link_resident = static_cast<double>(all.resident) -
                               static_cast<double>(users.resident) -
                               static_cast<double>(clients.resident);
  state.counters["resident_bytes"] = static_cast<double>(all.resident);
  state.counters["heap_bytes"] = static_cast<double>(all.heap);
  state.counters["raw_bytes"] = static_cast<double>(all.raw);
  state.counters["resident_to_raw"] = per(all.resident, 1) / static_cast<double>(all.raw);
  state.counters["heap_to_raw"] = per(all.heap, 1) / static_cast<double>(all.raw);
  state.counters["resident_per_user"] = per(users.resident, full.users);
  state.counters["raw_per_user"] = per(users.raw, full.users);
  state.counters["resident_per_account"] = per(clients.resident, full.clients);
  state.counters["raw_per_account"] = per(clients.raw, full.clients);
  // Links (and the few organizations) are what the full registry adds.
  state.counters["resident_per_link"] =
      full.links == 0 ? 0.0 : link_resident / static_cast<double>(full.links);
  state.counters["raw_per_link"] = 24;
}

}  // namespace

void RegisterMemoryBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    benchmark::RegisterBenchmark(("memory/" + std::string(SizeName(size))).c_str(),
                                 [size](benchmark::State& state) { MemoryBenchmark(state, size); })
        ->Iterations(1)
        ->Unit(benchmark::kSecond);
  }
}

}  // namespace hubreg::bench
