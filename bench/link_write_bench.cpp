// Linking and unlinking a user who is linked to 800 accounts, in the registry
// alone (no store, so no fsync): links are sorted arrays in the user's and the
// account's nodes (docs/design.md), and a write must not copy the user's
// whole array. One iteration links the user to one more account (in the
// middle of its array's order) and unlinks it again: two Registry::Apply
// calls, each applying its batch to the standby copy and replaying the one
// before on the other copy. Sizes S and M (the cost should not depend on the
// size; L would build another copy of the largest registry for no new figure).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "hubreg/registry.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

constexpr std::size_t kLinkedAccounts = 800;

struct Fixture {
  std::unique_ptr<Registry> registry;
  Id user = kNoId;
  Id account = kNoId;  // not linked to `user`, between its accounts in id order
};

// Built on first use and kept; nullptr (with the reason in `error`) if the
// size has too few accounts or the setup is refused.
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
  {
    const View view = r.Read();
    const std::vector<const Client*> clients = view.SortedById<Client>();
    if (clients.size() <= kLinkedAccounts) {
      error = "fewer than 801 accounts";
      return nullptr;
    }
    fixture->user = view.next_ids().user;
    User user;
    user.id = fixture->user;
    user.external_id = "bench_link_write";
    user.email = "bench.link.write@bench.example.com";
    setup.Insert(user);
    // The first 801 accounts but the one in the middle, which the
    // benchmark links and unlinks.
    const std::size_t middle = kLinkedAccounts / 2;
    for (std::size_t i = 0; i <= kLinkedAccounts; ++i) {
      if (i != middle) setup.Link(clients[i]->id, user.id);
    }
    fixture->account = clients[middle]->id;
  }
  if (Status status = r.Apply(setup).status(); !status.ok()) {
    error = status.ToString();
    return nullptr;
  }
  slot = std::move(fixture);
  return slot.get();
}

void LinkAndUnlink(benchmark::State& state, Size size) {
  std::string error;
  const Fixture* fixture = GetFixture(size, error);
  if (fixture == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  Registry& r = *fixture->registry;
  for (auto _ : state) {
    Status linked = r.Link(fixture->account, fixture->user);
    Status unlinked = r.Unlink(fixture->account, fixture->user);
    if (!linked.ok() || !unlinked.ok()) {
      state.SkipWithError((linked.ok() ? unlinked : linked).ToString().c_str());
      return;
    }
  }
  if (r.Read().ClientsOfUser(fixture->user).size() != kLinkedAccounts) {
    state.SkipWithError("the user's accounts changed");
    return;
  }
  state.SetItemsProcessed(2 * static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

void RegisterLinkWriteBenchmarks(const std::vector<Size>& sizes) {
  for (Size size : sizes) {
    if (size == Size::kL) continue;
    benchmark::RegisterBenchmark(
        ("link_write/link_and_unlink_800/" + std::string(SizeName(size))).c_str(), LinkAndUnlink,
        size)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace hubreg::bench
