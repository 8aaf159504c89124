// Access-changed events (ComputeAccessChanges, hubreg/change.h): the cost of computing a
// batch's events from its row changes, for a batch that links a user to one
// account and for one that disables a user linked to 800 accounts. Neither
// should depend on the registry's size: compare sizes S and M. (Size L is not
// run: it would hold a second copy of the largest registry for no new figure.)
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "hubreg/change.h"
#include "hubreg/registry.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

constexpr std::size_t kLinkedAccounts = 800;

// A generated registry with two users of its own, one linked to 800
// accounts and then disabled, one linked to one account; and the two
// batches' row changes, as the feed would give them.
struct Fixture {
  std::unique_ptr<Registry> registry;
  ChangeBatch disable_user;
  ChangeBatch one_link;
};

User BenchUser(Id id) {
  User user;
  user.id = id;
  user.external_id = "bench_access_" + std::to_string(id);
  user.email = "bench.access" + std::to_string(id) + "@bench.example.com";
  return user;
}

// Built on first use and kept; nullptr (with the reason in `error`) if the
// size has too few accounts or a batch is refused.
const Fixture* GetFixture(Size size, std::string& error) {
  static std::map<Size, std::unique_ptr<Fixture>> fixtures;
  std::unique_ptr<Fixture>& slot = fixtures[size];
  if (slot) return slot.get();
  auto registry = Registry::FromRows(gen::Generate(OptionsFor(size)), 1);
  if (!registry.ok()) {
    error = registry.status().ToString();
    return nullptr;
  }
  auto fixture = std::make_unique<Fixture>();
  fixture->registry = std::move(*registry);
  Registry& r = *fixture->registry;

  Batch setup;
  Id many = kNoId;
  Id one = kNoId;
  {
    const View view = r.Read();
    if (view.Rows<Client>().size() <= kLinkedAccounts) {
      error = "fewer than 801 accounts";
      return nullptr;
    }
    many = view.next_ids().user;
    one = many + 1;
    setup.Insert(BenchUser(many)).Insert(BenchUser(one));
    std::size_t linked = 0;
    for (const Client& client : view.Rows<Client>()) {
      if (linked++ == kLinkedAccounts) {
        setup.Link(client.id, one);
        break;
      }
      setup.Link(client.id, many);
    }
  }
  StatusOr<CommitResult> setup_result = r.Apply(setup);
  if (!setup_result.ok()) {
    error = setup_result.status().ToString();
    return nullptr;
  }
  // The one-account user's link, taken out and put back as the batch.
  const ClientUserLink link = std::get<InsertRow<ClientUserLink>>(setup.mutations().back()).row;
  User before = *r.Read().FindUser(many);
  User after = before;
  after.status = RecordStatus::kDisabled;
  Status status = r.Update(after);
  if (status.ok()) status = r.Unlink(link.client_id, link.user_id);
  if (status.ok()) status = r.Link(link.client_id, link.user_id);
  if (!status.ok()) {
    error = status.ToString();
    return nullptr;
  }
  {
    const View view = r.Read();
    fixture->disable_user.changes.push_back(
        RowChange<User>{std::move(before), *view.FindUser(many)});
    fixture->one_link.changes.push_back(
        RowChange<ClientUserLink>{std::nullopt, *view.FindLink(link.client_id, link.user_id)});
  }
  slot = std::move(fixture);
  return slot.get();
}

void ComputeEvents(benchmark::State& state, Size size, ChangeBatch Fixture::*which,
                   std::size_t want) {
  std::string error;
  const Fixture* fixture = GetFixture(size, error);
  if (fixture == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  ChangeBatch batch = fixture->*which;
  const View view = fixture->registry->Read();
  for (auto _ : state) {
    ComputeAccessChanges(view, batch);
    benchmark::DoNotOptimize(batch.access.data());
  }
  if (batch.access.size() != want) {
    state.SkipWithError("unexpected number of access events");
    return;
  }
  state.counters["pairs"] = static_cast<double>(batch.access.size());
}

}  // namespace

void RegisterAccessChangeBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    if (size == Size::kL) continue;
    const std::string suffix = "/" + std::string(SizeName(size));
    benchmark::RegisterBenchmark(("access_changes/one_link" + suffix).c_str(), ComputeEvents, size,
                                 &Fixture::one_link, std::size_t{1})
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark(("access_changes/disable_user_800_links" + suffix).c_str(),
                                 ComputeEvents, size, &Fixture::disable_user, kLinkedAccounts)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace hubreg::bench
