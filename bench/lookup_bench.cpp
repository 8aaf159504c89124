// Lookups: hubreg beside SQLite in memory, raw LMDB and std::unordered_map,
// each operation in throughput and latency mode, at every selected size.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>

#include "dataset.h"
#include "hashmap_baseline.h"
#include "hubreg/view.h"
#include "lmdb_baseline.h"
#include "lookup_loop.h"
#include "sqlite_baseline.h"
#include "suite.h"

namespace hubreg::bench {
namespace {

// Baselines built on first use, one per size, from the same rows.
template <typename Engine>
Engine& Baseline(Size size) {
  static std::map<Size, std::unique_ptr<Engine>> engines;
  std::unique_ptr<Engine>& slot = engines[size];
  if (!slot) slot = std::make_unique<Engine>(GetDataset(size).rows);
  return *slot;
}

// A service takes one View per request; a request here is kRequestLookups
// lookups. "read_per_op" takes a fresh View for every single lookup.
constexpr std::uint64_t kRequestLookups = 64;

class ViewSession {
 public:
  explicit ViewSession(const Registry& registry) : registry_(registry), view_(registry.Read()) {}
  const View& Get() {
    if (++used_ == kRequestLookups) {
      used_ = 0;
      view_ = registry_.Read();
    }
    return view_;
  }

 private:
  const Registry& registry_;
  View view_;
  std::uint64_t used_ = 0;
};

std::uint64_t IdOf(const User* user) { return user ? user->id : 0; }

template <typename Range>
std::uint64_t SumIds(const Range& range) {
  std::uint64_t sum = 0;
  for (const auto& row : range) sum += row.id + row.external_id.size();
  return sum;
}

void Register(const std::string& name, Size size, Mode mode,
              std::function<void(benchmark::State&, const Dataset&, Mode)> body) {
  benchmark::RegisterBenchmark(name.c_str(), [size, mode, body](benchmark::State& state) {
    body(state, GetDataset(size), mode);
  })->Unit(benchmark::kNanosecond);
}

// Registers `operation` for hubreg (View per request, View per op), SQLite,
// LMDB and, for point lookups, the hash map; a nullptr operation is left out.
template <typename KeysOf, typename HubregOp, typename SqliteOp, typename LmdbOp,
          typename HashMapOp>
void RegisterOperation(const char* operation, Size size, KeysOf keys_of, HubregOp hubreg,
                       SqliteOp sqlite, LmdbOp lmdb, HashMapOp hash_map) {
  for (Mode mode : {Mode::kThroughput, Mode::kLatency}) {
    const std::string suffix =
        std::string("/") + ModeName(mode) + "/" + std::string(SizeName(size));
    const std::string prefix = std::string("lookup/") + operation + "/";
    Register(prefix + "hubreg" + suffix, size, mode,
             [=](benchmark::State& state, const Dataset& data, Mode m) {
               ViewSession session(*data.registry);
               RunLookups(state, m, keys_of(data),
                          [&](const auto& key) { return hubreg(session.Get(), key); });
             });
    Register(prefix + "hubreg_read_per_op" + suffix, size, mode,
             [=](benchmark::State& state, const Dataset& data, Mode m) {
               RunLookups(state, m, keys_of(data), [&](const auto& key) {
                 const View view = data.registry->Read();
                 return hubreg(view, key);
               });
             });
    if constexpr (!std::is_same_v<SqliteOp, std::nullptr_t>) {
      Register(prefix + "sqlite" + suffix, size, mode,
               [=](benchmark::State& state, const Dataset& data, Mode m) {
                 SqliteRegistry& db = Baseline<SqliteRegistry>(data.size);
                 RunLookups(state, m, keys_of(data),
                            [&](const auto& key) { return sqlite(db, key); });
               });
    }
    if constexpr (!std::is_same_v<LmdbOp, std::nullptr_t>) {
      Register(prefix + "lmdb" + suffix, size, mode,
               [=](benchmark::State& state, const Dataset& data, Mode m) {
                 LmdbRegistry::Reader reader(Baseline<LmdbRegistry>(data.size));
                 RunLookups(state, m, keys_of(data),
                            [&](const auto& key) { return lmdb(reader, key); });
               });
    }
    if constexpr (!std::is_same_v<HashMapOp, std::nullptr_t>) {
      Register(prefix + "unordered_map" + suffix, size, mode,
               [=](benchmark::State& state, const Dataset& data, Mode m) {
                 const HashMapRegistry& map = Baseline<HashMapRegistry>(data.size);
                 RunLookups(state, m, keys_of(data),
                            [&](const auto& key) { return hash_map(map, key); });
               });
    }
  }
}

void RegisterForSize(Size size) {
  RegisterOperation(
      "user_by_id", size, [](const Dataset& d) -> const auto& { return d.keys.user_ids; },
      [](const View& v, Id id) { return IdOf(v.FindUser(id)); },
      [](SqliteRegistry& db, Id id) { return db.FindUser(id); },
      [](LmdbRegistry::Reader& r, Id id) { return r.FindUser(id); },
      [](const HashMapRegistry& m, Id id) { return IdOf(m.FindUser(id)); });
  RegisterOperation(
      "user_by_external_id", size,
      [](const Dataset& d) -> const auto& { return d.keys.user_external_ids; },
      [](const View& v, const std::string& k) { return IdOf(v.FindUserByExternalId(k)); },
      [](SqliteRegistry& db, const std::string& k) { return db.FindUserByExternalId(k); },
      [](LmdbRegistry::Reader& r, const std::string& k) { return r.FindUserByExternalId(k); },
      [](const HashMapRegistry& m, const std::string& k) {
        return IdOf(m.FindUserByExternalId(k));
      });
  RegisterOperation(
      "user_by_email", size, [](const Dataset& d) -> const auto& { return d.keys.user_emails; },
      [](const View& v, const std::string& k) { return IdOf(v.FindUserByEmail(k)); },
      [](SqliteRegistry& db, const std::string& k) { return db.FindUserByEmail(k); },
      [](LmdbRegistry::Reader& r, const std::string& k) { return r.FindUserByEmail(k); },
      [](const HashMapRegistry& m, const std::string& k) { return IdOf(m.FindUserByEmail(k)); });
  RegisterOperation(
      "clients_of_user", size, [](const Dataset& d) -> const auto& { return d.keys.user_ids; },
      [](const View& v, Id id) { return SumIds(v.ClientsOfUser(id)); },
      [](SqliteRegistry& db, Id id) { return db.ClientsOfUser(id); },
      [](LmdbRegistry::Reader& r, Id id) { return r.ClientsOfUser(id); }, nullptr);
  RegisterOperation(
      "users_of_client", size, [](const Dataset& d) -> const auto& { return d.keys.client_ids; },
      [](const View& v, Id id) { return SumIds(v.UsersOfClient(id)); },
      [](SqliteRegistry& db, Id id) { return db.UsersOfClient(id); },
      [](LmdbRegistry::Reader& r, Id id) { return r.UsersOfClient(id); }, nullptr);
  RegisterOperation(
      "owner_of_organization", size,
      [](const Dataset& d) -> const auto& { return d.keys.organization_ids; },
      [](const View& v, Id id) { return IdOf(v.OwnerOfOrganization(id)); },
      [](SqliteRegistry& db, Id id) { return db.OwnerOfOrganization(id); },
      [](LmdbRegistry::Reader& r, Id id) { return r.OwnerOfOrganization(id); }, nullptr);
  RegisterOperation(
      "resolve", size, [](const Dataset& d) -> const auto& { return d.keys.access; },
      [](const View& v, const AccessKey& k) -> std::uint64_t {
        const AccessDecision decision = v.Resolve(
            {.account_external_id = k.account_external_id, .user_external_id = k.user_external_id});
        return decision.allowed() ? decision.account->id : 0;
      },
      [](SqliteRegistry& db, const AccessKey& k) {
        return db.Resolve(k.account_external_id, k.user_external_id);
      },
      [](LmdbRegistry::Reader& r, const AccessKey& k) {
        return r.Resolve(k.account_external_id, k.user_external_id);
      },
      nullptr);
  // "Is this user linked to this account" by ids (View::HasLink), over the
  // same linked pairs as resolve: hubreg's two lookups by id and the search
  // of the shorter array. Engine-neutral baselines answer it within resolve.
  RegisterOperation(
      "has_link", size, [](const Dataset& d) -> const auto& { return d.keys.links; },
      [](const View& v, const LinkKey& k) -> std::uint64_t {
        return v.HasLink(k.client_id, k.user_id) ? k.client_id : 0;
      },
      nullptr, nullptr, nullptr);
}

// The cost of one dependent random memory load on this machine: a pointer
// chase through one random cycle over 512 MiB (far beyond the caches and the
// TLB's reach), the unit the latency figures are compared against.
void DependentLoad(benchmark::State& state) {
  constexpr std::size_t kSlots = std::size_t{64} << 20;  // 8-byte slots
  std::vector<std::uint64_t> next(kSlots);
  for (std::size_t i = 0; i < kSlots; ++i) next[i] = i;
  // Sattolo's shuffle gives a single cycle through every slot.
  std::uint64_t seed = 5;
  for (std::size_t i = kSlots - 1; i > 0; --i) {
    std::swap(next[i], next[static_cast<std::size_t>(Mix(seed) % i)]);
  }
  std::uint64_t at = 0;
  for (auto _ : state) {
    at = next[at];
    benchmark::DoNotOptimize(at);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void RegisterLookupBenchmarks(const std::vector<Size>& sizes) {
  if (!sizes.empty()) {
    benchmark::RegisterBenchmark("floor/dependent_load", DependentLoad)
        ->Unit(benchmark::kNanosecond);
  }
  for (Size size : sizes) RegisterForSize(size);
}

}  // namespace hubreg::bench
