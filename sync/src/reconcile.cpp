#include "hubreg/reconcile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>
#include <unordered_set>
#include <utility>

#include "parked_keys.h"

namespace hubreg {
namespace {

constexpr std::size_t kApps = 0, kOrganizations = 1, kClients = 2, kUsers = 3, kLinks = 4;

template <typename Row>
struct Traits;

template <>
struct Traits<App> {
  static const App* Find(const View& view, Id id) { return view.FindApp(id); }
  static auto Rows(const View& view) { return view.Rows<App>(); }
  static const std::string& Key(const App& row) { return row.app_key; }
  static void Park(App& row) { sync::Park(row); }
};
template <>
struct Traits<Organization> {
  static const Organization* Find(const View& view, Id id) { return view.FindOrganization(id); }
  static auto Rows(const View& view) { return view.Rows<Organization>(); }
  static const std::string& Key(const Organization& row) { return row.external_id; }
  static void Park(Organization& row) { sync::Park(row); }
};
template <>
struct Traits<Client> {
  static const Client* Find(const View& view, Id id) { return view.FindClient(id); }
  static auto Rows(const View& view) { return view.Rows<Client>(); }
  static const std::string& Key(const Client& row) { return row.external_id; }
  static void Park(Client& row) { sync::Park(row); }
};
template <>
struct Traits<User> {
  static const User* Find(const View& view, Id id) { return view.FindUser(id); }
  static auto Rows(const View& view) { return view.Rows<User>(); }
  static const std::string& Key(const User& row) { return row.external_id; }
  static void Park(User& row) { sync::Park(row); }
};

// The rows (by id) whose unique keys a target row wants.
std::vector<Id> Holders(const View& view, const App& want) {
  const App* holder = view.FindAppByKey(want.app_key);
  if (holder != nullptr && holder->id != want.id) return {holder->id};
  return {};
}
std::vector<Id> Holders(const View& view, const Organization& want) {
  const Organization* holder =
      view.FindOrganizationByExternalId(want.threecolts_app_id, want.external_id);
  if (holder != nullptr && holder->id != want.id) return {holder->id};
  return {};
}
std::vector<Id> Holders(const View& view, const Client& want) {
  const Client* holder = view.FindClientByExternalId(want.external_id);
  if (holder != nullptr && holder->id != want.id) return {holder->id};
  return {};
}
std::vector<Id> Holders(const View& view, const User& want) {
  std::vector<Id> holders;
  for (const User* holder :
       {view.FindUserByExternalId(want.external_id), view.FindUserByEmail(want.email)}) {
    if (holder != nullptr && holder->id != want.id) holders.push_back(holder->id);
  }
  return holders;
}

// A target timestamp at the epoch matches whatever is stored.
Timestamp Wanted(Timestamp want, Timestamp have) { return want == Timestamp{} ? have : want; }

template <typename Row>
bool SameRow(const Row& have, const Row& want) {
  if (want.created_at != Timestamp{} && want.updated_at != Timestamp{}) return have == want;
  Row patched = want;
  patched.created_at = Wanted(want.created_at, have.created_at);
  patched.updated_at = Wanted(want.updated_at, have.updated_at);
  return have == patched;
}

template <typename Row>
RowKey KeyOf(const Row& row) {
  return {row.id, kNoId, Traits<Row>::Key(row)};
}
RowKey KeyOf(const ClientUserLink& link) { return {link.client_id, link.user_id, {}}; }

// The ids of a table's target rows: a bitmap when they are dense (as a
// source's counters are), a hash set otherwise.
class IdSet {
 public:
  template <typename Row>
  explicit IdSet(const std::vector<Row>& rows) {
    Id largest = 0;
    for (const Row& row : rows) largest = std::max(largest, row.id);
    dense_ = largest <= 4 * rows.size() + 1024;
    if (dense_) {
      bits_.assign(static_cast<std::size_t>(largest) + 1, false);
    } else {
      hashed_.reserve(rows.size());
    }
  }
  // Adds `id`; false when it was there already.
  bool Insert(Id id) {
    if (!dense_) return hashed_.insert(id).second;
    if (bits_[id]) return false;
    bits_[id] = true;
    return true;
  }
  bool Contains(Id id) const {
    return dense_ ? id < bits_.size() && bits_[id] : hashed_.count(id) != 0;
  }

 private:
  bool dense_ = true;
  std::vector<bool> bits_;
  std::unordered_set<Id> hashed_;
};

// One table's part of the plan.
template <typename Row>
struct TablePlan {
  std::vector<const Row*> inserts;  // into the target
  std::vector<const Row*> updates;  // into the target
  std::vector<Id> deletes;
  std::vector<Row> parks;  // stored rows with their unique keys replaced
};

template <typename Row>
Status DiffTable(const View& view, const std::vector<Row>& target, TableChanges* changes,
                 TablePlan<Row>* plan) {
  using T = Traits<Row>;
  IdSet ids(target);
  for (const Row& want : target) {
    if (want.id == kNoId) {
      return Status::InvalidArgument(std::string(changes->table) +
                                     ": a target row has id 0 (every row needs its id)");
    }
    if (!ids.Insert(want.id)) {
      return Status::InvalidArgument(std::string(changes->table) + ": id " +
                                     std::to_string(want.id) + " appears twice in the target");
    }
    const Row* have = T::Find(view, want.id);
    if (have == nullptr) {
      plan->inserts.push_back(&want);
      changes->inserted.push_back(KeyOf(want));
    } else if (!SameRow(*have, want)) {
      plan->updates.push_back(&want);
      changes->updated.push_back(KeyOf(want));
    }
  }
  for (const Row& have : T::Rows(view)) {
    if (!ids.Contains(have.id)) {
      plan->deletes.push_back(have.id);
      changes->deleted.push_back(KeyOf(have));
    }
  }
  return Status::Ok();
}

// Moves out of the way every stored row holding a unique key that the target
// gives to another row. Deleted clients are erased before the parking and
// need none. A parked row the target keeps unchanged is still given its
// target row back (which fails, the target then holding a key twice).
template <typename Row>
void PlanParking(const View& view, const std::vector<Row>& target,
                 const std::unordered_set<Id>& erased_first, TablePlan<Row>* plan) {
  std::vector<Id> parked;
  for (const auto* rows : {&plan->inserts, &plan->updates}) {
    for (const Row* want : *rows) {
      for (Id holder : Holders(view, *want)) {
        if (!erased_first.count(holder)) parked.push_back(holder);
      }
    }
  }
  if (parked.empty()) return;
  std::sort(parked.begin(), parked.end());
  parked.erase(std::unique(parked.begin(), parked.end()), parked.end());
  std::unordered_set<Id> restored;
  for (const Row* want : plan->updates) restored.insert(want->id);
  std::unordered_set<Id> kept;
  for (Id id : parked) {
    Row row = *Traits<Row>::Find(view, id);
    Traits<Row>::Park(row);
    plan->parks.push_back(std::move(row));
    if (!restored.count(id)) kept.insert(id);
  }
  if (kept.empty()) return;
  for (const Row& want : target) {
    if (kept.count(want.id)) plan->updates.push_back(&want);
  }
}

template <typename Row>
void AddUpserts(const TablePlan<Row>& plan, Batch* batch) {
  for (const Row* row : plan.inserts) batch->Insert(*row);
  for (const Row* row : plan.updates) batch->Update(*row);
}

template <typename Row>
void AddDeletes(const TablePlan<Row>& plan, Batch* batch) {
  for (Id id : plan.deletes) batch->Erase<Row>(id);
}

template <typename Row>
void AddParks(TablePlan<Row>& plan, Batch* batch) {
  for (Row& row : plan.parks) batch->Update(std::move(row));
}

std::string Percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g%%", share * 100);
  return text;
}

}  // namespace

Status CheckDeleteRatio(const Reconciliation& plan, double max_delete_ratio) {
  if (!(max_delete_ratio >= 0 && max_delete_ratio <= 1)) {
    return Status::InvalidArgument("the delete limit must be a share from 0 to 1, not " +
                                   std::to_string(max_delete_ratio));
  }
  for (const TableChanges& table : plan.tables) {
    const std::size_t deleted = table.deleted.size();
    if (deleted == 0 ||
        static_cast<double>(deleted) <= max_delete_ratio * static_cast<double>(table.before)) {
      continue;
    }
    return Status::InvalidArgument(
        std::string(table.table) + ": reconciling would delete " + std::to_string(deleted) +
        " of its " + std::to_string(table.before) + " rows (" +
        Percent(static_cast<double>(deleted) / static_cast<double>(table.before)) +
        "), more than the limit of " + Percent(max_delete_ratio) +
        " of a table; nothing was changed (check that the source is complete, or force it)");
  }
  return Status::Ok();
}

StatusOr<Reconciliation> Reconcile(const View& current, const RegistryRows& target,
                                   const ReconcileOptions& options) {
  Reconciliation result;
  const TableCounts counts = current.counts();
  result.tables = {TableChanges{kAppTable, counts.apps, {}, {}, {}},
                   TableChanges{kOrganizationTable, counts.organizations, {}, {}, {}},
                   TableChanges{kClientTable, counts.clients, {}, {}, {}},
                   TableChanges{kUserTable, counts.users, {}, {}, {}},
                   TableChanges{kClientUserTable, counts.links, {}, {}, {}}};

  TablePlan<App> apps;
  TablePlan<Organization> organizations;
  TablePlan<Client> clients;
  TablePlan<User> users;
  Status diffed = DiffTable(current, target.apps, &result.tables[kApps], &apps);
  if (diffed.ok()) {
    diffed =
        DiffTable(current, target.organizations, &result.tables[kOrganizations], &organizations);
  }
  if (diffed.ok()) diffed = DiffTable(current, target.clients, &result.tables[kClients], &clients);
  if (diffed.ok()) diffed = DiffTable(current, target.users, &result.tables[kUsers], &users);
  if (!diffed.ok()) return diffed;

  // Links have no id: match them by pair. A changed created_at is an erase
  // and an insert. Sorted pairs, not a hash set: sorting is several times
  // cheaper than three million node allocations, and finds repeated pairs.
  TableChanges& links = result.tables[kLinks];
  std::vector<const ClientUserLink*> link_inserts;
  std::vector<std::pair<Id, Id>> link_erases;
  {
    std::vector<std::pair<Id, Id>> pairs;
    pairs.reserve(target.links.size());
    for (const ClientUserLink& want : target.links)
      pairs.emplace_back(want.client_id, want.user_id);
    std::sort(pairs.begin(), pairs.end());
    if (auto twice = std::adjacent_find(pairs.begin(), pairs.end()); twice != pairs.end()) {
      return Status::InvalidArgument(std::string(kClientUserTable) + ": (client_id, user_id) (" +
                                     std::to_string(twice->first) + ", " +
                                     std::to_string(twice->second) +
                                     ") appears twice in the target");
    }
    std::size_t matched = 0;
    for (const ClientUserLink& want : target.links) {
      const std::optional<ClientUserLink> have = current.FindLink(want.client_id, want.user_id);
      if (!have) {
        link_inserts.push_back(&want);
        links.inserted.push_back(KeyOf(want));
        continue;
      }
      ++matched;
      if (Wanted(want.created_at, have->created_at) != have->created_at) {
        link_erases.emplace_back(want.client_id, want.user_id);
        link_inserts.push_back(&want);
        links.updated.push_back(KeyOf(want));
      }
    }
    // The pairs being unique, every stored link is matched unless some are gone.
    if (matched < counts.links) {
      std::vector<std::pair<Id, Id>> stored;
      stored.reserve(counts.links);
      for (const ClientUserLink& have : current.Rows<ClientUserLink>()) {
        stored.emplace_back(have.client_id, have.user_id);
      }
      std::sort(stored.begin(), stored.end());
      std::vector<std::pair<Id, Id>> gone;
      std::set_difference(stored.begin(), stored.end(), pairs.begin(), pairs.end(),
                          std::back_inserter(gone));
      for (const auto& [client_id, user_id] : gone) {
        link_erases.emplace_back(client_id, user_id);
        links.deleted.push_back(RowKey{client_id, user_id, {}});
      }
    }
  }

  if (!options.force) {
    Status guarded = CheckDeleteRatio(result, options.max_delete_ratio);
    if (!guarded.ok()) return guarded;
  }

  const std::unordered_set<Id> erased_clients(clients.deletes.begin(), clients.deletes.end());
  PlanParking(current, target.apps, {}, &apps);
  PlanParking(current, target.organizations, {}, &organizations);
  PlanParking(current, target.clients, erased_clients, &clients);
  PlanParking(current, target.users, {}, &users);

  Batch& batch = result.batch;
  for (const auto& [client_id, user_id] : link_erases) batch.Unlink(client_id, user_id);
  AddDeletes(clients, &batch);
  AddParks(apps, &batch);
  AddParks(users, &batch);
  AddParks(organizations, &batch);
  AddParks(clients, &batch);
  AddUpserts(apps, &batch);
  AddUpserts(users, &batch);
  AddUpserts(organizations, &batch);
  AddUpserts(clients, &batch);
  AddDeletes(organizations, &batch);
  AddDeletes(users, &batch);
  AddDeletes(apps, &batch);
  for (const ClientUserLink* link : link_inserts) batch.Insert(*link);
  return result;
}

}  // namespace hubreg
