#include "store_fixture.h"

#include <filesystem>
#include <map>
#include <string>

#include "dataset.h"

namespace hubreg::bench {

StoreOptions NoAutoCompaction(const std::string& path) {
  StoreOptions options;
  options.path = path;
  options.compaction_ratio = 1e12;
  options.min_journal_bytes = ~std::uint64_t{0};
  return options;
}

User FreshUser(std::uint64_t number) {
  User user;
  const std::string tag = std::to_string(number);
  user.external_id = "bench_usr_" + tag;
  user.email = "Bench.User" + tag + "@bench.example.com";
  user.name = "Bench User " + tag;
  return user;
}

namespace {

// Appends the inserts of `rows` to `mutations`, parents before children.
std::vector<Mutation> Inserts(const RegistryRows& rows) {
  std::vector<Mutation> mutations;
  mutations.reserve(rows.apps.size() + rows.users.size() + rows.organizations.size() +
                    rows.clients.size() + rows.links.size());
  for (const App& row : rows.apps) mutations.emplace_back(InsertRow<App>{row});
  for (const User& row : rows.users) mutations.emplace_back(InsertRow<User>{row});
  for (const Organization& row : rows.organizations) {
    mutations.emplace_back(InsertRow<Organization>{row});
  }
  for (const Client& row : rows.clients) mutations.emplace_back(InsertRow<Client>{row});
  for (const ClientUserLink& row : rows.links) {
    mutations.emplace_back(InsertRow<ClientUserLink>{row});
  }
  return mutations;
}

}  // namespace

Status LoadRows(Store& store, const RegistryRows& rows, std::size_t batches) {
  std::vector<Mutation> mutations = Inserts(rows);
  const std::size_t per_batch =
      (mutations.size() + batches - 1) / std::max<std::size_t>(batches, 1);
  for (std::size_t first = 0; first < mutations.size(); first += per_batch) {
    const std::size_t last = std::min(mutations.size(), first + per_batch);
    Batch batch(std::vector<Mutation>(std::make_move_iterator(mutations.begin() + first),
                                      std::make_move_iterator(mutations.begin() + last)));
    HUBREG_RETURN_IF_ERROR(store.Apply(batch).status());
  }
  return Status::Ok();
}

const DataDirectories& GetDataDirectories(Size size) {
  static std::map<Size, std::unique_ptr<DataDirectories>> cache;
  std::unique_ptr<DataDirectories>& slot = cache[size];
  if (slot) return *slot;
  slot = std::make_unique<DataDirectories>();
  DataDirectories& dirs = *slot;
  const std::string name(SizeName(size));
  const RegistryRows& rows = GetDataset(size).rows;
  dirs.entities = rows.apps.size() + rows.organizations.size() + rows.clients.size() +
                  rows.users.size() + rows.links.size();

  dirs.journal = ScratchDirectory("journal-" + name);
  {
    StoreOptions options = NoAutoCompaction(dirs.journal->path());
    options.sync = SyncMode::kNoSync;  // building the fixture need not be durable
    auto store = Store::Open(options);
    CheckOk(store.status(), "open journal store");
    CheckOk(LoadRows(**store, rows, 100), "load rows");
  }
  dirs.snapshot = ScratchDirectory("snapshot-" + name);
  std::filesystem::copy(
      dirs.journal->path(), dirs.snapshot->path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  {
    auto store = Store::Open(NoAutoCompaction(dirs.snapshot->path()));
    CheckOk(store.status(), "open snapshot store");
    CheckOk((*store)->Compact(), "compact");
    dirs.snapshot_bytes = (*store)->Stats().snapshot_bytes;
  }
  return dirs;
}

}  // namespace hubreg::bench
