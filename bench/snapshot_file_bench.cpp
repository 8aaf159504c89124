// Start-up from a standalone snapshot file, and its parts: reading and
// checking the file, decoding the payload into rows, building the registry
// from rows (Registry::FromRows), and memcpy of the same bytes (the floor).
// Uses persist's internal snapshot-file functions, which tools and tests may
// call directly; needs no data directory.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codec.h"
#include "dataset.h"
#include "snapshot_file.h"
#include "snapshot_format.h"
#include "suite.h"
#include "temp_directory.h"

namespace hubreg::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// A snapshot file of the size's registry, written once per process.
struct SnapshotFixture {
  std::unique_ptr<test::TempDir> directory;
  std::string file;
  std::vector<char> bytes;
  std::uint64_t entities = 0;
};

const SnapshotFixture& GetSnapshotFixture(Size size) {
  static std::map<Size, std::unique_ptr<SnapshotFixture>> cache;
  std::unique_ptr<SnapshotFixture>& slot = cache[size];
  if (slot) return *slot;
  slot = std::make_unique<SnapshotFixture>();
  const Dataset& data = GetDataset(size);
  slot->directory = ScratchDirectory("file-" + std::string(SizeName(size)));
  slot->file = slot->directory->Path("registry.snapshot");
  CheckOk(persist::WriteSnapshotFile(data.registry->Read(), slot->file), "write snapshot file");
  std::ifstream in(slot->file, std::ios::binary);
  slot->bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  const TableCounts counts = data.registry->Read().counts();
  slot->entities =
      counts.apps + counts.organizations + counts.clients + counts.users + counts.links;
  return *slot;
}

void ReportRates(benchmark::State& state, const SnapshotFixture& fixture) {
  state.counters["entities"] = static_cast<double>(fixture.entities);
  state.counters["bytes"] = static_cast<double>(fixture.bytes.size());
  state.counters["entities_per_second"] = benchmark::Counter(
      static_cast<double>(fixture.entities), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MB_per_second"] =
      benchmark::Counter(static_cast<double>(fixture.bytes.size()) / 1e6,
                         benchmark::Counter::kIsIterationInvariantRate);
}

// ReadSnapshotFile: read, checksums, decode, FromRows (every integrity rule).
void LoadSnapshotFile(benchmark::State& state, Size size) {
  const SnapshotFixture& fixture = GetSnapshotFixture(size);
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    auto loaded = persist::ReadSnapshotFile(fixture.file);
    state.SetIterationTime(Seconds(start));
    CheckOk(loaded.status(), "read snapshot file");
  }
  ReportRates(state, fixture);
}

// Only the payload decoding (cereal) into rows.
void DecodePayload(benchmark::State& state, Size size) {
  const SnapshotFixture& fixture = GetSnapshotFixture(size);
  const std::string_view bytes(fixture.bytes.data(), fixture.bytes.size());
  auto header = persist::ParseSnapshotFileHeader(bytes, fixture.file);
  CheckOk(header.status(), "parse header");
  auto payload = persist::CheckSnapshotFileBody(bytes, *header, fixture.file);
  CheckOk(payload.status(), "check body");
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    auto rows = persist::DecodeSnapshot(*payload, header->schema_version);
    state.SetIterationTime(Seconds(start));
    CheckOk(rows.status(), "decode");
  }
  ReportRates(state, fixture);
}

// Registry::FromRows from rows already in memory: until the registry is
// readable, or (`both_copies`) until the writer's standby copy, which FromRows
// builds in the background, is ready too: what the first write waits for.
void BuildFromRows(benchmark::State& state, Size size, bool both_copies) {
  const SnapshotFixture& fixture = GetSnapshotFixture(size);
  const Dataset& data = GetDataset(size);
  for (auto _ : state) {
    RegistryRows rows = data.rows;
    const Clock::time_point start = Clock::now();
    auto registry = Registry::FromRows(std::move(rows), 1);
    CheckOk(registry.status(), "FromRows");
    if (both_copies) WaitForStandbyCopy(**registry);
    state.SetIterationTime(Seconds(start));
  }
  ReportRates(state, fixture);
}

// The bandwidth floor: copying the file's bytes, warm, in memory.
void CopyBytes(benchmark::State& state, Size size) {
  const SnapshotFixture& fixture = GetSnapshotFixture(size);
  std::vector<char> target(fixture.bytes.size(), 1);
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    std::memcpy(target.data(), fixture.bytes.data(), fixture.bytes.size());
    benchmark::ClobberMemory();
    state.SetIterationTime(Seconds(start));
  }
  ReportRates(state, fixture);
}

}  // namespace

void RegisterSnapshotFileBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    const std::string suffix = "/" + std::string(SizeName(size));
    const int repeats = size == Size::kL ? 2 : 5;
    auto add = [&](const char* method, void (*body)(benchmark::State&, Size), int iterations) {
      benchmark::RegisterBenchmark(("startup/" + std::string(method) + suffix).c_str(),
                                   [size, body](benchmark::State& s) { body(s, size); })
          ->UseManualTime()
          ->MeasureProcessCPUTime()  // FromRows uses both cores
          ->Iterations(iterations)
          ->Unit(benchmark::kMillisecond);
    };
    add("snapshot_file", LoadSnapshotFile, repeats);
    add("decode", DecodePayload, repeats);
    add(
        "from_rows", [](benchmark::State& s, Size z) { BuildFromRows(s, z, false); }, repeats);
    add(
        "from_rows_both_copies", [](benchmark::State& s, Size z) { BuildFromRows(s, z, true); },
        repeats);
    add("memcpy", CopyBytes, 20);
  }
}

}  // namespace hubreg::bench
