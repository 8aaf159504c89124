// `hubreg sync` beside `hubreg import` on the same CSV export, through the
// same library calls the commands make, against a durable store with default
// options (as the command opens it). Wall time.
//
//   sync/read/<size>: reading and checking the export alone (the floor);
//   sync/import/<size>: read, check, insert everything into an empty store;
//   sync/unchanged/<size>: read, check, reconcile with a store already
//     holding the export (nothing to write);
//   sync/changed_1pct/<size>: the same against an export with 1% of the
//     users, accounts, organizations and links changed, then the batch
//     applied (iterations alternate between the two exports, so each one
//     changes 1% of the rows);
//   sync/reconcile_unchanged/<size>: Reconcile alone, rows already in memory.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "exporter.h"
#include "hubreg/reconcile.h"
#include "importer.h"
#include "store_fixture.h"
#include "suite.h"
#include "temp_dir.h"

namespace hubreg::bench {
namespace {

constexpr std::size_t kChangeEvery = 100;  // 1% of the rows

// The second export: every 100th user, account and organization renamed or
// moved, every 100th link gone.
RegistryRows ChangedRows(RegistryRows rows) {
  for (std::size_t i = 0; i < rows.users.size(); i += kChangeEvery) rows.users[i].name += " (2)";
  for (std::size_t i = 0; i < rows.clients.size(); i += kChangeEvery) {
    rows.clients[i].db_host = "moved-" + rows.clients[i].db_host;
  }
  for (std::size_t i = 0; i < rows.organizations.size(); i += kChangeEvery) {
    rows.organizations[i].name += " (2)";
  }
  std::vector<ClientUserLink> links;
  links.reserve(rows.links.size());
  for (std::size_t i = 0; i < rows.links.size(); ++i) {
    if (i % kChangeEvery != 0) links.push_back(rows.links[i]);
  }
  rows.links = std::move(links);
  return rows;
}

void WriteExport(RegistryRows rows, const std::string& dir) {
  StatusOr<std::unique_ptr<Registry>> registry = Registry::FromRows(std::move(rows), 1);
  CheckOk(registry.status(), "build registry to export");
  cli::ExportOptions options;
  options.include_secrets = true;
  const View view = (*registry)->Read();
  CheckOk(cli::Export(view, dir, options).status(), "export");
}

// Reads and checks an export as `hubreg import` and `hubreg sync` do.
RegistryRows ReadChecked(const std::string& path) {
  cli::ImportedRows imported;
  std::vector<cli::RowError> errors;
  CheckOk(cli::ReadImport(path, cli::DataFormat::kCsv, &imported, &errors), "read export");
  const Registry empty;
  cli::CheckImport(imported, empty.Read(), &errors);
  if (!errors.empty()) CheckOk(Status::InvalidArgument(errors.front().ToString()), "check");
  return std::move(imported.rows);
}

StoreOptions DefaultOptions(const std::string& path) {
  StoreOptions options;
  options.path = path;
  return options;
}

// Two exports of one size and a store holding the first, built on first use.
struct SyncFixture {
  std::unique_ptr<test::TempDir> exports;
  std::string original, changed;
  std::unique_ptr<test::TempDir> data;
  std::unique_ptr<Store> store;
  std::uint64_t rows = 0;  // of every table, links included
};

SyncFixture& GetFixture(Size size) {
  static std::map<Size, SyncFixture> fixtures;
  SyncFixture& fixture = fixtures[size];
  if (fixture.store) return fixture;
  RegistryRows rows = gen::Generate(OptionsFor(size));
  fixture.rows = rows.apps.size() + rows.organizations.size() + rows.clients.size() +
                 rows.users.size() + rows.links.size();
  fixture.exports = std::make_unique<test::TempDir>("sync-exports");
  fixture.original = fixture.exports->Path("original");
  fixture.changed = fixture.exports->Path("changed");
  WriteExport(ChangedRows(rows), fixture.changed);
  WriteExport(rows, fixture.original);
  fixture.data = std::make_unique<test::TempDir>("sync-store");
  auto store = Store::Open(DefaultOptions(fixture.data->path().string()));
  CheckOk(store.status(), "open store");
  CheckOk(LoadRows(**store, rows, 1), "load store");
  // The writer replays each batch on its second copy at the next write; a
  // write of an unchanged row pays for the load's replay here, not in the
  // first timed sync.
  CheckOk((*store)->Apply(Batch().Update(rows.apps.front())).status(), "catch up");
  fixture.store = std::move(*store);
  return fixture;
}

void SetRate(benchmark::State& state, const SyncFixture& fixture) {
  state.counters["rows_per_second"] = benchmark::Counter(
      static_cast<double>(fixture.rows), benchmark::Counter::kIsIterationInvariantRate);
}

void Read(benchmark::State& state, Size size) {
  SyncFixture& fixture = GetFixture(size);
  for (auto _ : state) benchmark::DoNotOptimize(ReadChecked(fixture.original).users.size());
  SetRate(state, fixture);
}

void Import(benchmark::State& state, Size size) {
  SyncFixture& fixture = GetFixture(size);
  for (auto _ : state) {
    state.PauseTiming();
    {
      test::TempDir directory("sync-import");
      auto store = Store::Open(DefaultOptions(directory.path().string()));
      CheckOk(store.status(), "open empty store");
      state.ResumeTiming();
      CheckOk((*store)->Apply(cli::MakeImportBatch(ReadChecked(fixture.original))).status(),
              "import");
      state.PauseTiming();
    }
    state.ResumeTiming();
  }
  SetRate(state, fixture);
}

void SyncUnchanged(benchmark::State& state, Size size) {
  SyncFixture& fixture = GetFixture(size);
  for (auto _ : state) {
    const RegistryRows target = ReadChecked(fixture.original);
    const View view = fixture.store->Read();
    StatusOr<Reconciliation> plan = Reconcile(view, target);
    CheckOk(plan.status(), "reconcile");
    if (!plan->batch.empty()) CheckOk(Status::InvalidArgument("not unchanged"), "reconcile");
  }
  SetRate(state, fixture);
}

void SyncChanged(benchmark::State& state, Size size) {
  SyncFixture& fixture = GetFixture(size);
  bool to_changed = true;
  for (auto _ : state) {
    const RegistryRows target = ReadChecked(to_changed ? fixture.changed : fixture.original);
    StatusOr<Reconciliation> plan = [&] {
      const View view = fixture.store->Read();
      return Reconcile(view, target);
    }();
    CheckOk(plan.status(), "reconcile");
    CheckOk(fixture.store->Apply(plan->batch).status(), "apply");
    to_changed = !to_changed;
  }
  // Leave the store holding the original export.
  if (!to_changed) {
    const RegistryRows target = ReadChecked(fixture.original);
    StatusOr<Reconciliation> plan = [&] {
      const View view = fixture.store->Read();
      return Reconcile(view, target);
    }();
    CheckOk(plan.status(), "reconcile back");
    CheckOk(fixture.store->Apply(plan->batch).status(), "apply back");
  }
  SetRate(state, fixture);
}

void ReconcileUnchanged(benchmark::State& state, Size size) {
  SyncFixture& fixture = GetFixture(size);
  const RegistryRows target = ReadChecked(fixture.original);
  for (auto _ : state) {
    const View view = fixture.store->Read();
    StatusOr<Reconciliation> plan = Reconcile(view, target);
    benchmark::DoNotOptimize(plan.ok());
  }
  SetRate(state, fixture);
}

}  // namespace

void RegisterSyncBenchmarks(const std::vector<Size>& sizes) {
  using Fn = void (*)(benchmark::State&, Size);
  const std::pair<const char*, Fn> kinds[] = {{"read", Read},
                                              {"import", Import},
                                              {"unchanged", SyncUnchanged},
                                              {"changed_1pct", SyncChanged},
                                              {"reconcile_unchanged", ReconcileUnchanged}};
  for (Size size : sizes) {
    for (const auto& [kind, fn] : kinds) {
      const std::string name = "sync/" + std::string(kind) + "/" + std::string(SizeName(size));
      benchmark::RegisterBenchmark(name.c_str(),
                                   [fn = fn, size](benchmark::State& s) { fn(s, size); })
          ->Unit(benchmark::kMillisecond)
          ->Iterations(size == Size::kL ? 2 : 4)
          ->UseRealTime();
    }
  }
}

}  // namespace hubreg::bench
