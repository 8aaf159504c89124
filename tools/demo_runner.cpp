#include "demo_runner.h"

#include <malloc.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <unordered_map>

#include "hubreg/store.h"
#include "process_memory.h"

namespace hubreg::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Keys the lookups use, sampled before the rows are handed to the store.
struct Keys {
  std::vector<std::string> user_emails;
  std::vector<std::string> user_external_ids;
  std::vector<std::string> client_external_ids;
  std::vector<std::pair<std::string, std::string>> organizations;  // app key, external id
  std::vector<std::pair<std::string, std::string>> links;          // client, user external ids
};

constexpr std::size_t kSampleSize = 4096;

Keys SampleKeys(const RegistryRows& rows, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  const auto pick = [&](std::size_t size) {
    return std::uniform_int_distribution<std::size_t>(0, size - 1)(random);
  };
  std::unordered_map<Id, const User*> users;
  std::unordered_map<Id, const Client*> clients;
  std::unordered_map<Id, const App*> apps;
  for (const User& user : rows.users) users[user.id] = &user;
  for (const Client& client : rows.clients) clients[client.id] = &client;
  for (const App& app : rows.apps) apps[app.id] = &app;

  Keys keys;
  for (std::size_t i = 0; i < kSampleSize && !rows.users.empty(); ++i) {
    keys.user_emails.push_back(rows.users[pick(rows.users.size())].email);
  }
  // Half owners, so that owned-orgs finds something as often as not.
  for (std::size_t i = 0; i < kSampleSize && !rows.users.empty(); ++i) {
    const User* user = &rows.users[pick(rows.users.size())];
    if (i % 2 == 0 && !rows.organizations.empty()) {
      user = users.at(rows.organizations[pick(rows.organizations.size())].organization_owner_id);
    }
    keys.user_external_ids.push_back(user->external_id);
  }
  for (std::size_t i = 0; i < kSampleSize && !rows.clients.empty(); ++i) {
    keys.client_external_ids.push_back(rows.clients[pick(rows.clients.size())].external_id);
  }
  for (std::size_t i = 0; i < kSampleSize && !rows.organizations.empty(); ++i) {
    const Organization& org = rows.organizations[pick(rows.organizations.size())];
    keys.organizations.emplace_back(apps.at(org.threecolts_app_id)->app_key, org.external_id);
  }
  for (std::size_t i = 0; i < kSampleSize && !rows.links.empty(); ++i) {
    const ClientUserLink& link = rows.links[pick(rows.links.size())];
    keys.links.emplace_back(clients.at(link.client_id)->external_id,
                            users.at(link.user_id)->external_id);
  }
  return keys;
}

// Hands the rows to the store in batches of `batch_rows`, parents first,
// releasing each table's memory once it is stored.
Status Load(Store& store, RegistryRows rows, const DemoOptions& options, std::size_t* batches) {
  const std::uint64_t total = rows.apps.size() + rows.users.size() + rows.organizations.size() +
                              rows.clients.size() + rows.links.size();
  std::uint64_t done = 0;
  Batch batch;
  const auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    done += batch.size();
    StatusOr<CommitResult> committed = store.Apply(batch);
    if (!committed.ok()) return committed.status();
    ++*batches;
    batch = Batch();
    if (options.progress) options.progress("load", done, total);
    return Status::Ok();
  };
  const auto add_all = [&](auto& table) -> Status {
    for (auto& row : table) {
      batch.Insert(std::move(row));
      if (batch.size() >= options.batch_rows) HUBREG_RETURN_IF_ERROR(flush());
    }
    std::remove_reference_t<decltype(table)>().swap(table);
    return Status::Ok();
  };
  HUBREG_RETURN_IF_ERROR(add_all(rows.apps));
  HUBREG_RETURN_IF_ERROR(add_all(rows.users));
  HUBREG_RETURN_IF_ERROR(add_all(rows.organizations));
  HUBREG_RETURN_IF_ERROR(add_all(rows.clients));
  HUBREG_RETURN_IF_ERROR(add_all(rows.links));
  return flush();
}

// Runs `lookup(view, i)` (returning the rows it found) for about `seconds`,
// taking a fresh short-lived view every few hundred lookups as a service would.
template <typename Lookup>
LookupRate Measure(const Store& store, std::string kind, double seconds, Lookup lookup) {
  constexpr std::size_t kPerView = 256;
  LookupRate rate;
  rate.kind = std::move(kind);
  const auto start = Clock::now();
  std::size_t i = 0;
  do {
    const View view = store.Read();
    for (std::size_t k = 0; k < kPerView; ++k, ++i) rate.rows += lookup(view, i);
    rate.lookups += kPerView;
  } while (SecondsSince(start) < seconds);
  rate.seconds = SecondsSince(start);
  return rate;
}

template <typename Range>
std::uint64_t Touch(const Range& range) {
  std::uint64_t rows = 0;
  for (const auto& row : range) rows += row.id != kNoId ? 1 : 0;
  return rows;
}

std::vector<LookupRate> MeasureLookups(const Store& store, const Keys& keys, double seconds) {
  std::vector<LookupRate> rates;
  if (!keys.user_emails.empty()) {
    rates.push_back(Measure(store, "user-clients (by email)", seconds,
                            [&](const View& view, std::size_t i) -> std::uint64_t {
                              const User* user = view.FindUserByEmail(
                                  keys.user_emails[i % keys.user_emails.size()]);
                              return user ? Touch(view.ClientsOfUser(user->id)) : 0;
                            }));
  }
  if (!keys.client_external_ids.empty()) {
    rates.push_back(Measure(store, "client-users", seconds,
                            [&](const View& view, std::size_t i) -> std::uint64_t {
                              const Client* client = view.FindClientByExternalId(
                                  keys.client_external_ids[i % keys.client_external_ids.size()]);
                              return client ? Touch(view.UsersOfClient(client->id)) : 0;
                            }));
  }
  if (!keys.organizations.empty()) {
    const auto find_org = [&](const View& view, std::size_t i) -> const Organization* {
      const auto& [app_key, external_id] = keys.organizations[i % keys.organizations.size()];
      const App* app = view.FindAppByKey(app_key);
      return app ? view.FindOrganizationByExternalId(app->id, external_id) : nullptr;
    };
    rates.push_back(
        Measure(store, "org-owner", seconds, [&](const View& view, std::size_t i) -> std::uint64_t {
          const Organization* org = find_org(view, i);
          return org && view.OwnerOfOrganization(org->id) ? 1 : 0;
        }));
    rates.push_back(Measure(store, "org-clients", seconds,
                            [&](const View& view, std::size_t i) -> std::uint64_t {
                              const Organization* org = find_org(view, i);
                              return org ? Touch(view.ClientsOfOrganization(org->id)) : 0;
                            }));
  }
  if (!keys.user_external_ids.empty()) {
    rates.push_back(Measure(
        store, "owned-orgs", seconds, [&](const View& view, std::size_t i) -> std::uint64_t {
          const User* user =
              view.FindUserByExternalId(keys.user_external_ids[i % keys.user_external_ids.size()]);
          return user ? Touch(view.OrganizationsOwnedBy(user->id)) : 0;
        }));
  }
  if (!keys.links.empty()) {
    rates.push_back(Measure(store, "resolve (access check)", seconds,
                            [&](const View& view, std::size_t i) -> std::uint64_t {
                              const auto& [account, user] = keys.links[i % keys.links.size()];
                              return view.Resolve(AccessRequest{account, user}).allowed() ? 1 : 0;
                            }));
  }
  return rates;
}

// Removes the temporary directory however RunDemo ends.
class DirectoryCleanup {
 public:
  explicit DirectoryCleanup(std::string dir) : dir_(std::move(dir)) {}
  ~DirectoryCleanup() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  DirectoryCleanup(const DirectoryCleanup&) = delete;
  DirectoryCleanup& operator=(const DirectoryCleanup&) = delete;

 private:
  std::string dir_;
};

}  // namespace

StatusOr<DemoReport> RunDemo(const DemoOptions& options) {
  const auto start = Clock::now();
  DemoReport report;
  std::string dir = options.keep_dir;
  if (dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "hubreg-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return Status::Io("cannot create a temporary directory under " +
                        fs::temp_directory_path().string());
    }
    dir = pattern;
  }
  DirectoryCleanup cleanup(options.keep_dir.empty() ? dir : std::string());
  report.data_dir = (fs::path(dir) / "data").string();

  auto phase = Clock::now();
  if (options.progress) options.progress("generate", 0, 1);
  RegistryRows rows = gen::Generate(options.sizes);
  const Keys keys = SampleKeys(rows, options.sizes.seed);
  report.counts = {rows.apps.size(), rows.organizations.size(), rows.clients.size(),
                   rows.users.size(), rows.links.size()};
  report.generate_seconds = SecondsSince(phase);

  {
    StoreOptions store_options;
    store_options.path = report.data_dir;
    store_options.compaction_ratio = 1e12;  // one compaction at the end, not one per batch
    StatusOr<std::unique_ptr<Store>> store = Store::Open(store_options);
    if (!store.ok()) return store.status().WithContext("creating " + report.data_dir);
    phase = Clock::now();
    HUBREG_RETURN_IF_ERROR(Load(**store, std::move(rows), options, &report.batches)
                               .WithContext("loading the demo registry"));
    report.load_seconds = SecondsSince(phase);
    phase = Clock::now();
    if (options.progress) options.progress("compact", 0, 1);
    HUBREG_RETURN_IF_ERROR((*store)->Compact().WithContext("compacting"));
    report.compact_seconds = SecondsSince(phase);
  }
  // Give the loading's freed heap back to the system, so that the resident
  // size measured below is the reopened registry's, not the allocator's cache.
  malloc_trim(0);

  if (options.progress) options.progress("reopen", 0, 1);
  phase = Clock::now();
  StoreOptions reopen_options;
  reopen_options.path = report.data_dir;
  reopen_options.read_only = true;
  reopen_options.create_if_missing = false;
  StatusOr<std::unique_ptr<Store>> store = Store::Open(reopen_options);
  if (!store.ok()) return store.status().WithContext("reopening " + report.data_dir);
  report.reopen_seconds = SecondsSince(phase);
  const StoreStats stats = (*store)->Stats();
  report.open_seconds = stats.open_seconds;
  report.snapshot_bytes = stats.snapshot_bytes;
  report.last_sequence = stats.last_sequence;
  if (stats.counts != report.counts) {
    return Status::Corruption("the reopened registry does not hold the rows that were stored");
  }

  if (options.progress) options.progress("lookups", 0, 1);
  report.lookups = MeasureLookups(**store, keys, options.seconds_per_kind);
  const ProcessMemory memory = ReadProcessMemory();
  report.rss_bytes = memory.rss_bytes;
  report.peak_rss_bytes = memory.peak_bytes;
  store->reset();
  report.total_seconds = SecondsSince(start);
  return report;
}

}  // namespace hubreg::cli
